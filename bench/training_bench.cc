// training_bench: the qualification query every step execution runs (TrainingService::
// QualificationIn: two point reads, the document's row with the schedule of its versions and the
// person's training record on it), at 1,000 users x 500 documents x 10 versions, beside its 50 us
// p99 target and beside the same run's plain sqlite3 read of the same two rows; and the gate over
// the API (TrainingService::Gate) for a qualified and a refused person, beside the query and the
// durable append a refusal makes. See docs/benchmarks.md.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/raw_sqlite.h"
#include "bench/report.h"
#include "bench/support.h"
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include "aliquot/app/credentials.h"
#include "aliquot/app/identity_service.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/app/system_service.h"
#include "aliquot/app/training_service.h"
#include "aliquot/core/check.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/core/sha256.h"
#include "aliquot/domain/documents/document.h"
#include "aliquot/domain/identity/authorization.h"
#include "aliquot/domain/identity/role.h"
#include "aliquot/domain/identity/terminal.h"
#include "aliquot/domain/identity/user.h"
#include "aliquot/domain/training/training.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/sql/projection_sql.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace aliquot::bench {
namespace {

using Steady = std::chrono::steady_clock;
using identity::Role;

// The dimensions the requirement names, before --scale: every user works to 50 documents (10 of
// basic GMP, 40 of their role's), and each document has 10 versions.
constexpr int kUsers = 1000;
constexpr int kDocuments = 500;
constexpr int kVersions = 10;
constexpr int kBasicDocuments = 10;
constexpr int kRoleDocuments = 40;

// Rounds (Google Benchmark iterations) and calls per round, before --scale. 20 x 1,000 = 20,000
// queries of each kind per repetition.
constexpr std::int64_t kQueryRounds = 20;
constexpr std::int64_t kQueriesPerRound = 1000;
constexpr std::int64_t kGateRounds = 10;
constexpr std::int64_t kQualifiedGatesPerRound = 200;
constexpr std::int64_t kRefusedGatesPerRound = 20;

// The requirement: p99 under 50 us, since the query sits on every step execution.
constexpr double kTargetP99Us = 50;

constexpr std::string_view kSite = "BSL";
constexpr std::string_view kOfficeTerminal = "BSL-QA-WS1";
constexpr std::string_view kKioskTerminal = "BSL-TRAIN-KIOSK1";
constexpr std::string_view kFloorTerminal = "BSL-SUITE2-TAB1";
constexpr std::string_view kPurpose = "Batch B-2025-0417, step 4.3: granulation end point";
// Hermetic: the same dataset and the same query sequence on every run.
constexpr std::uint64_t kSeed = 20240108;

double scale = 1.0;

std::int64_t Scaled(std::int64_t count) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(count) * scale));
}

// ---------------------------------------------------------------------------------------------
// The limit: the two rows QualificationIn reads, read with plain sqlite3 on a second connection to
// the same file, with the statements the store itself runs (storage::BuildTableSql, select_by_key),
// prepared once: the document's row by its id (with the schedule of its versions), and the
// person's training record on it by (user, document) (with their completions and assignments).
// Every column of every row is looked at, nothing is copied. With Decoding::kParseJson the two
// JSON columns are also parsed with the store's own parser (core/json.h), into a tree that is then
// dropped: what decoding the layout costs at least, before any struct is filled.

enum class Decoding { kNone, kParseJson };

class RawReader {
 public:
  // `pragmas` configure the connection beyond what the store's readers have (a busy timeout).
  RawReader(const std::string& path, const app::Projector& projector,
            const std::string& pragmas = "")
      : connection_(path, 0, "PRAGMA busy_timeout = 10000; " + pragmas) {
    const app::TableSpec& documents = TableNamed(projector, "documents");
    const app::TableSpec& records = TableNamed(projector, "training_records");
    document_ = connection_.Prepare(
        storage::BuildTableSql(documents, storage::Dialect::kSqlite).select_by_key);
    record_ = connection_.Prepare(
        storage::BuildTableSql(records, storage::Dialect::kSqlite).select_by_key);
    schedule_column_ = static_cast<int>(ColumnOf(documents, "schedule"));
    history_column_ = static_cast<int>(ColumnOf(records, "history"));
  }
  ~RawReader() {
    sqlite3_finalize(document_);
    sqlite3_finalize(record_);
  }
  RawReader(const RawReader&) = delete;
  RawReader& operator=(const RawReader&) = delete;

  // The two reads in one read transaction, as Store::Read gives QualificationIn one snapshot.
  // Returns the number of rows read.
  std::int64_t Read(const std::string& user, const std::string& document,
                    Decoding decoding = Decoding::kNone) {
    Begin();
    const std::int64_t rows = ReadRows(user, document, decoding);
    Commit();
    return rows;
  }

  void Begin() { connection_.Begin(); }
  void Commit() { connection_.Commit(); }

  // The two reads, inside a transaction the caller holds.
  std::int64_t ReadRows(const std::string& user, const std::string& document,
                        Decoding decoding = Decoding::kNone) {
    RawConnection::Bind(document_, 1, document);
    std::int64_t rows = Rows(document_, schedule_column_, decoding);
    ALIQUOT_CHECK(rows == 1);
    RawConnection::Bind(record_, 1, user);
    RawConnection::Bind(record_, 2, document);
    rows += Rows(record_, history_column_, decoding);
    return rows;
  }

  // The first column of the one row `sql` returns, for the dataset's description.
  double Scalar(const std::string& sql) {
    sqlite3_stmt* statement = connection_.Prepare(sql);
    ALIQUOT_CHECK_MSG(sqlite3_step(statement) == SQLITE_ROW, sqlite3_errmsg(connection_.Handle()));
    const double value = sqlite3_column_double(statement, 0);
    sqlite3_finalize(statement);
    return value;
  }

  // What the reads looked at, so that the compiler cannot leave them out. Unsigned: it wraps.
  std::uint64_t Checksum() const { return connection_.Checksum() + parsed_; }
  // Bytes of JSON (schedules and histories) the reads returned, over the connection's life.
  std::int64_t JsonBytes() const { return json_bytes_; }

 private:
  // Steps `statement` to its end; `json_column` is the column that holds JSON.
  std::int64_t Rows(sqlite3_stmt* statement, int json_column, Decoding decoding) {
    return connection_.Rows(statement, [&](int column, const unsigned char* text, int bytes) {
      if (column != json_column) return;
      json_bytes_ += bytes;
      if (decoding == Decoding::kParseJson) {
        const Result<Json> json = ParseJson(
            std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes)));
        ALIQUOT_CHECK(json.has_value());
        parsed_ += json->IsArray() ? json->AsArray().size() : 1;
      }
    });
  }

  RawConnection connection_;
  sqlite3_stmt* document_ = nullptr;
  sqlite3_stmt* record_ = nullptr;
  int schedule_column_ = 0;
  int history_column_ = 0;
  std::uint64_t parsed_ = 0;  // What the parses looked at.
  std::int64_t json_bytes_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The dataset: one site, its people in nine GMP roles, curricula per role, and documents whose
