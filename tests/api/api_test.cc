// API tests: the real `aliquot` binary, initialised in a temporary folder and serving on port 0,
// driven over a plain socket as any HTTP client would. Each test starts its own server; the
// restart tests stop it (SIGTERM, SIGKILL) and start it again on the same folder to prove that
// what was recorded survives (DuckDB's sqllogictest `restart`). Every test runs on both engines:
// the data folder's SQLite file, and a PostgreSQL database of its own (tests/api/site.h).
// The ledger routes serve the audit trail to a session whose roles permit audit_trail.read: each
// site is bootstrapped before its server starts, and the tests read as its system administrator.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "aliquot/core/json.h"
#include "tests/api/site.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace aliquot {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Engine;
using testing::ExitStatus;
using testing::HttpResponse;
using testing::IntegerMember;
using testing::ParseOrFail;
using testing::RunResult;
using testing::StringMember;

constexpr std::string_view kSite = "API Test Site";

// The ledger of every test's site, as the events' sequence numbers. `aliquot init` records the
// installation; `aliquot bootstrap` the site, its administrator and the terminal ADMIN-CONSOLE;
// the server its start; the administrator's first session (made when a test first reads the
// ledger) a sign-in with the temporary password, its change, and a sign-in with the new one.
constexpr std::int64_t kInitialised = 1;
constexpr std::int64_t kBootstrapped = 4;
constexpr std::int64_t kStarted = 5;
constexpr std::int64_t kSignedIn = 8;

// The value of the Prometheus sample whose line starts with `series` (name and labels), or -1.
double MetricValue(const std::string& exposition, const std::string& series) {
  std::size_t at = 0;
  while ((at = exposition.find(series, at)) != std::string::npos) {
    if (at == 0 || exposition[at - 1] == '\n') {
      const std::size_t value_start = at + series.size();
      if (value_start < exposition.size() && exposition[value_start] == ' ') {
        return std::stod(exposition.substr(value_start + 1));
      }
    }
    at += series.size();
  }
  return -1;
}

class ApiTest : public testing::SiteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SiteTest::SetUp());
    ASSERT_NO_FATAL_FAILURE(Init());
    ASSERT_FALSE(Bootstrap().terminal_token.empty());
    ASSERT_NO_FATAL_FAILURE(StartServer());
  }

  void TearDown() override {
    if (server_) (void)server_->Stop(SIGTERM);
    if (HasFailure()) {
      for (int start = 1; start <= starts_; ++start) {
        std::cerr << "--- server start " << start << " stderr (access log):\n"
                  << testing::ReadFileBytes(ServerLog(start)) << "\n";
      }
    }
  }

  void Init() {
    const RunResult init =
        Aliquot({"init", "--data", data_.string(), "--site", std::string(kSite)});
    ASSERT_TRUE(init.status.Succeeded()) << testing::Describe(init);
    key_id_ = testing::PrintedKeyId(init);
    ASSERT_EQ(key_id_.size(), 64U);
  }

  std::filesystem::path ServerLog(int start) const {
    return dir_ / ("server-" + std::to_string(start) + ".err");
  }

  // Starts `aliquot serve` on port 0 and reads the port from the line it prints once serving.
  void StartServer(const std::vector<std::string>& extra = {}) {
    ++starts_;
    admin_ = {};  // Sessions end with the server that opened them.
    std::string line;
    server_ = testing::Server::Start(data_, DatabaseUrl(), ServerLog(starts_), extra, &line);
    ASSERT_NE(server_, nullptr);
    EXPECT_NE(line.find("\"" + std::string(kSite) + "\""), std::string::npos) << line;
  }

  // Sends `signal` and waits for the server to end; returns how it ended and its whole stdout.
  std::pair<ExitStatus, std::string> StopServer(int signal = SIGTERM) {
    auto stopped = server_->Stop(signal);
    server_.reset();
    return stopped;
  }

  HttpResponse Get(const std::string& target, const testing::Headers& headers = {}) const {
    return server_->Get(target, headers);
  }

  // The administrator's session on the running server, signed in at the first call after each
  // start.
  const testing::Session& Admin() {
    if (admin_.token.empty()) admin_ = AdminSession(*server_);
    EXPECT_FALSE(admin_.token.empty()) << "the administrator could not sign in";
    return admin_;
  }

  // GETs `target` as the administrator.
  HttpResponse AdminGet(const std::string& target) { return Get(target, Admin().Credentials()); }

  // GETs `target` as the administrator, expects `status` and a JSON body, and returns the body
  // parsed.
  Json GetJson(const std::string& target, int status = 200) {
    const HttpResponse response = AdminGet(target);
    EXPECT_EQ(response.status, status) << "GET " << target << ": " << response.body;
    EXPECT_EQ(response.Header("content-type").rfind("application/json", 0), 0U)
        << "GET " << target << " Content-Type: " << response.Header("content-type");
    return ParseOrFail(response.body);
  }

  // The events of the ledger, in order, as the API lists them.
  std::vector<Json> AllEvents() {
    const Json page = GetJson("/api/v1/ledger/events?limit=1000");
    const Json* events = page.Find("events");
    if (events == nullptr || !events->IsArray()) {
      ADD_FAILURE() << "no events array";
      return {};
    }
    return events->AsArray();
  }

  // Writes `text` to a file in the test's folder and returns its path.
  std::string SaveFile(const std::string& name, const std::string& text) {
    const std::filesystem::path path = dir_ / name;
    EXPECT_TRUE(testing::WriteFileBytes(path, text));
    return path.string();
  }

  std::string key_id_;
  std::unique_ptr<testing::Server> server_;
  testing::Session admin_;
  int starts_ = 0;
};

