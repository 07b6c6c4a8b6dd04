// batch_bench: batch execution through the HTTP API, against the two goals. (1) Signed
// entries with 64 concurrent operators on SQLite, at least 20,000 entries/s with p99 under 10 ms:
// 64 operators, each signed in at their own tablet with their own session, each executing their
// own batch over a keep-alive connection to the real HTTP server (start a step, enter its 20
// values, complete it), one request per entry with its Idempotency-Key, measured beside the
// durable append limit of the same run: Store::Append of the same number of events with the same
// payload by 64 appender threads, on the same filesystem, in alternating phases. (2) Retrieval of
// the executed record of a completed 30-step batch under 5 ms: GET /api/v1/batches/{id}/record,
// beside BatchService::Record in process and plain sqlite3 reads of the batch's rows. The entries
// run through the server as `aliquot serve` runs it (a thread per connection, 64 at most), and,
// as a diagnostic, without a server (each operator's thread calling the route's handlers). A serial
// breakdown measures where an entry's CPU goes: the HTTP request, the route's handler in process,
// authentication, the decision and the append with its projection. See docs/benchmarks.md.
#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench/raw_sqlite.h"
#include "bench/report.h"
#include "bench/support.h"
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aliquot/app/batch_records.h"
#include "aliquot/app/batch_service.h"
#include "aliquot/app/document_service.h"
#include "aliquot/app/identity_service.h"
#include "aliquot/app/ledger_service.h"
#include "aliquot/app/material_service.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/quality_records.h"
#include "aliquot/app/recipe_service.h"
#include "aliquot/app/services.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/app/system_service.h"
#include "aliquot/app/training_service.h"
#include "aliquot/core/check.h"
#include "aliquot/core/clock.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/yaml.h"
#include "aliquot/domain/batches/execution.h"
#include "aliquot/domain/quality/deviation.h"
#include "aliquot/domain/recipes/definition.h"
#include "aliquot/domain/recipes/master_batch_record.h"
#include "aliquot/http/api_routes.h"
#include "aliquot/http/metrics.h"
#include "aliquot/http/router.h"
#include "aliquot/http/server.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/sql/projection_sql.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace aliquot::bench {
namespace {

using Steady = std::chrono::steady_clock;
using identity::Meaning;
using identity::Role;

// The shape: 64 operators, each executing their own batch of a recipe whose steps hold
// only number parameters, so that the load is entries (no equipment, material or time rules).
constexpr int kOperators = 64;
constexpr int kSteps = 30;
constexpr int kParameters = 20;

// The goals.
constexpr double kGoalEntriesPerSecond = 20'000;
constexpr double kGoalEntryP99Us = 10'000;
constexpr double kGoalRecordP99Us = 5'000;

// The entries benchmark runs in rounds: in each, every operator executes kStepsPerRound steps of
// their batch (a new batch once theirs is complete), and 64 appender threads append as many events
// as there were value entries. Before --scale.
constexpr int kStepsPerRound = 1;
constexpr std::int64_t kEntryRounds = 16;
// The record benchmark: rounds of calls of each kind, interleaved call by call.
constexpr std::int64_t kRecordRounds = 10;
constexpr std::int64_t kRecordCallsPerRound = 10;
// The breakdown: rounds of calls of each kind, one entry at a time.
constexpr std::int64_t kBreakdownRounds = 10;
constexpr std::int64_t kBreakdownCallsPerRound = 20;

// `aliquot serve`'s default number of HTTP connections served at once
// (cli::ServeOptions::max_connections).
constexpr unsigned kServeDefaultConnections = 64;

// Identifiers of the site the benchmark builds.
constexpr std::string_view kSite = "BNC";
constexpr std::string_view kSop = "SOP-BENCH-01";
constexpr std::string_view kProduct = "BENCH-1";
constexpr std::string_view kRecord = "MBR-BENCH-30";
constexpr std::string_view kMaterial = "MAT-BENCH";
constexpr std::string_view kSupplier = "SUP-BENCH";
constexpr std::string_view kLot = "L-BENCH-1";
constexpr std::string_view kPassword = "Bench-2026-Entries";

double scale = 1.0;
// The entries benchmark runs once per count of connections the server serves at once: the
// server's default, and 0: no server, each operator's thread calling the route's handlers itself
// (a diagnostic).
std::vector<unsigned> entry_connections{kServeDefaultConnections, 0};

std::int64_t Scaled(std::int64_t count) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(count) * scale));
}

// Microseconds as milliseconds: "0.412 ms", "4.12 ms", "41.2 ms"; "n/a" for nullopt.
std::string Millis(std::optional<double> micros) {
  if (!micros) return "n/a";
  const double ms = *micros / 1000;
  char text[32];
  std::snprintf(text, sizeof text, ms < 1 ? "%.3f ms" : ms < 10 ? "%.2f ms" : "%.1f ms", ms);
  return text;
}

// "s07", "p12": step and parameter ids.
std::string Numbered(char prefix, int number) {
  char text[8];
  std::snprintf(text, sizeof text, "%c%02d", prefix, number);
  return text;
}

// ---------------------------------------------------------------------------------------------
// The recipe: one unit procedure of kSteps steps, each with kParameters number parameters whose
// limits are wide enough that every value the benchmark enters is within them. The first step
// names the batch's starting material with a 100% tolerance: a batch is created from a lot of a
// material its recipe uses, and this line asks for nothing to be consumed.

recipes::ParameterDefinition Parameter(int number) {
  recipes::ParameterDefinition parameter;
  parameter.id = Numbered('p', number);
  parameter.name = "In-process reading " + std::to_string(number);
  parameter.kind = recipes::ParameterKind::kNumber;
  parameter.criticality = number % 4 == 1 ? recipes::Criticality::kCriticalProcessParameter
                                          : recipes::Criticality::kKeyProcessParameter;
  parameter.unit = "mL";
  parameter.target = 100;
  parameter.alert = {50, 150};
  parameter.action = {10, 1000};
  return parameter;
}

recipes::Definition MakeDefinition() {
  recipes::Definition definition;
  definition.master_batch_record = std::string(kRecord);
  definition.product = std::string(kProduct);
  definition.title = "Benchmark process: 30 steps of 20 in-process readings";
  definition.batch_size = "One benchmark batch";
  definition.phases = {recipes::ClinicalPhase::kPhase1};
  recipes::UnitProcedure unit;
  unit.id = "processing";
  unit.name = "Processing";
  for (int s = 1; s <= kSteps; ++s) {
    recipes::Step step;
    step.id = Numbered('s', s);
    step.name = "Step " + std::to_string(s) + " of " + std::to_string(kSteps);
    step.instructions = "Read each of the 20 values from the local display and enter it as read.\n";
    step.sop = std::string(kSop);
    for (int p = 1; p <= kParameters; ++p) step.parameters.push_back(Parameter(p));
    if (s == 1) step.materials.push_back({std::string(kMaterial), "1 mL", "100 %"});
    unit.operations.push_back(std::move(step));
  }
  definition.unit_procedures.push_back(std::move(unit));
  return definition;
}

recipes::References InMemoryReferences() {
  recipes::References references;
  references.document = [](std::string_view id) -> std::optional<recipes::DocumentReference> {
    if (id != kSop) return std::nullopt;
    return recipes::DocumentReference{};
  };
  references.material = [](std::string_view id) -> std::optional<recipes::MaterialReference> {
    if (id != kMaterial) return std::nullopt;
    return recipes::MaterialReference{"mL"};
  };
  return references;
}

// The value operator `op` enters for parameter `p` of step `s`: within the alert limits, varied.
double ValueFor(int op, int s, int p) {
  // Tenths divided once, so that the double is the one "%.1f" text reads back as.
  return static_cast<double>(800 + (op * 7 + s * 13 + p * 31) % 400) / 10.0;
}

// ---------------------------------------------------------------------------------------------
// A keep-alive HTTP/1.1 client, what a tablet on the floor holds to the server: one connection,
// one request at a time, each response read by its Content-Length. A connection the server closed
// (its idle timeout, a "Connection: close") is opened again, and the request sent once more: every
// POST carries an Idempotency-Key, so a retry is answered from the record.

struct HttpAnswer {
  int status = 0;
  std::string body;
  bool retried = false;  // Sent again on a new connection after the first went unanswered.
};

// Why requests were sent again: counted, and the first few reasons printed.
std::atomic<int> connection_retries{0};

class HttpConnection {
 public:
  HttpConnection(std::uint16_t port, std::string fixed_headers)
      : port_(port), fixed_headers_(std::move(fixed_headers)) {}
  ~HttpConnection() { Close(); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `method target` with `extra_headers` (each line ending in CRLF) and `body`; stops the
  // benchmark when no answer comes after one reconnection.
  HttpAnswer Send(std::string_view method, std::string_view target, std::string_view extra_headers,
                  std::string_view body) {
    request_.clear();
    request_.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    request_.append(fixed_headers_).append(extra_headers);
    if (method != "GET") {
      if (!body.empty()) request_.append("Content-Type: application/json\r\n");
      request_.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    request_.append("\r\n").append(body);
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0) Open();
      HttpAnswer answer;
      answer.retried = attempt > 0;
      const bool written = Write();
      if (written && Read(answer)) return answer;
      if (connection_retries.fetch_add(1) < 5) {
        std::fprintf(stderr,
                     "batch_bench: no answer to %.*s %.*s (%s failed: %s; %zu bytes unread), "
                     "sending it again on a new connection\n",
                     static_cast<int>(method.size()), method.data(),
                     static_cast<int>(target.size()), target.data(), written ? "read" : "write",
                     errno == 0 ? "closed by the server" : strerrordesc_np(errno), buffer_.size());
      }
      Close();
    }
    std::fprintf(stderr, "no answer from the server to %.*s %.*s\n",
                 static_cast<int>(method.size()), method.data(), static_cast<int>(target.size()),
                 target.data());
    ALIQUOT_CHECK(false);
    return {};
  }

 private:
  void Open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ALIQUOT_CHECK(fd_ >= 0);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ALIQUOT_CHECK_MSG(
        ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0,
        "cannot connect to the benchmark's server");
    buffer_.clear();
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