// versions were drafted, submitted, reviewed and approved, with the retraining each major revision
// assigns and the completions people signed, built by appending the domain's own events in large
// requests (the services would check an Argon2id password for every signature).

struct RoleShare {
  Role role;
  int per_thousand;    // Of the users.
  int group;           // Which role curriculum (kGroups) they work to.
  const char* prefix;  // Of their user names: "op0001".
};
constexpr std::array<RoleShare, 9> kRoleShares{{
    {Role::kOperator, 560, 0, "op"},
    {Role::kVerifier, 100, 1, "sv"},
    {Role::kQcAnalyst, 100, 2, "qc"},
    {Role::kWarehouse, 60, 3, "wh"},
    {Role::kEquipmentOwner, 40, 4, "eq"},
    {Role::kQaReviewer, 40, 5, "qr"},
    {Role::kQaApprover, 30, 5, "qa"},
    {Role::kDocumentOwner, 50, 6, "do"},
    {Role::kTrainingCoordinator, 20, 6, "tc"},
}};
constexpr std::array<std::string_view, 7> kGroups{"CUR-OPERATOR",   "CUR-VERIFIER",  "CUR-QC-LAB",
                                                  "CUR-WAREHOUSE",  "CUR-EQUIPMENT", "CUR-QA",
                                                  "CUR-DOC-CONTROL"};
constexpr std::array<std::string_view, 12> kTopics{
    "Gowning for grade B cleanrooms",
    "Line clearance before packaging",
    "Cleaning of the fluid-bed dryer FBD-02",
    "Weighing and dispensing of starting materials",
    "Daily check of analytical balances",
    "Environmental monitoring of grade A and B areas",
    "Handling of deviations",
    "Receipt and sampling of starting materials",
    "Operation of the tablet press TP-04",
    "In-process control of tablet hardness",
    "Batch record review by exception",
    "Calibration of temperature probes"};

struct Person {
  std::string id;
  std::string printed_name;
  Role role = Role::kOperator;
  std::vector<int> documents;  // Indexes of the documents their curricula require.
};

struct Dataset {
  testing::TempDir dir;
  std::string path = (dir / "aliquot.sqlite").string();
  // Sealing time: moved forward by the build, then left at `now` for the measurements.
  testing::FakeClock clock;
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  SecretKey key = SecretKey::Generate();
  std::optional<app::Credentials> credentials;
  std::unique_ptr<storage::SqliteStore> store;
  std::unique_ptr<app::SessionService> sessions;
  std::unique_ptr<app::TrainingService> training;
  std::unique_ptr<RawReader> raw;
  // A diagnostic: the same, with the file memory-mapped, so that a page the operating system
  // caches is read without a system call and a copy into SQLite's 2 MB page cache.
  std::unique_ptr<RawReader> raw_mapped;
  // A diagnostic: the same reads on a copy of the two tables made WITHOUT ROWID (ClusteredCopy).
  std::unique_ptr<RawReader> raw_clustered;

  std::vector<Person> users;
  std::vector<documents::DocumentState> documents;  // As the build left them.
  std::vector<training::Curriculum> curricula;
  Timestamp now;  // The instant every query asks about.

  // What was built.
  std::int64_t requests = 0;
  std::int64_t major_versions = 0;
  std::int64_t minor_versions = 0;
  std::int64_t pending_documents = 0;  // Version 10 approved, effective only after `now`.
  double build_seconds = 0;
};

// Applies a document event made at `now` to `state` the way the store will seal it, as
// DocumentService does to learn an approval's effective date.
void ApplyMade(documents::DocumentState& state, const ledger::NewEvent& event, Timestamp now) {
  MustSucceed(documents::ApplyDocumentEvent(state, ledger::SealEvent(event, 1, now, Hash256{})),
              "applying a document event");
}

std::string DocumentId(int index, bool trained) {
  // Trained documents are SOPs and work instructions; the others forms and specifications.
  const char* prefix =
      trained ? (index % 2 == 0 ? "SOP" : "WI") : (index % 2 == 0 ? "FRM" : "SPEC");
  char id[32];
  std::snprintf(id, sizeof id, "%s-%04d", prefix, index + 1);
  return id;
}

documents::DocumentKind KindOf(const std::string& id) {
  if (id.starts_with("SOP")) return documents::DocumentKind::kSop;
  if (id.starts_with("WI")) return documents::DocumentKind::kWorkInstruction;
  if (id.starts_with("FRM")) return documents::DocumentKind::kForm;
  return documents::DocumentKind::kSpecification;
}

// The users and their roles, and which documents each curriculum lists (by index).
void PlanPeople(Dataset& data, int users, int document_count,
                std::vector<std::vector<int>>& group_documents, std::vector<int>& basics) {
  for (int i = 0; i < std::min(kBasicDocuments, document_count); ++i) basics.push_back(i);
  const int pool = document_count - kBasicDocuments;
  const int per_group = std::min(kRoleDocuments, pool);
  for (std::size_t g = 0; g < kGroups.size(); ++g) {
    std::vector<int> listed;
    listed.reserve(static_cast<std::size_t>(per_group));
    const int start = static_cast<int>(g) * kRoleDocuments;
    for (int j = 0; j < per_group; ++j) listed.push_back(kBasicDocuments + (start + j) % pool);
    group_documents.push_back(std::move(listed));
  }
  for (int i = 0; i < users; ++i) {
    // The user's place among a thousand decides the role, so a smaller --scale keeps the shares.
    const int place = static_cast<int>(static_cast<std::int64_t>(i) * 1000 / users);
    int bound = 0;
    const RoleShare* share = &kRoleShares.back();
    for (const RoleShare& candidate : kRoleShares) {
      bound += candidate.per_thousand;
      if (place < bound) {
        share = &candidate;
        break;
      }
    }
    Person person;
    char id[32];
    std::snprintf(id, sizeof id, "%s%04d", share->prefix, i + 1);
    person.id = id;
    person.printed_name =
        std::string(identity::RoleTitle(share->role)) + " " + std::to_string(i + 1);
    person.role = share->role;
    person.documents = basics;
    const auto& listed = group_documents[static_cast<std::size_t>(share->group)];
    for (int d : listed) {
      if (std::find(basics.begin(), basics.end(), d) == basics.end()) person.documents.push_back(d);
    }
    data.users.push_back(std::move(person));
  }
}

