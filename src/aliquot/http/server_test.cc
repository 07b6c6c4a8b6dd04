// HttpServer against a real socket: a server on port 0 with a test router, driven by a minimal
// HTTP/1.1 client written here so that the test sees exactly the bytes a client would.
#include "aliquot/http/server.h"

#include <cerrno>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aliquot/core/json.h"
#include "aliquot/core/mutex.h"
#include "aliquot/core/thread_annotations.h"
#include "aliquot/http/ledger_routes.h"
#include "aliquot/http/response.h"
#include "aliquot/http/router.h"
#include "tests/support/fake_clock.h"

namespace aliquot::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// How long the client waits for any one thing before the test fails rather than hangs.
constexpr auto kPatience = seconds(10);

// Connects to 127.0.0.1:port; returns the socket, or -1 with errno set.
int ConnectTo(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

bool ConnectionRefused(std::uint16_t port) {
  const int fd = ConnectTo(port);
  if (fd >= 0) {
    close(fd);
    return false;
  }
  return errno == ECONNREFUSED;
}

// Polls `condition` until it holds or kPatience passes.
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // Names in lower case.
  std::string body;

  std::string Header(const std::string& lower_case_name) const {
    const auto it = headers.find(lower_case_name);
    return it == headers.end() ? "<absent>" : it->second;
  }
  Json JsonBody() const {
    Result<Json> parsed = ParseJson(body);
    EXPECT_TRUE(parsed) << body;
    return parsed ? *parsed : Json();
  }
};

// A blocking HTTP/1.1 client over one connection: it sends raw requests and reads responses
// framed by Content-Length (what the server sends), or by the end of the connection.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(ConnectTo(port)) {}
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool Connected() const { return fd_ >= 0; }

  void Send(std::string_view data) const {
    while (!data.empty()) {
      const ssize_t sent = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent <= 0) return;  // The server closed; the read that follows will tell.
      data.remove_prefix(static_cast<std::size_t>(sent));
    }
  }

  // Reads one response; nullopt when the connection ends first or kPatience passes.
  std::optional<Reply> Read(bool head_request = false) {
    std::size_t header_end = 0;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    Reply reply;
    const std::string head = buffer_.substr(0, header_end);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) return std::nullopt;
    reply.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end - start);
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      reply.headers[name] = value;
    }
    std::size_t consumed = header_end + 4;
    if (!head_request) {
      if (reply.headers.count("content-length") != 0) {
        const std::size_t length = std::stoul(reply.headers["content-length"]);
        while (buffer_.size() < consumed + length) {
          if (!Fill()) return std::nullopt;
        }
        reply.body = buffer_.substr(consumed, length);
        consumed += length;
      } else {
        while (Fill()) {
        }
        reply.body = buffer_.substr(consumed);
        consumed = buffer_.size();
      }
    }
    buffer_.erase(0, consumed);
    return reply;
  }

  // True when the server ends the connection (rather than waiting for more) within kPatience.
  bool ClosedByServer() {
    while (Fill()) {
    }
    return closed_;
  }

 private:
  // Appends what arrives to buffer_; false at the end of the connection or after kPatience.
  bool Fill() {
    if (fd_ < 0 || closed_) return false;
    pollfd ready{fd_, POLLIN, 0};
    const int timeout = static_cast<int>(std::chrono::milliseconds(kPatience).count());
    if (poll(&ready, 1, timeout) <= 0) return false;
    char chunk[4096];
    const ssize_t received = recv(fd_, chunk, sizeof(chunk), 0);
    if (received <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(received));
    return true;
  }

  int fd_;
  std::string buffer_;
  bool closed_ = false;
};

std::string Get(std::string_view path, std::string_view extra_headers = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n" +
         std::string(extra_headers) + "\r\n";
}

