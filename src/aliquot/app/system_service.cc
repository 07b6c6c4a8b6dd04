#include "aliquot/app/system_service.h"

#include <algorithm>
#include <utility>

#include "aliquot/ledger/payload.h"

namespace aliquot::app {
namespace {

const TableSpec& InstallationTable() {
  static const TableSpec kTable{"installation",
                                {{"id", ColumnType::kText},
                                 {"site_name", ColumnType::kText},
                                 {"checkpoint_key_id", ColumnType::kText},
                                 {"initialised_at", ColumnType::kText},
                                 {"software_version", ColumnType::kText},
                                 {"running", ColumnType::kInteger},  // Servers running.
                                 {"server_starts", ColumnType::kInteger},
                                 {"unclean_stops", ColumnType::kInteger},
                                 {"last_started_at", ColumnType::kText, /*nullable=*/true},
                                 {"last_stopped_at", ColumnType::kText, /*nullable=*/true}},
                                1};
  return kTable;
}

enum Column : std::size_t {
  kId,
  kSiteName,
  kKeyId,
  kInitialisedAt,
  kSoftwareVersion,
  kRunning,
  kServerStarts,
  kUncleanStops,
  kLastStartedAt,
  kLastStoppedAt,
};

// One row per server that ever started: several may share a PostgreSQL database.
const TableSpec& ServersTable() {
  static const TableSpec kTable{"servers",
                                {{"server_id", ColumnType::kText},
                                 {"running", ColumnType::kInteger},
                                 {"starts", ColumnType::kInteger},
                                 {"listen_address", ColumnType::kText},
                                 {"last_started_at", ColumnType::kText},
                                 {"last_stopped_at", ColumnType::kText, /*nullable=*/true}},
                                1};
  return kTable;
}

enum ServerColumn : std::size_t {
  kServerId,
  kServerRunning,
  kStarts,
  kListenAddress,
  kServerStartedAt,
  kServerStoppedAt,
};

// The server an event names. Events of ledgers written before servers were told apart carry no
// server_id; their terminal ("server:<host>") named the one server there was.
std::string ServerIdOf(const ledger::PayloadReader& payload, const ledger::Event& event) {
  const Json* id = payload.Find("server_id");
  return id != nullptr && id->IsString() ? id->AsString() : event.terminal;
}

const Row& InstallationKey() {
  static const Row kKey{std::string("installation")};
  return kKey;
}

class SystemProjector final : public Projector {
 public:
  const std::vector<TableSpec>& Tables() const override {
    static const std::vector<TableSpec> kTables{InstallationTable(), ServersTable()};
    return kTables;
  }

  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    // Compared in place: this runs for every event of every area.
    if (event.stream.type != "system" || event.stream.id != "installation") return {};
    ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                             ledger::PayloadReader::Parse(event));
    const TableSpec& table = InstallationTable();
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> current, writer.Get(table, InstallationKey()));
    const std::string time = event.time.ToRfc3339();
    if (event.event_type == "system.initialised") {
      ALIQUOT_ASSIGN_OR_RETURN(std::string site, payload.String("site_name"));
      ALIQUOT_ASSIGN_OR_RETURN(std::string key_id, payload.String("checkpoint_key_id"));
      ALIQUOT_ASSIGN_OR_RETURN(std::string version, payload.String("software_version"));
      return writer.Upsert(table,
                           {InstallationKey()[0], site, key_id, time, version, std::int64_t{0},
                            std::int64_t{0}, std::int64_t{0}, Value{}, Value{}});
    }
    if (!current) {
      return Unexpected(DataLoss("event seq " + std::to_string(event.seq) + " (" +
                                 event.event_type +
                                 ") precedes the installation's initialisation"));
    }
    Row row = std::move(*current);
    if (event.event_type == "system.server_started" ||
        event.event_type == "system.server_stopped") {
      ALIQUOT_RETURN_IF_ERROR(ApplyToServer(event, payload, time, writer));
    }
    if (event.event_type == "system.server_started") {
      ALIQUOT_ASSIGN_OR_RETURN(row[kSoftwareVersion], payload.String("software_version"));
      const Json* clean = payload.Find("previous_run_ended_cleanly");
      if (clean != nullptr && clean->IsBool() && !clean->AsBool()) {
        row[kUncleanStops] = std::get<std::int64_t>(row[kUncleanStops]) + 1;
      }
      if (clean == nullptr || !clean->IsBool() || clean->AsBool()) {
        row[kRunning] = std::get<std::int64_t>(row[kRunning]) + 1;
      }
      row[kServerStarts] = std::get<std::int64_t>(row[kServerStarts]) + 1;
      row[kLastStartedAt] = time;
    } else if (event.event_type == "system.server_stopped") {
      row[kRunning] = std::max<std::int64_t>(std::get<std::int64_t>(row[kRunning]) - 1, 0);
      row[kLastStoppedAt] = time;
    } else {
      return {};
    }
    return writer.Upsert(table, row);
  }

 private:
  static Status ApplyToServer(const ledger::Event& event, const ledger::PayloadReader& payload,
                              const std::string& time, ProjectionWriter& writer) {
    const std::string id = ServerIdOf(payload, event);
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> current, writer.Get(ServersTable(), Row{id}));
    if (event.event_type == "system.server_stopped") {
      if (!current) {
        return Unexpected(DataLoss("event seq " + std::to_string(event.seq) + " stops server " +
                                   id + ", which never started"));
      }
      (*current)[kServerRunning] = std::int64_t{0};
      (*current)[kServerStoppedAt] = time;
      return writer.Upsert(ServersTable(), *current);
    }
    const Json* address = payload.Find("listen_address");
    Row row =
        current ? std::move(*current)
                : Row{id, std::int64_t{0}, std::int64_t{0}, std::string(), std::string(), Value{}};
    row[kServerRunning] = std::int64_t{1};
    row[kStarts] = std::get<std::int64_t>(row[kStarts]) + 1;
    row[kListenAddress] = address != nullptr && address->IsString() ? address->AsString() : "";
    row[kServerStartedAt] = time;
    return writer.Upsert(ServersTable(), row);
  }
};

}  // namespace