INSTANTIATE_TEST_SUITE_P(, ApiTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

TEST_P(ApiTest, HealthzAnswersOk) {
  const HttpResponse response = Get("/healthz");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("content-type").rfind("application/json", 0), 0U);
  EXPECT_EQ(response.Header("cache-control"), "no-store");
  EXPECT_EQ(ParseOrFail(response.body), ParseOrFail(R"({"status":"ok"})"));
}

TEST_P(ApiTest, HeadCountsEveryEventSinceTheInitialisationUnderTheKeyInitPrinted) {
  const Json head = GetJson("/api/v1/ledger/head");
  EXPECT_EQ(IntegerMember(head, "tree_size"), kSignedIn);
  std::vector<std::string> types;
  for (const Json& event : AllEvents()) types.push_back(StringMember(event, "event_type"));
  EXPECT_EQ(types, (std::vector<std::string>{
                       "system.initialised", "identity.site_created", "identity.user_created",
                       "identity.terminal_registered", "system.server_started",
                       "identity.signed_in", "identity.password_changed", "identity.signed_in"}));
  const Json last = GetJson("/api/v1/ledger/events/" + std::to_string(kSignedIn));
  EXPECT_EQ(StringMember(head, "head_hash"), StringMember(last, "hash"));
  EXPECT_EQ(StringMember(head, "head_hash").size(), 64U);
  EXPECT_EQ(StringMember(head, "root_hash").size(), 64U);
  EXPECT_NE(StringMember(head, "root_hash"), StringMember(head, "head_hash"));
  EXPECT_EQ(StringMember(head, "last_time"), StringMember(last, "time"));
  const Json* key = head.Find("public_key");
  ASSERT_NE(key, nullptr) << CanonicalJson(head);
  // An inspector compares this key id with the one `aliquot init` printed.
  EXPECT_EQ(StringMember(*key, "key_id"), key_id_);
}