// The first indexes of users holding `role`.
std::vector<int> HoldersOf(const Dataset& data, Role role) {
  std::vector<int> holders;
  for (std::size_t i = 0; i < data.users.size(); ++i) {
    if (data.users[i].role == role) holders.push_back(static_cast<int>(i));
  }
  ALIQUOT_CHECK_MSG(!holders.empty(), "a role has no holder; raise --scale");
  return holders;
}

ledger::Actor ActorOf(const Person& person) { return {person.id, person.printed_name}; }

// The n-th of `holders` (by user index), round robin.
const Person& OneOf(const Dataset& data, const std::vector<int>& holders, int n) {
  const int user = holders[static_cast<std::size_t>(n) % holders.size()];
  return data.users[static_cast<std::size_t>(user)];
}

void Build(Dataset& data) {
  const int user_count = static_cast<int>(Scaled(kUsers));
  const int document_count = static_cast<int>(Scaled(kDocuments));
  ALIQUOT_CHECK_MSG(document_count >= kBasicDocuments + kRoleDocuments / 4,
                    "--scale leaves too few documents");
  std::mt19937_64 random(kSeed);
  const auto chance = [&](double p) {
    return std::uniform_real_distribution<double>(0, 1)(random) < p;
  };

  // 2024-01-08, 07:00 UTC: the site goes live; ten revision rounds follow, 60 days apart.
  const Timestamp start = Must(Timestamp::ParseInstant("2024-01-08T07:00:00Z", "start"), "start");
  const auto day = [](std::int64_t days) { return days * kMicrosPerDay; };
  const auto round_start = [&](int version) {
    return Timestamp::FromMicros(start.Micros() + day(7) + day(60) * (version - 1));
  };
  data.now = Timestamp::FromMicros(round_start(kVersions).Micros() + day(45));
  data.clock.Set(start);

  data.store = Must(storage::SqliteStore::Open({data.path, storage::OpenMode::kReadWriteCreate},
                                               data.clock, *data.projector),
                    "opening the store");
  LedgerBuilder builder(*data.store, data.clock);

  // The installation, the site, its system administrator and office terminal, through the
  // services as `aliquot init` and `aliquot user bootstrap` do.
  const Ed25519SigningKey checkpoint_key = Ed25519SigningKey::FromSeed(Ed25519SigningKey::Seed{7});
  app::SystemService system(*data.store);
  (void)Must(system.Initialise({"Basel Solid Dose Plant 2",
                                checkpoint_key.PublicKey().KeyId().Hex(), "0.1.0-bench", "BENCH"}),
             "initialising");
  {
    app::SessionService sessions(*data.store, data.clock, *data.credentials);
    app::SignatureService signatures(*data.store, data.clock, sessions);
    app::IdentityService identity(*data.store, data.clock, *data.credentials, sessions, signatures);
    app::BootstrapCommand bootstrap;
    bootstrap.site.id = std::string(kSite);
    bootstrap.site.name = "Basel Solid Dose Plant 2";
    bootstrap.administrator_id = "sam";
    bootstrap.administrator_name = "Sam Keller";
    bootstrap.terminal.id = std::string(kOfficeTerminal);
    bootstrap.terminal.name = "QA office workstation 1";
    bootstrap.terminal.location = "QA office, first floor";
    bootstrap.terminal.kind = identity::TerminalKind::kWorkstation;
    (void)Must(identity.Bootstrap(bootstrap, "bench:training_bench"), "bootstrapping");
  }
  const std::vector<std::string> sites{std::string(kSite)};
  const ledger::Actor administrator{"sam", "Sam Keller"};

  // The users, each with a temporary password sealed at the minimum hash cost.
  std::vector<std::vector<int>> group_documents;
  std::vector<int> basics;
  PlanPeople(data, user_count, document_count, group_documents, basics);
  for (const Person& person : data.users) {
    identity::CreateUserCommand command{
        person.id,
        person.printed_name,
        {{std::string(kSite), person.role}},
        Must(data.credentials->SealPassword(person.id, "Temporary-bench-2024"), "sealing")};
    builder.Add(Must(
        identity::CreateUser(identity::UserState{}, command, sites, administrator, kOfficeTerminal),
        "creating a user"));
  }

  // The documents, then the curricula that list them.
  std::vector<bool> trained(static_cast<std::size_t>(document_count), false);
  for (const Person& person : data.users) {
    for (int d : person.documents) trained[static_cast<std::size_t>(d)] = true;
  }
  const std::vector<int> owners = HoldersOf(data, Role::kDocumentOwner);
  const std::vector<int> reviewers = HoldersOf(data, Role::kQaReviewer);
  const std::vector<int> approvers = HoldersOf(data, Role::kQaApprover);
  const std::vector<int> coordinators = HoldersOf(data, Role::kTrainingCoordinator);
  builder.At(Timestamp::FromMicros(start.Micros() + day(1)));
  std::vector<std::string> ids;
  for (int d = 0; d < document_count; ++d) {
    const std::string id = DocumentId(d, trained[static_cast<std::size_t>(d)]);
    documents::DocumentState state;
    state.id = id;
    const Person& owner = OneOf(data, owners, d);
    const ledger::NewEvent created =
        Must(documents::CreateDocument(state, {id, std::string(kSite), KindOf(id), 24}, sites,
                                       ActorOf(owner), kOfficeTerminal),
             "creating a document");
    ApplyMade(state, created, builder.Now());
    builder.Add(created);
    data.documents.push_back(std::move(state));
    ids.push_back(id);
  }
  const Person& coordinator = data.users[static_cast<std::size_t>(coordinators.front())];
  const auto set_curriculum = [&](std::string_view id, const std::string& title,
                                  identity::RoleSet roles, const std::vector<int>& listed) {
    training::CurriculumCommand command;
    command.id = std::string(id);
    command.site = std::string(kSite);
    command.title = title;
    command.roles = roles;
    for (int d : listed) command.documents.push_back(ids[static_cast<std::size_t>(d)]);
    command.requalification_months = 24;
    builder.Add(Must(training::SetCurriculum(training::Curriculum{}, command, sites, ids, "",
                                             ActorOf(coordinator), kOfficeTerminal),
                     "setting a curriculum"));
    training::Curriculum curriculum;
    curriculum.exists = true;
    curriculum.id = command.id;
    curriculum.site = command.site;
    curriculum.title = command.title;
    curriculum.roles = command.roles;
    curriculum.documents = command.documents;
    curriculum.requalification_months = command.requalification_months;
    data.curricula.push_back(std::move(curriculum));
  };
  identity::RoleSet gmp_roles;
  for (const RoleShare& share : kRoleShares) gmp_roles.Add(share.role);
  set_curriculum("CUR-GMP-BASICS", "Basic GMP for everyone on site", gmp_roles, basics);
  for (std::size_t g = 0; g < kGroups.size(); ++g) {
    identity::RoleSet roles;
    for (const RoleShare& share : kRoleShares) {
      if (share.group == static_cast<int>(g)) roles.Add(share.role);
    }
    set_curriculum(kGroups[g], "Role curriculum " + std::string(kGroups[g]), roles,
                   group_documents[g]);
  }

  // Who works to each document: what RetrainingFor assigns and who signs completions.
  std::vector<std::vector<int>> workers(static_cast<std::size_t>(document_count));
  for (std::size_t u = 0; u < data.users.size(); ++u) {
    for (int d : data.users[u].documents) {
      workers[static_cast<std::size_t>(d)].push_back(static_cast<int>(u));
    }
  }

  // Ten rounds. Each: every document gets its next version (drafted, submitted, reviewed and
  // approved at the round's start, effective 21 days later) and, for a major revision, the
  // retraining of everyone who works to it, due on the effective date; people sign their
  // read-and-understood between days 7 and 20, a few late (days 30 to 40), a few never. In the
  // last round, one document in five is approved to become effective only after `now`.
  for (int version = 1; version <= kVersions; ++version) {
    const Timestamp begins = round_start(version);
    const bool last = version == kVersions;
    builder.At(begins);
    std::vector<documents::Revision> revisions;
    for (int d = 0; d < document_count; ++d) {
      documents::DocumentState& state = data.documents[static_cast<std::size_t>(d)];
      const bool pending = last && d % 5 == 4;
      const documents::Revision revision =
          version == 1 || chance(0.4) ? documents::Revision::kMajor : documents::Revision::kMinor;
      revisions.push_back(revision);
      (revision == documents::Revision::kMajor ? data.major_versions : data.minor_versions) += 1;
      data.pending_documents += pending ? 1 : 0;
      const Person& author = OneOf(data, owners, d);
      const Person& reviewer = OneOf(data, reviewers, d + version);
      const Person& approver = OneOf(data, approvers, d + 2 * version);
      documents::DraftCommand draft;
      const std::string topic(kTopics[static_cast<std::size_t>(d) % kTopics.size()]);
      draft.title = topic + " (" + state.id + ")";
      const std::string file_name = state.id + "_v" + std::to_string(version) + ".pdf";
      draft.file = {Sha256::Of(file_name).Hex(), file_name, "application/pdf",
                    static_cast<std::uint64_t>(180'000 + 1'000 * d + version)};
      draft.change_reason =
          version == 1 ? "New document for the solid dose plant going live"
          : revision == documents::Revision::kMajor
              ? "Change control CC-" + std::to_string(2024 + version / 6) + "-" +
                    std::to_string(100 + d) + ": revised steps and acceptance criteria"
              : std::string("Editorial: corrected references and typographical errors");
      draft.revision = revision;
      draft.requested_effective =
          Timestamp::FromMicros(pending ? data.now.Micros() + day(30) : begins.Micros() + day(21));
      const Timestamp now = builder.Now();
      const ledger::NewEvent drafted = Must(
          documents::DraftVersion(state, draft, now, ActorOf(author), kOfficeTerminal), "drafting");
      ApplyMade(state, drafted, now);
      builder.Add(drafted);
      const std::array<std::pair<documents::SignatureMeaning, const Person*>, 3> signatures{{
          {documents::SignatureMeaning::kAuthored, &author},
          {documents::SignatureMeaning::kReviewed, &reviewer},
          {documents::SignatureMeaning::kApproved, &approver},
      }};
      for (const auto& [meaning, signer] : signatures) {
        const ledger::NewEvent decided =
            Must(documents::DecideVersionSignature(state, version, meaning, std::nullopt, now,
                                                   kOfficeTerminal, ActorOf(*signer)),
                 "signing a version");
        ApplyMade(state, decided, now);
        builder.Add(decided);
      }
      std::vector<std::string> assigned;
      for (int u : workers[static_cast<std::size_t>(d)]) {
        assigned.push_back(data.users[static_cast<std::size_t>(u)].id);
      }
      for (ledger::NewEvent& assignment : training::RetrainingFor(
               state, *state.Version(version), assigned, ActorOf(approver), kOfficeTerminal)) {
        builder.Add(std::move(assignment));
      }
    }

    // Completions, ten documents per request time, spread over days 7 to 20.
    std::vector<std::pair<int, int>> late;  // (user, document)
    const int chunks = (document_count + 9) / 10;
    for (int d = 0; d < document_count; ++d) {
      builder.At(Timestamp::FromMicros(begins.Micros() + day(7) + day(13) * (d / 10) / chunks));
      const documents::DocumentState& state = data.documents[static_cast<std::size_t>(d)];
      const bool major = revisions[static_cast<std::size_t>(d)] == documents::Revision::kMajor;
      const bool pending = last && d % 5 == 4;
      for (int u : workers[static_cast<std::size_t>(d)]) {
        bool on_time = false;
        if (!major) {
          on_time = chance(0.15);  // Some read a minor revision anyway.
        } else if (pending) {
          on_time = chance(0.5);  // Half have trained; the rest are assigned, not yet due.
        } else {
          const double draw = std::uniform_real_distribution<double>(0, 1)(random);
          on_time = draw < (last ? 0.90 : 0.95);
          if (!on_time && draw < (last ? 0.93 : 0.98)) late.emplace_back(u, d);
        }
        if (!on_time) continue;
        const Person& person = data.users[static_cast<std::size_t>(u)];
        const Timestamp now = builder.Now();
        // Each version is completed once, so the check for a repeat has nothing to find.
        builder.Add(Must(
            training::Complete(person.id, state, version, training::PendingSession{}, {},
                               training::RequalificationMonths(
                                   data.curricula, kSite, identity::RoleSet{person.role}, state.id),
                               person.id, now, ActorOf(person), kKioskTerminal),
            "completing training"));
      }
    }
    for (std::size_t i = 0; i < late.size(); ++i) {
      builder.At(Timestamp::FromMicros(begins.Micros() + day(30) +
                                       day(10) * static_cast<std::int64_t>(i / 1000) /
                                           static_cast<std::int64_t>(late.size() / 1000 + 1)));
      const Person& person = data.users[static_cast<std::size_t>(late[i].first)];
      const documents::DocumentState& state =
          data.documents[static_cast<std::size_t>(late[i].second)];
      const Timestamp now = builder.Now();
      builder.Add(Must(
          training::Complete(person.id, state, version, training::PendingSession{}, {},
                             training::RequalificationMonths(
                                 data.curricula, kSite, identity::RoleSet{person.role}, state.id),
                             person.id, now, ActorOf(person), kKioskTerminal),
          "completing training late"));
    }
  }
  // Five days before now, the coordinators assign refresher training to one pair in fifty, on
  // the version to be worked to next, due in two weeks: open, not yet due.
  builder.At(Timestamp::FromMicros(data.now.Micros() - day(5)));
  for (std::size_t u = 0; u < data.users.size(); ++u) {
    const Person& person = data.users[u];
    for (int d : person.documents) {
      if (!chance(0.02)) continue;
      const documents::DocumentState& state = data.documents[static_cast<std::size_t>(d)];
      const Timestamp now = builder.Now();
      const documents::VersionState* version = state.PendingAt(now);
      if (version == nullptr) version = state.EffectiveAt(now);
      const Person& by = OneOf(data, coordinators, static_cast<int>(u));
      builder.Add(Must(training::Assign(person.id, state.id, version->number,
                                        Timestamp::FromMicros(now.Micros() + day(14)),
                                        "Refresher after deviation DEV-2025-0311", now, ActorOf(by),
                                        kOfficeTerminal),
                       "assigning training"));
    }
  }
  builder.At(data.now);
  builder.Flush();
  data.requests = builder.Requests();
}