// Lines written by the access log, from the server's worker threads.
class LogLines {
 public:
  void Add(std::string_view line) EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    lines_.emplace_back(line);
  }
  std::vector<std::string> Lines() const EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    return lines_;
  }

 private:
  mutable Mutex mutex_;
  std::vector<std::string> lines_ GUARDED_BY(mutex_);
};

// Holds a handler until the test opens it, and tells the test when one is waiting.
class Gate {
 public:
  void Pass() EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    ++waiting_;
    while (!open_) opened_.Wait(mutex_);
    --waiting_;
  }
  int Waiting() const EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    return waiting_;
  }
  void Open() EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    open_ = true;
    opened_.NotifyAll();
  }

 private:
  mutable Mutex mutex_;
  CondVar opened_;
  int waiting_ GUARDED_BY(mutex_) = 0;
  bool open_ GUARDED_BY(mutex_) = false;
};

class Tally {
 public:
  int Add() EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    return ++count_;
  }
  int Count() const EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    return count_;
  }

 private:
  mutable Mutex mutex_;
  int count_ GUARDED_BY(mutex_) = 0;
};

class Health {
 public:
  void Fail(std::string message) EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    failure_ = std::move(message);
  }
  Status Check() const EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    if (failure_.empty()) return {};
    return Unexpected(Unavailable(failure_));
  }

 private:
  mutable Mutex mutex_;
  std::string failure_ GUARDED_BY(mutex_);
};

constexpr std::size_t kBodyLimit = 1024;

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    router_.Add("GET", "/hello", [](const Request&) {
      Json body = Json::MakeObject();
      body.Set("hello", Json("world"));
      return JsonResponse(200, body);
    });
    router_.Add("GET", "/items/{id}", [](const Request& request) {
      Json body = Json::MakeObject();
      body.Set("id", Json(*request.PathParam("id")));
      return JsonResponse(200, body);
    });
    router_.Add("POST", "/echo/{name}", [](const Request& request) {
      Json body = Json::MakeObject();
      body.Set("name", Json(ToValidUtf8(*request.PathParam("name"))));
      body.Set("query", Json(ToValidUtf8(request.QueryParam("q").value_or("<absent>"))));
      body.Set("header", Json(ToValidUtf8(request.Header("x-custom").value_or("<absent>"))));
      body.Set("body", Json(ToValidUtf8(request.body)));
      body.Set("body_bytes", Json(static_cast<std::uint64_t>(request.body.size())));
      body.Set("request_id", Json(request.request_id));
      return JsonResponse(200, body);
    });
    router_.Add("GET", "/slow", [this](const Request&) {
      gate_.Pass();
      return TextResponse(200, "text/plain", "finally done");
    });
    router_.Add("GET", "/count", [this](const Request&) {
      Json body = Json::MakeObject();
      body.Set("count", Json(tally_.Add()));
      return JsonResponse(200, body);
    });
    router_.Add("GET", "/throw", [](const Request&) -> Response {
      throw std::runtime_error("boom");  // A third-party exception reaching the adapter edge.
    });
    AddHealthRoutes(
        router_, [this] { return health_.Check(); }, metrics_);
  }

  ServerOptions Options() {
    ServerOptions options;
    options.port = 0;
    options.max_connections = 16;
    options.max_body_bytes = kBodyLimit;
    options.clock = &clock_;
    options.request_id_seed = 42;
    options.access_log = [this](std::string_view line) { log_.Add(line); };
    return options;
  }

  std::unique_ptr<HttpServer> Start(const ServerOptions& options) {
    Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, router_, metrics_);
    EXPECT_TRUE(server) << (server ? "" : server.error().ToString());
    return server ? std::move(*server) : nullptr;
  }
  std::unique_ptr<HttpServer> Start() { return Start(Options()); }

  testing::FakeClock clock_;
  Router router_;
  Metrics metrics_;
  LogLines log_;
  Gate gate_;
  Tally tally_;
  Health health_;
};