TEST_P(ApiTest, EventsArePagedWithFromLimitAndANextCursor) {
  const Json first = GetJson("/api/v1/ledger/events?limit=1");
  ASSERT_NE(first.Find("events"), nullptr);
  ASSERT_EQ(first.Find("events")->AsArray().size(), 1U);
  const Json& initialised = first.Find("events")->AsArray()[0];
  EXPECT_EQ(IntegerMember(initialised, "seq"), 1);
  EXPECT_EQ(StringMember(initialised, "event_type"), "system.initialised");
  EXPECT_EQ(StringMember(*initialised.Find("payload"), "site_name"), kSite);
  EXPECT_EQ(StringMember(*initialised.Find("payload"), "checkpoint_key_id"), key_id_);
  EXPECT_EQ(StringMember(initialised, "prev_hash"), std::string(64, '0'));
  EXPECT_EQ(IntegerMember(first, "next"), 2);

  const Json bootstrapped = GetJson("/api/v1/ledger/events/" + std::to_string(kBootstrapped));
  const Json second =
      GetJson("/api/v1/ledger/events?from=" + std::to_string(kStarted) + "&limit=1");
  ASSERT_EQ(second.Find("events")->AsArray().size(), 1U);
  const Json& started = second.Find("events")->AsArray()[0];
  EXPECT_EQ(IntegerMember(started, "seq"), kStarted);
  EXPECT_EQ(StringMember(started, "event_type"), "system.server_started");
  EXPECT_EQ(StringMember(started, "prev_hash"), StringMember(bootstrapped, "hash"));
  EXPECT_EQ(IntegerMember(second, "next"), kStarted + 1);

  const Json last = GetJson("/api/v1/ledger/events?from=" + std::to_string(kSignedIn) + "&limit=1");
  ASSERT_EQ(last.Find("events")->AsArray().size(), 1U);
  ASSERT_NE(last.Find("next"), nullptr);
  EXPECT_TRUE(last.Find("next")->IsNull()) << "nothing follows the head";

  const Json all = GetJson("/api/v1/ledger/events");
  ASSERT_EQ(all.Find("events")->AsArray().size(), static_cast<std::size_t>(kSignedIn));
  EXPECT_EQ(all.Find("events")->AsArray()[kInitialised - 1], initialised);
  EXPECT_EQ(all.Find("events")->AsArray()[kStarted - 1], started);
  EXPECT_TRUE(all.Find("next")->IsNull());

  const Json past = GetJson("/api/v1/ledger/events?from=" + std::to_string(kSignedIn + 1));
  EXPECT_TRUE(past.Find("events")->AsArray().empty());
  EXPECT_TRUE(past.Find("next")->IsNull());
}

TEST_P(ApiTest, OneEventReadsAsItsEntryInTheListAndMissingOnesAreNotFound) {
  const std::vector<Json> events = AllEvents();
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kSignedIn));
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(AdminGet("/api/v1/ledger/events/" + std::to_string(i + 1)).body,
              CanonicalJson(events[i]));
  }

  const Json missing = GetJson("/api/v1/ledger/events/" + std::to_string(kSignedIn + 1), 404);
  EXPECT_EQ(StringMember(missing, "code"), "not_found");
  const Json zero = GetJson("/api/v1/ledger/events/0", 400);
  EXPECT_EQ(StringMember(zero, "field"), "seq");
  const Json word = GetJson("/api/v1/ledger/events/two", 400);
  EXPECT_EQ(StringMember(word, "field"), "seq");
}

// Sequence numbers are unsigned 64-bit in the API and signed 64-bit in both databases: one past the
// signed range must find nothing, not wrap around to the first event.
TEST_P(ApiTest, SequenceNumbersPastTheSigned64BitRangeFindNothing) {
  for (const std::string seq : {"9223372036854775808", "18446744073709551615"}) {
    SCOPED_TRACE(seq);
    EXPECT_EQ(StringMember(GetJson("/api/v1/ledger/events/" + seq, 404), "code"), "not_found");
    EXPECT_EQ(StringMember(GetJson("/api/v1/ledger/events/" + seq + "/proof", 404), "code"),
              "not_found");
    const Json page = GetJson("/api/v1/ledger/events?limit=1000&from=" + seq);
    ASSERT_NE(page.Find("events"), nullptr);
    EXPECT_TRUE(page.Find("events")->AsArray().empty()) << CanonicalJson(page);
    EXPECT_TRUE(page.Find("next")->IsNull());
  }
}

