// identity_bench: what users, roles, terminals and Part 11 signatures (issue 4) cost, each figure
// printed beside the limit it chases, measured in the same run: the authorisation check beside a
// bit test over the same roles and its 5 us target; a request's authentication and authorisation
// beside one projection GetRow on the same store; a signature made at the minimum password-hash
// cost beside a plain Store::Append of the same two events; and the production Argon2id cost on
// this machine. See docs/benchmarks.md.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/report.h"
#include "bench/support.h"
#include <benchmark/benchmark.h>

#include "aliquot/app/credentials.h"
#include "aliquot/app/identity_service.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/core/check.h"
#include "aliquot/core/clock.h"
#include "aliquot/core/json.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/domain/identity/authorization.h"
#include "aliquot/domain/identity/permission.h"
#include "aliquot/domain/identity/role.h"
#include "aliquot/domain/identity/terminal.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace aliquot::bench {
namespace {

using Clock = std::chrono::steady_clock;
using identity::Action;
using identity::Role;

// Each benchmark runs in rounds (Google Benchmark iterations), and every round measures the
// figures and their limits interleaved, so that a burst of load on this shared machine lands on a
// figure and its limit alike. Counts before --scale.
constexpr std::int64_t kAuthorizeRounds = 30;
constexpr std::int64_t kAuthorizeCallsPerRound = 20'000;  // Of each kind.
constexpr std::int64_t kRequestRounds = 20;
constexpr std::int64_t kRequestsPerRound = 250;
constexpr std::int64_t kSignRounds = 12;
constexpr std::int64_t kSignsPerRound = 10;
constexpr std::int64_t kHashRounds = 5;
constexpr std::int64_t kModerateRounds = 2;

// The target of issue 4 for the authorisation check every request runs.
constexpr double kAuthorizeTargetNs = 5000;

// libsodium's OPSLIMIT_MODERATE and MEMLIMIT_MODERATE, for comparison with the production cost.
constexpr PasswordHashCost kModerateCost{.operations = 3, .memory_bytes = 256u << 20};

constexpr std::string_view kSite = "BSL";
constexpr std::string_view kTerminalId = "BSL-QA-WS1";
// Every account's password once it has been changed from the temporary one.
constexpr std::string_view kPassword = "Basel-bench-2026";
// The action checked throughout: a QA approver's, refused to an operator.
constexpr Action kAction = Action::kApproveUserAccess;

double scale = 1.0;
bool moderate = false;

std::int64_t Scaled(std::int64_t count) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(count) * scale));
}

// Bytes this process has passed to write(2) and pwrite(2) so far (Linux /proc/self/io "wchar";
// 0 where unavailable): the WAL frames a commit writes, and must sync.
double ProcessWrittenBytes() {
  std::FILE* io = std::fopen("/proc/self/io", "r");
  if (io == nullptr) return 0;
  unsigned long long bytes = 0;
  char line[128];
  while (std::fgets(line, sizeof line, io) != nullptr) {
    if (std::sscanf(line, "wchar: %llu", &bytes) == 1) break;
  }
  std::fclose(io);
  return static_cast<double>(bytes);
}

// The parts, one after another.
std::string Concat(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (const std::string_view part : parts) text += part;
  return text;
}

// "37.2x" for 37.2; "n/a" for nullopt.
std::string Times(std::optional<double> value) {
  if (!value) return "n/a";
  if (*value >= 100) return ThousandsSeparated(*value) + "x";
  char text[32];
  std::snprintf(text, sizeof text, "%.1fx", *value);
  return text;
}

// ---------------------------------------------------------------------------------------------
// The site under test: one SQLite store in a temporary folder, with the services the server
// composes, a bootstrapped system administrator, a QA approver and the terminal both sign in on.
// Built on first use; main() removes it (and its folder) at the end.

struct Site {
  testing::TempDir dir;
  SystemClock clock;
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  SecretKey key = SecretKey::Generate();
  std::unique_ptr<storage::SqliteStore> store;
  std::optional<app::Credentials> credentials;
  std::unique_ptr<app::SessionService> sessions;
  std::unique_ptr<app::SignatureService> signatures;
  std::unique_ptr<app::IdentityService> identity;
  std::string terminal_token;
  app::SignInOutcome admin;
  app::SignInOutcome approver;
  int users_created = 0;
};