TEST_F(HttpServerTest, ServesARouteAndEchoesTheClientsRequestId) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  ASSERT_TRUE(client.Connected());
  client.Send(Get("/hello", "X-Request-Id: batch-17.step_3-A\r\n"));
  const std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, R"({"hello":"world"})");
  EXPECT_EQ(reply->Header("content-type"), "application/json");
  EXPECT_EQ(reply->Header("x-request-id"), "batch-17.step_3-A");
}

TEST_F(HttpServerTest, GeneratesARequestIdWhenTheClientsIsMissingOrUnfit) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  std::vector<std::string> ids;
  for (const char* header : {"", "X-Request-Id: has space\r\n", "X-Request-Id: semi;colon\r\n",
                             "X-Request-Id: 12345678901234567890123456789012345678901234567890"
                             "123456789012345\r\n"}) {
    client.Send(Get("/hello", header));
    const std::optional<Reply> reply = client.Read();
    ASSERT_TRUE(reply) << header;
    const std::string id = reply->Header("x-request-id");
    EXPECT_EQ(id.size(), 16u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end()) << "request ids repeat";
}

TEST_F(HttpServerTest, AnswersAnUnknownPathWithA404JsonError) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  client.Send(Get("/nothing/here", "X-Request-Id: r-404\r\n"));
  const std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(reply->Header("content-type"), "application/json");
  EXPECT_EQ(reply->Header("x-request-id"), "r-404");
  EXPECT_EQ(reply->body,
            R"j({"code":"not_found","field":"path",)j"
            R"j("message":"no resource at /nothing/here (method GET)","request_id":"r-404"})j");
}

TEST_F(HttpServerTest, AnswersAWrongMethodWith405AndTheAllowedMethods) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  client.Send("DELETE /hello HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: r-405\r\n\r\n");
  const std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 405);
  EXPECT_EQ(reply->Header("allow"), "GET, HEAD");
  EXPECT_EQ(reply->Header("x-request-id"), "r-405");
  EXPECT_EQ(reply->body,
            R"({"code":"invalid_argument","field":"method",)"
            R"("message":"method DELETE is not allowed on /hello; allowed: GET, HEAD",)"
            R"("request_id":"r-405"})");
}

TEST_F(HttpServerTest, HandsPathQueryHeadersAndBodyToTheHandler) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  const std::string body = R"({"viability":0.93})";
  client.Send(
      "POST /echo/lot%2017?q=a%20b&other=1 HTTP/1.1\r\nHost: localhost\r\n"
      "X-CUSTOM: shouted\r\nX-Request-Id: echo-1\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  const std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  const Json echoed = reply->JsonBody();
  EXPECT_EQ(echoed.Find("name")->AsString(), "lot 17");
  EXPECT_EQ(echoed.Find("query")->AsString(), "a b");
  EXPECT_EQ(echoed.Find("header")->AsString(), "shouted");
  EXPECT_EQ(echoed.Find("body")->AsString(), body);
  EXPECT_EQ(echoed.Find("request_id")->AsString(), "echo-1");
}

TEST_F(HttpServerTest, KeepsTheConnectionAliveAcrossRequestsAndAnswersHead) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  client.Send("HEAD /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const std::optional<Reply> head = client.Read(/*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"), "17");
  for (const char* id : {"1", "2", "3"}) {
    client.Send(Get(std::string("/items/") + id));
    const std::optional<Reply> reply = client.Read();
    ASSERT_TRUE(reply) << id;
    EXPECT_EQ(reply->body, std::string(R"({"id":")") + id + R"("})");
  }
}

