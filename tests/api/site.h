// What the API and command-line tests share: a site under test on either storage engine, the
// `aliquot` binary run against it, its servers on port 0, a plain HTTP client, and the site's
// people: its bootstrap administrator, sign-in and new accounts. On SQLite the site's database is
// its data folder's own file; on PostgreSQL it is a TestDatabase of the test's own, and every
// command that opens a store is given --database, as an operator would.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/json.h"
#include "tests/support/postgres.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace aliquot::testing {

enum class Engine { kSqlite, kPostgres };

// "SQLite" or "PostgreSQL": the end of a test's name, e.g. ApiTest.HealthzAnswersOk/PostgreSQL.
std::string EngineName(const ::testing::TestParamInfo<Engine>& info);
// The same for GoogleTest's messages, which CTest's test list repeats ("# GetParam() = SQLite").
void PrintTo(Engine engine, std::ostream* out);

// HTTP ---------------------------------------------------------------------------------------

struct HttpResponse {
  int status = 0;                              // 0: no response; `body` then says why.
  std::map<std::string, std::string> headers;  // Names in lower case.
  std::string body;

  std::string Header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTP/1.1 request to 127.0.0.1:`port` over a fresh connection ("Connection: close"), read to
// the end. A method other than GET and HEAD sends `body` with its Content-Length (0 when empty)
// and, when `body` is not empty, "Content-Type: application/json" unless `headers` names one.
HttpResponse HttpRequest(std::uint16_t port, const std::string& method, const std::string& target,
                         const Headers& headers = {}, const std::string& body = "");
// HttpRequest(port, "GET", target, headers).
HttpResponse HttpGet(std::uint16_t port, const std::string& target, const Headers& headers = {});

// Parses `text` as JSON; a parse failure is a test failure that shows the text.
Json ParseOrFail(const std::string& text);
// A member of a JSON object: "" or -1 when it is missing or of another type.
std::string StringMember(const Json& object, std::string_view name);
std::int64_t IntegerMember(const Json& object, std::string_view name);

// The command line ---------------------------------------------------------------------------

// Runs `aliquot args...` to completion. With a database URL, a command that opens a site's store
// (init, serve, verify, export, proof, checkpoint) is given `--database URL`.
RunResult RunAliquot(std::vector<std::string> args, const std::string& database_url);

// "exit code 1" and both outputs, for failure messages.
std::string Describe(const RunResult& result);

// The 64 hex digits after "root " in a report line (verify, export, migrate-store), or "".
std::string NamedRoot(const std::string& output);

// The key id `aliquot init` printed ("Checkpoint signing key id: ..."), or "" with a test failure.
std::string PrintedKeyId(const RunResult& init);

// A new data folder for one more server of a site whose database is PostgreSQL, made as
// docs/deploy-postgresql.md section 5 says: the folder and keys/ 0700, and copies of both keys in
// the folder `keys` (checkpoint.key and credentials.key), 0600.
void MakeServerFolder(const std::filesystem::path& folder, const std::filesystem::path& keys);

// Servers ------------------------------------------------------------------------------------

// `aliquot serve` on 127.0.0.1, port 0, its stderr (the access log) in a file.
class Server {
 public:
  // Starts `aliquot serve --data DATA --listen 127.0.0.1:0 --max-connections 8 [--database URL]
  // extra...` and waits for the line it prints once serving, which `serving_line` receives.
  // nullptr, with a test failure saying why, when it does not serve.
  static std::unique_ptr<Server> Start(const std::filesystem::path& data,
                                       const std::string& database_url,
                                       const std::filesystem::path& log,
                                       const std::vector<std::string>& extra = {},
                                       std::string* serving_line = nullptr);

  std::uint16_t Port() const { return port_; }
  Process& Child() { return *process_; }

  HttpResponse Get(const std::string& target, const Headers& headers = {}) const {
    return HttpGet(port_, target, headers);
  }
  HttpResponse Request(const std::string& method, const std::string& target,
                       const Headers& headers = {}, const std::string& body = "") const {
    return HttpRequest(port_, method, target, headers, body);
  }

  // Sends `signal` and waits for the server to end; returns how it ended and its whole stdout.
  // A server that does not end is a test failure (and is killed when this object goes away).
  std::pair<ExitStatus, std::string> Stop(int signal);
  // The same without sending anything, after Child().Signal(): to stop several servers at once.
  std::pair<ExitStatus, std::string> WaitForStop();

 private:
  Server(std::unique_ptr<Process> process, std::uint16_t port)
      : process_(std::move(process)), port_(port) {}