std::unique_ptr<Site> the_site;

// Signs `user_id` in and, for a temporary password, sets kPassword and signs in again, as each
// person does at their first sign-in.
app::SignInOutcome FirstSignIn(Site& site, const std::string& user_id,
                               const std::string& temporary) {
  app::SignInOutcome outcome =
      Must(site.sessions->SignIn({site.terminal_token, user_id, temporary, std::nullopt}),
           "signing in with the temporary password");
  MustSucceed(site.sessions->ChangeOwnPassword(outcome.context, temporary, kPassword),
              "changing the temporary password");
  MustSucceed(site.sessions->SignOut(outcome.context), "signing out");
  return Must(
      site.sessions->SignIn({site.terminal_token, user_id, std::string(kPassword), std::nullopt}),
      "signing in");
}

Site& TheSite() {
  if (the_site) return *the_site;
  auto site = std::make_unique<Site>();
  site->store = Must(storage::SqliteStore::Open({(site->dir / "aliquot.sqlite").string(),
                                                 storage::OpenMode::kReadWriteCreate},
                                                site->clock, *site->projector),
                     "opening the store");
  // The minimum cost, so that signing shows its own work; HashBench measures the production one.
  site->credentials.emplace(
      Must(app::Credentials::Create(site->key, PasswordHashCost::Minimum()), "credentials"));
  site->sessions =
      std::make_unique<app::SessionService>(*site->store, site->clock, *site->credentials);
  site->signatures =
      std::make_unique<app::SignatureService>(*site->store, site->clock, *site->sessions);
  site->signatures->Register("user", app::UserAccessRecord());
  site->identity = std::make_unique<app::IdentityService>(
      *site->store, site->clock, *site->credentials, *site->sessions, *site->signatures);

  app::BootstrapCommand bootstrap;
  bootstrap.site.id = std::string(kSite);
  bootstrap.site.name = "Basel Solid Dose Plant 2";
  bootstrap.administrator_id = "sam";
  bootstrap.administrator_name = "Sam Keller";
  bootstrap.terminal.id = std::string(kTerminalId);
  bootstrap.terminal.name = "QA office workstation 1";
  bootstrap.terminal.location = "QA office, first floor";
  bootstrap.terminal.kind = identity::TerminalKind::kWorkstation;
  const app::BootstrapOutcome started =
      Must(site->identity->Bootstrap(bootstrap, "bench:identity_bench"), "bootstrapping");
  site->terminal_token = started.terminal_token;
  site->admin = FirstSignIn(*site, "sam", started.temporary_password);
  const app::NewCredential approver =
      Must(site->identity->CreateUser(site->admin.context, "anna", "Anna Bakker",
                                      {{std::string(kSite), Role::kQaApprover}}),
           "creating the QA approver");
  site->approver = FirstSignIn(*site, "anna", approver.secret);
  the_site = std::move(site);
  return *the_site;
}

// ---------------------------------------------------------------------------------------------
// 1. identity::Authorize, the check every use case runs first, beside a bit test over the same
// RoleSet: the least an authorisation could cost.