TEST_F(HttpServerTest, RefusesADeclaredBodyAboveTheLimitWith413BeforeReadingIt) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  client.Send(
      "POST /echo/big HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: big-1\r\n"
      "Content-Length: " +
      std::to_string(kBodyLimit + 1) + "\r\n\r\n");
  const std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(reply->Header("x-request-id"), "big-1");
  EXPECT_EQ(reply->body,
            R"({"code":"invalid_argument","field":"body",)"
            R"("message":"request body exceeds the limit of 1024 bytes","request_id":"big-1"})");
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, AFileUploadPathTakesTheUploadLimitAndEveryOtherPathKeepsTheBodyLimit) {
  ServerOptions options = Options();
  options.upload_path_prefix = "/echo/files/";
  options.max_upload_bytes = 4 * kBodyLimit;
  // Routes are added before the server starts: the router is read concurrently afterwards.
  router_.Add("PUT", "/echo/files/{name}", [](const Request& request) {
    return TextResponse(201, "text/plain", std::to_string(request.body.size()));
  });
  const auto server = Start(options);
  ASSERT_NE(server, nullptr);
  const std::string file(3 * kBodyLimit, 'f');
  const auto put = [&](const std::string& method, const std::string& path) {
    Client client(server->Port());
    client.Send(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                std::to_string(file.size()) + "\r\n\r\n" + file);
    return client.Read();
  };
  const std::optional<Reply> uploaded = put("PUT", "/echo/files/a");
  ASSERT_TRUE(uploaded);
  EXPECT_EQ(uploaded->status, 201);
  EXPECT_EQ(uploaded->body, std::to_string(file.size()));
  // The same body elsewhere, or with another method on the upload path, is over the JSON limit.
  const std::optional<Reply> elsewhere = put("POST", "/echo/big");
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->status, 413);
  const std::optional<Reply> posted = put("POST", "/echo/files/a");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 413);
}

TEST_F(HttpServerTest, RefusesAChunkedBodyThatGrowsBeyondTheLimitWith413) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  const std::string chunk(600, 'x');
  client.Send(
      "POST /echo/big HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
      "258\r\n" +
      chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
  const std::optional<Reply> refused = client.Read();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  EXPECT_EQ(refused->JsonBody().Find("field")->AsString(), "body");

  // A body of exactly the limit is accepted, on a fresh connection.
  Client again(server->Port());
  const std::string body(kBodyLimit, 'y');
  again.Send("POST /echo/fits HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body);
  const std::optional<Reply> accepted = again.Read();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200);
  EXPECT_EQ(accepted->JsonBody().Find("body_bytes")->AsInteger(),
            static_cast<std::int64_t>(kBodyLimit));
}

TEST_F(HttpServerTest, TurnsAnExceptionFromAHandlerIntoA500) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  client.Send(Get("/throw", "X-Request-Id: t-1\r\n"));
  const std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 500);
  EXPECT_EQ(reply->body,
            R"({"code":"internal","message":"unexpected failure: boom","request_id":"t-1"})");
  // The worker survived: the connection still serves.
  client.Send(Get("/hello"));
  const std::optional<Reply> after = client.Read();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, KeepsErrorBodiesValidJsonWhenThePathIsNotUtf8) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  client.Send(Get("/%FF%C3("));
  const std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(reply->JsonBody().Find("message")->AsString(),
            "no resource at /\xEF\xBF\xBD\xEF\xBF\xBD( (method GET)");
  server->Shutdown(seconds(5));
  ASSERT_EQ(log_.Lines().size(), 1u);
  EXPECT_TRUE(ParseJson(log_.Lines()[0]));
}