  bool Write() {
    errno = 0;
    for (std::size_t sent = 0; sent < request_.size();) {
      const ssize_t n = ::send(fd_, request_.data() + sent, request_.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads more into buffer_; false at the end of the stream or on an error.
  bool Fill() {
    char chunk[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  }

  static bool HeaderIs(std::string_view line, std::string_view name) {
    if (line.size() <= name.size() || line[name.size()] != ':') return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char a = line[i] >= 'A' && line[i] <= 'Z' ? static_cast<char>(line[i] + 32) : line[i];
      if (a != name[i]) return false;
    }
    return true;
  }

  static std::string_view Value(std::string_view line) {
    std::string_view value = line.substr(line.find(':') + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    return value;
  }

  bool Read(HttpAnswer& answer) {
    std::size_t head_end = std::string::npos;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    const std::string_view head(buffer_.data(), head_end);
    if (!head.starts_with("HTTP/1.1 ") || head.size() < 12) return false;
    answer.status = std::atoi(std::string(head.substr(9, 3)).c_str());
    std::size_t length = 0;
    bool close = false;
    for (std::size_t at = head.find("\r\n"); at != std::string_view::npos && at < head.size();) {
      const std::size_t next = head.find("\r\n", at + 2);
      const std::string_view line = head.substr(
          at + 2, next == std::string_view::npos ? std::string_view::npos : next - at - 2);
      if (HeaderIs(line, "content-length")) {
        length = static_cast<std::size_t>(std::stoull(std::string(Value(line))));
      } else if (HeaderIs(line, "connection")) {
        close = Value(line) == "close";
      }
      at = next;
    }
    const std::size_t body_start = head_end + 4;
    while (buffer_.size() < body_start + length) {
      if (!Fill()) return false;
    }
    answer.body.assign(buffer_, body_start, length);
    buffer_.erase(0, body_start + length);
    if (close) Close();
    return true;
  }

  const std::uint16_t port_;
  const std::string fixed_headers_;  // Each line ending in CRLF: the credentials.
  int fd_ = -1;
  std::string request_;
  std::string buffer_;
};

// Threads that each run `work(index)` once per round, between two barriers, as the appender pool
// of bench/appenders.h does: what both the operators and the limit's appenders are driven with.
class Team {
 public:
  Team(int threads, std::function<void(int)> work)
      : work_(std::move(work)), start_(threads + 1), done_(threads + 1) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, i] {
        for (;;) {
          start_.arrive_and_wait();
          if (stop_) return;
          work_(i);
          done_.arrive_and_wait();
        }
      });
    }
  }
  ~Team() {
    stop_ = true;
    start_.arrive_and_wait();
    for (std::thread& thread : threads_) thread.join();
  }
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  // Every thread runs its work once; returns when all are done.
  void RunRound() {
    start_.arrive_and_wait();
    done_.arrive_and_wait();
  }

 private:
  std::function<void(int)> work_;
  std::barrier<> start_;
  std::barrier<> done_;
  std::atomic<bool> stop_ = false;
  std::vector<std::thread> threads_;
};

// ---------------------------------------------------------------------------------------------
// The site, built once through the services on a real SQLite store in a temporary folder, with
// the system clock: its administrator, the staff who write, check and approve the SOP and the
// master batch record, a warehouse clerk who receives the starting material's lot, a supervisor
// who creates batches, and 64 operators, each with their own tablet (a registered terminal) and
// session, each trained on the SOP. A 65th operator, with a tablet of their own, executes the
// batch whose record is read and the breakdown's entries. Passwords are hashed at the minimum
// cost: signing in is identity_bench's figure, not this one's.

struct Operator {
  std::string id;  // "op01".
  std::string terminal_token;
  std::string session_token;
  app::RequestContext context;
  std::string headers;  // Authorization and X-Aliquot-Terminal, each line ending in CRLF.
  std::string batch;    // The batch they execute now.
  int next_step = 1;    // The next step of `batch` to start; kSteps + 1 once it is complete.
  // The diagnostics' operator enters a step's values across benchmark runs: whether step
  // next_step is started, and how many of its values are entered.
  bool step_started = false;
  int values_entered = 0;
};

struct World {
  testing::TempDir dir;
  SystemClock clock;
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  SecretKey credentials_key = SecretKey::Generate();
  Ed25519SigningKey checkpoint_key = Ed25519SigningKey::FromSeed(Ed25519SigningKey::Seed{7});
  std::string store_path;
  std::unique_ptr<storage::SqliteStore> store;
  std::unique_ptr<app::Services> services;
  std::unique_ptr<app::LedgerService> ledger;
  http::Metrics metrics;
  http::Router router;
  std::string qa_terminal_token;
  app::RequestContext vera;  // The supervisor: creates batches.
  Operator reader;           // quinn, QA reviewer at the QA workstation: reads executed records.
  std::vector<Operator> operators;  // kOperators of the load, then the diagnostics' own.
  std::string record_batch;         // A completed batch: the record benchmark reads it.
  std::string entry_payload;        // The canonical payload of a value entry's event.
  // The limit's store: its own file in the same folder, so on the same filesystem.
  std::string limit_path;
  std::unique_ptr<storage::SqliteStore> limit_store;
  std::vector<ledger::NewEvent> limit_events;  // One per appender, each on its own stream.
  int batches_created = 0;
};

std::unique_ptr<World> the_world;

// Signs `user` in at `terminal_token` and, for a temporary password, sets kPassword and signs in
// again, as each person does at their first sign-in.
app::SignInOutcome FirstSignIn(app::SessionService& sessions, const std::string& user,
                               const std::string& password, const std::string& terminal_token) {
  app::SignInOutcome outcome =
      Must(sessions.SignIn({terminal_token, user, password, std::nullopt}), "signing in");
  if (!outcome.password_change_required) return outcome;
  MustSucceed(sessions.ChangeOwnPassword(outcome.context, password, kPassword),
              "changing the temporary password");
  MustSucceed(sessions.SignOut(outcome.context), "signing out");
  return Must(sessions.SignIn({terminal_token, user, std::string(kPassword), std::nullopt}),
              "signing in again");
}

// `context` signs `record` with `meaning` over the content they were shown.
void Sign(app::Services& services, const app::RequestContext& context,
          const identity::RecordRef& record, Meaning meaning, const char* what) {
  const app::RecordSignatures shown =
      Must(services.Signatures().Signatures(context, record), "reading a record to sign");
  app::SignRequest request;
  request.meaning = meaning;
  request.content_hash = shown.content_hash;
  request.password = std::string(kPassword);
  (void)Must(services.Signatures().Sign(context, record, request), what);
}

// Registers terminal `id` and returns its token.
std::string RegisterTerminal(World& world, const app::RequestContext& admin, const std::string& id,
                             identity::TerminalKind kind) {
  identity::RegisterTerminalCommand command;
  command.id = id;
  command.site = std::string(kSite);
  command.name =
      kind == identity::TerminalKind::kTablet ? "Suite tablet " + id : "QA office workstation";
  command.location = kind == identity::TerminalKind::kTablet ? "Grade C suite" : "QA office";
  command.kind = kind;
  return Must(world.services->Identity().identity.RegisterTerminal(admin, command, std::nullopt),
              "registering a terminal")
      .secret;
}

// Creates `user` with `role` and signs them in for the first time at `terminal_token`.
app::SignInOutcome Hire(World& world, const app::RequestContext& admin, const std::string& user,
                        const std::string& name, Role role, const std::string& terminal_token) {
  const app::NewCredential temporary = Must(world.services->Identity().identity.CreateUser(
                                                admin, user, name, {{std::string(kSite), role}}),
                                            "creating a user");
  return FirstSignIn(world.services->Sessions(), user, temporary.secret, terminal_token);
}

std::string CredentialHeaders(const std::string& session_token, const std::string& terminal_token) {
  return "Authorization: Bearer " + session_token + "\r\nX-Aliquot-Terminal: " + terminal_token +
         "\r\n";
}

// Creates a batch of kRecord from the lot, as the supervisor does at the QA workstation.
std::string CreateBatch(World& world) {
  app::CreateBatchInput input;
  input.master_batch_record = std::string(kRecord);
  input.starting_material = std::string(kLot);
  const app::ActionOutcome outcome =
      Must(world.services->Batches().Create(world.vera, input, {}), "creating a batch");
  ++world.batches_created;
  return outcome.batch;
}

// What a tablet sends: the request's path, its body, and its Idempotency-Key, one per action
// ("op07-B-2026-0012-s03-p11"), so that a retry is answered from the record.
std::string StepPath(const std::string& batch, const std::string& step, std::string_view action) {
  std::string path = "/api/v1/batches/" + batch + "/steps/" + step + "/";
  path.append(action);
  return path;
}

std::string ValueBody(const std::string& parameter, double value) {
  char number[32];
  std::snprintf(number, sizeof number, "%.1f", value);
  return "{\"parameter\":\"" + parameter + "\",\"value\":" + number + ",\"unit\":\"mL\"}";
}

std::string KeyFor(const Operator& op, const std::string& step, std::string_view what) {
  std::string key = op.id + "-" + op.batch + "-" + step + "-";
  key.append(what);
  return key;
}

// The key as the batch routes make it from a request (http/batch_routes.cc, KeyOf).
app::IdempotencyKey KeyOf(std::string key, const std::string& path, const std::string& body) {
  return {std::move(key), Sha256::Of("POST " + path + "\n" + body).Hex()};
}

// Executes `steps` steps of `op`'s batch in process (start, values, completion) with the keys a
// tablet would send, untimed: the record's batch, and the breakdown's steps around its measured
// entries.
void ExecuteInProcess(World& world, Operator& op, int steps) {
  app::BatchService& batches = world.services->Batches();
  const int index = static_cast<int>(&op - world.operators.data());
  for (int n = 0; n < steps && op.next_step <= kSteps; ++n, ++op.next_step) {
    const std::string step = Numbered('s', op.next_step);
    (void)Must(
        batches.StartStep(op.context, op.batch, step, {},
                          KeyOf(KeyFor(op, step, "start"), StepPath(op.batch, step, "start"), "")),
        "starting a step");
    for (int p = 1; p <= kParameters; ++p) {
      const std::string parameter = Numbered('p', p);
      const double number = ValueFor(index, op.next_step, p);
      const batches::InputValue value{Json(number), "mL"};
      (void)Must(
          batches.RecordValue(op.context, op.batch, step, parameter, value, std::nullopt,
                              KeyOf(KeyFor(op, step, parameter), StepPath(op.batch, step, "values"),
                                    ValueBody(parameter, number))),
          "recording a value");
    }
    (void)Must(batches.CompleteStep(
                   op.context, op.batch, step,
                   KeyOf(KeyFor(op, step, "complete"), StepPath(op.batch, step, "complete"), "")),
               "completing a step");
  }
}