void AuthorizeBench(benchmark::State& state) {
  identity::TerminalState terminal;
  terminal.exists = true;
  terminal.id = std::string(kTerminalId);
  terminal.site = std::string(kSite);
  terminal.name = "QA office workstation 1";
  terminal.location = "QA office, first floor";
  terminal.kind = identity::TerminalKind::kWorkstation;
  const identity::Principal approver{"anna", "Anna Bakker", std::string(kSite),
                                     identity::RoleSet{Role::kQaApprover}, false};
  const identity::Principal floor_operator{"oliver", "Oliver Okafor", std::string(kSite),
                                           identity::RoleSet{Role::kOperator}, false};
  ALIQUOT_CHECK(identity::Authorize(approver, terminal, kAction).has_value());
  ALIQUOT_CHECK(!identity::Authorize(floor_operator, terminal, kAction).has_value());
  const identity::RoleSet required = identity::DefinitionOf(kAction).roles;

  // Nanoseconds per call of `call`, over kAuthorizeCallsPerRound calls.
  const auto time_calls = [](const auto& call) {
    const Clock::time_point began = Clock::now();
    for (std::int64_t i = 0; i < kAuthorizeCallsPerRound; ++i) call();
    return Micros(Clock::now() - began) * 1000 / static_cast<double>(kAuthorizeCallsPerRound);
  };
  const std::array<std::function<double()>, 3> kinds{
      [&] {
        return time_calls([&] {
          // The roles are read afresh each time, as Authorize reads them.
          identity::RoleSet roles = approver.roles;
          benchmark::DoNotOptimize(roles);
          bool permitted = roles.Intersects(required);
          benchmark::DoNotOptimize(permitted);
        });
      },
      [&] {
        return time_calls([&] {
          bool allowed = identity::Authorize(approver, terminal, kAction).has_value();
          benchmark::DoNotOptimize(allowed);
        });
      },
      [&] {
        return time_calls([&] {
          bool allowed = identity::Authorize(floor_operator, terminal, kAction).has_value();
          benchmark::DoNotOptimize(allowed);
        });
      },
  };
  for (const auto& kind : kinds) (void)kind();  // Warm the caches and the allocator.

  std::int64_t round = 0;
  while (state.KeepRunning()) {
    std::array<double, 3> ns{};
    // The order rotates from round to round, so no kind always runs first.
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      const std::size_t kind = (k + static_cast<std::size_t>(round)) % kinds.size();
      ns[kind] = kinds[kind]();
    }
    ++round;
    Record("authorize_baseline_ns", ns[0]);
    Record("authorize_allowed_ns", ns[1]);
    Record("authorize_refused_ns", ns[2]);
    Record("authorize_allowed_x", ns[1] / ns[0]);
    Record("authorize_refused_x", ns[2] / ns[0]);
    state.counters["baseline_ns"] = ns[0];
    state.counters["allowed_ns"] = ns[1];
    state.counters["refused_ns"] = ns[2];
  }
}

// ---------------------------------------------------------------------------------------------
// 2. What every request pays before its use case: SessionService::Authenticate (session and
// terminal tokens; one snapshot read of the terminal's token and row, its site and the user)
// followed by SessionService::Authorize, beside one projection GetRow on the same store.

void RequestBench(benchmark::State& state) {
  Site& site = TheSite();
  const std::string session_token = site.approver.token;
  const app::TableSpec& users = TableNamed(*site.projector, "users");
  // The rows Authenticate reads, in its order.
  const std::vector<std::pair<const app::TableSpec*, app::Row>> rows{
      {&TableNamed(*site.projector, "terminal_tokens"),
       app::Row{app::TokenHash(site.terminal_token)}},
      {&TableNamed(*site.projector, "terminals"), app::Row{std::string(kTerminalId)}},
      {&TableNamed(*site.projector, "sites"), app::Row{std::string(kSite)}},
      {&users, app::Row{std::string("anna")}},
  };
  const app::Row user_key{std::string("anna")};

  const std::array<std::function<void()>, 3> kinds{
      [&] {
        const app::RequestContext context =
            Must(site.sessions->Authenticate(session_token, site.terminal_token), "authenticating");
        MustSucceed(site.sessions->Authorize(context, kAction), "authorising");
      },
      [&] {
        const std::optional<app::Row> row = Must(site.store->GetRow(users, user_key), "GetRow");
        ALIQUOT_CHECK(row.has_value());
      },
      [&] {
        MustSucceed(site.store->Read([&](app::StoreReader& reader) -> Status {
          for (const auto& [table, key] : rows) {
            ALIQUOT_ASSIGN_OR_RETURN(const std::optional<app::Row> row, reader.GetRow(*table, key));
            if (!row) return Unexpected(Internal("no row in " + table->name));
          }
          return {};
        }),
                    "reading four rows");
      },
  };
  for (const auto& kind : kinds) kind();

  const std::int64_t per_round = kRequestsPerRound;
  std::array<std::vector<double>, 3> all;  // Microseconds per call, over the run.
  while (state.KeepRunning()) {
    std::array<std::vector<double>, 3> round;
    for (std::int64_t i = 0; i < per_round; ++i) {
      // Each request is paired with one of each limit, in an order that rotates.
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kinds.size();
        const Clock::time_point began = Clock::now();
        kinds[kind]();
        round[kind].push_back(Micros(Clock::now() - began));
      }
    }
    // Medians: on this shared machine a descheduled call can take a hundred times the usual.
    const double request = Median(round[0]);
    const double get_row = Median(round[1]);
    const double read_four = Median(round[2]);
    Record("request_us", request);
    Record("request_getrow_us", get_row);
    Record("request_read4_us", read_four);
    Record("request_x_getrow", request / get_row);
    Record("read4_x_getrow", read_four / get_row);
    state.counters["request_us"] = request;
    state.counters["getrow_us"] = get_row;
    for (std::size_t k = 0; k < all.size(); ++k) {
      all[k].insert(all[k].end(), round[k].begin(), round[k].end());
    }
  }
  Record("request_p50", Percentile(all[0], 0.50));
  Record("request_p99", Percentile(all[0], 0.99));
  Record("request_getrow_p50", Percentile(all[1], 0.50));
  Record("request_getrow_p99", Percentile(all[1], 0.99));
}