TEST_F(HttpServerTest, WritesOneCanonicalAccessLogLinePerRequest) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  {
    Client client(server->Port());
    client.Send(Get("/hello", "X-Request-Id: log-1\r\n"));
    ASSERT_TRUE(client.Read());
    clock_.Advance(kMicrosPerSecond);
    client.Send(Get("/missing", "X-Request-Id: log-2\r\n"));
    ASSERT_TRUE(client.Read());
  }
  server->Shutdown(seconds(5));  // Every completed request is logged by now.

  const std::vector<std::string> lines = log_.Lines();
  ASSERT_EQ(lines.size(), 2u);
  const Result<Json> first = ParseJson(lines[0]);
  ASSERT_TRUE(first) << lines[0];
  EXPECT_EQ(CanonicalJson(*first), lines[0]);
  EXPECT_EQ(first->Find("time")->AsString(), "2026-01-15T08:00:00.000000Z");
  EXPECT_EQ(first->Find("request_id")->AsString(), "log-1");
  EXPECT_EQ(first->Find("method")->AsString(), "GET");
  EXPECT_EQ(first->Find("path")->AsString(), "/hello");
  EXPECT_EQ(first->Find("status")->AsInteger(), 200);
  EXPECT_EQ(first->Find("bytes")->AsInteger(), 17);
  EXPECT_EQ(first->Find("remote")->AsString().rfind("127.0.0.1:", 0), 0u);
  EXPECT_GE(first->Find("duration_us")->AsInteger().value_or(-1), 0);
  EXPECT_EQ(first->AsObject().size(), 8u);

  const Result<Json> second = ParseJson(lines[1]);
  ASSERT_TRUE(second) << lines[1];
  EXPECT_EQ(second->Find("time")->AsString(), "2026-01-15T08:00:01.000000Z");
  EXPECT_EQ(second->Find("status")->AsInteger(), 404);
}

TEST_F(HttpServerTest, LabelsRequestMetricsWithTheRoutePatternNeverTheRawPath) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  {
    Client client(server->Port());
    for (const char* path : {"/items/1", "/items/2", "/no/such/thing"}) {
      client.Send(Get(path));
      ASSERT_TRUE(client.Read()) << path;
    }
    client.Send("BREW /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const std::optional<Reply> brewed = client.Read();
    ASSERT_TRUE(brewed);
    EXPECT_EQ(brewed->status, 405);
  }
  server->Shutdown(seconds(5));

  const std::string text = metrics_.Render();
  for (const char* line : {
           "aliquot_http_requests_total{method=\"GET\",route=\"/items/{id}\",status=\"200\"} 2\n",
           "aliquot_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n",
           "aliquot_http_requests_total{method=\"other\",route=\"/hello\",status=\"405\"} 1\n",
           "aliquot_http_request_duration_seconds_count{route=\"/items/{id}\"} 2\n",
           "aliquot_http_request_duration_seconds_bucket{route=\"/items/{id}\",le=\"+Inf\"} 2\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "not in\n" << text;
  }
  EXPECT_EQ(text.find("/items/1"), std::string::npos);
  EXPECT_EQ(text.find("/no/such/thing"), std::string::npos);
}

TEST_F(HttpServerTest, ServesHealthAndMetricsRoutes) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  Client client(server->Port());
  client.Send(Get("/healthz"));
  std::optional<Reply> reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, R"({"status":"ok"})");
  EXPECT_EQ(reply->Header("cache-control"), "no-store");

  health_.Fail("store is read-only");
  client.Send(Get("/healthz"));
  reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 503);
  EXPECT_EQ(reply->body, R"({"message":"store is read-only","status":"unavailable"})");

  client.Send(Get("/metrics"));
  reply = client.Read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  // The two health checks finished before this request was read on the same connection.
  EXPECT_NE(reply->body.find("# TYPE aliquot_http_requests_total counter\n"
                             "aliquot_http_requests_total{method=\"GET\",route=\"/healthz\","
                             "status=\"200\"} 1\n"
                             "aliquot_http_requests_total{method=\"GET\",route=\"/healthz\","
                             "status=\"503\"} 1\n"),
            std::string::npos)
      << reply->body;
}