std::unique_ptr<Dataset> the_dataset;

// A copy of the two tables QualificationIn reads, each WITHOUT ROWID (CopyWithoutRowid), into
// another file in the same folder. Returns the copy's path.
std::string ClusteredCopy(const Dataset& data) {
  std::string path = (data.dir / "clustered.sqlite").string();
  CopyWithoutRowid(
      data.path, path,
      {&TableNamed(*data.projector, "documents"), &TableNamed(*data.projector, "training_records")},
      "PRAGMA journal_mode = WAL; ");
  return path;
}

void PrintDataset(const Dataset& data);

Dataset& TheDataset() {
  if (the_dataset) return *the_dataset;
  auto data = std::make_unique<Dataset>();
  data->credentials.emplace(
      Must(app::Credentials::Create(data->key, PasswordHashCost::Minimum()), "credentials"));
  const Steady::time_point began = Steady::now();
  Build(*data);
  // Reopened, as a server restarting on it would find it: the close folds the WAL in.
  data->store.reset();
  data->build_seconds = Seconds(Steady::now() - began);
  data->store = Must(storage::SqliteStore::Open({data->path, storage::OpenMode::kReadWrite},
                                                data->clock, *data->projector),
                     "reopening the store");
  data->sessions =
      std::make_unique<app::SessionService>(*data->store, data->clock, *data->credentials);
  data->training =
      std::make_unique<app::TrainingService>(*data->store, data->clock, *data->sessions);
  data->raw = std::make_unique<RawReader>(data->path, *data->projector);
  data->raw_mapped =
      std::make_unique<RawReader>(data->path, *data->projector, "PRAGMA mmap_size = 4294967296");
  data->raw_clustered = std::make_unique<RawReader>(ClusteredCopy(*data), *data->projector);

  // The store holds what the build applied locally: the version effective now of every document.
  MustSucceed(data->store->Read([&](app::StoreReader& reader) -> Status {
    for (const documents::DocumentState& built : data->documents) {
      const training::Qualification answer =
          Must(app::TrainingService::QualificationIn(reader, data->users.front().id, built.id,
                                                     data->now),
               "asking");
      const documents::VersionState* effective = built.EffectiveAt(data->now);
      ALIQUOT_CHECK(effective != nullptr && answer.effective_version == effective->number);
    }
    return {};
  }),
              "checking the build");
  PrintDataset(*data);
  the_dataset = std::move(data);
  return *the_dataset;
}