// ---------------------------------------------------------------------------------------------
// 3. A signature: SignatureService::Sign of a user-access approval, with credentials at the
// minimum hash cost, beside one VerifyPassword at that cost (to subtract) and a plain
// Store::Append of the two events a signature appends (the re-authentication and the signature),
// with the same payloads, actors and terminal but event types no projector reads.

struct Target {
  identity::RecordRef record;
  std::string content_hash;  // What the approver is shown.
};

// Accounts awaiting approval: a signer approves one content once, so each signature needs its own.
std::vector<Target> CreateTargets(Site& site, std::int64_t count) {
  std::vector<Target> targets;
  for (std::int64_t i = 0; i < count; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "op-%05d", ++site.users_created);
    (void)Must(site.identity->CreateUser(site.admin.context, id,
                                         "Operator " + std::to_string(site.users_created),
                                         {{std::string(kSite), Role::kOperator}}),
               "creating an operator");
    const identity::RecordRef record{"user", id};
    const app::RecordSignatures shown =
        Must(site.signatures->Signatures(site.approver.context, record), "reading the record");
    targets.push_back({record, shown.content_hash});
  }
  return targets;
}

void SignBench(benchmark::State& state) {
  Site& site = TheSite();
  const std::int64_t per_round = kSignsPerRound;
  std::vector<Target> targets = CreateTargets(site, state.max_iterations * per_round + 1);
  const std::string minimum_hash =
      Must(HashPassword(kPassword, PasswordHashCost::Minimum()), "hashing");
  std::size_t next = 0;
  const auto sign = [&] {
    const Target& target = targets.at(next++);
    app::SignRequest request;
    request.meaning = identity::Meaning::kApproved;
    request.content_hash = target.content_hash;
    request.comment = "Access request approved: role matches the job description";
    request.password = std::string(kPassword);
    (void)Must(site.signatures->Sign(site.approver.context, target.record, request), "signing");
  };

  // One unmeasured signature, whose two events become the limit's.
  sign();
  const std::uint64_t size = Must(site.store->Head(), "reading the head").size;
  app::AppendRequest raw;
  MustSucceed(site.store->ScanEvents(size - 1, size + 1,
                                     [&](const ledger::Event& event) -> Status {
                                       ledger::NewEvent copy;
                                       copy.stream = {"bench", event.stream.id};
                                       copy.event_type = "bench" + event.event_type.substr(
                                                                       event.event_type.find('.'));
                                       copy.payload = Must(ParseJson(event.payload), "payload");
                                       copy.actor = event.actor;
                                       copy.terminal = event.terminal;
                                       raw.events.push_back(std::move(copy));
                                       return {};
                                     }),
              "reading the signature's events");
  ALIQUOT_CHECK(raw.events.size() == 2);
  ALIQUOT_CHECK(raw.events[0].event_type == "bench.reauthenticated");
  ALIQUOT_CHECK(raw.events[1].event_type == "bench.signature_applied");

  const std::array<std::function<void()>, 3> kinds{
      sign,
      [&] {
        const bool matches = Must(VerifyPassword(minimum_hash, kPassword), "verifying");
        ALIQUOT_CHECK(matches);
      },
      [&] { (void)Must(site.store->Append(raw), "appending"); },
  };
  std::array<std::vector<double>, 3> all;  // Microseconds per call, over the run.
  std::array<double, 3> cpu_us{};
  std::array<double, 3> written{};  // Bytes.
  std::int64_t calls = 0;
  while (state.KeepRunning()) {
    std::array<std::vector<double>, 3> round;
    for (std::int64_t i = 0; i < per_round; ++i) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kinds.size();
        const double written_before = ProcessWrittenBytes();
        const double cpu_began = ProcessCpuSeconds();
        const Clock::time_point began = Clock::now();
        kinds[kind]();
        round[kind].push_back(Micros(Clock::now() - began));
        cpu_us[kind] += (ProcessCpuSeconds() - cpu_began) * 1e6;
        written[kind] += ProcessWrittenBytes() - written_before;
      }
    }
    calls += per_round;
    const double signing = Median(round[0]);
    const double verify = Median(round[1]);
    const double append = Median(round[2]);
    Record("sign_us", signing);
    Record("sign_verify_us", verify);
    Record("sign_append_us", append);
    Record("sign_net_us", signing - verify);
    Record("sign_x_append", signing / append);
    Record("sign_net_x_append", (signing - verify) / append);
    state.counters["sign_us"] = signing;
    state.counters["append_us"] = append;
    for (std::size_t k = 0; k < all.size(); ++k) {
      all[k].insert(all[k].end(), round[k].begin(), round[k].end());
    }
  }
  const auto per_call = static_cast<double>(std::max<std::int64_t>(1, calls));
  Record("sign_p50", Percentile(all[0], 0.50));
  Record("sign_p99", Percentile(all[0], 0.99));
  Record("sign_append_p50", Percentile(all[2], 0.50));
  Record("sign_append_p99", Percentile(all[2], 0.99));
  Record("sign_cpu_us", cpu_us[0] / per_call);
  Record("sign_verify_cpu_us", cpu_us[1] / per_call);
  Record("sign_append_cpu_us", cpu_us[2] / per_call);
  Record("sign_bytes", written[0] / per_call);
  Record("sign_append_bytes", written[2] / per_call);
}

