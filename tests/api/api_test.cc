// API tests: the real `aliquot` binary, initialised in a temporary folder and serving on port 0,
// driven over a plain socket as any HTTP client would. Each test starts its own server; the
// restart tests stop it (SIGTERM, SIGKILL) and start it again on the same folder to prove that
// what was recorded survives (DuckDB's sqllogictest `restart`).

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "aliquot/core/json.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace aliquot {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ExitStatus;
using testing::Process;
using testing::RunResult;

constexpr seconds kStartTimeout(60);
constexpr seconds kStopTimeout(60);
constexpr std::string_view kSite = "API Test Site";

struct HttpResponse {
  int status = 0;                              // 0: no response; `body` then says why.
  std::map<std::string, std::string> headers;  // Names in lower case.
  std::string body;

  std::string Header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Decodes a chunked body (RFC 9112 section 7.1); libmicrohttpd sends Content-Length for our
// buffered responses, but a client must not depend on it.
std::optional<std::string> Unchunk(std::string_view raw) {
  std::string body;
  for (;;) {
    const std::size_t line_end = raw.find("\r\n");
    if (line_end == std::string_view::npos) return std::nullopt;
    const std::size_t size = std::stoul(std::string(raw.substr(0, line_end)), nullptr, 16);
    raw.remove_prefix(line_end + 2);
    if (size == 0) return body;
    if (raw.size() < size + 2) return std::nullopt;
    body.append(raw.substr(0, size));
    raw.remove_prefix(size + 2);
  }
}

// One HTTP/1.1 GET over a fresh connection ("Connection: close"), read to the end.
HttpResponse HttpGet(std::uint16_t port, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  HttpResponse response;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    response.body = "socket failed";
    return response;
  }
  const timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    response.body = "cannot connect to port " + std::to_string(port);
    return response;
  }
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nAccept: */*\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) {
    request.append(name).append(": ").append(value).append("\r\n");
  }
  request += "\r\n";
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      response.body = "send failed";
      return response;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buffer[16384];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
    raw.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);

  const std::size_t head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos) {
    response.body = "not an HTTP/1.1 response: '" + raw.substr(0, 200) + "'";
    return response;
  }
  std::size_t line_start = raw.find("\r\n") + 2;
  while (line_start < head_end) {
    const std::size_t line_end = raw.find("\r\n", line_start);
    const std::string line = raw.substr(line_start, line_end - line_start);
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      response.headers[Lower(line.substr(0, colon))] = value;
    }
    line_start = line_end + 2;
  }
  std::string body = raw.substr(head_end + 4);
  if (Lower(response.Header("transfer-encoding")) == "chunked") {
    auto decoded = Unchunk(body);
    if (!decoded) {
      response.body = "a chunked body that does not decode";
      return response;
    }
    body = std::move(*decoded);
  } else if (!response.Header("content-length").empty()) {
    const std::size_t length = std::stoul(response.Header("content-length"));
    if (body.size() != length) {
      response.body = "Content-Length " + std::to_string(length) + " but " +
                      std::to_string(body.size()) + " bytes arrived";
      return response;
    }
  }
  response.status = std::stoi(raw.substr(9, 3));
  response.body = std::move(body);
  return response;
}

// Parses `text` as JSON; a parse failure is a test failure that shows the text.
Json ParseOrFail(const std::string& text) {
  auto parsed = ParseJson(text);
  EXPECT_TRUE(parsed) << parsed.error().ToString() << " in: " << text.substr(0, 500);
  return parsed ? std::move(*parsed) : Json();
}

std::string StringMember(const Json& object, std::string_view name) {
  const Json* value = object.Find(name);
  return value != nullptr && value->IsString() ? value->AsString() : std::string();
}

std::int64_t IntegerMember(const Json& object, std::string_view name) {
  const Json* value = object.Find(name);
  return value != nullptr && value->IsNumber() ? value->AsInteger().value_or(-1) : -1;
}

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

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Init());
    ASSERT_NO_FATAL_FAILURE(StartServer());
  }

  void TearDown() override {
    if (server_ && server_->Signal(SIGTERM)) (void)server_->Wait(kStopTimeout);
    if (HasFailure()) {
      for (int start = 1; start <= starts_; ++start) {
        std::cerr << "--- server start " << start << " stderr (access log):\n"
                  << testing::ReadFileBytes(ServerLog(start)) << "\n";
      }
    }
  }

  RunResult Aliquot(std::vector<std::string> args) {
    args.insert(args.begin(), ALIQUOT_BINARY);
    return testing::Run(args);
  }

  void Init() {
    const RunResult init =
        Aliquot({"init", "--data", data_.string(), "--site", std::string(kSite)});
    ASSERT_TRUE(init.status.Succeeded()) << init.status.Describe() << "\n" << init.err;
    const std::string marker = "Checkpoint signing key id: ";
    const std::size_t at = init.out.find(marker);
    ASSERT_NE(at, std::string::npos) << init.out;
    key_id_ = init.out.substr(at + marker.size(), 64);
  }

  std::filesystem::path ServerLog(int start) const {
    return dir_ / ("server-" + std::to_string(start) + ".err");
  }

  // Starts `aliquot serve` on port 0 and reads the port from the line it prints once serving.
  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {ALIQUOT_BINARY, "serve",       "--data",    data_.string(),
                                     "--listen",     "127.0.0.1:0", "--threads", "2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ++starts_;
    auto started = Process::Start({argv, {}, ServerLog(starts_)});
    ASSERT_TRUE(started) << started.error().ToString();
    server_ = std::move(*started);
    const auto line = server_->ReadLineContaining("is serving", kStartTimeout);
    ASSERT_TRUE(line) << "the server printed no 'is serving' line; stdout:\n"
                      << server_->StdoutSoFar() << "\nstderr:\n"
                      << testing::ReadFileBytes(ServerLog(starts_));
    EXPECT_NE(line->find("\"" + std::string(kSite) + "\""), std::string::npos) << *line;
    const std::string marker = "at http://127.0.0.1:";
    const std::size_t at = line->find(marker);
    ASSERT_NE(at, std::string::npos) << *line;
    const int port = std::stoi(line->substr(at + marker.size()));
    ASSERT_GT(port, 0) << *line;
    ASSERT_LT(port, 65536) << *line;
    port_ = static_cast<std::uint16_t>(port);
  }

  // Sends `signal` and waits for the server to end; returns how it ended and its whole stdout.
  std::pair<ExitStatus, std::string> StopServer(int signal = SIGTERM) {
    EXPECT_TRUE(server_->Signal(signal));
    std::string out = server_->ReadStdoutToEnd(kStopTimeout).value_or("(stdout did not end)");
    const std::optional<ExitStatus> status = server_->Wait(kStopTimeout);
    EXPECT_TRUE(status) << "the server did not stop after signal " << signal;
    server_.reset();
    return {status.value_or(ExitStatus{}), out};
  }

  HttpResponse Get(const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& headers = {}) const {
    return HttpGet(port_, target, headers);
  }

  // GETs `target`, expects `status` and a JSON body, and returns the body parsed.
  Json GetJson(const std::string& target, int status = 200) {
    const HttpResponse response = Get(target);
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

  testing::TempDir dir_;
  const std::filesystem::path data_ = dir_ / "data";
  std::string key_id_;
  std::unique_ptr<Process> server_;
  std::uint16_t port_ = 0;
  int starts_ = 0;
};

TEST_F(ApiTest, HealthzAnswersOk) {
  const HttpResponse response = Get("/healthz");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("content-type").rfind("application/json", 0), 0U);
  EXPECT_EQ(response.Header("cache-control"), "no-store");
  EXPECT_EQ(ParseOrFail(response.body), ParseOrFail(R"({"status":"ok"})"));
}

TEST_F(ApiTest, HeadCountsTheInitialisationAndTheServerStartUnderTheKeyInitPrinted) {
  const Json head = GetJson("/api/v1/ledger/head");
  EXPECT_EQ(IntegerMember(head, "tree_size"), 2);
  const Json second = GetJson("/api/v1/ledger/events/2");
  EXPECT_EQ(StringMember(head, "head_hash"), StringMember(second, "hash"));
  EXPECT_EQ(StringMember(head, "head_hash").size(), 64U);
  EXPECT_EQ(StringMember(head, "root_hash").size(), 64U);
  EXPECT_NE(StringMember(head, "root_hash"), StringMember(head, "head_hash"));
  EXPECT_EQ(StringMember(head, "last_time"), StringMember(second, "time"));
  const Json* key = head.Find("public_key");
  ASSERT_NE(key, nullptr) << CanonicalJson(head);
  // An inspector compares this key id with the one `aliquot init` printed.
  EXPECT_EQ(StringMember(*key, "key_id"), key_id_);
}

TEST_F(ApiTest, EventsArePagedWithFromLimitAndANextCursor) {
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

  const Json second = GetJson("/api/v1/ledger/events?from=2&limit=1");
  ASSERT_EQ(second.Find("events")->AsArray().size(), 1U);
  const Json& started = second.Find("events")->AsArray()[0];
  EXPECT_EQ(IntegerMember(started, "seq"), 2);
  EXPECT_EQ(StringMember(started, "event_type"), "system.server_started");
  EXPECT_EQ(StringMember(started, "prev_hash"), StringMember(initialised, "hash"));
  ASSERT_NE(second.Find("next"), nullptr);
  EXPECT_TRUE(second.Find("next")->IsNull()) << "nothing follows the head";

  const Json all = GetJson("/api/v1/ledger/events");
  ASSERT_EQ(all.Find("events")->AsArray().size(), 2U);
  EXPECT_EQ(all.Find("events")->AsArray()[0], initialised);
  EXPECT_EQ(all.Find("events")->AsArray()[1], started);
  EXPECT_TRUE(all.Find("next")->IsNull());

  const Json past = GetJson("/api/v1/ledger/events?from=3");
  EXPECT_TRUE(past.Find("events")->AsArray().empty());
  EXPECT_TRUE(past.Find("next")->IsNull());
}

TEST_F(ApiTest, OneEventReadsAsItsEntryInTheListAndMissingOnesAreNotFound) {
  const std::vector<Json> events = AllEvents();
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(Get("/api/v1/ledger/events/1").body, CanonicalJson(events[0]));
  EXPECT_EQ(Get("/api/v1/ledger/events/2").body, CanonicalJson(events[1]));

  const Json missing = GetJson("/api/v1/ledger/events/3", 404);
  EXPECT_EQ(StringMember(missing, "code"), "not_found");
  const Json zero = GetJson("/api/v1/ledger/events/0", 400);
  EXPECT_EQ(StringMember(zero, "field"), "seq");
  const Json word = GetJson("/api/v1/ledger/events/two", 400);
  EXPECT_EQ(StringMember(word, "field"), "seq");
}

// Sequence numbers are unsigned 64-bit in the API and signed 64-bit in SQLite: one past the signed
// range must find nothing, not wrap around to the first event.
TEST_F(ApiTest, SequenceNumbersPastTheSigned64BitRangeFindNothing) {
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

TEST_F(ApiTest, UnknownPathIsANotFoundJsonErrorWithTheRequestId) {
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

TEST_F(ApiTest, BadPageQueryIsABadRequestNamingTheParameter) {
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

TEST_F(ApiTest, MetricsCountRequestsAndStoreActivity) {
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
TEST_F(ApiTest, ProofFromTheApiVerifiesWithTheStandAloneVerifier) {
  const HttpResponse response = Get("/api/v1/ledger/events/2/proof");
  ASSERT_EQ(response.status, 200) << response.body;
  const Json proof = ParseOrFail(response.body);
  EXPECT_EQ(IntegerMember(proof, "leaf_index"), 1);
  ASSERT_NE(proof.Find("checkpoint"), nullptr);
  EXPECT_GE(IntegerMember(*proof.Find("checkpoint"), "tree_size"), 2);
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

  const Json past = GetJson("/api/v1/ledger/events/3/proof", 404);
  EXPECT_EQ(StringMember(past, "code"), "not_found");
}

// Verifies AL-04: after a graceful stop and a start on the same folder every event is still there,
// unchanged, and the stop itself is on the record.
TEST_F(ApiTest, RestartAfterSigtermKeepsEveryEventAndRecordsACleanStop) {
  const std::vector<Json> before = AllEvents();
  ASSERT_EQ(before.size(), 2U);

  const auto [status, out] = StopServer(SIGTERM);
  EXPECT_TRUE(status.Succeeded()) << status.Describe() << "\n" << out;
  EXPECT_NE(out.find("Stopped"), std::string::npos) << out;
  ASSERT_NO_FATAL_FAILURE(StartServer());

  const Json head = GetJson("/api/v1/ledger/head");
  EXPECT_EQ(IntegerMember(head, "tree_size"), 4) << "started, stopped, started";
  const std::vector<Json> after = AllEvents();
  ASSERT_EQ(after.size(), 4U);
  EXPECT_EQ(after[0], before[0]);
  EXPECT_EQ(after[1], before[1]);
  EXPECT_EQ(StringMember(after[2], "event_type"), "system.server_stopped");
  EXPECT_EQ(StringMember(*after[2].Find("payload"), "cause"), "SIGTERM");
  EXPECT_EQ(StringMember(after[3], "event_type"), "system.server_started");
  const Json* clean = after[3].Find("payload")->Find("previous_run_ended_cleanly");
  ASSERT_NE(clean, nullptr) << CanonicalJson(after[3]);
  EXPECT_EQ(*clean, Json(true));
  EXPECT_EQ(StringMember(after[3], "prev_hash"), StringMember(after[2], "hash"));
}

// Verifies AL-04: a server killed outright loses nothing, and the next start records that the
// previous run did not end cleanly.
TEST_F(ApiTest, RestartAfterSigkillRecordsThatThePreviousRunDidNotEndCleanly) {
  const std::vector<Json> before = AllEvents();
  ASSERT_EQ(before.size(), 2U);

  const auto [status, out] = StopServer(SIGKILL);
  EXPECT_FALSE(status.exited);
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_EQ(out.find("Stopped"), std::string::npos) << out;
  ASSERT_NO_FATAL_FAILURE(StartServer());

  const std::vector<Json> after = AllEvents();
  ASSERT_EQ(after.size(), 3U) << "started, (killed), started";
  EXPECT_EQ(after[0], before[0]);
  EXPECT_EQ(after[1], before[1]);
  EXPECT_EQ(StringMember(after[2], "event_type"), "system.server_started");
  const Json* clean = after[2].Find("payload")->Find("previous_run_ended_cleanly");
  ASSERT_NE(clean, nullptr) << CanonicalJson(after[2]);
  EXPECT_EQ(*clean, Json(false));
}

// Verifies P11-01: the latest checkpoint, kept outside the system by an auditor, is accepted by
// `aliquot verify --checkpoint`, and the same checkpoint with its root altered is refused.
TEST_F(ApiTest, LatestCheckpointKeptOutsideIsAcceptedByVerify) {
  // Proving event 2 signs a checkpoint at the head.
  ASSERT_EQ(Get("/api/v1/ledger/events/2/proof").status, 200);
  const HttpResponse latest = Get("/api/v1/ledger/checkpoints/latest");
  ASSERT_EQ(latest.status, 200) << latest.body;
  const Json checkpoint = ParseOrFail(latest.body);
  EXPECT_EQ(IntegerMember(checkpoint, "tree_size"), 2);
  EXPECT_EQ(StringMember(checkpoint, "root_hash"),
            StringMember(GetJson("/api/v1/ledger/head"), "root_hash"));

  const Json list = GetJson("/api/v1/ledger/checkpoints");
  ASSERT_NE(list.Find("checkpoints"), nullptr);
  const Json::Array& checkpoints = list.Find("checkpoints")->AsArray();
  ASSERT_EQ(checkpoints.size(), 2U) << "init signs size 1; the proof signed size 2";
  EXPECT_EQ(IntegerMember(checkpoints[0], "tree_size"), 1);
  EXPECT_EQ(checkpoints[1], checkpoint);

  // An auditor verifies while the server runs.
  const std::string kept = SaveFile("kept-checkpoint.json", latest.body);
  const RunResult verified = Aliquot({"verify", "--data", data_.string(), "--checkpoint", kept});
  EXPECT_EQ(verified.status.code, 0) << verified.out << verified.err;
  EXPECT_EQ(verified.out.rfind("OK: 2 events", 0), 0U) << verified.out;
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

TEST_F(ApiTest, CheckpointerSignsTheHeadWhileServing) {
  ASSERT_NO_FATAL_FAILURE(StopServer(SIGTERM));
  ASSERT_NO_FATAL_FAILURE(StartServer({"--checkpoint-interval", "1"}));
  // Head: initialised, started, stopped, started. The stop signed size 3 on its way out.
  Json checkpoint;
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  do {
    checkpoint = GetJson("/api/v1/ledger/checkpoints/latest");
    if (IntegerMember(checkpoint, "tree_size") == 4) break;
    std::this_thread::sleep_for(milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(IntegerMember(checkpoint, "tree_size"), 4);
  EXPECT_EQ(StringMember(checkpoint, "root_hash"),
            StringMember(GetJson("/api/v1/ledger/head"), "root_hash"));
}

}  // namespace
}  // namespace aliquot