World& TheWorld() {
  if (the_world) return *the_world;
  auto world = std::make_unique<World>();
  World& w = *world;
  const Steady::time_point began = Steady::now();
  w.store_path = (w.dir / "aliquot.sqlite").string();
  w.store = Must(storage::SqliteStore::Open({w.store_path, storage::OpenMode::kReadWriteCreate},
                                            w.clock, *w.projector),
                 "opening the store");
  app::SystemService system(*w.store);
  (void)Must(
      system.Initialise({"Benchmark cell therapy unit", w.checkpoint_key.PublicKey().KeyId().Hex(),
                         "0.1.0-bench", "BENCH"}),
      "initialising");
  w.services =
      Must(app::Services::Create(*w.store, *w.store, w.clock, w.credentials_key,
                                 {PasswordHashCost::Minimum(), app::kDefaultMaxUploadBytes}),
           "creating the services");
  app::Services& services = *w.services;
  w.ledger =
      std::make_unique<app::LedgerService>(*w.store, w.clock, w.checkpoint_key, *w.projector);

  // The site, with sessions that last a working day: the benchmark's operators wait for each other
  // between repetitions longer than the default 15 idle minutes allow.
  app::BootstrapCommand bootstrap;
  bootstrap.site.id = std::string(kSite);
  bootstrap.site.name = "Benchmark cell therapy unit";
  bootstrap.site.policy.session_idle_minutes = 480;
  bootstrap.site.policy.session_max_hours = 24;
  bootstrap.administrator_id = "sam";
  bootstrap.administrator_name = "Sam Admin";
  bootstrap.terminal.id = "ADMIN-CONSOLE";
  bootstrap.terminal.name = "Administration console";
  bootstrap.terminal.location = "IT office";
  bootstrap.terminal.kind = identity::TerminalKind::kWorkstation;
  const app::BootstrapOutcome started =
      Must(services.Identity().identity.Bootstrap(bootstrap, "bench:batch_bench"), "bootstrapping");
  const app::RequestContext admin =
      FirstSignIn(services.Sessions(), "sam", started.temporary_password, started.terminal_token)
          .context;
  w.qa_terminal_token = RegisterTerminal(w, admin, "QA-WS", identity::TerminalKind::kWorkstation);
  const std::string& qa = w.qa_terminal_token;
  const app::RequestContext dora =
      Hire(w, admin, "dora", "Dora Owner", Role::kDocumentOwner, qa).context;
  const app::SignInOutcome quinn = Hire(w, admin, "quinn", "Quinn Reviewer", Role::kQaReviewer, qa);
  const app::RequestContext anna =
      Hire(w, admin, "anna", "Anna Approver", Role::kQaApprover, qa).context;
  const app::RequestContext wendy =
      Hire(w, admin, "wendy", "Wendy Warehouse", Role::kWarehouse, qa).context;
  w.vera = Hire(w, admin, "vera", "Vera Supervisor", Role::kVerifier, qa).context;
  w.reader.id = "quinn";
  w.reader.session_token = quinn.token;
  w.reader.context = quinn.context;
  w.reader.headers = CredentialHeaders(quinn.token, qa);
  for (int i = 1; i <= kOperators + 1; ++i) {
    Operator op;
    op.id = Numbered('o', i);
    op.id.insert(1, "p");  // "op01".
    const std::string terminal = "TAB-" + Numbered('T', i).substr(1);
    op.terminal_token = RegisterTerminal(w, admin, terminal, identity::TerminalKind::kTablet);
    const app::SignInOutcome signed_in =
        Hire(w, admin, op.id, "Operator " + std::to_string(i), Role::kOperator, op.terminal_token);
    op.session_token = signed_in.token;
    op.context = signed_in.context;
    op.headers = CredentialHeaders(op.session_token, op.terminal_token);
    w.operators.push_back(std::move(op));
  }

  // The SOP: written by dora, checked by quinn, approved by anna; every operator trains on it.
  documents::CreateDocumentCommand document;
  document.id = std::string(kSop);
  document.site = std::string(kSite);
  MustSucceed(services.Documents().CreateDocument(dora, document), "creating the SOP");
  const std::string text =
      "# SOP-BENCH-01 In-process readings\n\nRead each value from the local display and enter it "
      "as read.\n";
  const app::BlobInfo file =
      Must(services.Documents().UploadFile(dora, Sha256::Of(text).Hex(), text, "text/markdown"),
           "uploading the SOP");
  app::DraftInput draft;
  draft.title = "In-process readings";
  draft.file_sha256 = file.sha256;
  draft.file_name = "SOP-BENCH-01_v1.md";
  draft.change_reason = "First issue";
  const int sop_version =
      Must(services.Documents().DraftVersion(dora, std::string(kSop), draft), "drafting the SOP");
  const identity::RecordRef sop_record{"document_version", app::VersionRecordId(kSop, sop_version)};
  Sign(services, dora, sop_record, Meaning::kAuthored, "authoring the SOP");
  Sign(services, quinn.context, sop_record, Meaning::kReviewed, "reviewing the SOP");
  Sign(services, anna, sop_record, Meaning::kApproved, "approving the SOP");
  for (const Operator& op : w.operators) {
    Sign(services, op.context, {"training", app::TrainingRecordId(op.id, kSop, sop_version)},
         Meaning::kPerformed, "training on the SOP");
  }

  // The starting material: a supplier, a material and one lot, received into quarantine.
  MustSucceed(services.Materials().CreateSupplier(
                  quinn.context, {std::string(kSupplier), "Bench Supplies B.V.", "Leiden"}),
              "creating the supplier");
  materials::MaterialCommand material;
  material.id = std::string(kMaterial);
  material.name = "Benchmark buffer";
  material.category = materials::Category::kBuffer;
  material.unit = "mL";
  material.storage_condition = "2-8 C";
  material.shelf_life = {24, materials::ShelfLife::Unit::kMonths};
  MustSucceed(services.Materials().DefineMaterial(anna, material, "First issue"),
              "defining the material");
  materials::LotReceipt receipt;
  receipt.id = std::string(kLot);
  receipt.material = std::string(kMaterial);
  receipt.supplier = std::string(kSupplier);
  receipt.supplier_lot = "SB-0001";
  receipt.receiving_code = "RC-0001";
  receipt.storage_location = "Cold room shelf 1";
  receipt.quantity = 1000;
  receipt.unit = "mL";
  receipt.expiry = Timestamp::FromMicros(w.clock.Now().Micros() + 365 * kMicrosPerDay);
  MustSucceed(services.Materials().ReceiveLot(wendy, receipt), "receiving the lot");

  // The product and its master batch record, version 1 approved and effective now.
  const recipes::Definition definition = MakeDefinition();
  const std::vector<recipes::Problem> problems =
      recipes::ValidateDefinition(definition, InMemoryReferences());
  for (const recipes::Problem& problem : problems) {
    std::fprintf(stderr, "the recipe: %s: %s\n", problem.pointer.c_str(), problem.message.c_str());
  }
  ALIQUOT_CHECK_MSG(problems.empty(), "the generated recipe does not validate");
  recipes::ProductCommand product;
  product.id = std::string(kProduct);
  product.name = "Benchmark product";
  product.therapy = recipes::TherapyKind::kAllogeneic;
  product.description = "A product made only to be measured";
  (void)Must(services.Recipes().DefineProduct(dora, product), "defining the product");
  MustSucceed(services.Recipes().CreateMasterBatchRecord(
                  dora, {std::string(kRecord), std::string(kProduct), definition.title}),
              "creating the master batch record");
  app::ImportInput import;
  import.text = EmitYaml(recipes::DefinitionToJson(definition));
  import.change_reason = "First issue";
  const int version = Must(services.Recipes().ImportVersion(dora, std::string(kRecord), import),
                           "importing the recipe");
  const identity::RecordRef mbr_record{"mbr_version", app::MbrVersionId(kRecord, version)};
  Sign(services, dora, mbr_record, Meaning::kAuthored, "authoring the recipe");
  Sign(services, quinn.context, mbr_record, Meaning::kReviewed, "checking the recipe");
  Sign(services, anna, mbr_record, Meaning::kApproved, "approving the recipe");

  // The routes, as the server registers them.
  http::AddApiRoutes(w.router, services, *w.ledger, w.metrics, [&w]() -> Status {
    return w.store->Head().map([](const app::LedgerHead&) {});
  });

  // The batch whose executed record is read: all 30 steps, executed by the 65th operator.
  Operator& diagnostics = w.operators.back();
  diagnostics.batch = CreateBatch(w);
  ExecuteInProcess(w, diagnostics, kSteps);
  w.record_batch = diagnostics.batch;
  diagnostics.batch.clear();

  // A value entry's payload as recorded, for the limit's events.
  {
    RawConnection raw(w.store_path, 0, "PRAGMA busy_timeout = 10000;");
    sqlite3_stmt* statement = raw.Prepare(
        "SELECT payload FROM events WHERE event_type = 'batch.entries_recorded' ORDER BY seq DESC "
        "LIMIT 1");
    ALIQUOT_CHECK(sqlite3_step(statement) == SQLITE_ROW);
    w.entry_payload = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
  }
  // What a decision decodes for each entry: the batch's header (every step summarised) and a
  // step's row. The projection writes the step's row back, and the header only when it changes.
  {
    RawConnection raw(w.store_path, 0, "PRAGMA busy_timeout = 10000;");
    sqlite3_stmt* statement = raw.Prepare(
        "SELECT (SELECT length(state) FROM batch_headers WHERE batch_id = ?1), (SELECT avg(length("
        "execution)) FROM batch_steps WHERE batch_id = ?1)");
    RawConnection::Bind(statement, 1, w.record_batch);
    ALIQUOT_CHECK(sqlite3_step(statement) == SQLITE_ROW);
    Record("header_bytes", sqlite3_column_double(statement, 0));
    Record("step_bytes", sqlite3_column_double(statement, 1));
    sqlite3_finalize(statement);
  }
  const Json payload = Must(ParseJson(w.entry_payload), "reading a value entry's payload");
  ALIQUOT_CHECK(CanonicalJson(payload) == w.entry_payload);
  for (int i = 0; i < kOperators; ++i) {
    const Operator& op = w.operators[static_cast<std::size_t>(i)];
    ledger::NewEvent event =
        ledger::NewEvent::On({"bench", "appender-" + Numbered('a', i + 1)},
                             "bench.payload_appended", op.context.Actor(), op.context.terminal.id);
    event.payload = payload;
    w.limit_events.push_back(std::move(event));
  }
  w.limit_path = (w.dir / "limit.sqlite").string();
  w.limit_store =
      Must(storage::SqliteStore::Open({w.limit_path, storage::OpenMode::kReadWriteCreate}, w.clock,
                                      *w.projector),
           "opening the limit's store");

  const app::LedgerHead head = Must(w.store->Head(), "reading the head");
  std::printf(
      "Site: %d operators with a tablet and a session each (and one for the diagnostics), the SOP, "
      "%s (1 unit procedure, %d steps of %d number parameters), version %d effective; %s "
      "events, built in %.1f s. A value entry's event payload: %zu bytes of canonical JSON. "
      "Files under %s.\n",
      kOperators, std::string(kRecord).c_str(), kSteps, kParameters, version,
      ThousandsSeparated(static_cast<double>(head.size)).c_str(), Seconds(Steady::now() - began),
      w.entry_payload.size(), w.dir.Path().c_str());
  std::fflush(stdout);
  Record("payload_bytes", static_cast<double>(w.entry_payload.size()));
  the_world = std::move(world);
  return *the_world;
}