// ---------------------------------------------------------------------------------------------
// 4. The Argon2id cost new passwords are hashed with in production (PasswordHashCost::
// Interactive), beside the minimum cost measured in the same rounds: what one sign-in or
// signature pays on purpose, so that every guess costs a guesser as much.

// "t=2, m=64 MiB, p=1": the cost, with the lanes read from the PHC string libsodium made.
std::string Parameters(const PasswordHashCost& cost, std::string_view phc) {
  std::string lanes = "?";
  const std::size_t at = phc.find(",p=");
  if (at != std::string_view::npos) {
    const std::size_t end = phc.find('$', at);
    lanes = std::string(phc.substr(at + 3, end == std::string_view::npos ? end : end - at - 3));
  }
  const double mebibytes = static_cast<double>(cost.memory_bytes) / (1 << 20);
  char text[96];
  if (mebibytes >= 1) {
    std::snprintf(text, sizeof text, "t=%llu, m=%g MiB, p=%s",
                  static_cast<unsigned long long>(cost.operations), mebibytes, lanes.c_str());
  } else {
    std::snprintf(text, sizeof text, "t=%llu, m=%zu KiB, p=%s",
                  static_cast<unsigned long long>(cost.operations), cost.memory_bytes >> 10,
                  lanes.c_str());
  }
  return text;
}

std::string interactive_parameters = "n/a";
std::string minimum_parameters = "n/a";
std::string moderate_parameters = "n/a";

// Hashes and verifies once at each of `costs` per round; records the wall and CPU time of each
// ("<name>_hash_us", "<name>_hash_cpu_us", "<name>_verify_us", "<name>_verify_cpu_us").
void TimeCosts(benchmark::State& state,
               const std::vector<std::pair<std::string, PasswordHashCost>>& costs,
               const std::function<void(const std::string&, const std::string&)>& parameters) {
  std::int64_t round = 0;
  while (state.KeepRunning()) {
    for (std::size_t k = 0; k < costs.size(); ++k) {
      const auto& [name, cost] = costs[(k + static_cast<std::size_t>(round)) % costs.size()];
      double cpu_began = ProcessCpuSeconds();
      Clock::time_point began = Clock::now();
      const std::string hash = Must(HashPassword(kPassword, cost), "hashing");
      Record(name + "_hash_us", Micros(Clock::now() - began));
      Record(name + "_hash_cpu_us", (ProcessCpuSeconds() - cpu_began) * 1e6);
      cpu_began = ProcessCpuSeconds();
      began = Clock::now();
      const bool matches = Must(VerifyPassword(hash, kPassword), "verifying");
      Record(name + "_verify_us", Micros(Clock::now() - began));
      Record(name + "_verify_cpu_us", (ProcessCpuSeconds() - cpu_began) * 1e6);
      ALIQUOT_CHECK(matches);
      parameters(name, Parameters(cost, hash));
    }
    ++round;
  }
}

