#include "tests/api/site.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <iostream>
#include <regex>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace aliquot::testing {
namespace {

using std::chrono::seconds;

constexpr seconds kStartTimeout(60);
constexpr seconds kStopTimeout(60);
constexpr const char* kSqlite3 = "/usr/bin/sqlite3";

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

// The commands that open a site's store and so take --database.
bool OpensAStore(const std::string& command) {
  for (const char* name :
       {"init", "serve", "verify", "export", "proof", "checkpoint", "bootstrap", "demo"}) {
    if (command == name) return true;
  }
  return false;
}

}  // namespace

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kPostgres ? "PostgreSQL" : "SQLite";
}

void PrintTo(Engine engine, std::ostream* out) {
  *out << (engine == Engine::kPostgres ? "PostgreSQL" : "SQLite");
}

HttpResponse HttpGet(std::uint16_t port, const std::string& target, const Headers& headers) {
  return HttpRequest(port, "GET", target, headers);
}

HttpResponse HttpRequest(std::uint16_t port, const std::string& method, const std::string& target,
                         const Headers& headers, const std::string& body) {
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
  std::string request = method + " " + target +
                        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nAccept: */*\r\nConnection: close\r\n";
  bool content_type = false;
  for (const auto& [name, value] : headers) {
    request.append(name).append(": ").append(value).append("\r\n");
    content_type = content_type || Lower(name) == "content-type";
  }
  if (method != "GET" && method != "HEAD") {
    if (!body.empty() && !content_type) request += "Content-Type: application/json\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;
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
  std::string received = raw.substr(head_end + 4);
  if (Lower(response.Header("transfer-encoding")) == "chunked") {
    auto decoded = Unchunk(received);
    if (!decoded) {
      response.body = "a chunked body that does not decode";
      return response;
    }
    received = std::move(*decoded);
  } else if (!response.Header("content-length").empty()) {
    const std::size_t length = std::stoul(response.Header("content-length"));
    if (received.size() != length) {
      response.body = "Content-Length " + std::to_string(length) + " but " +
                      std::to_string(received.size()) + " bytes arrived";
      return response;
    }
  }
  response.status = std::stoi(raw.substr(9, 3));
  response.body = std::move(received);
  return response;
}

Headers Session::Credentials() const {
  return {{"X-Aliquot-Terminal", terminal_token}, {"Authorization", "Bearer " + token}};
}

Headers TerminalHeader(const std::string& terminal_token) {
  return {{"X-Aliquot-Terminal", terminal_token}};
}

std::string Body(Json::Object members) { return CanonicalJson(Json(std::move(members))); }

std::string SignIn(const Server& server, const std::string& user, const std::string& password,
                   const std::string& terminal_token) {
  const HttpResponse response =
      server.Request("POST", "/api/v1/session", TerminalHeader(terminal_token),
                     Body({{"user_name", user}, {"password", password}}));
  if (response.status != 201) {
    ADD_FAILURE() << "sign-in of " << user << " answered " << response.status << ": "
                  << response.body;
    return "";
  }
  std::string token = StringMember(ParseOrFail(response.body), "token");
  EXPECT_EQ(token.size(), 64U) << response.body;
  return token;
}

Session FirstSignIn(const Server& server, const std::string& user,
                    const std::string& temporary_password, const std::string& new_password,
                    const std::string& terminal_token) {
  const Session temporary{SignIn(server, user, temporary_password, terminal_token), terminal_token};
  if (temporary.token.empty()) return {"", terminal_token};
  const HttpResponse changed = server.Request(
      "POST", "/api/v1/session/password", temporary.Credentials(),
      Body({{"current_password", temporary_password}, {"new_password", new_password}}));
  if (changed.status != 200) {
    ADD_FAILURE() << "the password change of " << user << " answered " << changed.status << ": "
                  << changed.body;
    return {"", terminal_token};
  }
  return {SignIn(server, user, new_password, terminal_token), terminal_token};
}

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

RunResult RunAliquot(std::vector<std::string> args, const std::string& database_url) {
  if (!database_url.empty() && !args.empty() && OpensAStore(args.front())) {
    args.insert(args.end(), {"--database", database_url});
  }
  args.insert(args.begin(), ALIQUOT_BINARY);
  return Run(args);
}

std::string Describe(const RunResult& result) {
  return result.status.Describe() + "\nstdout:\n" + result.out + "\nstderr:\n" + result.err;
}

std::string NamedRoot(const std::string& output) {
  static const std::regex kRoot(R"(root ([0-9a-f]{64}))");
  std::smatch match;
  if (!std::regex_search(output, match, kRoot)) return "";
  return match[1].str();
}

std::string PrintedKeyId(const RunResult& init) {
  const std::string marker = "Checkpoint signing key id: ";
  const std::size_t at = init.out.find(marker);
  if (at == std::string::npos || init.out.size() < at + marker.size() + 64) {
    ADD_FAILURE() << "init printed no key id:\n" << Describe(init);
    return "";
  }
  return init.out.substr(at + marker.size(), 64);
}

void MakeServerFolder(const std::filesystem::path& folder, const std::filesystem::path& keys) {
  using std::filesystem::perms;
  std::filesystem::create_directories(folder / "keys");
  std::filesystem::permissions(folder, perms::owner_all);
  std::filesystem::permissions(folder / "keys", perms::owner_all);
  for (const char* key : {"checkpoint.key", "credentials.key"}) {
    ASSERT_TRUE(std::filesystem::exists(keys / key)) << keys / key;
    const std::filesystem::path copy = folder / "keys" / key;
    ASSERT_TRUE(WriteFileBytes(copy, ReadFileBytes(keys / key))) << copy;
    std::filesystem::permissions(copy, perms::owner_read | perms::owner_write);
  }
}

std::unique_ptr<Server> Server::Start(const std::filesystem::path& data,
                                      const std::string& database_url,
                                      const std::filesystem::path& log,
                                      const std::vector<std::string>& extra,
                                      std::string* serving_line) {
  std::vector<std::string> argv = {ALIQUOT_BINARY,      "serve",    "--data",
                                   data.string(),       "--listen", "127.0.0.1:0",
                                   "--max-connections", "8"};
  if (!database_url.empty()) argv.insert(argv.end(), {"--database", database_url});
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto started = Process::Start({argv, {}, log});
  if (!started) {
    ADD_FAILURE() << "cannot start aliquot serve: " << started.error().ToString();
    return nullptr;
  }
  std::unique_ptr<Process> process = std::move(*started);
  const auto line = process->ReadLineContaining("is serving", kStartTimeout);
  if (!line) {
    ADD_FAILURE() << "the server printed no 'is serving' line; stdout:\n"
                  << process->StdoutSoFar() << "\nstderr:\n"
                  << ReadFileBytes(log);
    return nullptr;
  }
  const std::string marker = "at http://127.0.0.1:";
  const std::size_t at = line->find(marker);
  const int port = at == std::string::npos ? 0 : std::stoi(line->substr(at + marker.size()));
  if (port <= 0 || port >= 65536) {
    ADD_FAILURE() << "no port in the server's line: " << *line;
    return nullptr;
  }
  if (serving_line != nullptr) *serving_line = *line;
  return std::unique_ptr<Server>(new Server(std::move(process), static_cast<std::uint16_t>(port)));
}

std::pair<ExitStatus, std::string> Server::Stop(int signal) {
  EXPECT_TRUE(process_->Signal(signal)) << "the server has ended already";
  return WaitForStop();
}

std::pair<ExitStatus, std::string> Server::WaitForStop() {
  std::string out = process_->ReadStdoutToEnd(kStopTimeout).value_or("(stdout did not end)");
  const std::optional<ExitStatus> status = process_->Wait(kStopTimeout);
  EXPECT_TRUE(status) << "the server did not stop";
  return {status.value_or(ExitStatus{}), out};
}

void SiteTest::SetUp() {
  if (OnPostgres()) {
    database_.emplace();
    ASSERT_FALSE(HasFatalFailure()) << "no test database on the PostgreSQL test cluster";
  }
}

std::string CreateUser(const Server& server, const Session& admin, const std::string& user_id,
                       const std::string& printed_name, const std::string& site,
                       const std::vector<std::string>& roles) {
  Json::Array list;
  for (const std::string& role : roles) {
    list.emplace_back(Json::Object{{"site", site}, {"role", role}});
  }
  const HttpResponse response = server.Request(
      "POST", "/api/v1/users", admin.Credentials(),
      Body({{"user_id", user_id}, {"printed_name", printed_name}, {"roles", std::move(list)}}));
  if (response.status != 201) {
    ADD_FAILURE() << "creating user " << user_id << " answered " << response.status << ": "
                  << response.body;
    return "";
  }
  std::string password = StringMember(ParseOrFail(response.body), "temporary_password");
  EXPECT_FALSE(password.empty()) << response.body;
  return password;
}

Bootstrapped SiteTest::Bootstrap() {
  Bootstrapped made{"LEI", "sam", "Sam de Boer", "", ""};
  const RunResult run =
      Aliquot({"bootstrap", "--data", data_.string(), "--site-id", made.site_id, "--site-name",
               "Leiden Cell Therapy Unit", "--admin", made.admin, "--admin-name", made.admin_name});
  if (!run.status.Succeeded()) {
    ADD_FAILURE() << "aliquot bootstrap failed: " << Describe(run);
    return made;
  }
  static const std::regex kPassword(R"(Temporary password \(change it at first sign-in\): (\S+))");
  static const std::regex kToken(
      R"(Terminal ADMIN-CONSOLE token \(send as X-Aliquot-Terminal\): ([0-9a-f]{64}))");
  std::smatch match;
  if (std::regex_search(run.out, match, kPassword)) made.temporary_password = match[1].str();
  if (std::regex_search(run.out, match, kToken)) made.terminal_token = match[1].str();
  EXPECT_FALSE(made.temporary_password.empty()) << "no temporary password in:\n" << run.out;
  EXPECT_FALSE(made.terminal_token.empty()) << "no terminal token in:\n" << run.out;
  bootstrapped_ = made;
  return made;
}

Session SiteTest::AdminSession(const Server& server) {
  if (!bootstrapped_) {
    ADD_FAILURE() << "AdminSession before Bootstrap";
    return {};
  }
  const Bootstrapped& site = *bootstrapped_;
  if (admin_password_changed_) {
    return {SignIn(server, site.admin, kAdminPassword, site.terminal_token), site.terminal_token};
  }
  Session session =
      FirstSignIn(server, site.admin, site.temporary_password, kAdminPassword, site.terminal_token);
  admin_password_changed_ = !session.token.empty();
  return session;
}

std::string SiteTest::DatabaseUrl() const { return database_ ? database_->Url() : std::string(); }

std::string SiteTest::ExecuteSql(const std::string& sql) {
  if (database_) return database_->TryExecute(sql);
  const RunResult run = testing::Run({kSqlite3, (data_ / "aliquot.db").string(), sql});
  if (run.status.Succeeded() && run.err.empty()) return "";
  return Describe(run);
}

std::string SiteTest::QuerySql(const std::string& sql) {
  if (database_) return database_->QueryValue(sql);
  const RunResult run = testing::Run({kSqlite3, (data_ / "aliquot.db").string(), sql});
  EXPECT_TRUE(run.status.Succeeded() && run.err.empty()) << sql << "\n" << Describe(run);
  std::string value = run.out.substr(0, run.out.find('\n'));
  return value;
}

void ServedSiteTest::SetUp() {
  ASSERT_NO_FATAL_FAILURE(SiteTest::SetUp());
  const RunResult init = Aliquot({"init", "--data", data_.string(), "--site", "API Test Site"});
  ASSERT_TRUE(init.status.Succeeded()) << Describe(init);
  const Bootstrapped site = Bootstrap();
  ASSERT_FALSE(site.terminal_token.empty());
  console_ = site.terminal_token;
  ASSERT_NO_FATAL_FAILURE(StartServer());
  admin_ = AdminSession(*server_);
  ASSERT_FALSE(admin_.token.empty());
}

void ServedSiteTest::TearDown() {
  if (server_) (void)server_->Stop(SIGTERM);
  if (HasFailure()) {
    for (int start = 1; start <= starts_; ++start) {
      std::cerr << "--- server start " << start << " stderr (access log):\n"
                << ReadFileBytes(ServerLog(start)) << "\n";
    }
  }
}

std::filesystem::path ServedSiteTest::ServerLog(int start) const {
  return dir_ / ("server-" + std::to_string(start) + ".err");
}

void ServedSiteTest::StartServer(const std::vector<std::string>& extra) {
  ++starts_;
  server_ = Server::Start(data_, DatabaseUrl(), ServerLog(starts_), extra);
  ASSERT_NE(server_, nullptr);
}

std::vector<Json> LedgerEvents(const Server& server, const Headers& credentials) {
  std::vector<Json> events;
  for (std::int64_t from = 1;;) {
    const HttpResponse page = server.Request(
        "GET", "/api/v1/ledger/events?limit=1000&from=" + std::to_string(from), credentials);
    EXPECT_EQ(page.status, 200) << page.body;
    const Json json = ParseOrFail(page.body);
    const Json* list = json.Find("events");
    if (list == nullptr || !list->IsArray()) return events;
    for (const Json& event : list->AsArray()) events.push_back(event);
    const Json* next = json.Find("next");
    if (next == nullptr || !next->IsNumber()) return events;
    from = next->AsInteger().value_or(0);
  }
}

}  // namespace aliquot::testing