// The server for one benchmark run: http::HttpServer on 127.0.0.1, port 0, over the site's
// routes, serving at most `connections` connections at once. The access log's lines are made, as
// the server makes them, and counted instead of written.
std::atomic<std::uint64_t> access_log_bytes{0};

std::unique_ptr<http::HttpServer> StartServer(World& world, unsigned connections) {
  http::ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.max_connections = connections;
  options.upload_path_prefix = "/api/v1/files/";
  options.clock = &world.clock;
  options.access_log = [](std::string_view line) { access_log_bytes += line.size(); };
  return Must(http::HttpServer::Start(options, world.router, world.metrics), "starting the server");
}

// Runs `call` once and adds its wall time and the process's CPU time to `samples`. The benchmarks
// below that use it run one call at a time: the CPU is then the call's, whichever thread did the
// work (the server's worker for an HTTP request, the calling thread in process).
template <typename Call>
void TimeProcessCall(Samples& samples, const Call& call) {
  const double cpu_began = ProcessCpuSeconds();
  const Steady::time_point began = Steady::now();
  call();
  samples.wall.push_back(Micros(Steady::now() - began));
  samples.cpu.push_back((ProcessCpuSeconds() - cpu_began) * 1e6);
}

// An http::Request as the server hands it to the router, with `operator`'s credentials.
http::Request InProcessRequest(std::string method, std::string path, const Operator& op,
                               const std::string& terminal_token) {
  http::Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.headers = {{"Authorization", "Bearer " + op.session_token},
                     {"X-Aliquot-Terminal", terminal_token}};
  request.request_id = "bench";
  request.remote_address = "127.0.0.1:1";
  return request;
}

// The route's handler, called as the server calls it, without the server.
http::Response Route(const World& world, http::Request& request) {
  const http::RouteMatch match = world.router.Match(request.method, request.path);
  ALIQUOT_CHECK(match.outcome == http::RouteMatch::Outcome::kFound);
  request.path_params = match.params;
  return (*match.handler)(request);
}

// CPU time so far (user + system, in clock ticks) of each of this process's threads named `name`
// (Linux: /proc/self/task/*/stat), by thread id: how the server's workers shared the work.
std::map<std::string, long> ThreadTicks(std::string_view name) {
  std::map<std::string, long> ticks;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    std::FILE* file = std::fopen((task.path() / "stat").c_str(), "r");
    if (file == nullptr) continue;
    char text[1024] = {};
    const std::size_t size = std::fread(text, 1, sizeof text - 1, file);
    std::fclose(file);
    const std::string_view stat(text, size);
    const std::size_t open = stat.find('(');
    const std::size_t close = stat.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos) continue;
    if (stat.substr(open + 1, close - open - 1) != name) continue;
    // After the name: state, then 10 fields before utime and stime (proc(5): fields 14 and 15).
    std::string_view rest = stat.substr(close + 2);
    long total = 0;
    for (int field = 3; field <= 15 && !rest.empty(); ++field) {
      const std::size_t space = rest.find(' ');
      if (field >= 14) total += std::stol(std::string(rest.substr(0, space)));
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    ticks[task.path().filename().string()] = total;
  }
  return ticks;
}

// Stops the benchmark, showing the response, unless `answer` has `status`.
void MustAnswer(const HttpAnswer& answer, int status, const char* what) {
  if (answer.status == status) return;
  std::fprintf(stderr, "%s: HTTP %d, expected %d: %.400s\n", what, answer.status, status,
               answer.body.c_str());
  ALIQUOT_CHECK(false);
}

// ---------------------------------------------------------------------------------------------
// 1. Entries: 64 operators over HTTP (or, with 0 connections, through the route's handlers in
// their own threads), beside 64 appenders appending as many events of the same payload to a store
// of their own. Each round runs both phases, in an order that alternates from
// round to round, so that a burst of load on this shared machine lands on the figure and its
// limit alike. Between rounds, untimed, an operator whose batch is complete gets a new one.

// What one operator's thread measured over a run.
struct Lane {
  std::unique_ptr<HttpConnection> connection;
  std::vector<double> values;     // Microseconds per value request.
  std::vector<double> starts;     // Per step start.
  std::vector<double> completes;  // Per step completion.
  double cpu_us = 0;              // The thread's own CPU: the client's share.
};

// One phase's totals over a run.
struct PhaseTotals {
  double seconds = 0;
  double cpu_seconds = 0;
  std::uint64_t events = 0;   // Store events appended (Stats).
  std::uint64_t commits = 0;  // Store commits (Stats).
  double commit_seconds = 0;

  template <typename Work>
  void Time(app::Store& store, Work&& work) {
    const app::StoreStats before = store.Stats();
    const double cpu_began = ProcessCpuSeconds();
    const Steady::time_point began = Steady::now();
    work();
    seconds += Seconds(Steady::now() - began);
    cpu_seconds += ProcessCpuSeconds() - cpu_began;
    const app::StoreStats after = store.Stats();
    events += after.events - before.events;
    commits += after.commits - before.commits;
    commit_seconds += after.commit_seconds_total - before.commit_seconds_total;
  }
};

void EntriesBench(benchmark::State& state) {
  World& world = TheWorld();
  // 0 connections: no server; each operator's thread calls the route's handler itself.
  const auto threads = static_cast<unsigned>(state.range(0));
  const std::unique_ptr<http::HttpServer> server =
      threads > 0 ? StartServer(world, threads) : nullptr;
  std::vector<Lane> lanes(kOperators);
  for (int i = 0; i < kOperators && server; ++i) {
    lanes[static_cast<std::size_t>(i)].connection = std::make_unique<HttpConnection>(
        server->Port(), world.operators[static_cast<std::size_t>(i)].headers);
  }
  const auto ensure_batches = [&world] {
    for (int i = 0; i < kOperators; ++i) {
      Operator& op = world.operators[static_cast<std::size_t>(i)];
      if (!op.batch.empty() && op.next_step <= kSteps) continue;
      op.batch = CreateBatch(world);
      op.next_step = 1;
    }
  };

  // The operators: kStepsPerRound steps each per round, one request per action, each answered
  // before the next is sent. In the warm-up each reads its batch once instead.
  bool warm_up = true;
  const auto operate = [&](int i) {
    Operator& op = world.operators[static_cast<std::size_t>(i)];
    Lane& lane = lanes[static_cast<std::size_t>(i)];
    // One request and its answer: over the operator's connection, or through the route's
    // handler in this thread.
    const auto exchange = [&](const char* method, const std::string& path, const std::string& key,
                              const std::string& body) {
      if (lane.connection) {
        return lane.connection->Send(method, path,
                                     key.empty() ? "" : "Idempotency-Key: " + key + "\r\n", body);
      }
      http::Request request = InProcessRequest(method, path, op, op.terminal_token);
      if (!key.empty()) request.headers.emplace_back("Idempotency-Key", key);
      if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
      request.body = body;
      const http::Response response = Route(world, request);
      return HttpAnswer{response.status, response.body};
    };
    const double cpu_began = ThreadCpuMicros();
    if (warm_up) {
      MustAnswer(exchange("GET", "/api/v1/batches/" + op.batch, "", ""), 200, "reading a batch");
      return;
    }
    const auto post = [&](std::vector<double>& latencies, const std::string& path,
                          const std::string& key, const std::string& body, const char* what) {
      const Steady::time_point began = Steady::now();
      const HttpAnswer answer = exchange("POST", path, key, body);
      latencies.push_back(Micros(Steady::now() - began));
      // A request sent again after its connection closed unanswered may have been recorded the
      // first time: the server then answers it from the record, as it would a tablet's retry.
      if (answer.retried && answer.status == 200 &&
          answer.body.find("\"replayed\":true") != std::string::npos) {
        return;
      }
      MustAnswer(answer, 201, what);
    };
    for (int n = 0; n < kStepsPerRound; ++n, ++op.next_step) {
      ALIQUOT_CHECK(op.next_step <= kSteps);
      const std::string step = Numbered('s', op.next_step);
      post(lane.starts, StepPath(op.batch, step, "start"), KeyFor(op, step, "start"), "",
           "starting a step");
      const std::string values = StepPath(op.batch, step, "values");
      for (int p = 1; p <= kParameters; ++p) {
        const std::string parameter = Numbered('p', p);
        post(lane.values, values, KeyFor(op, step, parameter),
             ValueBody(parameter, ValueFor(i, op.next_step, p)), "recording a value");
      }
      post(lane.completes, StepPath(op.batch, step, "complete"), KeyFor(op, step, "complete"), "",
           "completing a step");
    }
    lane.cpu_us += ThreadCpuMicros() - cpu_began;
  };
  // The limit's appenders: as many events per round as the operators' value entries, each
  // appender on its own stream, each append durable before the next, as append_bench's.
  constexpr int kAppendsPerRound = kStepsPerRound * kParameters;
  std::vector<std::vector<double>> append_latencies(kOperators);
  const auto append = [&](int i) {
    app::AppendRequest request;
    request.events.push_back(world.limit_events[static_cast<std::size_t>(i)]);
    std::vector<double>& latencies = append_latencies[static_cast<std::size_t>(i)];
    const int appends = warm_up ? 1 : kAppendsPerRound;
    for (int n = 0; n < appends; ++n) {
      const Steady::time_point began = Steady::now();
      (void)Must(world.limit_store->Append(request), "appending the limit's event");
      if (!warm_up) latencies.push_back(Micros(Steady::now() - began));
    }
  };
  Team operators(kOperators, operate);
  Team appenders(kOperators, append);
  ensure_batches();
  operators.RunRound();
  appenders.RunRound();
  warm_up = false;
  for (Lane& lane : lanes) lane.cpu_us = 0;

  const std::map<std::string, long> workers_before = ThreadTicks("MHD-connection");
  const int retries_before = connection_retries.load();
  PhaseTotals http_phase;
  PhaseTotals limit_phase;
  std::int64_t rounds = 0;
  while (state.KeepRunning()) {
    ensure_batches();
    const double http_before = http_phase.seconds;
    const double limit_before = limit_phase.seconds;
    const auto run_http = [&] { http_phase.Time(*world.store, [&] { operators.RunRound(); }); };
    const auto run_limit = [&] {
      limit_phase.Time(*world.limit_store, [&] { appenders.RunRound(); });
    };
    if (rounds % 2 == 0) {
      run_limit();
      run_http();
    } else {
      run_http();
      run_limit();
    }
    ++rounds;
    // Both phases carry the same number of events, so the ratio of rates is that of times.
    Record("entries_x_limit_t" + std::to_string(threads),
           (limit_phase.seconds - limit_before) / (http_phase.seconds - http_before));
  }

  // How the server's connection threads shared the requests: each keep-alive connection has its
  // own, and a handler holds it until its append is durable.
  long worker_ticks = 0;
  long busiest = 0;
  std::vector<long> by_worker;
  for (const auto& [id, ticks] : ThreadTicks("MHD-connection")) {
    const auto before = workers_before.find(id);
    const long used = ticks - (before == workers_before.end() ? 0 : before->second);
    by_worker.push_back(used);
    worker_ticks += used;
    busiest = std::max(busiest, used);
  }
  std::vector<double> values;
  std::vector<double> starts;
  std::vector<double> completes;
  std::vector<double> appended;
  double client_cpu_us = 0;
  for (const Lane& lane : lanes) {
    values.insert(values.end(), lane.values.begin(), lane.values.end());
    starts.insert(starts.end(), lane.starts.begin(), lane.starts.end());
    completes.insert(completes.end(), lane.completes.begin(), lane.completes.end());
    client_cpu_us += lane.cpu_us;
  }
  for (const auto& latencies : append_latencies) {
    appended.insert(appended.end(), latencies.begin(), latencies.end());
  }
  const auto entries = static_cast<double>(values.size());
  const auto requests = static_cast<double>(values.size() + starts.size() + completes.size());
  const auto limit_events = static_cast<double>(appended.size());
  const double rate = entries / http_phase.seconds;
  const double limit_rate = limit_events / limit_phase.seconds;
  const std::string name = "entries_t" + std::to_string(threads);
  Record(name, rate);
  Record(name + "_requests", requests / http_phase.seconds);
  Record(name + "_limit", limit_rate);
  Record(name + "_p50", Percentile(values, 0.50));
  Record(name + "_p99", Percentile(values, 0.99));
  Record(name + "_p999", Percentile(values, 0.999));
  Record(name + "_start_p50", Percentile(starts, 0.50));
  Record(name + "_start_p99", Percentile(starts, 0.99));
  Record(name + "_complete_p50", Percentile(completes, 0.50));
  Record(name + "_complete_p99", Percentile(completes, 0.99));
  Record(name + "_limit_p50", Percentile(appended, 0.50));
  Record(name + "_limit_p99", Percentile(appended, 0.99));
  Record(name + "_cpu_per_entry", http_phase.cpu_seconds * 1e6 / entries);
  Record(name + "_cpu_per_request", http_phase.cpu_seconds * 1e6 / requests);
  Record(name + "_client_cpu_per_request", client_cpu_us / requests);
  Record(name + "_limit_cpu", limit_phase.cpu_seconds * 1e6 / limit_events);
  Record(name + "_cores", http_phase.cpu_seconds / http_phase.seconds);
  Record(name + "_limit_cores", limit_phase.cpu_seconds / limit_phase.seconds);
  const auto per_commit = [](const PhaseTotals& phase) {
    return static_cast<double>(phase.events) /
           std::max<double>(1, static_cast<double>(phase.commits));
  };
  const auto commit_us = [](const PhaseTotals& phase) {
    return phase.commit_seconds * 1e6 / std::max<double>(1, static_cast<double>(phase.commits));
  };
  Record(name + "_batch", per_commit(http_phase));
  Record(name + "_limit_batch", per_commit(limit_phase));
  Record(name + "_commit", commit_us(http_phase));
  Record(name + "_limit_commit", commit_us(limit_phase));
  Record(name + "_events_per_entry", static_cast<double>(http_phase.events) / entries);
  Record(name + "_retries", connection_retries.load() - retries_before);
  if (threads > 0 && worker_ticks > 0) {
    const auto busy = std::count_if(by_worker.begin(), by_worker.end(), [&](long used) {
      return static_cast<double>(used) >= 0.01 * static_cast<double>(worker_ticks);
    });
    Record(name + "_workers_busy", static_cast<double>(busy));
    Record(name + "_busiest_worker",
           static_cast<double>(busiest) / static_cast<double>(worker_ticks));
  }
  state.counters["entries/s"] = rate;
  state.counters["limit_events/s"] = limit_rate;
  state.counters["of_limit"] = rate / limit_rate;
  state.counters["p50_ms"] = Percentile(values, 0.50) / 1000;
  state.counters["p99_ms"] = Percentile(values, 0.99) / 1000;
  state.counters["cpu_us/entry"] = http_phase.cpu_seconds * 1e6 / entries;
  state.counters["batch"] = per_commit(http_phase);
}