void HashBench(benchmark::State& state) {
  TimeCosts(
      state,
      {{"interactive", PasswordHashCost::Interactive()}, {"minimum", PasswordHashCost::Minimum()}},
      [](const std::string& name, const std::string& parameters) {
        (name == "interactive" ? interactive_parameters : minimum_parameters) = parameters;
      });
}

void ModerateHashBench(benchmark::State& state) {
  TimeCosts(
      state, {{"moderate", kModerateCost}},
      [](const std::string&, const std::string& parameters) { moderate_parameters = parameters; });
}

// ---------------------------------------------------------------------------------------------
// The summary: every figure beside its limit.

void PrintSummary() {
  std::vector<Line> lines;
  const auto baseline = Figure("authorize_baseline_ns");
  const auto target = std::optional<double>(kAuthorizeTargetNs);
  lines.push_back({"bit test over the same RoleSet (baseline)", Number(baseline, "ns"), "-", "",
                   "orientation", ""});
  for (const char* kind : {"allowed", "refused"}) {
    const std::string name = std::string("authorize_") + kind;
    const auto ns = Figure(name + "_ns");
    std::optional<bool> met;
    if (ns) met = *ns < kAuthorizeTargetNs;
    const std::string label = std::string("identity::Authorize, ") + kind +
                              (std::string_view(kind) == "refused" ? " (builds the message)" : "");
    lines.push_back({label, Number(ns, "ns"), "target 5 us", Percent(Ratio(ns, target)),
                     "well under 5 us", Met(met)});
    lines.push_back({label + ", vs baseline", Number(ns, "ns"),
                     "bit test " + Number(baseline, "ns"), Times(Figure(name + "_x")), "-", ""});
  }

  const auto get_row = Figure("request_getrow_us");
  lines.push_back({"per request: Authenticate + Authorize", Number(Figure("request_us"), "us"),
                   "one GetRow " + Number(get_row, "us"), Times(Figure("request_x_getrow")), "-",
                   ""});
  lines.push_back(
      {"per request: p50 / p99",
       Number(Figure("request_p50"), "us") + " / " + Number(Figure("request_p99"), "us"),
       "GetRow " + Number(Figure("request_getrow_p50"), "us") + " / " +
           Number(Figure("request_getrow_p99"), "us"),
       "", "-", ""});
  lines.push_back({"diagnostic: its 4 rows in one Store::Read",
                   Number(Figure("request_read4_us"), "us"), "one GetRow " + Number(get_row, "us"),
                   Times(Figure("read4_x_getrow")), "-", ""});

  const auto append = Figure("sign_append_us");
  const auto verify = Figure("sign_verify_us");
  lines.push_back({"Sign (user access, Minimum hash cost)", Number(Figure("sign_us"), "us"),
                   "Append of 2 events " + Number(append, "us"), Times(Figure("sign_x_append")),
                   "-", ""});
  lines.push_back(
      {"  of which VerifyPassword at Minimum", Number(verify, "us"), "-", "", "subtracted", ""});
  lines.push_back({"Sign minus VerifyPassword", Number(Figure("sign_net_us"), "us"),
                   "Append of 2 events " + Number(append, "us"), Times(Figure("sign_net_x_append")),
                   "-", ""});
  lines.push_back({"Sign p50 / p99",
                   Number(Figure("sign_p50"), "us") + " / " + Number(Figure("sign_p99"), "us"),
                   "Append " + Number(Figure("sign_append_p50"), "us") + " / " +
                       Number(Figure("sign_append_p99"), "us"),
                   "", "-", ""});
  const auto sign_cpu = Figure("sign_cpu_us");
  const auto verify_cpu = Figure("sign_verify_cpu_us");
  const auto append_cpu = Figure("sign_append_cpu_us");
  std::optional<double> net_cpu;
  if (sign_cpu && verify_cpu) net_cpu = *sign_cpu - *verify_cpu;
  lines.push_back({"CPU per Sign minus VerifyPassword", Number(net_cpu, "us"),
                   "Append of 2 events " + Number(append_cpu, "us"),
                   Times(Ratio(net_cpu, append_cpu)), "-", ""});
  lines.push_back({"bytes written per Sign", Number(Figure("sign_bytes"), "B"),
                   "Append of 2 events " + Number(Figure("sign_append_bytes"), "B"),
                   Times(Ratio(Figure("sign_bytes"), Figure("sign_append_bytes"))), "-", ""});

  const auto in_ms = [](std::optional<double> us) -> std::optional<double> {
    if (!us) return std::nullopt;
    return *us / 1000;
  };
  // The header (core/password_hash.h) says "about 0.1 s of CPU": 50 to 200 ms. Wall time on a
  // shared machine is for orientation only.
  const auto about_a_tenth = [](std::optional<double> us) -> std::optional<bool> {
    if (!us) return std::nullopt;
    return *us >= 50'000 && *us <= 200'000;
  };
  for (const char* operation : {"hash", "verify"}) {
    const std::string call =
        std::string_view(operation) == "hash" ? "HashPassword" : "VerifyPassword";
    const std::string prefix = std::string("_") + operation;
    const auto wall = Figure("interactive" + prefix + "_us");
    const auto cpu = Figure("interactive" + prefix + "_cpu_us");
    lines.push_back(
        {Concat({call, ", Interactive (", interactive_parameters, ")"}), Number(in_ms(wall), "ms"),
         "Minimum " + Number(Figure("minimum" + prefix + "_us"), "us"), "", "orientation", ""});
    lines.push_back({"  its CPU time", Number(in_ms(cpu), "ms"),
                     "Minimum " + Number(Figure("minimum" + prefix + "_cpu_us"), "us"), "",
                     "about 0.1 s CPU (header)", Met(about_a_tenth(cpu))});
  }
  // A signature at the production cost: its own work, plus one Interactive verification.
  std::optional<double> sign_interactive;
  if (const auto net = Figure("sign_net_us"), verify_interactive = Figure("interactive_verify_us");
      net && verify_interactive) {
    sign_interactive = *net + *verify_interactive;
  }
  lines.push_back({"Sign at Interactive (estimated)", Number(in_ms(sign_interactive), "ms"),
                   "Append of 2 events " + Number(append, "us"),
                   Times(Ratio(sign_interactive, append)), "-", ""});
  if (moderate) {
    for (const char* operation : {"hash", "verify"}) {
      const std::string call =
          std::string_view(operation) == "hash" ? "HashPassword" : "VerifyPassword";
      const std::string prefix = std::string("_") + operation;
      lines.push_back({Concat({call, ", Moderate (", moderate_parameters, ")"}),
                       Concat({Number(in_ms(Figure("moderate" + prefix + "_us")), "ms"), " (CPU ",
                               Number(in_ms(Figure("moderate" + prefix + "_cpu_us")), "ms"), ")"}),
                       "Interactive " + Number(in_ms(Figure("interactive" + prefix + "_us")), "ms"),
                       "", "comparison", ""});
    }
  }
  std::printf("\nSummary (medians over rounds and repetitions; Minimum is %s):\n",
              minimum_parameters.c_str());
  PrintTable(lines);
}

// Takes our own flags out of argv: --scale=F multiplies the number of rounds (0.2 for a quick
// look); --moderate adds libsodium's MODERATE cost (256 MiB, about a second a hash).
void ParseOwnFlags(int& argc, char** argv) {
  TakeOwnFlags(argc, argv,
               {{"--scale=",
                 [](std::string_view value) {
                   scale = std::stod(std::string(value));
                   ALIQUOT_CHECK_MSG(scale > 0, "--scale must be positive");
                 }},
                {"--moderate", [](std::string_view) { moderate = true; }}});
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

  benchmark::RegisterBenchmark("authorize", AuthorizeBench)
      ->Iterations(Scaled(kAuthorizeRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("authenticate_and_authorize", RequestBench)
      ->Iterations(Scaled(kRequestRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("sign", SignBench)
      ->Iterations(Scaled(kSignRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("password_hash", HashBench)
      ->Iterations(Scaled(kHashRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  if (moderate) {
    benchmark::RegisterBenchmark("password_hash_moderate", ModerateHashBench)
        ->Iterations(kModerateRounds)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  PrintSummary();
  the_site.reset();
  benchmark::Shutdown();
  return 0;
}
// NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