void PrintDataset(const Dataset& data) {
  RawReader& raw = *data.raw;
  const double events = raw.Scalar("SELECT count(*) FROM events");
  const double versions = raw.Scalar("SELECT count(*) FROM document_versions");
  const double records = raw.Scalar("SELECT count(*) FROM training_records");
  const double completions =
      raw.Scalar("SELECT sum(json_array_length(history, '$.c')) FROM training_records");
  const double assignments =
      raw.Scalar("SELECT sum(json_array_length(history, '$.a')) FROM training_records");
  // An assignment is [version, assigned_at, due, closed_at, reason] (document_records.cc).
  const std::string open_assignments =
      "SELECT count(*) FROM training_records, json_each(training_records.history, '$.a') AS a "
      "WHERE json_extract(a.value, '$[3]') IS NULL";
  const double open = raw.Scalar(open_assignments);
  const double overdue = raw.Scalar(open_assignments + " AND json_extract(a.value, '$[2]') <= " +
                                    std::to_string(data.now.Micros()));
  const double schedule_mean = raw.Scalar("SELECT avg(length(schedule)) FROM documents");
  const double schedule_max = raw.Scalar("SELECT max(length(schedule)) FROM documents");
  const double history_mean = raw.Scalar("SELECT avg(length(history)) FROM training_records");
  const double history_max = raw.Scalar("SELECT max(length(history)) FROM training_records");
  std::size_t pairs = 0;
  for (const Person& person : data.users) pairs += person.documents.size();
  std::printf(
      "Dataset (built once, before the benchmarks): site %.*s, %zu users in 9 GMP roles, %zu "
      "documents x %d versions (%s rows: %s major, %s minor revisions; %s documents with version "
      "%d approved but effective only after now), %zu curricula, %s (user, document) pairs a "
      "curriculum requires.\n",
      static_cast<int>(kSite.size()), kSite.data(), data.users.size(), data.documents.size(),
      kVersions, ThousandsSeparated(versions).c_str(),
      ThousandsSeparated(static_cast<double>(data.major_versions)).c_str(),
      ThousandsSeparated(static_cast<double>(data.minor_versions)).c_str(),
      ThousandsSeparated(static_cast<double>(data.pending_documents)).c_str(), kVersions,
      data.curricula.size(), ThousandsSeparated(static_cast<double>(pairs)).c_str());
  std::printf(
      "  training_records %s rows holding %s completions and %s assignments, %s open (%s overdue "
      "at now, %s).\n"
      "  JSON per row: documents.schedule %.0f bytes on average (at most %.0f), "
      "training_records.history %.0f (at most %.0f).\n",
      ThousandsSeparated(records).c_str(), ThousandsSeparated(completions).c_str(),
      ThousandsSeparated(assignments).c_str(), ThousandsSeparated(open).c_str(),
      ThousandsSeparated(overdue).c_str(), data.now.ToRfc3339().c_str(), schedule_mean,
      schedule_max, history_mean, history_max);
  std::printf(
      "  Ledger: %s events in %s requests, built in %.1f s (%s events/s); database %.0f MB.\n",
      ThousandsSeparated(events).c_str(),
      ThousandsSeparated(static_cast<double>(data.requests)).c_str(), data.build_seconds,
      ThousandsSeparated(events / data.build_seconds).c_str(), FileMegabytes(data.path));
  std::fflush(stdout);
  Record("dataset_events", events);
  Record("dataset_records", records);
  Record("dataset_completions", completions);
  Record("dataset_assignments", assignments);
  Record("dataset_open", open);
  Record("dataset_build_s", data.build_seconds);
}