// ---------------------------------------------------------------------------------------------
// 2. The executed record of the completed 30-step batch: GET /api/v1/batches/{id}/record over a
// keep-alive connection (quinn, QA reviewer, at the QA workstation), beside the same route's
// handler called in process, BatchService::Record in process, and the limit: plain sqlite3 reads
// of the rows the record shows, on a read-only connection to the store's file, in one read
// transaction as Store::Read gives the store's calls one snapshot.

// The record's rows, read as the projection stores them: the batch's row and its header, its
// steps' rows, its
// lines (every event of the batch), entries, refused attempts and exceptions, and the signatures
// on the batch and on each of its steps (none in this batch: each is a lookup that finds nothing).
class RawRecord {
 public:
  RawRecord(const World& world, const std::string& batch)
      : connection_(world.store_path, 0, "PRAGMA busy_timeout = 10000;"), batch_(batch) {
    const app::Projector& projector = *world.projector;
    batch_row_ = connection_.Prepare(
        storage::BuildTableSql(TableNamed(projector, "batches"), storage::Dialect::kSqlite)
            .select_by_key);
    header_row_ = connection_.Prepare(
        storage::BuildTableSql(TableNamed(projector, "batch_headers"), storage::Dialect::kSqlite)
            .select_by_key);
    for (const char* name :
         {"batch_steps", "batch_lines", "batch_entries", "batch_refusals", "batch_exceptions"}) {
      const app::TableSpec& table = TableNamed(projector, name);
      prefixed_.push_back(connection_.Prepare("SELECT " + storage::ColumnList(table) + " FROM " +
                                              table.name + " WHERE batch_id = ?1 ORDER BY " +
                                              storage::ColumnList(table, table.key_columns)));
      // The column holding each row's JSON, which the store decodes.
      std::size_t json = 0;
      for (std::size_t c = 0; c < table.columns.size(); ++c) {
        const std::string& column = table.columns[c].name;
        if (column == "execution" || column == "payload" || column == "entry" ||
            column == "refusal" || column == "exception") {
          json = c;
        }
      }
      json_columns_.push_back(static_cast<int>(json));
    }
    const app::TableSpec& signatures = TableNamed(projector, "signatures");
    signatures_ = connection_.Prepare("SELECT " + storage::ColumnList(signatures) + " FROM " +
                                      signatures.name +
                                      " WHERE record_type = ?1 AND record_id = ?2 ORDER BY seq");
    signed_.emplace_back("batch", batch);
    for (int s = 1; s <= kSteps; ++s)
      signed_.emplace_back("batch_step", batch + ":" + Numbered('s', s));
  }
  ~RawRecord() {
    sqlite3_finalize(batch_row_);
    sqlite3_finalize(header_row_);
    for (sqlite3_stmt* statement : prefixed_) sqlite3_finalize(statement);
    sqlite3_finalize(signatures_);
  }
  RawRecord(const RawRecord&) = delete;
  RawRecord& operator=(const RawRecord&) = delete;

  // Reads every row, looking at every column; with `parse`, also ParseJson of each JSON text the
  // store decodes (the batch's state, each step, line payload, entry, refusal and exception).
  // Returns the number of rows.
  std::int64_t Read(bool parse) {
    connection_.Begin();
    const auto parse_column = [&](int json) {
      return [this, json, parse](int column, const unsigned char* bytes, int size) {
        if (!parse || column != json) return;
        const Result<Json> parsed = ParseJson(
            std::string_view(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size)));
        ALIQUOT_CHECK(parsed.has_value());
        parsed_ += parsed->IsObject() ? 1 : 0;
      };
    };
    RawConnection::Bind(batch_row_, 1, batch_);
    std::int64_t rows = connection_.Rows(batch_row_);
    RawConnection::Bind(header_row_, 1, batch_);
    rows += connection_.Rows(header_row_, parse_column(1));
    for (std::size_t t = 0; t < prefixed_.size(); ++t) {
      RawConnection::Bind(prefixed_[t], 1, batch_);
      rows += connection_.Rows(prefixed_[t], parse_column(json_columns_[t]));
    }
    for (const auto& [type, id] : signed_) {
      RawConnection::Bind(signatures_, 1, type);
      RawConnection::Bind(signatures_, 2, id);
      rows += connection_.Rows(signatures_);
    }
    connection_.Commit();
    return rows;
  }

  std::uint64_t Checksum() const { return connection_.Checksum() + parsed_; }

 private:
  RawConnection connection_;
  const std::string batch_;
  sqlite3_stmt* batch_row_ = nullptr;
  sqlite3_stmt* header_row_ = nullptr;
  std::vector<sqlite3_stmt*> prefixed_;
  std::vector<int> json_columns_;
  sqlite3_stmt* signatures_ = nullptr;
  std::vector<std::pair<std::string, std::string>> signed_;
  std::uint64_t parsed_ = 0;
};

enum RecordKind : std::size_t {
  kRecordHttp,
  kRecordRouter,
  kRecordService,
  kRecordRaw,
  kRecordRawParsed,
  kRecordEntries,
  kRecordStepSignatures,
  kRecordLines,
  kRecordDefinition,
  kRecordSerialize,
  kRecordKinds,
};

