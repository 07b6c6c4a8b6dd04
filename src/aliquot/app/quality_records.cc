#include "aliquot/app/quality_records.h"

#include <algorithm>
#include <utility>

#include "aliquot/core/json.h"

namespace aliquot::app {
namespace {

using quality::DeviationState;

const TableSpec& DeviationsTable() {
  static const TableSpec kTable{"deviations",
                                {{"deviation_id", ColumnType::kText},
                                 {"status", ColumnType::kText},
                                 {"source", ColumnType::kText},
                                 {"raised_at", ColumnType::kInteger},
                                 {"state", ColumnType::kText}},
                                1};
  return kTable;
}

const TableSpec& DeviationBatchesTable() {
  static const TableSpec kTable{"deviation_batches",
                                {{"batch", ColumnType::kText},
                                 {"deviation_id", ColumnType::kText},
                                 {"status", ColumnType::kText}},
                                2};
  return kTable;
}

const TableSpec& DeviationYearsTable() {
  static const TableSpec kTable{
      "deviation_years", {{"year", ColumnType::kInteger}, {"raised", ColumnType::kInteger}}, 1};
  return kTable;
}

Result<DeviationState> Decode(const std::string& text, const std::string& id) {
  auto json = ParseJson(text);
  if (!json) {
    return Unexpected(
        DataLoss("deviation " + id + " does not read back: " + json.error().Message()));
  }
  return quality::DeviationFromJson(*json);
}

// The year of a deviation id "DEV-2026-0007", and its number.
std::optional<std::pair<int, int>> YearAndNumber(const std::string& id) {
  if (id.size() < 13 || !id.starts_with("DEV-") || id[8] != '-') return std::nullopt;
  int year = 0;
  int number = 0;
  for (std::size_t i = 4; i < id.size(); ++i) {
    if (i == 8) continue;
    if (id[i] < '0' || id[i] > '9') return std::nullopt;
    int& part = i < 8 ? year : number;
    if (part > 100'000'000) return std::nullopt;
    part = part * 10 + (id[i] - '0');
  }
  return std::pair<int, int>(year, number);
}

int YearOf(Timestamp time) { return std::stoi(time.ToRfc3339().substr(0, 4)); }

class QualityProjector final : public Projector {
 public:
  const std::vector<TableSpec>& Tables() const override {
    static const std::vector<TableSpec> kTables{DeviationsTable(), DeviationBatchesTable(),
                                                DeviationYearsTable()};
    return kTables;
  }

  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    if (event.stream.type != "deviation" || !event.event_type.starts_with("quality.")) return {};
    const std::string& id = event.stream.id;
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, writer.Get(DeviationsTable(), {id}));
    DeviationState state;
    if (row) {
      ALIQUOT_ASSIGN_OR_RETURN(state, Decode(Text(*row, 4), id));
    }
    const std::vector<std::string> batches_before = state.BatchesAffected();
    ALIQUOT_RETURN_IF_ERROR(quality::ApplyDeviationEvent(state, event));
    const std::string status(quality::DeviationStatusName(state.status));
    ALIQUOT_RETURN_IF_ERROR(
        writer.Upsert(DeviationsTable(),
                      {id, status, std::string(quality::DeviationSourceName(state.details.source)),
                       state.raised_at.Micros(), CanonicalJson(quality::DeviationToJson(state))}));
    // A reassessment may no longer extend the deviation to a batch an earlier one listed.
    const std::vector<std::string>& batches = state.BatchesAffected();
    for (const std::string& batch : batches_before) {
      if (std::find(batches.begin(), batches.end(), batch) == batches.end()) {
        ALIQUOT_RETURN_IF_ERROR(writer.Delete(DeviationBatchesTable(), {batch, id}));
      }
    }
    for (const std::string& batch : batches) {
      ALIQUOT_RETURN_IF_ERROR(writer.Upsert(DeviationBatchesTable(), {batch, id, status}));
    }
    if (row) return {};
    const auto parsed = YearAndNumber(id);
    if (!parsed) return Unexpected(DataLoss("deviation id " + id + " is not DEV-<year>-<number>"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> year,
                             writer.Get(DeviationYearsTable(), {std::int64_t{parsed->first}}));
    const std::int64_t raised = std::max<std::int64_t>(year ? Int(*year, 1) : 0, parsed->second);
    return writer.Upsert(DeviationYearsTable(), {std::int64_t{parsed->first}, raised});
  }
};

}  // namespace

std::unique_ptr<Projector> MakeQualityProjector() { return std::make_unique<QualityProjector>(); }

Result<DeviationState> LoadDeviation(StoreReader& reader, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, reader.GetRow(DeviationsTable(), {id}));
  if (!row) return DeviationState();
  return Decode(Text(*row, 4), id);
}

Result<std::vector<DeviationState>> LoadDeviations(StoreReader& reader) {
  std::vector<DeviationState> deviations;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(DeviationsTable(), [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(DeviationState deviation, Decode(Text(row, 4), Text(row, 0)));
    deviations.push_back(std::move(deviation));
    return {};
  }));
  return deviations;
}

Result<std::vector<DeviationState>> LoadDeviationsOfBatch(StoreReader& reader,
                                                          const std::string& batch,
                                                          DeviationFilter filter) {
  std::vector<std::string> ids;
  ALIQUOT_RETURN_IF_ERROR(
      reader.ScanRowsWithPrefix(DeviationBatchesTable(), {batch}, [&](const Row& row) -> Status {
        if (filter == DeviationFilter::kNotClosed &&
            Text(row, 2) == quality::DeviationStatusName(quality::DeviationStatus::kClosed)) {
          return {};
        }
        ids.push_back(Text(row, 1));
        return {};
      }));
  std::vector<DeviationState> deviations;
  deviations.reserve(ids.size());
  for (const std::string& id : ids) {
    ALIQUOT_ASSIGN_OR_RETURN(DeviationState deviation, LoadDeviation(reader, id));
    if (!deviation.exists) {
      std::string message = "deviation_batches lists " + id;
      message += " for batch " + batch;
      message += ", which the deviations table does not have";
      return Unexpected(DataLoss(message));
    }
    deviations.push_back(std::move(deviation));
  }
  return deviations;
}

Result<ledger::NewEvent> RaiseNextDeviation(StoreReader& reader,
                                            const quality::DeviationInput& input, Timestamp now,
                                            const ledger::Actor& actor, std::string_view terminal) {
  const int year = YearOf(now);
  ALIQUOT_ASSIGN_OR_RETURN(const int raised, DeviationsRaisedIn(reader, year));
  const std::string id = quality::DeviationId(year, raised + 1);
  return quality::RaiseDeviation(DeviationState(), id, input, actor, terminal);
}

Result<int> DeviationsRaisedIn(StoreReader& reader, int year) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                           reader.GetRow(DeviationYearsTable(), {std::int64_t{year}}));
  return row ? static_cast<int>(Int(*row, 1)) : 0;
}

}  // namespace aliquot::app