// Seeds for the measurements' random pairs: a fixed sequence, so that a run is repeatable, and a
// fresh seed for every generator, so that repetitions ask about other pairs.
std::uint64_t NextSeed() {
  static std::uint64_t seeds = 0;
  return kSeed + ++seeds;
}

// A user and a document their curricula require: the pair a step execution asks about.
struct Pair {
  const std::string* user;
  const std::string* document;
};

Pair RandomPair(const Dataset& data, std::mt19937_64& random) {
  const Person& person =
      data.users[std::uniform_int_distribution<std::size_t>(0, data.users.size() - 1)(random)];
  const int d = person.documents[std::uniform_int_distribution<std::size_t>(
      0, person.documents.size() - 1)(random)];
  return {&person.id, &data.documents[static_cast<std::size_t>(d)].id};
}

training::Qualification Ask(Dataset& data, const Pair& pair) {
  training::Qualification answer;
  MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(answer, app::TrainingService::QualificationIn(
                                         reader, *pair.user, *pair.document, data.now));
    return {};
  }),
              "QualificationIn");
  return answer;
}

// ---------------------------------------------------------------------------------------------
// 1. QualificationIn inside its own Store::Read, over random (user, document) pairs that the
// user's curricula require, interleaved call by call with the limit (raw sqlite3: the same two
// rows in one read transaction) and four diagnostics: the raw read with both JSON columns parsed;
// the same two rows through StoreReader in one Store::Read, without decoding or deciding; the raw
// read with the file memory-mapped; and the raw read of a WITHOUT ROWID copy of the two tables
// (ClusteredCopy). The order rotates. Each kind draws its own pairs from the same distribution: a
// pair read by one kind would be in the page cache of the store's connection when the next kind
// reads it.

// The kinds of call, in the order of their samples.
enum QueryKind : std::size_t {
  kQuery,
  kRaw,
  kRawParsed,
  kReader,
  kRawMapped,
  kRawClustered,
  kQueryKinds,
};

std::map<std::string, std::int64_t> reasons;  // Of the pairs asked about, over the run.
std::int64_t rows_read = 0;                   // By the limit's calls, over the run.
std::int64_t json_bytes_read = 0;             // Of schedules and histories, by the limit's calls.
std::int64_t raw_reads = 0;
std::int64_t queries = 0;

void QualificationBench(benchmark::State& state) {
  Dataset& data = TheDataset();
  const app::TableSpec& documents_table = TableNamed(*data.projector, "documents");
  const app::TableSpec& records_table = TableNamed(*data.projector, "training_records");
  std::array<std::mt19937_64, kQueryKinds> random;
  for (std::mt19937_64& generator : random) generator.seed(NextSeed());
  bool counting = false;  // Not while warming up.
  std::array<std::function<void(const Pair&)>, kQueryKinds> kinds;
  kinds[kQuery] = [&](const Pair& pair) {
    const training::Qualification answer = Ask(data, pair);
    if (counting) ++reasons[std::string(training::ReasonName(answer.reason))];
  };
  kinds[kRaw] = [&](const Pair& pair) {
    const std::int64_t bytes_before = data.raw->JsonBytes();
    const std::int64_t rows = data.raw->Read(*pair.user, *pair.document);
    if (counting) {
      rows_read += rows;
      json_bytes_read += data.raw->JsonBytes() - bytes_before;
      ++raw_reads;
    }
  };
  kinds[kRawParsed] = [&](const Pair& pair) {
    benchmark::DoNotOptimize(data.raw->Read(*pair.user, *pair.document, Decoding::kParseJson));
  };
  kinds[kReader] = [&](const Pair& pair) {
    std::int64_t rows = 0;
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<app::Row> document,
                               reader.GetRow(documents_table, app::Row{*pair.document}));
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<app::Row> record,
                               reader.GetRow(records_table, app::Row{*pair.user, *pair.document}));
      rows += (document ? 1 : 0) + (record ? 1 : 0);
      return {};
    }),
                "reading the rows");
    benchmark::DoNotOptimize(rows);
  };
  kinds[kRawMapped] = [&](const Pair& pair) {
    benchmark::DoNotOptimize(data.raw_mapped->Read(*pair.user, *pair.document));
  };
  kinds[kRawClustered] = [&](const Pair& pair) {
    benchmark::DoNotOptimize(data.raw_clustered->Read(*pair.user, *pair.document));
  };
  for (int i = 0; i < 200; ++i) {  // Warm the statements, the allocator and the caches.
    for (std::size_t k = 0; k < kinds.size(); ++k) kinds[k](RandomPair(data, random[k]));
  }
  counting = true;

  const std::int64_t per_round = kQueriesPerRound;
  std::array<Samples, kQueryKinds> all;  // Over the run.
  while (state.KeepRunning()) {
    std::array<Samples, kQueryKinds> round;
    for (std::int64_t i = 0; i < per_round; ++i) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kinds.size();
        const Pair pair = RandomPair(data, random[kind]);
        TimeCall(round[kind], [&] { kinds[kind](pair); });
      }
    }
    queries += per_round;
    const double query = Median(round[kQuery].wall);
    const double raw = Median(round[kRaw].wall);
    Record("query_us", query);
    Record("query_raw_us", raw);
    Record("query_x_raw", query / raw);
    Record("parsed_x_raw", Median(round[kRawParsed].wall) / raw);
    Record("reader_x_raw", Median(round[kReader].wall) / raw);
    state.counters["query_us"] = query;
    state.counters["raw_us"] = raw;
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles("query", all[kQuery]);
  RecordPercentiles("query_raw", all[kRaw]);
  RecordPercentiles("query_parsed", all[kRawParsed]);
  RecordPercentiles("query_reader", all[kReader]);
  RecordPercentiles("query_mapped", all[kRawMapped]);
  RecordPercentiles("query_clustered", all[kRawClustered]);
  benchmark::DoNotOptimize(data.raw->Checksum() + data.raw_mapped->Checksum() +
                           data.raw_clustered->Checksum());
}

// ---------------------------------------------------------------------------------------------
// 2. The same query inside a snapshot that is open already, as another area's use case runs it
// within its own Store::Read: no BEGIN and ROLLBACK per call. Each round runs kQueriesPerRound
// queries in one Store::Read and as many raw reads in one read transaction (each on pairs of its
// own), the order of the two alternating from round to round.