TEST_P(ApiTest, UnknownPathIsANotFoundJsonErrorWithTheRequestId) {
  const HttpResponse response = Get("/api/v1/no-such-thing");
  ASSERT_EQ(response.status, 404) << response.body;
  EXPECT_EQ(response.Header("content-type").rfind("application/json", 0), 0U);
  const Json body = ParseOrFail(response.body);
  EXPECT_EQ(StringMember(body, "code"), "not_found");
  EXPECT_NE(StringMember(body, "message").find("/api/v1/no-such-thing"), std::string::npos)
      << response.body;
  EXPECT_FALSE(StringMember(body, "request_id").empty()) << response.body;
  EXPECT_EQ(StringMember(body, "request_id"), response.Header("x-request-id"));

  // A client's own request id is echoed, so its logs and ours can be joined.
  const HttpResponse echoed = Get("/api/v1/no-such-thing", {{"X-Request-Id", "api-test-17"}});
  EXPECT_EQ(echoed.status, 404);
  EXPECT_EQ(StringMember(ParseOrFail(echoed.body), "request_id"), "api-test-17");
  EXPECT_EQ(echoed.Header("x-request-id"), "api-test-17");
}

TEST_P(ApiTest, BadPageQueryIsABadRequestNamingTheParameter) {
  for (const std::string query : {"limit=0", "limit=abc", "limit=1001", "limit=-1", "limit="}) {
    SCOPED_TRACE(query);
    const Json body = GetJson("/api/v1/ledger/events?" + query, 400);
    EXPECT_EQ(StringMember(body, "code"), "invalid_argument");
    EXPECT_EQ(StringMember(body, "field"), "limit");
    EXPECT_FALSE(StringMember(body, "message").empty());
    EXPECT_FALSE(StringMember(body, "request_id").empty());
  }
  for (const std::string query : {"from=0", "from=x", "from=99999999999999999999"}) {
    SCOPED_TRACE(query);
    const Json body = GetJson("/api/v1/ledger/events?" + query, 400);
    EXPECT_EQ(StringMember(body, "field"), "from");
  }
  // The largest page is allowed.
  GetJson("/api/v1/ledger/events?limit=1000", 200);
}