void RecordBench(benchmark::State& state) {
  World& world = TheWorld();
  const std::unique_ptr<http::HttpServer> server = StartServer(world, kServeDefaultConnections);
  HttpConnection connection(server->Port(), world.reader.headers);
  const std::string& batch = world.record_batch;
  const std::string path = "/api/v1/batches/" + batch + "/record";
  RawRecord raw(world, batch);
  app::BatchService& batches = world.services->Batches();
  app::SignatureService& signatures = world.services->Signatures();

  // What the record holds, as the service reads it: every kind is checked against it.
  const app::ExecutedRecord expected = Must(batches.Record(world.reader.context, batch), "Record");
  ALIQUOT_CHECK(expected.batch.state.status == batches::BatchStatus::kCompleted);
  const std::int64_t rows = raw.Read(false);
  ALIQUOT_CHECK(rows == static_cast<std::int64_t>(
                            2 + kSteps + expected.lines.size() + expected.entries.size() +
                            expected.refusals.size() + expected.exceptions.size()));
  std::size_t body_bytes = 0;
  // The response as JSON, for the serialisation diagnostic.
  Json response;

  std::array<std::function<void()>, kRecordKinds> kinds;
  kinds[kRecordHttp] = [&] {
    const HttpAnswer answer = connection.Send("GET", path, "", "");
    MustAnswer(answer, 200, "reading the executed record");
    body_bytes = answer.body.size();
    if (!response.IsObject()) response = Must(ParseJson(answer.body), "reading the record");
  };
  kinds[kRecordRouter] = [&] {
    http::Request request = InProcessRequest("GET", path, world.reader, world.qa_terminal_token);
    const http::Response response = Route(world, request);
    ALIQUOT_CHECK(response.status == 200 && response.body.size() == body_bytes);
  };
  kinds[kRecordService] = [&] {
    const app::ExecutedRecord record = Must(batches.Record(world.reader.context, batch), "Record");
    ALIQUOT_CHECK(record.lines.size() == expected.lines.size());
  };
  kinds[kRecordRaw] = [&] { ALIQUOT_CHECK(raw.Read(false) == rows); };
  kinds[kRecordRawParsed] = [&] { ALIQUOT_CHECK(raw.Read(true) == rows); };
  // Diagnostics: two parts of what Record reads, each in a snapshot of its own.
  kinds[kRecordEntries] = [&] {
    MustSucceed(world.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(const std::vector<batches::EntryRecord> entries,
                               app::LoadEntries(reader, batch));
      ALIQUOT_CHECK(entries.size() == expected.entries.size());
      return {};
    }),
                "LoadEntries");
  };
  kinds[kRecordStepSignatures] = [&] {
    MustSucceed(world.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(const app::RecordSignatures shown,
                               signatures.SignaturesIn(reader, {"batch_step", batch + ":s15"}));
      ALIQUOT_CHECK(shown.signatures.empty());
      return {};
    }),
                "SignaturesIn");
  };
  kinds[kRecordLines] = [&] {
    MustSucceed(world.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(const std::vector<app::BatchLine> lines,
                               app::LoadBatchLines(reader, batch));
      ALIQUOT_CHECK(lines.size() == expected.lines.size());
      return {};
    }),
                "LoadBatchLines");
  };
  // Two parts of what the route adds to Record: the control recipe as JSON, and the response
  // written as text (here the same response, parsed once, written with CanonicalJson).
  kinds[kRecordDefinition] = [&] {
    benchmark::DoNotOptimize(recipes::DefinitionToJson(*expected.batch.recipe).IsObject());
  };
  kinds[kRecordSerialize] = [&] {
    ALIQUOT_CHECK(response.IsObject());
    benchmark::DoNotOptimize(CanonicalJson(response).size());
  };
  kinds[kRecordHttp]();          // The response, for kRecordSerialize.
  for (int i = 0; i < 2; ++i) {  // Warm the connection, the statements and the caches.
    for (const auto& kind : kinds) kind();
  }

  const std::int64_t per_round = Scaled(kRecordCallsPerRound);
  std::array<Samples, kRecordKinds> all;
  while (state.KeepRunning()) {
    std::array<Samples, kRecordKinds> round;
    for (std::int64_t i = 0; i < per_round; ++i) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kinds.size();
        TimeProcessCall(round[kind], kinds[kind]);
      }
    }
    const double http = Median(round[kRecordHttp].wall);
    const double limit = Median(round[kRecordRaw].wall);
    Record("record_x_raw", http / limit);
    state.counters["http_ms"] = http / 1000;
    state.counters["raw_ms"] = limit / 1000;
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles("record_http", all[kRecordHttp]);
  RecordPercentiles("record_router", all[kRecordRouter]);
  RecordPercentiles("record_service", all[kRecordService]);
  RecordPercentiles("record_raw", all[kRecordRaw]);
  RecordPercentiles("record_raw_parsed", all[kRecordRawParsed]);
  RecordPercentiles("record_entries", all[kRecordEntries]);
  RecordPercentiles("record_step_signatures", all[kRecordStepSignatures]);
  RecordPercentiles("record_lines", all[kRecordLines]);
  RecordPercentiles("record_definition", all[kRecordDefinition]);
  RecordPercentiles("record_serialize", all[kRecordSerialize]);
  Record("record_bytes", static_cast<double>(body_bytes));
  Record("record_rows", static_cast<double>(rows));
  Record("record_line_count", static_cast<double>(expected.lines.size()));
  Record("record_entries_count", static_cast<double>(expected.entries.size()));
  benchmark::DoNotOptimize(raw.Checksum());
}

// ---------------------------------------------------------------------------------------------
// 3. Where an entry's time goes: one value at a time, by the diagnostics' operator on a batch of
// their own, each measured in wall time and in the process's CPU time (the server's worker's for
// an HTTP request). The kinds are interleaved call by call in a rotating order:
// - an entry over HTTP (keep-alive), what the load above sends;
// - the same through the route's handler in process: the request's JSON, authentication, the
//   service and the response's JSON, without the server's parsing and the socket;
// - the same through BatchService::RecordValue in process: authorisation, the decision and the
//   durable append with its projection;
// - the same in two timed halves, as RecordValue does it: the decision (its snapshot: the key's
//   outcome, the deviation count, the batch's header and step, the control recipe, the training
//   qualification, then the domain's RecordValue), and the durable append of the decided event
//   (validation, sealing, the insert, the projections, the commit);
// - SessionService::Authenticate alone, which every request pays;
// - a durable append of the same payload on a stream no projector reads;
// - a snapshot that reads nothing (Store::Read), which every request opens twice: to
//   authenticate and to decide;
// - BatchService::LoadForStepIn in a snapshot: the batch's row, its header and the step's row
//   decoded, the batches area's share of the decision; and LoadBatchHeader alone (the batch's row
//   and its header);
// - Authenticate and the empty snapshot again, each timed right after an untimed one, with no
//   commit in between. The other reads are timed right after a commit, as a request's are; SQLite
//   (WAL) drops a reader connection's page cache when the database changed since its last
//   snapshot, so these two show what that costs.
// Starting and completing the steps, and creating a new batch, happen between the measured calls.

enum BreakdownKind : std::size_t {
  kViaHttp,
  kViaRouter,
  kViaService,
  kSplit,
  kAuthenticate,
  kPlainAppend,
  kEmptyRead,
  kLoadForStep,
  kAuthenticateAgain,
  kEmptyReadAgain,
  kLoadHeader,
  kBreakdownKinds,
};

// The value the diagnostics' operator enters next: the step started (a new batch when theirs is
// complete), and its parameter.
struct NextValue {
  std::string step;
  std::string parameter;
  double number = 0;
  std::string key;
  std::string path;
  std::string body;
};

class DiagnosticOperator {
 public:
  explicit DiagnosticOperator(World& world) : world_(world), op_(world.operators.back()) {}

  NextValue Next() {
    if (op_.batch.empty() || op_.next_step > kSteps) {
      op_.batch = CreateBatch(world_);
      op_.next_step = 1;
      op_.values_entered = 0;
      op_.step_started = false;
    }
    const std::string step = Numbered('s', op_.next_step);
    if (!op_.step_started) {
      (void)Must(world_.services->Batches().StartStep(
                     op_.context, op_.batch, step, {},
                     KeyOf(KeyFor(op_, step, "start"), StepPath(op_.batch, step, "start"), "")),
                 "starting a step");
      op_.step_started = true;
    }
    ++op_.values_entered;
    NextValue next;
    next.step = step;
    next.parameter = Numbered('p', op_.values_entered);
    next.number = ValueFor(kOperators, op_.next_step, op_.values_entered);
    next.key = KeyFor(op_, step, next.parameter);
    next.path = StepPath(op_.batch, step, "values");
    next.body = ValueBody(next.parameter, next.number);
    return next;
  }

  // The step the next value goes to, started if need be, without taking its parameter.
  NextValue Peek() {
    NextValue next = Next();
    --op_.values_entered;
    return next;
  }

  // After the value's call: completes the step once its last value is in.
  void Done() {
    if (op_.values_entered < kParameters) return;
    const std::string step = Numbered('s', op_.next_step);
    (void)Must(world_.services->Batches().CompleteStep(
                   op_.context, op_.batch, step,
                   KeyOf(KeyFor(op_, step, "complete"), StepPath(op_.batch, step, "complete"), "")),
               "completing a step");
    ++op_.next_step;
    op_.values_entered = 0;
    op_.step_started = false;
  }

  Operator& Op() { return op_; }

 private:
  World& world_;
  Operator& op_;
};

// RecordValue's decision, as BatchService::RecordValue makes it (app/batch_service.cc: Execute,
// OnBatch): authorised, then decided in one snapshot, with the stream expectations RunUseCase
// adds. Returns the request to append.
app::AppendRequest DecideValue(World& world, const Operator& op, const NextValue& next) {
  MustSucceed(world.services->Sessions().Authorize(op.context, identity::Action::kExecuteBatch),
              "authorising");
  const app::IdempotencyKey key = KeyOf(next.key, next.path, next.body);
  const Timestamp now = world.clock.Now();
  const batches::InputValue value{Json(next.number), "mL"};
  app::AppendRequest request;
  MustSucceed(world.store->Read([&](app::StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<app::RequestOutcome> outcome,
                             app::LoadRequestOutcome(reader, key.key));
    ALIQUOT_CHECK(!outcome);
    const int year = std::stoi(now.ToRfc3339().substr(0, 4));
    ALIQUOT_ASSIGN_OR_RETURN(const int raised, app::DeviationsRaisedIn(reader, year));
    int deviation = raised;
    ALIQUOT_ASSIGN_OR_RETURN(const app::BatchView view,
                             app::BatchService::LoadForStepIn(reader, op.batch, next.step));
    const recipes::Step* step = view.recipe->FindStep(next.step);
    ALIQUOT_CHECK(step != nullptr);
    ALIQUOT_ASSIGN_OR_RETURN(const training::Qualification training,
                             app::TrainingService::QualificationIn(
                                 reader, op.context.principal.user_id, step->sop, now));
    batches::Context context;
    context.batch = &view.state;
    context.recipe = view.recipe.get();
    context.now = now;
    context.actor = op.context.Actor();
    context.terminal = op.context.terminal.id;
    context.request = key.key;
    context.request_sha256 = key.request_sha256;
    context.next_deviation = [&] { return quality::DeviationId(year, ++deviation); };
    ALIQUOT_ASSIGN_OR_RETURN(
        batches::Decision decision,
        batches::RecordValue(context, next.step, training, next.parameter, value, std::nullopt));
    ALIQUOT_CHECK(!decision.refused && decision.entries.size() == 1);
    request.events = std::move(decision.events);
    for (const ledger::NewEvent& event : request.events) {
      const bool seen = std::any_of(request.expectations.begin(), request.expectations.end(),
                                    [&](const app::StreamExpectation& expectation) {
                                      return expectation.stream == event.stream;
                                    });
      if (seen) continue;
      ALIQUOT_ASSIGN_OR_RETURN(const std::uint64_t head, reader.StreamHead(event.stream));
      request.expectations.push_back({event.stream, head});
    }
    return {};
  }),
              "deciding a value");
  return request;
}