void SnapshotBench(benchmark::State& state) {
  Dataset& data = TheDataset();
  std::array<std::mt19937_64, 2> random;
  for (std::mt19937_64& generator : random) generator.seed(NextSeed());
  std::array<Samples, 2> all;
  std::int64_t round_number = 0;
  while (state.KeepRunning()) {
    std::array<std::vector<Pair>, 2> pairs;
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      for (std::int64_t i = 0; i < kQueriesPerRound; ++i) {
        pairs[k].push_back(RandomPair(data, random[k]));
      }
    }
    std::array<Samples, 2> round;
    const std::array<std::function<void()>, 2> kinds{
        [&] {
          MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
            for (const Pair& pair : pairs[0]) {
              Status status;
              TimeCall(round[0], [&] {
                const Result<training::Qualification> answer =
                    app::TrainingService::QualificationIn(reader, *pair.user, *pair.document,
                                                          data.now);
                if (!answer) status = Unexpected(answer.error());
              });
              ALIQUOT_RETURN_IF_ERROR(status);
            }
            return {};
          }),
                      "QualificationIn in one snapshot");
        },
        [&] {
          data.raw->Begin();
          for (const Pair& pair : pairs[1]) {
            TimeCall(round[1], [&] {
              benchmark::DoNotOptimize(data.raw->ReadRows(*pair.user, *pair.document));
            });
          }
          data.raw->Commit();
        },
    };
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      kinds[(k + static_cast<std::size_t>(round_number)) % kinds.size()]();
    }
    ++round_number;
    const double query = Median(round[0].wall);
    const double raw = Median(round[1].wall);
    Record("snapshot_us", query);
    Record("snapshot_raw_us", raw);
    Record("snapshot_x_raw", query / raw);
    state.counters["query_us"] = query;
    state.counters["raw_us"] = raw;
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles("snapshot", all[0]);
  RecordPercentiles("snapshot_raw", all[1]);
}

// ---------------------------------------------------------------------------------------------
// 3. The gate as the API runs it once the request is authenticated: TrainingService::Gate with
// the person's context (built here, as SessionService::Authenticate returns it; what
// authentication costs is identity_bench's). A qualified person's gate is interleaved with the
// query alone on another qualified pair; a refused person's gate appends training.gate_refused
// durably, and is interleaved with a Store::Append of the event another refused pair's gate
// appends.

app::RequestContext ContextOf(const Person& person) {
  app::RequestContext context;
  context.principal = {person.id, person.printed_name, std::string(kSite),
                       identity::RoleSet{person.role}, false};
  context.terminal.exists = true;
  context.terminal.id = std::string(kFloorTerminal);
  context.terminal.site = std::string(kSite);
  context.terminal.name = "Suite 2 tablet 1";
  context.terminal.location = "Grade C suite 2, granulation";
  context.terminal.kind = identity::TerminalKind::kTablet;
  return context;
}

struct GateCase {
  app::RequestContext context;
  Pair pair;
  training::Qualification answer;
};