  std::unique_ptr<Process> process_;
  std::uint16_t port_;
};

// Identity -----------------------------------------------------------------------------------

// What `aliquot bootstrap` made and printed once: the first site, its system administrator with a
// temporary password, and the terminal they sign in on.
struct Bootstrapped {
  std::string site_id;
  std::string admin;
  std::string admin_name;
  std::string temporary_password;
  std::string terminal_token;  // Of the terminal "ADMIN-CONSOLE".
};

// A signed-in session: what every request after sign-in sends.
struct Session {
  std::string token;           // Authorization: Bearer <token>.
  std::string terminal_token;  // X-Aliquot-Terminal.

  // The two headers.
  Headers Credentials() const;
};

// The header a request needs from `terminal_token` before anyone signs in.
Headers TerminalHeader(const std::string& terminal_token);

// A JSON object body: Body({{"user_name", "sam"}, {"password", secret}}).
std::string Body(Json::Object members);

// POST /api/v1/session: the session token, or "" with a test failure naming the response.
std::string SignIn(const Server& server, const std::string& user, const std::string& password,
                   const std::string& terminal_token);

// What a person does at their first sign-in: signs in with the temporary password, changes it
// to `new_password` (POST /api/v1/session/password) and signs in again. Returns the new session;
// an empty token, with a test failure, when a step fails.
Session FirstSignIn(const Server& server, const std::string& user,
                    const std::string& temporary_password, const std::string& new_password,
                    const std::string& terminal_token);

// POST /api/v1/users as `admin`: the account `user_id` with `roles` (role names) at `site`.
// Returns its temporary password, or "" with a test failure naming the response.
std::string CreateUser(const Server& server, const Session& admin, const std::string& user_id,
                       const std::string& printed_name, const std::string& site,
                       const std::vector<std::string>& roles);

// The fixture ---------------------------------------------------------------------------------

// A test folder (removed afterwards) with `data_` for the site's data folder, and on PostgreSQL a
// fresh database. Instantiate with ::testing::Values(Engine::kSqlite, Engine::kPostgres).
class SiteTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override;

  bool OnPostgres() const { return GetParam() == Engine::kPostgres; }
  // The site's database URL on PostgreSQL; "" on SQLite, where the data folder holds the file.
  std::string DatabaseUrl() const;

  RunResult Aliquot(std::vector<std::string> args) const {
    return RunAliquot(std::move(args), DatabaseUrl());
  }

  // Runs `aliquot bootstrap` on the site (site LEI, administrator "sam"), which must have been
  // initialised and must have no user yet, and returns what it printed. On failure, a test
  // failure and empty members.
  Bootstrapped Bootstrap();

  // A session of the bootstrap administrator (system_administrator, which permits
  // audit_trail.read) on `server`, from the terminal ADMIN-CONSOLE. The first call changes the
  // temporary password to kAdminPassword; later ones, on this or another server of the site, sign
  // in with it. An empty token, with a test failure, when a step fails.
  Session AdminSession(const Server& server);

  // The password AdminSession sets for the administrator.
  static constexpr const char* kAdminPassword = "Console-2026-Aliquot";

  // Runs `sql` on the site's database behind Aliquot's back, as an administrator with sqlite3 or
  // psql could; returns the error message, or "" on success.
  std::string ExecuteSql(const std::string& sql);
  // The first column of the first row of `sql` as text; a failing query fails the test.
  std::string QuerySql(const std::string& sql);

  TempDir dir_;
  const std::filesystem::path data_ = dir_ / "data";
  std::optional<TestDatabase> database_;      // PostgreSQL only.
  std::optional<Bootstrapped> bootstrapped_;  // Once Bootstrap() ran.
  bool admin_password_changed_ = false;
};

// Every event of the ledger, page by page through GET /api/v1/ledger/events, read with
// `credentials` (a role with audit_trail.read). A page that fails is a test failure.
std::vector<Json> LedgerEvents(const Server& server, const Headers& credentials);

// A site initialised, bootstrapped and served, its administrator signed in on the console: where
// most API tests start. When a test fails, the server's stderr (its access log) of every start is
// printed.
class ServedSiteTest : public SiteTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::filesystem::path ServerLog(int start) const;
  // Starts the site's server (again), with `extra` arguments for `aliquot serve`.
  void StartServer(const std::vector<std::string>& extra = {});

  std::unique_ptr<Server> server_;
  std::string console_;  // The token of the terminal ADMIN-CONSOLE.
  Session admin_;
  int starts_ = 0;
};

}  // namespace aliquot::testing