TEST_P(ApiTest, MetricsCountRequestsAndStoreActivity) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Get("/healthz").status, 200);
  const std::string healthz =
      "aliquot_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}";
  // A request is counted once its response is sent, which may be a moment after the client has
  // read it: scrape until the three are in.
  HttpResponse metrics;
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  do {
    metrics = Get("/metrics");
    ASSERT_EQ(metrics.status, 200) << metrics.body;
    if (MetricValue(metrics.body, healthz) >= 3) break;
    std::this_thread::sleep_for(milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(metrics.Header("content-type").rfind("text/plain", 0), 0U)
      << metrics.Header("content-type");
  EXPECT_NE(metrics.body.find("# TYPE aliquot_http_requests_total counter"), std::string::npos)
      << metrics.body;
  EXPECT_EQ(MetricValue(metrics.body, healthz), 3) << metrics.body;
  // This process appended one event, the server start, in one commit.
  EXPECT_EQ(MetricValue(metrics.body, "aliquot_store_events_total"), 1) << metrics.body;
  EXPECT_EQ(MetricValue(metrics.body, "aliquot_store_commits_total"), 1) << metrics.body;
  EXPECT_EQ(MetricValue(metrics.body, "aliquot_store_rejected_total"), 0) << metrics.body;
}

// Verifies P11-01: a proof served by the API convinces a verifier that shares no code with us, and
// the same proof with its event altered does not.
TEST_P(ApiTest, ProofFromTheApiVerifiesWithTheStandAloneVerifier) {
  const HttpResponse response =
      AdminGet("/api/v1/ledger/events/" + std::to_string(kStarted) + "/proof");
  ASSERT_EQ(response.status, 200) << response.body;
  const Json proof = ParseOrFail(response.body);
  EXPECT_EQ(IntegerMember(proof, "leaf_index"), kStarted - 1);
  ASSERT_NE(proof.Find("checkpoint"), nullptr);
  EXPECT_GE(IntegerMember(*proof.Find("checkpoint"), "tree_size"), kStarted);
  EXPECT_EQ(StringMember(*proof.Find("event"), "event_type"), "system.server_started");

  const std::string verifier = (testing::SourceDir() / "tools" / "verify_ledger.py").string();
  const std::string file = SaveFile("proof.json", response.body);
  const RunResult good = testing::Run({PYTHON3, verifier, "--proof", file});
  EXPECT_EQ(good.status.code, 0) << good.out << good.err;
  EXPECT_EQ(good.out.rfind("OK", 0), 0U) << good.out;
  const RunResult pinned = testing::Run({PYTHON3, verifier, "--proof", file, "--public-key",
                                         StringMember(*proof.Find("public_key"), "public_key")});
  EXPECT_EQ(pinned.status.code, 0) << pinned.out << pinned.err;

  std::string altered = response.body;
  const std::string clean = "\"previous_run_ended_cleanly\":true";
  const std::size_t at = altered.find(clean);
  ASSERT_NE(at, std::string::npos) << altered;
  altered.replace(at, clean.size(), "\"previous_run_ended_cleanly\":false");
  const RunResult bad =
      testing::Run({PYTHON3, verifier, "--proof", SaveFile("altered.json", altered)});
  EXPECT_EQ(bad.status.code, 1) << bad.out << bad.err;
  EXPECT_EQ(bad.out.rfind("FAIL", 0), 0U) << bad.out;

  const Json past =
      GetJson("/api/v1/ledger/events/" + std::to_string(kSignedIn + 1) + "/proof", 404);
  EXPECT_EQ(StringMember(past, "code"), "not_found");
}

// Verifies AL-04: after a graceful stop and a start on the same folder every event is still there,
// unchanged, and the stop itself is on the record.
TEST_P(ApiTest, RestartAfterSigtermKeepsEveryEventAndRecordsACleanStop) {
  const std::vector<Json> before = AllEvents();
  ASSERT_EQ(before.size(), static_cast<std::size_t>(kSignedIn));

  const auto [status, out] = StopServer(SIGTERM);
  EXPECT_TRUE(status.Succeeded()) << status.Describe() << "\n" << out;
  EXPECT_NE(out.find("Stopped"), std::string::npos) << out;
  ASSERT_NO_FATAL_FAILURE(StartServer());

  // Stopped, started, and the administrator's sign-in on the new server.
  const Json head = GetJson("/api/v1/ledger/head");
  EXPECT_EQ(IntegerMember(head, "tree_size"), kSignedIn + 3);
  const std::vector<Json> after = AllEvents();
  ASSERT_EQ(after.size(), before.size() + 3);
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << i;
  const Json& stopped = after[before.size()];
  EXPECT_EQ(StringMember(stopped, "event_type"), "system.server_stopped");
  EXPECT_EQ(StringMember(*stopped.Find("payload"), "cause"), "SIGTERM");
  const Json& started = after[before.size() + 1];
  EXPECT_EQ(StringMember(started, "event_type"), "system.server_started");
  const Json* clean = started.Find("payload")->Find("previous_run_ended_cleanly");
  ASSERT_NE(clean, nullptr) << CanonicalJson(started);
  EXPECT_EQ(*clean, Json(true));
  EXPECT_EQ(StringMember(started, "prev_hash"), StringMember(stopped, "hash"));
  EXPECT_EQ(StringMember(after.back(), "event_type"), "identity.signed_in");
}

// Verifies AL-04: a server killed outright loses nothing, and the next start records that the
// previous run did not end cleanly.
TEST_P(ApiTest, RestartAfterSigkillRecordsThatThePreviousRunDidNotEndCleanly) {
  const std::vector<Json> before = AllEvents();
  ASSERT_EQ(before.size(), static_cast<std::size_t>(kSignedIn));

  const auto [status, out] = StopServer(SIGKILL);
  EXPECT_FALSE(status.exited);
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_EQ(out.find("Stopped"), std::string::npos) << out;
  ASSERT_NO_FATAL_FAILURE(StartServer());

  const std::vector<Json> after = AllEvents();
  ASSERT_EQ(after.size(), before.size() + 2) << "(killed), started, the administrator's sign-in";
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << i;
  const Json& started = after[before.size()];
  EXPECT_EQ(StringMember(started, "event_type"), "system.server_started");
  const Json* clean = started.Find("payload")->Find("previous_run_ended_cleanly");
  ASSERT_NE(clean, nullptr) << CanonicalJson(started);
  EXPECT_EQ(*clean, Json(false));
}

// Verifies P11-01: the latest checkpoint, kept outside the system by an auditor, is accepted by
// `aliquot verify --checkpoint`, and the same checkpoint with its root altered is refused.
TEST_P(ApiTest, LatestCheckpointKeptOutsideIsAcceptedByVerify) {
  // Proving event 2 signs a checkpoint at the head.
  ASSERT_EQ(AdminGet("/api/v1/ledger/events/2/proof").status, 200);
  const HttpResponse latest = AdminGet("/api/v1/ledger/checkpoints/latest");
  ASSERT_EQ(latest.status, 200) << latest.body;
  const Json checkpoint = ParseOrFail(latest.body);
  EXPECT_EQ(IntegerMember(checkpoint, "tree_size"), kSignedIn);
  EXPECT_EQ(StringMember(checkpoint, "root_hash"),
            StringMember(GetJson("/api/v1/ledger/head"), "root_hash"));

  const Json list = GetJson("/api/v1/ledger/checkpoints");
  ASSERT_NE(list.Find("checkpoints"), nullptr);
  const Json::Array& checkpoints = list.Find("checkpoints")->AsArray();
  ASSERT_EQ(checkpoints.size(), 2U) << "init signs size 1; the proof signed the head";
  EXPECT_EQ(IntegerMember(checkpoints[0], "tree_size"), 1);
  EXPECT_EQ(checkpoints[1], checkpoint);

  // An auditor verifies while the server runs.
  const std::string kept = SaveFile("kept-checkpoint.json", latest.body);
  const RunResult verified = Aliquot({"verify", "--data", data_.string(), "--checkpoint", kept});
  EXPECT_EQ(verified.status.code, 0) << verified.out << verified.err;
  EXPECT_EQ(verified.out.rfind("OK: " + std::to_string(kSignedIn) + " events", 0), 0U)
      << verified.out;
  EXPECT_NE(verified.out.find("trusted checkpoint matches"), std::string::npos) << verified.out;

  std::string forged = latest.body;
  const std::string root = StringMember(checkpoint, "root_hash");
  forged.replace(forged.find(root), 1, root[0] == '0' ? "1" : "0");
  const RunResult refused = Aliquot(
      {"verify", "--data", data_.string(), "--checkpoint", SaveFile("forged.json", forged)});
  EXPECT_EQ(refused.status.code, 1) << refused.out << refused.err;
  EXPECT_EQ(refused.out.rfind("FAIL: ", 0), 0U) << refused.out;
  EXPECT_NE(refused.out.find("trusted checkpoint"), std::string::npos) << refused.out;
}

// Verifies P11-04 and P11-07: the audit trail is for a session whose roles permit
// audit_trail.read. Without a session every ledger route answers 401 naming what is missing; an
// operator signed in on a registered terminal is refused 403 naming the action (and, before the
// temporary password is changed, naming the password), and each refusal is on the record.
TEST_P(ApiTest, LedgerRoutesRefuseRequestsWithoutASessionAndAnOperatorsSession) {
  const std::string terminal = bootstrapped_->terminal_token;
  const std::string temporary = testing::CreateUser(*server_, Admin(), "olga", "Olga Okafor",
                                                    bootstrapped_->site_id, {"operator"});
  ASSERT_FALSE(temporary.empty());
  const testing::Session first{testing::SignIn(*server_, "olga", temporary, terminal), terminal};
  ASSERT_FALSE(first.token.empty());

  const std::vector<std::string> routes = {
      "/api/v1/ledger/head",        "/api/v1/ledger/events",
      "/api/v1/ledger/events/1",    "/api/v1/ledger/events/1/proof",
      "/api/v1/ledger/checkpoints", "/api/v1/ledger/checkpoints/latest"};
  const auto expect_refused = [&](const std::string& route, const testing::Headers& headers,
                                  int status, const std::string& code, const std::string& field) {
    const HttpResponse response = Get(route, headers);
    EXPECT_EQ(response.status, status) << route << ": " << response.body;
    const Json body = ParseOrFail(response.body);
    EXPECT_EQ(StringMember(body, "code"), code) << route << ": " << response.body;
    EXPECT_EQ(StringMember(body, "field"), field) << route << ": " << response.body;
    EXPECT_FALSE(StringMember(body, "message").empty()) << route;
    EXPECT_EQ(response.body.find("\"events\""), std::string::npos) << route << " leaked events";
  };
  for (const std::string& route : routes) {
    SCOPED_TRACE(route);
    expect_refused(route, {}, 401, "unauthenticated", "X-Aliquot-Terminal");
    expect_refused(route, testing::TerminalHeader(terminal), 401, "unauthenticated",
                   "Authorization");
    expect_refused(route, first.Credentials(), 403, "permission_denied", "password");
  }

  const testing::Session operator_session =
      testing::FirstSignIn(*server_, "olga", temporary, "Cleanroom-Suite-2", terminal);
  ASSERT_FALSE(operator_session.token.empty());
  for (const std::string& route : routes) {
    SCOPED_TRACE(route);
    expect_refused(route, operator_session.Credentials(), 403, "permission_denied", "action");
  }

  // The auditor's view: each refusal of the operator's session, from the terminal it came from.
  int denials = 0;
  for (const Json& event : AllEvents()) {
    if (StringMember(event, "event_type") != "identity.permission_denied") continue;
    const Json* actor = event.Find("actor");
    ASSERT_NE(actor, nullptr) << CanonicalJson(event);
    EXPECT_EQ(StringMember(*actor, "id"), "olga") << CanonicalJson(event);
    EXPECT_EQ(StringMember(*event.Find("payload"), "action"), "audit_trail.read");
    EXPECT_EQ(StringMember(event, "terminal"), "ADMIN-CONSOLE") << CanonicalJson(event);
    ++denials;
  }
  EXPECT_EQ(denials, 2 * static_cast<int>(routes.size()));
}

TEST_P(ApiTest, CheckpointerSignsTheHeadWhileServing) {
  ASSERT_NO_FATAL_FAILURE(StopServer(SIGTERM));
  ASSERT_NO_FATAL_FAILURE(StartServer({"--checkpoint-interval", "1"}));
  // Head: initialised, bootstrapped (3), started, stopped, started, and the administrator's
  // first session (3) that reads it. The stop signed size 6 on its way out.
  const std::int64_t head = IntegerMember(GetJson("/api/v1/ledger/head"), "tree_size");
  ASSERT_EQ(head, kStarted + 2 + 3);
  Json checkpoint;
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  do {
    checkpoint = GetJson("/api/v1/ledger/checkpoints/latest");
    if (IntegerMember(checkpoint, "tree_size") == head) break;
    std::this_thread::sleep_for(milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(IntegerMember(checkpoint, "tree_size"), head);
  EXPECT_EQ(StringMember(checkpoint, "root_hash"),
            StringMember(GetJson("/api/v1/ledger/head"), "root_hash"));
}

}  // namespace
}  // namespace aliquot