void GateBench(benchmark::State& state) {
  Dataset& data = TheDataset();
  std::mt19937_64 random(NextSeed());
  const std::int64_t qualified_per_round = kQualifiedGatesPerRound;
  const std::int64_t refused_per_round = kRefusedGatesPerRound;
  // Two cases per call pair and round, so that no pair is asked about twice in a run.
  const auto qualified_wanted =
      static_cast<std::size_t>(2 * qualified_per_round * state.max_iterations);
  const auto refused_wanted =
      static_cast<std::size_t>(2 * refused_per_round * state.max_iterations);
  std::vector<GateCase> qualified;
  std::vector<GateCase> refused;
  std::map<std::string, const Person*> people;
  for (const Person& person : data.users) people[person.id] = &person;
  while (qualified.size() < qualified_wanted || refused.size() < refused_wanted) {
    const Pair pair = RandomPair(data, random);
    training::Qualification answer = Ask(data, pair);
    auto& cases = answer.Qualified() ? qualified : refused;
    if (cases.size() < (answer.Qualified() ? qualified_wanted : refused_wanted)) {
      cases.push_back({ContextOf(*people.at(*pair.user)), pair, std::move(answer)});
    }
  }
  std::size_t next_qualified = 0;
  std::size_t next_refused = 0;

  std::array<Samples, 4> all;
  while (state.KeepRunning()) {
    std::array<Samples, 4> round;
    for (std::int64_t i = 0; i < qualified_per_round; ++i) {
      for (std::size_t k = 0; k < 2; ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % 2;
        const GateCase& gate = qualified.at(next_qualified++);
        TimeCall(round[kind], [&] {
          if (kind == 0) {
            const training::Qualification answer =
                Must(data.training->Gate(gate.context, *gate.pair.document, std::string(kPurpose)),
                     "the gate");
            benchmark::DoNotOptimize(answer.reason);
          } else {
            benchmark::DoNotOptimize(Ask(data, gate.pair).reason);
          }
        });
      }
    }
    for (std::int64_t i = 0; i < refused_per_round; ++i) {
      for (std::size_t k = 0; k < 2; ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % 2;
        const GateCase& gate = refused.at(next_refused++);
        TimeCall(round[2 + kind], [&] {
          if (kind == 0) {
            const Result<training::Qualification> answer =
                data.training->Gate(gate.context, *gate.pair.document, std::string(kPurpose));
            ALIQUOT_CHECK(!answer && answer.error().Code() == ErrorCode::kPermissionDenied);
          } else {
            app::AppendRequest request;
            request.events.push_back(training::GateRefusal(
                gate.answer, kPurpose, gate.context.Actor(), gate.context.terminal.id));
            (void)Must(data.store->Append(request), "appending the refusal");
          }
        });
      }
    }
    Record("gate_qualified_us", Median(round[0].wall));
    Record("gate_query_us", Median(round[1].wall));
    Record("gate_qualified_x_query", Median(round[0].wall) / Median(round[1].wall));
    Record("gate_refused_us", Median(round[2].wall));
    Record("gate_append_us", Median(round[3].wall));
    Record("gate_refused_x_append", Median(round[2].wall) / Median(round[3].wall));
    state.counters["qualified_us"] = Median(round[0].wall);
    state.counters["refused_us"] = Median(round[2].wall);
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles("gate_qualified", all[0]);
  RecordPercentiles("gate_query", all[1]);
  RecordPercentiles("gate_refused", all[2]);
  RecordPercentiles("gate_append", all[3]);
}

// ---------------------------------------------------------------------------------------------
// The summary: every figure beside its limit.

// "61.1 / 1,234 / 4,321 us": p50, p99 and p99.9 of `name` (with `kind` "" for wall time, "_cpu"
// for CPU time).
std::string Spread(const std::string& name, const char* kind) {
  const std::string base = name + kind;
  const auto part = [&](const char* suffix) {
    const std::optional<double> value = Figure(base + suffix);
    if (!value) return std::string("n/a");
    const std::string number = Number(value, "us");
    return number.substr(0, number.size() - 3);  // Without " us".
  };
  return part("_p50") + " / " + part("_p99") + " / " + part("_p999") + " us";
}

void PrintSummary() {
  std::vector<Line> lines;
  const auto target = std::optional<double>(kTargetP99Us);
  const auto goal_line = [&](const std::string& figure, const std::string& key, const char* goal) {
    const auto p99 = Figure(key);
    std::optional<bool> met;
    if (p99) met = *p99 < kTargetP99Us;
    lines.push_back(
        {figure, Number(p99, "us"), "target 50 us", Share(Ratio(p99, target)), goal, Met(met)});
  };
  goal_line("QualificationIn in Store::Read, p99", "query_p99", "p99 < 50 us");
  goal_line("  the same on CPU (no wait for a CPU), p99", "query_cpu_p99", "diagnostic");
  lines.push_back({"QualificationIn, p50 / p99 / p99.9", Spread("query", ""),
                   "raw " + Spread("query_raw", ""),
                   Times(Ratio(Figure("query_p50"), Figure("query_raw_p50"))) + " / " +
                       Times(Ratio(Figure("query_p99"), Figure("query_raw_p99"))),
                   "-", ""});
  lines.push_back({"  on CPU", Spread("query", "_cpu"), "raw " + Spread("query_raw", "_cpu"),
                   Times(Ratio(Figure("query_cpu_p50"), Figure("query_raw_cpu_p50"))) + " / " +
                       Times(Ratio(Figure("query_cpu_p99"), Figure("query_raw_cpu_p99"))),
                   "-", ""});
  lines.push_back({"  median of rounds", Number(Figure("query_us"), "us"),
                   "raw " + Number(Figure("query_raw_us"), "us"), Times(Figure("query_x_raw")), "-",
                   ""});
  lines.push_back({"diagnostic: raw sqlite3 + ParseJson of both", Spread("query_parsed", ""),
                   "raw " + Spread("query_raw", ""), Times(Figure("parsed_x_raw")), "-", ""});
  lines.push_back({"  on CPU", Spread("query_parsed", "_cpu"), "raw " + Spread("query_raw", "_cpu"),
                   Times(Ratio(Figure("query_parsed_cpu_p50"), Figure("query_raw_cpu_p50"))), "-",
                   ""});
  lines.push_back({"diagnostic: its 2 rows via StoreReader", Spread("query_reader", ""),
                   "raw " + Spread("query_raw", ""), Times(Figure("reader_x_raw")), "-", ""});
  lines.push_back({"  on CPU", Spread("query_reader", "_cpu"), "raw " + Spread("query_raw", "_cpu"),
                   "", "-", ""});
  lines.push_back({"diagnostic: raw sqlite3, file memory-mapped", Spread("query_mapped", ""),
                   "raw " + Spread("query_raw", ""),
                   Times(Ratio(Figure("query_mapped_p50"), Figure("query_raw_p50"))), "-", ""});
  lines.push_back({"  on CPU", Spread("query_mapped", "_cpu"), "raw " + Spread("query_raw", "_cpu"),
                   "", "-", ""});
  lines.push_back({"diagnostic: raw sqlite3, WITHOUT ROWID copy", Spread("query_clustered", ""),
                   "raw " + Spread("query_raw", ""),
                   Times(Ratio(Figure("query_clustered_p50"), Figure("query_raw_p50"))), "-", ""});
  lines.push_back({"  on CPU", Spread("query_clustered", "_cpu"),
                   "raw " + Spread("query_raw", "_cpu"), "", "-", ""});
  lines.push_back({"in an open snapshot: QualificationIn", Spread("snapshot", ""),
                   "raw " + Spread("snapshot_raw", ""), Times(Figure("snapshot_x_raw")), "-", ""});
  lines.push_back({"  on CPU", Spread("snapshot", "_cpu"), "raw " + Spread("snapshot_raw", "_cpu"),
                   "", "-", ""});
  lines.push_back({"Gate, qualified", Spread("gate_qualified", ""),
                   "query " + Spread("gate_query", ""), Times(Figure("gate_qualified_x_query")),
                   "-", ""});
  lines.push_back({"  on CPU", Spread("gate_qualified", "_cpu"),
                   "query " + Spread("gate_query", "_cpu"), "", "-", ""});
  lines.push_back({"Gate, refused (appends durably)", Spread("gate_refused", ""),
                   "Append " + Spread("gate_append", ""), Times(Figure("gate_refused_x_append")),
                   "-", ""});
  lines.push_back({"  on CPU", Spread("gate_refused", "_cpu"),
                   "Append " + Spread("gate_append", "_cpu"), "", "-", ""});
  std::printf(
      "\nSummary: p50 / p99 / p99.9 over every call of a run (medians over repetitions); the "
      "ratio is of p50s / p99s, or the median of the rounds' median ratios:\n");
  PrintTable(lines);
  if (queries > 0 && raw_reads > 0) {
    std::printf(
        "\nPer query the limit read %.2f rows and %s bytes of JSON on average (the document's "
        "row with its schedule; the person's training record on it). Answers over %s queries:",
        static_cast<double>(rows_read) / static_cast<double>(raw_reads),
        ThousandsSeparated(static_cast<double>(json_bytes_read) / static_cast<double>(raw_reads))
            .c_str(),
        ThousandsSeparated(static_cast<double>(queries)).c_str());
    for (const auto& [reason, count] : reasons) {
      std::printf(" %s %.2f%% (%s);", reason.c_str(),
                  100.0 * static_cast<double>(count) / static_cast<double>(queries),
                  ThousandsSeparated(static_cast<double>(count)).c_str());
    }
    std::printf("\n");
  }
}

// Takes our own flags out of argv: --scale=F multiplies the users, the documents and the number
// of rounds (0.1 for a quick look: 100 users x 50 documents).
void ParseOwnFlags(int& argc, char** argv) {
  TakeOwnFlags(argc, argv, {{"--scale=", [](std::string_view value) {
                               scale = std::stod(std::string(value));
                               ALIQUOT_CHECK_MSG(scale >= 0.1, "--scale must be at least 0.1");
                             }}});
}

}  // namespace
}  // namespace aliquot::bench

// Google Benchmark's registry owns what RegisterBenchmark allocates; the analyzer cannot see it,
// and reports the leak along any path through main.
// NOLINTBEGIN(clang-analyzer-cplusplus.NewDeleteLeaks)
int main(int argc, char** argv) {
  using namespace aliquot::bench;
  benchmark::Initialize(&argc, argv);
  ParseOwnFlags(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  benchmark::RegisterBenchmark("qualification_in", QualificationBench)
      ->Iterations(Scaled(kQueryRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("qualification_in_open_snapshot", SnapshotBench)
      ->Iterations(Scaled(kQueryRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("gate", GateBench)
      ->Iterations(Scaled(kGateRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  PrintSummary();
  the_dataset.reset();
  benchmark::Shutdown();
  return 0;
}
// NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