void BreakdownBench(benchmark::State& state) {
  World& world = TheWorld();
  const std::unique_ptr<http::HttpServer> server = StartServer(world, kServeDefaultConnections);
  DiagnosticOperator diagnostics(world);
  Operator& op = diagnostics.Op();
  HttpConnection connection(server->Port(), op.headers);
  app::BatchService& batches = world.services->Batches();
  app::SessionService& sessions = world.services->Sessions();
  app::AppendRequest plain;
  plain.events.push_back(world.limit_events.front());

  // The two halves of kSplit, recorded apart; and LoadForStepIn and the decided append by where
  // the step is in the batch (steps 1-10, 21-30): the batch's row grows with every step begun.
  Samples decision_samples;
  Samples append_samples;
  std::array<Samples, 2> load_by_part;
  std::array<Samples, 2> append_by_part;
  const auto part = [](const std::string& step) -> std::optional<std::size_t> {
    const int number = std::stoi(step.substr(1));
    if (number <= kSteps / 3) return 0;
    if (number > kSteps - kSteps / 3) return 1;
    return std::nullopt;
  };
  const auto add_last = [](Samples& to, const Samples& from) {
    to.wall.push_back(from.wall.back());
    to.cpu.push_back(from.cpu.back());
  };
  std::array<std::function<void(Samples&)>, kBreakdownKinds> kinds;
  kinds[kViaHttp] = [&](Samples& samples) {
    const NextValue next = diagnostics.Next();
    const std::string header = "Idempotency-Key: " + next.key + "\r\n";
    HttpAnswer answer;
    TimeProcessCall(samples,
                    [&] { answer = connection.Send("POST", next.path, header, next.body); });
    MustAnswer(answer, 201, "recording a value");
    diagnostics.Done();
  };
  kinds[kViaRouter] = [&](Samples& samples) {
    const NextValue next = diagnostics.Next();
    http::Request request = InProcessRequest("POST", next.path, op, op.terminal_token);
    request.headers.emplace_back("Idempotency-Key", next.key);
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = next.body;
    http::Response response;
    TimeProcessCall(samples, [&] { response = Route(world, request); });
    ALIQUOT_CHECK_MSG(response.status == 201, response.body.c_str());
    diagnostics.Done();
  };
  kinds[kViaService] = [&](Samples& samples) {
    const NextValue next = diagnostics.Next();
    const batches::InputValue value{Json(next.number), "mL"};
    const app::IdempotencyKey key = KeyOf(next.key, next.path, next.body);
    TimeProcessCall(samples, [&] {
      (void)Must(batches.RecordValue(op.context, op.batch, next.step, next.parameter, value,
                                     std::nullopt, key),
                 "RecordValue");
    });
    diagnostics.Done();
  };
  kinds[kSplit] = [&](Samples& samples) {
    const NextValue next = diagnostics.Next();
    app::AppendRequest request;
    TimeProcessCall(decision_samples, [&] { request = DecideValue(world, op, next); });
    TimeProcessCall(append_samples, [&] {
      (void)Must(world.store->Append(request), "appending the decided event");
    });
    if (const auto at = part(next.step)) add_last(append_by_part[*at], append_samples);
    samples.wall.push_back(decision_samples.wall.back() + append_samples.wall.back());
    samples.cpu.push_back(decision_samples.cpu.back() + append_samples.cpu.back());
    diagnostics.Done();
  };
  // The reads below are timed right after a commit, as in a request: an untimed durable append
  // first (SQLite then drops each reader connection's page cache at its next snapshot).
  const auto after_commit = [&] { (void)Must(world.store->Append(plain), "appending"); };
  kinds[kAuthenticate] = [&](Samples& samples) {
    after_commit();
    TimeProcessCall(samples, [&] {
      (void)Must(sessions.Authenticate(op.session_token, op.terminal_token), "authenticating");
    });
  };
  kinds[kPlainAppend] = [&](Samples& samples) {
    TimeProcessCall(samples, [&] { (void)Must(world.store->Append(plain), "appending"); });
  };
  kinds[kEmptyRead] = [&](Samples& samples) {
    after_commit();
    TimeProcessCall(samples, [&] {
      MustSucceed(world.store->Read([](app::StoreReader&) -> Status { return {}; }), "reading");
    });
  };
  kinds[kAuthenticateAgain] = [&](Samples& samples) {
    (void)Must(sessions.Authenticate(op.session_token, op.terminal_token), "authenticating");
    TimeProcessCall(samples, [&] {
      (void)Must(sessions.Authenticate(op.session_token, op.terminal_token), "authenticating");
    });
  };
  kinds[kEmptyReadAgain] = [&](Samples& samples) {
    MustSucceed(world.store->Read([](app::StoreReader&) -> Status { return {}; }), "reading");
    TimeProcessCall(samples, [&] {
      MustSucceed(world.store->Read([](app::StoreReader&) -> Status { return {}; }), "reading");
    });
  };
  kinds[kLoadHeader] = [&](Samples& samples) {
    after_commit();
    TimeProcessCall(samples, [&] {
      MustSucceed(world.store->Read([&](app::StoreReader& reader) -> Status {
        ALIQUOT_ASSIGN_OR_RETURN(const batches::BatchState header,
                                 app::LoadBatchHeader(reader, op.batch));
        ALIQUOT_CHECK(header.exists);
        return {};
      }),
                  "LoadBatchHeader");
    });
  };
  kinds[kLoadForStep] = [&](Samples& samples) {
    const NextValue next = diagnostics.Peek();
    after_commit();
    TimeProcessCall(samples, [&] {
      MustSucceed(world.store->Read([&](app::StoreReader& reader) -> Status {
        ALIQUOT_ASSIGN_OR_RETURN(const app::BatchView view,
                                 app::BatchService::LoadForStepIn(reader, op.batch, next.step));
        ALIQUOT_CHECK(view.state.Step(next.step) != nullptr);
        return {};
      }),
                  "LoadForStepIn");
    });
    if (const auto at = part(next.step)) add_last(load_by_part[*at], samples);
  };
  for (int i = 0; i < 2; ++i) {  // Warm the connection, the statements and the caches.
    Samples warm;
    for (const auto& kind : kinds) kind(warm);
  }
  decision_samples = {};
  append_samples = {};
  load_by_part = {};
  append_by_part = {};

  const std::int64_t per_round = Scaled(kBreakdownCallsPerRound);
  std::array<Samples, kBreakdownKinds> all;
  while (state.KeepRunning()) {
    std::array<Samples, kBreakdownKinds> round;
    for (std::int64_t i = 0; i < per_round; ++i) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kinds.size();
        kinds[kind](round[kind]);
      }
    }
    state.counters["http_cpu_us"] = Median(round[kViaHttp].cpu);
    state.counters["service_cpu_us"] = Median(round[kViaService].cpu);
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles("entry_http", all[kViaHttp]);
  RecordPercentiles("entry_router", all[kViaRouter]);
  RecordPercentiles("entry_service", all[kViaService]);
  RecordPercentiles("entry_split", all[kSplit]);
  RecordPercentiles("entry_decision", decision_samples);
  RecordPercentiles("entry_decided_append", append_samples);
  RecordPercentiles("entry_authenticate", all[kAuthenticate]);
  RecordPercentiles("entry_plain_append", all[kPlainAppend]);
  RecordPercentiles("entry_empty_read", all[kEmptyRead]);
  RecordPercentiles("entry_load_for_step", all[kLoadForStep]);
  RecordPercentiles("entry_authenticate_again", all[kAuthenticateAgain]);
  RecordPercentiles("entry_empty_read_again", all[kEmptyReadAgain]);
  RecordPercentiles("entry_load_header", all[kLoadHeader]);
  // A short run (--quick) may not reach the batch's last steps: nothing is recorded then.
  const auto record_part = [](const std::string& name, const Samples& samples) {
    if (samples.cpu.empty()) return;
    RecordPercentiles(name, samples);
    double total = 0;
    for (const double cpu : samples.cpu) total += cpu;
    Record(name + "_cpu_mean", total / static_cast<double>(samples.cpu.size()));
  };
  record_part("entry_load_early", load_by_part[0]);
  record_part("entry_load_late", load_by_part[1]);
  record_part("entry_append_early", append_by_part[0]);
  record_part("entry_append_late", append_by_part[1]);
  // Means add up where medians need not: the derived rows of the summary subtract them.
  const auto mean_cpu = [](const Samples& samples) {
    double total = 0;
    for (const double cpu : samples.cpu) total += cpu;
    return samples.cpu.empty() ? 0 : total / static_cast<double>(samples.cpu.size());
  };
  Record("entry_http_cpu_mean", mean_cpu(all[kViaHttp]));
  Record("entry_router_cpu_mean", mean_cpu(all[kViaRouter]));
  Record("entry_service_cpu_mean", mean_cpu(all[kViaService]));
  Record("entry_decision_cpu_mean", mean_cpu(decision_samples));
  Record("entry_decided_append_cpu_mean", mean_cpu(append_samples));
  Record("entry_authenticate_cpu_mean", mean_cpu(all[kAuthenticate]));
  Record("entry_plain_append_cpu_mean", mean_cpu(all[kPlainAppend]));
  Record("entry_empty_read_cpu_mean", mean_cpu(all[kEmptyRead]));
  Record("entry_load_for_step_cpu_mean", mean_cpu(all[kLoadForStep]));
  Record("entry_authenticate_again_cpu_mean", mean_cpu(all[kAuthenticateAgain]));
  Record("entry_empty_read_again_cpu_mean", mean_cpu(all[kEmptyReadAgain]));
  Record("entry_load_header_cpu_mean", mean_cpu(all[kLoadHeader]));
}

// ---------------------------------------------------------------------------------------------
// The summary: every figure beside its limit.

// "12.3 / 45.6 ms": p50 and p99 of `name` (with `kind` "" for wall time, "_cpu" for CPU time).
std::string Spread(const std::string& name, const char* kind) {
  const std::string base = name + kind;
  const std::string p50 = Millis(Figure(base + "_p50"));
  return p50.substr(0, p50.size() - 3) + " / " + Millis(Figure(base + "_p99"));
}

std::string Ratios(const std::string& figure, const std::string& limit, const char* kind) {
  return Times(Ratio(Figure(figure + kind + "_p50"), Figure(limit + kind + "_p50"))) + " / " +
         Times(Ratio(Figure(figure + kind + "_p99"), Figure(limit + kind + "_p99")));
}