TEST_F(HttpServerTest, FinishesInFlightRequestsOnShutdownAndRefusesNewConnections) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  const std::uint16_t port = server->Port();
  Client slow(port);
  slow.Send(Get("/slow"));
  ASSERT_TRUE(Eventually([&] { return gate_.Waiting() == 1; }));
  EXPECT_EQ(server->InFlight(), 1u);

  std::thread stopper([&] { server->Shutdown(seconds(30)); });
  // While the slow request is still in flight, the port already refuses newcomers.
  EXPECT_TRUE(Eventually([&] { return ConnectionRefused(port); }));
  EXPECT_EQ(server->InFlight(), 1u);

  gate_.Open();
  const std::optional<Reply> reply = slow.Read();
  stopper.join();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "finally done");
  EXPECT_EQ(reply->Header("connection"), "close");
  EXPECT_TRUE(ConnectionRefused(port));
  EXPECT_EQ(server->InFlight(), 0u);
  EXPECT_EQ(log_.Lines().size(), 1u);

  server->Shutdown(seconds(1));  // Idempotent.
  EXPECT_EQ(server->Port(), port);
}

TEST_F(HttpServerTest, ServesConcurrentClientsFromSeveralThreads) {
  const auto server = Start();
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 8;
  constexpr int kRequestsEach = 25;
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&server, c] {
      Client client(server->Port());
      ASSERT_TRUE(client.Connected());
      for (int i = 0; i < kRequestsEach; ++i) {
        const std::string id = "c" + std::to_string(c) + "-" + std::to_string(i);
        client.Send(Get("/count", "X-Request-Id: " + id + "\r\n"));
        const std::optional<Reply> reply = client.Read();
        ASSERT_TRUE(reply) << id;
        EXPECT_EQ(reply->status, 200) << id;
        EXPECT_EQ(reply->Header("x-request-id"), id);
      }
    });
  }
  for (std::thread& thread : clients) thread.join();
  server->Shutdown(seconds(5));

  EXPECT_EQ(tally_.Count(), kClients * kRequestsEach);
  EXPECT_EQ(log_.Lines().size(), static_cast<std::size_t>(kClients * kRequestsEach));
  EXPECT_NE(metrics_.Render().find("aliquot_http_requests_total{method=\"GET\",route=\"/count\","
                                   "status=\"200\"} 200\n"),
            std::string::npos);
}

TEST_F(HttpServerTest, ReportsAPortInUseAsUnavailableNamingAddressAndReason) {
  const auto first = Start();
  ASSERT_NE(first, nullptr);
  ServerOptions options = Options();
  options.port = first->Port();
  const Result<std::unique_ptr<HttpServer>> second = HttpServer::Start(options, router_, metrics_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().Code(), ErrorCode::kUnavailable);
  EXPECT_EQ(
      second.error().Message(),
      "cannot listen on 127.0.0.1:" + std::to_string(first->Port()) + ": Address already in use");
}

TEST_F(HttpServerTest, ReportsAnAddressNotOfThisHostAsUnavailable) {
  ServerOptions options = Options();
  options.address = "192.0.2.1";  // TEST-NET-1 (RFC 5737): never a local address.
  options.port = 8080;
  const Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, router_, metrics_);
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().Code(), ErrorCode::kUnavailable);
  EXPECT_EQ(server.error().Message(),
            "cannot listen on 192.0.2.1:8080: Cannot assign requested address");
}

TEST_F(HttpServerTest, BindsAnIpv6LoopbackAddress) {
  ServerOptions options = Options();
  options.address = "::1";
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, router_, metrics_);
  if (!server) GTEST_SKIP() << "no IPv6 loopback here: " << server.error().ToString();
  EXPECT_GT((*server)->Port(), 0);
}

TEST(HttpRequestId, AcceptsOneToSixtyFourSafeCharacters) {
  EXPECT_TRUE(IsValidRequestId("a"));
  EXPECT_TRUE(IsValidRequestId("Batch-17.step_3"));
  EXPECT_TRUE(IsValidRequestId(std::string(64, 'z')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId(std::string(65, 'z')));
  EXPECT_FALSE(IsValidRequestId("a b"));
  EXPECT_FALSE(IsValidRequestId("a/b"));
  EXPECT_FALSE(IsValidRequestId("line\nbreak"));
  EXPECT_FALSE(IsValidRequestId("\xC3\xA9"));
}

}  // namespace
}  // namespace aliquot::http