std::unique_ptr<Projector> MakeSystemProjector() { return std::make_unique<SystemProjector>(); }

Result<InstallationView> SystemService::Installation() {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> row,
                           store_.GetRow(InstallationTable(), InstallationKey()));
  InstallationView view;
  if (!row) return view;
  view.state.initialised = true;
  ALIQUOT_RETURN_IF_ERROR(store_.ScanRows(ServersTable(), [&](const Row& server) -> Status {
    if (std::get<std::int64_t>(server[kServerRunning]) != 0) {
      view.state.running_servers.push_back(std::get<std::string>(server[kServerId]));
    }
    return {};
  }));
  view.site_name = std::get<std::string>((*row)[kSiteName]);
  view.checkpoint_key_id = std::get<std::string>((*row)[kKeyId]);
  view.server_starts = std::get<std::int64_t>((*row)[kServerStarts]);
  return view;
}

template <typename Decide>
Result<ledger::Event> SystemService::Run(Decide decide) {
  for (int attempt = 1;; ++attempt) {
    ALIQUOT_ASSIGN_OR_RETURN(std::uint64_t head, store_.StreamHead(system::InstallationStream()));
    ALIQUOT_ASSIGN_OR_RETURN(InstallationView view, Installation());
    ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent event, decide(view.state));
    AppendRequest request;
    request.events.push_back(std::move(event));
    request.expectations.push_back({system::InstallationStream(), head});
    auto appended = store_.Append(request);
    if (appended) return std::move(appended->front());
    if (appended.error().Code() != ErrorCode::kAborted || attempt == kAppendAttempts) {
      return Unexpected(appended.error());
    }
  }
}

Result<ledger::Event> SystemService::Initialise(const system::InitialiseCommand& command) {
  return Run(
      [&](const system::InstallationState& state) { return system::Initialise(state, command); });
}

Result<ledger::Event> SystemService::RecordServerStarted(const system::ServerStart& start) {
  return Run(
      [&](const system::InstallationState& state) { return system::ServerStarted(state, start); });
}

Result<ledger::Event> SystemService::RecordServerStopped(const std::string& server_id,
                                                         const std::string& cause,
                                                         const std::string& terminal) {
  return Run([&](const system::InstallationState& state) {
    return system::ServerStopped(state, server_id, cause, terminal);
  });
}

}  // namespace aliquot::app