// a - b, or nullopt.
std::optional<double> Minus(std::optional<double> a, std::optional<double> b) {
  if (!a || !b) return std::nullopt;
  return *a - *b;
}

void PrintEntries(std::vector<Line>& lines, unsigned threads) {
  const std::string name = "entries_t" + std::to_string(threads);
  if (!Figure(name)) return;
  const std::string workers = threads > 0 ? "at most " + std::to_string(threads) + " connections"
                                          : "no server (handlers in process)";
  const auto rate = Figure(name);
  const auto limit = Figure(name + "_limit");
  std::optional<bool> met;
  if (rate) met = *rate >= kGoalEntriesPerSecond;
  lines.push_back(
      {(threads > 0 ? "entries/s, 64 operators over HTTP, " : "diagnostic: entries/s, ") + workers,
       Number(rate, "entries/s"), "64 appenders " + Number(limit, "events/s"),
       Percent(Ratio(rate, limit)), threads > 0 ? ">= 20,000/s" : "-",
       threads > 0 ? Met(met) : ""});
  lines.push_back({"  median of rounds' ratios to the limit",
                   Percent(Figure("entries_x_limit_t" + std::to_string(threads))), "", "", "-",
                   ""});
  const auto p99 = Figure(name + "_p99");
  std::optional<bool> latency_met;
  if (p99) latency_met = *p99 < kGoalEntryP99Us;
  lines.push_back({threads > 0 ? "  entry latency p99 (POST .../values)" : "  entry latency p99",
                   Millis(p99), "append p99 " + Millis(Figure(name + "_limit_p99")), "",
                   threads > 0 ? "< 10 ms" : "-", threads > 0 ? Met(latency_met) : ""});
  lines.push_back({"  entry latency p50 / p999",
                   Millis(Figure(name + "_p50")) + " / " + Millis(Figure(name + "_p999")),
                   "append p50 " + Millis(Figure(name + "_limit_p50")), "", "-", ""});
  lines.push_back(
      {"  step start, completion p50 / p99",
       Millis(Figure(name + "_start_p50")) + " / " + Millis(Figure(name + "_start_p99")) + ", " +
           Millis(Figure(name + "_complete_p50")) + " / " + Millis(Figure(name + "_complete_p99")),
       "", "", "-", ""});
  lines.push_back({"  requests/s (values, starts and completions); sent again",
                   Number(Figure(name + "_requests"), "requests/s") + "; " +
                       std::to_string(std::llround(Figure(name + "_retries").value_or(0))),
                   "", "", "-", ""});
  lines.push_back({"  CPU per value entry (process, all requests)",
                   Number(Figure(name + "_cpu_per_entry"), "us"),
                   "append " + Number(Figure(name + "_limit_cpu"), "us/event"),
                   Times(Ratio(Figure(name + "_cpu_per_entry"), Figure(name + "_limit_cpu"))), "-",
                   ""});
  lines.push_back({"  CPU per request; of which the client threads",
                   Number(Figure(name + "_cpu_per_request"), "us") + "; " +
                       Number(Figure(name + "_client_cpu_per_request"), "us"),
                   "", "", "-", ""});
  lines.push_back({"  cores busy", Number(Figure(name + "_cores"), "cores"),
                   "append " + Number(Figure(name + "_limit_cores"), "cores"), "", "-", ""});
  lines.push_back({"  mean batch (events per commit)", Number(Figure(name + "_batch"), "events"),
                   "append " + Number(Figure(name + "_limit_batch"), "events"), "", "-", ""});
  lines.push_back({"  mean commit time", Number(Figure(name + "_commit"), "us"),
                   "append " + Number(Figure(name + "_limit_commit"), "us"), "", "-", ""});
  if (threads > 0) {
    lines.push_back({"  connection threads with 1%+ of their CPU; the busiest's share",
                     std::to_string(std::llround(Figure(name + "_workers_busy").value_or(0))) +
                         " of " + std::to_string(kOperators) + "; " +
                         Percent(Figure(name + "_busiest_worker")),
                     "", "", "-", ""});
  }
}

void PrintSummary() {
  std::vector<Line> lines;
  for (const unsigned connections : entry_connections) PrintEntries(lines, connections);
  // A figure's p50 / p99 and the same on CPU, beside `limit`'s.
  const auto paired = [&lines](const std::string& title, const std::string& key,
                               const std::string& limit_title, const std::string& limit) {
    lines.push_back({title, Spread(key, ""), limit_title + " " + Spread(limit, ""),
                     Ratios(key, limit, ""), "-", ""});
    lines.push_back({"    on CPU", Spread(key, "_cpu"), limit_title + " " + Spread(limit, "_cpu"),
                     Ratios(key, limit, "_cpu"), "-", ""});
  };
  if (const auto p99 = Figure("record_http_p99")) {
    std::optional<bool> met = *p99 < kGoalRecordP99Us;
    lines.push_back({"GET /api/v1/batches/{id}/record, 30 steps, p99", Millis(p99),
                     "raw sqlite3 reads " + Millis(Figure("record_raw_p99")),
                     Times(Ratio(p99, Figure("record_raw_p99"))), "p99 < 5 ms", Met(met)});
    lines.push_back({"  the record: " + Number(Figure("record_bytes"), "bytes") + " of JSON",
                     Number(Figure("record_line_count"), "lines") + ", " +
                         Number(Figure("record_entries_count"), "entries"),
                     Number(Figure("record_rows"), "rows"), "", "-", ""});
    paired("  GET over HTTP, p50 / p99", "record_http", "raw", "record_raw");
    lines.push_back(
        {"    median of rounds' median ratios", Times(Figure("record_x_raw")), "", "", "-", ""});
    paired("  the route's handler in process", "record_router", "raw", "record_raw");
    paired("  BatchService::Record in process", "record_service", "raw", "record_raw");
    paired("  raw reads + ParseJson of their JSON", "record_raw_parsed", "raw", "record_raw");
    paired("  diagnostic: LoadEntries (600 entries)", "record_entries", "raw", "record_raw");
    paired("  diagnostic: SignaturesIn, one step's record", "record_step_signatures", "raw",
           "record_raw");
    paired("  diagnostic: LoadBatchLines (662 lines)", "record_lines", "raw", "record_raw");
    paired("  diagnostic: DefinitionToJson of the control recipe", "record_definition", "raw",
           "record_raw");
    paired("  diagnostic: CanonicalJson of the response", "record_serialize", "raw", "record_raw");
  }
  if (Figure("entry_http_p50")) {
    const auto mean = [](const std::string& key) { return Figure(key + "_cpu_mean"); };
    const auto row = [&](const std::string& title, const std::string& key) {
      lines.push_back(
          {title,
           Number(Figure(key + "_cpu_p50"), "us") + " (mean " + Number(mean(key), "us") + ")",
           "wall p50 " + Number(Figure(key + "_p50"), "us"), "", "-", ""});
    };
    const auto derived = [&](const std::string& title, std::optional<double> value) {
      lines.push_back({title, "mean " + Number(value, "us"), "", "", "-", ""});
    };
    lines.push_back({"breakdown of one entry, serial: CPU p50 (mean)", "", "", "", "", ""});
    lines.push_back(
        {"  rows a decision decodes: the header, a step",
         Number(Figure("header_bytes"), "bytes") + ", " + Number(Figure("step_bytes"), "bytes"),
         "event payload " + Number(Figure("payload_bytes"), "bytes"), "", "-", ""});
    row("  POST .../values over HTTP", "entry_http");
    row("  the route's handler in process", "entry_router");
    row("  BatchService::RecordValue in process", "entry_service");
    row("  the decision (authorisation, snapshot, domain)", "entry_decision");
    row("  the durable append of the decided event", "entry_decided_append");
    row("  SessionService::Authenticate", "entry_authenticate");
    row("    again at once, no commit between", "entry_authenticate_again");
    row("  durable append, same payload, not projected", "entry_plain_append");
    row("  a snapshot that reads nothing (Store::Read)", "entry_empty_read");
    row("    again at once, no commit between", "entry_empty_read_again");
    row("  LoadForStepIn: the batch's header and step", "entry_load_for_step");
    row("    LoadBatchHeader alone", "entry_load_header");
    row("    in steps 1-10", "entry_load_early");
    row("    in steps 21-30", "entry_load_late");
    row("  the decided append, in steps 1-10", "entry_append_early");
    row("    in steps 21-30", "entry_append_late");
    derived("  derived: HTTP server, socket and client (HTTP - handler)",
            Minus(mean("entry_http"), mean("entry_router")));
    derived("  derived: authentication, JSON and routing (handler - RecordValue)",
            Minus(mean("entry_router"), mean("entry_service")));
    derived("  derived: the projection (decided append - plain append)",
            Minus(mean("entry_decided_append"), mean("entry_plain_append")));
    derived("  derived: RecordValue - (decision + decided append)",
            Minus(mean("entry_service"), Figure("entry_decision_cpu_mean").value_or(0) +
                                             Figure("entry_decided_append_cpu_mean").value_or(0)));
  }
  std::printf(
      "\nSummary (medians over repetitions; latencies over every call of a run; files under "
      "%s):\n",
      the_world ? the_world->dir.Path().c_str() : "?");
  PrintTable(lines);
}

// Takes our own flags out of argv: --scale=F multiplies the rounds and the calls per round;
// --quick is --scale=0.2; --max-connections=N runs the entries benchmark with a server serving at
// most N connections at once only, 0 for none (by default it runs twice: with 64, as `aliquot
// serve`, and with none).
void ParseOwnFlags(int& argc, char** argv) {
  TakeOwnFlags(argc, argv,
               {{"--scale=",
                 [](std::string_view value) {
                   scale = std::stod(std::string(value));
                   ALIQUOT_CHECK_MSG(scale >= 0.05, "--scale must be at least 0.05");
                 }},
                {"--quick",
                 [](std::string_view value) {
                   ALIQUOT_CHECK_MSG(value.empty(), "--quick takes no value");
                   scale = 0.2;
                 }},
                {"--max-connections=", [](std::string_view value) {
                   const auto connections = static_cast<unsigned>(std::stoul(std::string(value)));
                   ALIQUOT_CHECK_MSG(connections <= 1024, "--max-connections must be 0 to 1024");
                   entry_connections = {connections};
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

  for (const unsigned count : entry_connections) {
    benchmark::RegisterBenchmark("batch_entries", EntriesBench)
        ->Arg(count)
        ->ArgName("max_connections")
        ->Iterations(Scaled(kEntryRounds))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("batch_record", RecordBench)
      ->Iterations(Scaled(kRecordRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("batch_entry_breakdown", BreakdownBench)
      ->Iterations(Scaled(kBreakdownRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  PrintSummary();
  the_world.reset();
  benchmark::Shutdown();
  return 0;
}
// NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
