// A site on PostgreSQL, as docs/deploy-postgresql.md deploys it: several servers, each from its own
// data folder holding copies of the site's keys, writing one ledger in one database; a second
// `init` against that database refused; a server with another key refused; and a site moved from
// its SQLite file with `aliquot migrate-store`. The real binaries throughout, servers on port 0,
// each test on a database of its own.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "tests/api/site.h"
#include "tests/support/process.h"

namespace aliquot {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Describe;
using testing::Engine;
using testing::IntegerMember;
using testing::NamedRoot;
using testing::ParseOrFail;
using testing::RunResult;
using testing::StringMember;

constexpr const char* kSite = "Shared Site";

std::string HostName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "unknown-host";
  return host;
}

// How a server on `folder` names itself in the ledger: "<host>:<absolute data folder>".
std::string ServerIdOf(const std::filesystem::path& folder) {
  return HostName() + ":" + std::filesystem::absolute(folder).lexically_normal().string();
}

// `bytes` in lower-case hex, as SQLite's X'...' and PostgreSQL's encode(..., 'hex') spell them.
std::string HexOf(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const char c : bytes) {
    hex += kDigits[static_cast<unsigned char>(c) >> 4];
    hex += kDigits[static_cast<unsigned char>(c) & 0xf];
  }
  return hex;
}

// The events of an export, parsed, in file order.
std::vector<Json> ExportedEvents(const std::string& folder) {
  std::vector<Json> events;
  const std::string text = testing::ReadFileBytes(std::filesystem::path(folder) / "events.jsonl");
  std::size_t begin = 0;
  for (std::size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1) {
    events.push_back(ParseOrFail(text.substr(begin, end - begin)));
  }
  return events;
}

// The complete "<seq> <hash>" lines a crash_appender wrote.
std::map<std::uint64_t, std::string> Acknowledgements(const std::filesystem::path& out) {
  std::map<std::uint64_t, std::string> acks;
  const std::string text = testing::ReadFileBytes(out);
  std::size_t begin = 0;
  for (std::size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1) {
    const std::string line = text.substr(begin, end - begin);
    const std::size_t space = line.find(' ');
    if (space == std::string::npos) {
      ADD_FAILURE() << "malformed acknowledgement line '" << line << "'";
      continue;
    }
    acks.emplace(std::stoull(line.substr(0, space)), line.substr(space + 1));
  }
  return acks;
}

class PostgresSiteTest : public testing::SiteTest {
 protected:
  void TearDown() override {
    if (HasFailure()) {
      for (const auto& entry : std::filesystem::directory_iterator(dir_.Path())) {
        if (entry.path().extension() != ".err") continue;
        std::cerr << "--- " << entry.path().filename().string() << ":\n"
                  << testing::ReadFileBytes(entry.path()) << "\n";
      }
    }
  }

  // `aliquot init` of the site on the test's database; returns the key id it printed.
  std::string InitSite() {
    const RunResult init = Aliquot({"init", "--data", data_.string(), "--site", kSite});
    EXPECT_TRUE(init.status.Succeeded()) << Describe(init);
    return testing::PrintedKeyId(init);
  }

  std::unique_ptr<testing::Server> StartServer(const std::filesystem::path& folder,
                                               const std::string& name,
                                               const std::vector<std::string>& extra = {}) {
    return testing::Server::Start(folder, DatabaseUrl(), dir_ / (name + ".err"), extra);
  }
};

INSTANTIATE_TEST_SUITE_P(, PostgresSiteTest, ::testing::Values(Engine::kPostgres),
                         testing::EngineName);

// docs/deploy-postgresql.md sections 4 and 5: two servers, each from its own folder with a copy of
// the key, serve one ledger while another process appends to it; both stop on SIGTERM, and the
// ledger that results is one chain that both verifiers accept, with each server's start and stop on
// it. (The HTTP API has no route that appends GMP records yet: the writer is a crash_appender
// process.) Each server is read by the site's administrator in a session of its own: sessions live
// in the memory of the server that opened them.
TEST_P(PostgresSiteTest, TwoServersOnOneDatabaseUnderLoadLeaveOneLedgerThatVerifies) {
  const std::string key_id = InitSite();
  ASSERT_EQ(key_id.size(), 64U);
  ASSERT_FALSE(Bootstrap().terminal_token.empty());
  const std::filesystem::path second = dir_ / "second-server";
  ASSERT_NO_FATAL_FAILURE(testing::MakeServerFolder(second, data_ / "keys"));

  // Each server signs a checkpoint every second, so checkpoints race with the appends too.
  auto first_server = StartServer(data_, "server-first", {"--checkpoint-interval", "1"});
  ASSERT_NE(first_server, nullptr);
  auto second_server = StartServer(second, "server-second", {"--checkpoint-interval", "1"});
  ASSERT_NE(second_server, nullptr);
  const testing::Session on_first = AdminSession(*first_server);
  ASSERT_FALSE(on_first.token.empty());
  const testing::Session on_second = AdminSession(*second_server);
  ASSERT_FALSE(on_second.token.empty());
  const std::int64_t before_writer = IntegerMember(
      ParseOrFail(second_server->Get("/api/v1/ledger/head", on_second.Credentials()).body),
      "tree_size");
  ASSERT_GT(before_writer, 0);

  // The writer opens its store while nothing appends (see
  // VerifyAndANewServerStartWhileAnotherProcessAppends for opening beside a writer), then appends
  // from eight threads until it is killed.
  auto writer = testing::Process::Start({{ALIQUOT_CRASH_APPENDER, DatabaseUrl(), "1", "8", "120"},
                                         dir_ / "writer.out",
                                         dir_ / "writer.err"});
  ASSERT_TRUE(writer) << writer.error().ToString();

  // Both servers answer from the one ledger while it grows: each sees the other's start, and the
  // writer's events, in its head.
  std::map<std::string, std::int64_t> seen;  // Server -> the largest head it reported.
  // At least 2.5 s, so that each server's checkpointer signs under the load.
  const auto at_least = std::chrono::steady_clock::now() + milliseconds(2500);
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  const std::int64_t enough = before_writer + 40;  // Forty of the writer's events.
  while (std::chrono::steady_clock::now() < deadline &&
         (std::chrono::steady_clock::now() < at_least || seen["first"] < enough ||
          seen["second"] < enough)) {
    for (const auto& [name, server, session] :
         {std::tuple{"first", first_server.get(), &on_first},
          std::tuple{"second", second_server.get(), &on_second}}) {
      const testing::HttpResponse head = server->Get("/api/v1/ledger/head", session->Credentials());
      ASSERT_EQ(head.status, 200) << name << ": " << head.body;
      const std::int64_t size = IntegerMember(ParseOrFail(head.body), "tree_size");
      EXPECT_GE(size, seen[name]) << name << "'s head went backwards";
      seen[name] = std::max(seen[name], size);
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_GE(seen["first"], enough) << "the first server never saw the writer's events";
  EXPECT_GE(seen["second"], enough) << "the second server never saw the writer's events";

  // Both stop at once while the writer still appends; it goes on appending after them and never
  // sees an error.
  ASSERT_TRUE(first_server->Child().Signal(SIGTERM));
  ASSERT_TRUE(second_server->Child().Signal(SIGTERM));
  for (auto* server : {first_server.get(), second_server.get()}) {
    const auto [status, out] = server->WaitForStop();
    EXPECT_TRUE(status.Succeeded()) << status.Describe() << "\n" << out;
    EXPECT_NE(out.find("Stopped. Ledger head: "), std::string::npos) << out;
  }
  const std::size_t acknowledged_at_stop = Acknowledgements(dir_ / "writer.out").size();
  for (const auto until = std::chrono::steady_clock::now() + seconds(30);
       Acknowledgements(dir_ / "writer.out").size() < acknowledged_at_stop + 20 &&
       std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_FALSE((*writer)->Wait(milliseconds(0)).has_value())
      << "the writer ended: " << testing::ReadFileBytes(dir_ / "writer.err");
  ASSERT_TRUE((*writer)->Signal(SIGKILL));
  ASSERT_TRUE((*writer)->Wait(seconds(30)).has_value());
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "writer.err"), "") << "the writer saw an error";

  // `aliquot verify` from either server's folder: one chain, one root.
  const RunResult verified = Aliquot({"verify", "--data", data_.string()});
  ASSERT_EQ(verified.status.code, 0) << Describe(verified);
  EXPECT_EQ(verified.out.rfind("OK: ", 0), 0U) << verified.out;
  const RunResult from_second = Aliquot({"verify", "--data", second.string()});
  EXPECT_EQ(from_second.status.code, 0) << Describe(from_second);
  EXPECT_EQ(NamedRoot(from_second.out), NamedRoot(verified.out));

  // The export, checked by the stand-alone verifier, holds every acknowledged event.
  const std::string out = (dir_ / "export").string();
  const RunResult exported = Aliquot({"export", "--data", data_.string(), "--out", out});
  ASSERT_EQ(exported.status.code, 0) << Describe(exported);
  EXPECT_EQ(NamedRoot(exported.out), NamedRoot(verified.out)) << exported.out << verified.out;
  const RunResult python =
      testing::Run({PYTHON3, (testing::SourceDir() / "tools" / "verify_ledger.py").string(), out});
  EXPECT_EQ(python.status.code, 0) << Describe(python);
  EXPECT_EQ(python.out.rfind("OK: ", 0), 0U) << python.out;
  EXPECT_EQ(NamedRoot(python.out), NamedRoot(verified.out)) << python.out;

  const std::vector<Json> events = ExportedEvents(out);
  std::map<std::uint64_t, std::string> exported_hashes;
  for (const Json& event : events) {
    exported_hashes[static_cast<std::uint64_t>(IntegerMember(event, "seq"))] =
        StringMember(event, "hash");
  }
  const auto acks = Acknowledgements(dir_ / "writer.out");
  EXPECT_GT(acks.size(), acknowledged_at_stop);
  std::size_t missing = 0;
  for (const auto& [seq, hash] : acks) {
    if (exported_hashes[seq] != hash && ++missing <= 5) {
      ADD_FAILURE() << "the writer's acknowledged seq " << seq << " is not in the export as "
                    << "acknowledged";
    }
  }
  EXPECT_EQ(missing, 0U);

  // Each server's start and stop are on the record under its own id, the start after a clean run.
  for (const std::filesystem::path& folder : {data_, second}) {
    const std::string id = ServerIdOf(folder);
    SCOPED_TRACE(id);
    std::vector<std::string> lifecycle;
    for (const Json& event : events) {
      const std::string type = StringMember(event, "event_type");
      if (type != "system.server_started" && type != "system.server_stopped") continue;
      const Json* payload = event.Find("payload");
      ASSERT_NE(payload, nullptr);
      if (StringMember(*payload, "server_id") != id) continue;
      lifecycle.push_back(type);
      if (type == "system.server_started") {
        const Json* clean = payload->Find("previous_run_ended_cleanly");
        ASSERT_NE(clean, nullptr) << CanonicalJson(event);
        EXPECT_EQ(*clean, Json(true)) << CanonicalJson(event);
      } else {
        EXPECT_EQ(StringMember(*payload, "cause"), "SIGTERM") << CanonicalJson(event);
      }
    }
    EXPECT_EQ(lifecycle,
              (std::vector<std::string>{"system.server_started", "system.server_stopped"}));
  }
}

// docs/deploy-postgresql.md section 7: "`verify` reads one consistent snapshot and takes no lock,
// so it can run while servers append"; and section 5: a server joins a site whose ledger grows.
// Each is tried several times while another process appends, as on any busy site.
TEST_P(PostgresSiteTest, VerifyAndANewServerStartWhileAnotherProcessAppends) {
  ASSERT_EQ(InitSite().size(), 64U);
  const std::filesystem::path joining = dir_ / "joining-server";
  ASSERT_NO_FATAL_FAILURE(testing::MakeServerFolder(joining, data_ / "keys"));
  auto writer = testing::Process::Start({{ALIQUOT_CRASH_APPENDER, DatabaseUrl(), "1", "4", "120"},
                                         dir_ / "writer.out",
                                         dir_ / "writer.err"});
  ASSERT_TRUE(writer) << writer.error().ToString();
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (Acknowledgements(dir_ / "writer.out").empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_FALSE(Acknowledgements(dir_ / "writer.out").empty())
      << "the writer appended nothing: " << testing::ReadFileBytes(dir_ / "writer.err");

  constexpr int kTries = 8;
  std::vector<std::string> refused;
  for (int attempt = 1; attempt <= kTries; ++attempt) {
    const RunResult verify = Aliquot({"verify", "--data", data_.string()});
    if (verify.status.code != 0 || verify.out.rfind("OK: ", 0) != 0) {
      refused.push_back("verify: " + Describe(verify));
    }
    const std::filesystem::path log = dir_ / ("joining-" + std::to_string(attempt) + ".err");
    auto process =
        testing::Process::Start({{ALIQUOT_BINARY, "serve", "--data", joining.string(), "--listen",
                                  "127.0.0.1:0", "--database", DatabaseUrl()},
                                 {},
                                 log});
    ASSERT_TRUE(process) << process.error().ToString();
    if ((*process)->ReadLineContaining("is serving", seconds(60))) {
      ASSERT_TRUE((*process)->Signal(SIGTERM));
      const auto stopped = (*process)->Wait(seconds(60));
      ASSERT_TRUE(stopped.has_value()) << "the joining server did not stop";
      EXPECT_TRUE(stopped->Succeeded()) << stopped->Describe() << testing::ReadFileBytes(log);
    } else {
      const auto ended = (*process)->Wait(seconds(60));
      ASSERT_TRUE(ended.has_value()) << "the joining server neither served nor ended";
      refused.push_back("serve (" + ended->Describe() + "): " + testing::ReadFileBytes(log));
    }
  }
  EXPECT_TRUE(refused.empty()) << refused.size() << " of " << 2 * kTries
                               << " commands run beside the writer failed; the first:\n"
                               << (refused.empty() ? "" : refused.front());
  ASSERT_TRUE((*writer)->Signal(SIGKILL));
  ASSERT_TRUE((*writer)->Wait(seconds(30)).has_value());
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "writer.err"), "") << "the writer saw an error";

  // Once it rests, the ledger verifies, with every event the writer was told is stored.
  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(verify.out.rfind("OK: ", 0), 0U) << Describe(verify);
  const auto acks = Acknowledgements(dir_ / "writer.out");
  const std::uint64_t highest = acks.rbegin()->first;
  EXPECT_GE(std::stoull(QuerySql("SELECT max(seq) FROM events")), highest);
}

// docs/deploy-postgresql.md section 4: a second `init` against a site's database must not mint a
// key that no ledger knows; it says how a server is added instead, and creates nothing.
TEST_P(PostgresSiteTest, InitAgainstADatabaseThatHoldsALedgerIsRefusedSayingHowToAddAServer) {
  const std::string key_id = InitSite();
  ASSERT_EQ(key_id.size(), 64U);
  const std::filesystem::path other = dir_ / "other";
  const RunResult again = Aliquot({"init", "--data", other.string(), "--site", "Another Site"});
  EXPECT_EQ(again.status.code, 1) << Describe(again);
  EXPECT_NE(again.err.find("already holds a ledger (1 events)"), std::string::npos)
      << Describe(again);
  EXPECT_NE(again.err.find("copy the site's keys/checkpoint.key into a new data folder"),
            std::string::npos)
      << Describe(again);
  EXPECT_NE(again.err.find("aliquot serve"), std::string::npos) << Describe(again);
  EXPECT_FALSE(std::filesystem::exists(other));

  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(verify.out.rfind("OK: 1 events", 0), 0U) << Describe(verify);
  EXPECT_NE(verify.out.find("key " + key_id), std::string::npos) << verify.out;
}

// docs/deploy-postgresql.md section 5: a server whose folder holds another key must not sign the
// site's checkpoints; it is refused, naming both keys, and records nothing.
TEST_P(PostgresSiteTest, ServeWithAKeyThatIsNotTheSitesIsRefusedNamingBothKeys) {
  const std::string site_key = InitSite();
  ASSERT_EQ(site_key.size(), 64U);
  // Another site's key, from an `init` of its own (SQLite: its own folder).
  const std::filesystem::path elsewhere = dir_ / "elsewhere";
  const RunResult other_init = testing::RunAliquot(
      {"init", "--data", elsewhere.string(), "--site", "Elsewhere"}, /*database_url=*/"");
  ASSERT_TRUE(other_init.status.Succeeded()) << Describe(other_init);
  const std::string other_key = testing::PrintedKeyId(other_init);
  ASSERT_EQ(other_key.size(), 64U);
  ASSERT_NE(other_key, site_key);
  const std::filesystem::path wrong = dir_ / "wrong-key";
  ASSERT_NO_FATAL_FAILURE(testing::MakeServerFolder(wrong, elsewhere / "keys"));

  const RunResult serve = Aliquot({"serve", "--data", wrong.string(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(serve.status.code, 1) << Describe(serve);
  EXPECT_NE(serve.err.find(other_key), std::string::npos) << Describe(serve);
  EXPECT_NE(serve.err.find(site_key), std::string::npos) << Describe(serve);
  EXPECT_NE(serve.err.find("not the site's checkpoint key"), std::string::npos) << Describe(serve);
  EXPECT_EQ(serve.out.find("is serving"), std::string::npos) << Describe(serve);
  EXPECT_EQ(QuerySql("SELECT count(*) FROM events"), "1") << "the refused server recorded a start";

  // `verify` from that folder fails too: the site's checkpoints are not signed with its key.
  const RunResult verify = Aliquot({"verify", "--data", wrong.string()});
  EXPECT_EQ(verify.status.code, 1) << Describe(verify);
  EXPECT_EQ(verify.out.find("OK"), std::string::npos) << Describe(verify);
}

// docs/deploy-postgresql.md section 12: `migrate-store` copies a SQLite site into an empty
// database unchanged (the same root, so checkpoints kept outside still verify; the same files,
// byte for byte, with their media types and times of storing), refuses a second copy, and the
// site then serves from PostgreSQL, leaving its SQLite file as it was.
TEST_P(PostgresSiteTest, MigrateStoreCopiesASqliteSiteThatThenServesFromPostgresql) {
  const RunResult init =
      testing::RunAliquot({"init", "--data", data_.string(), "--site", kSite}, /*database_url=*/"");
  ASSERT_TRUE(init.status.Succeeded()) << Describe(init);
  auto on_sqlite = testing::Server::Start(data_, "", dir_ / "server-sqlite.err");
  ASSERT_NE(on_sqlite, nullptr);
  const auto [sqlite_stop, sqlite_out] = on_sqlite->Stop(SIGTERM);
  ASSERT_TRUE(sqlite_stop.Succeeded()) << sqlite_stop.Describe() << "\n" << sqlite_out;
  // Two files in the site's SQLite file, stored as the store writes them (the CLI stores none,
  // and an upload needs a user with a GMP role): a "PDF" holding every byte value, and a scan.
  struct File {
    std::string bytes;
    std::string media_type;
    std::int64_t stored_at_us;
  };
  std::string every_byte;
  for (int round = 0; round < 40; ++round) {
    for (int value = 0; value < 256; ++value) every_byte += static_cast<char>(value);
  }
  const std::vector<File> files = {
      {"%PDF-1.7\n" + every_byte, "application/pdf", 1767225600000000},
      {std::string("II*\0 scanned CoA\0\xff", 18), "image/tiff", 1767312000123456}};
  std::uint64_t file_bytes = 0;
  for (const File& file : files) {
    const RunResult stored = testing::Run(
        {"/usr/bin/sqlite3", (data_ / "aliquot.db").string(),
         "INSERT INTO blobs (sha256, size, media_type, stored_at_us, content) VALUES ('" +
             Sha256::Of(file.bytes).Hex() + "', " + std::to_string(file.bytes.size()) + ", '" +
             file.media_type + "', " + std::to_string(file.stored_at_us) + ", X'" +
             HexOf(file.bytes) + "')"});
    ASSERT_TRUE(stored.status.Succeeded() && stored.err.empty()) << Describe(stored);
    file_bytes += file.bytes.size();
  }
  const RunResult sqlite_verify = testing::RunAliquot({"verify", "--data", data_.string()}, "");
  ASSERT_EQ(sqlite_verify.status.code, 0) << Describe(sqlite_verify);
  EXPECT_EQ(sqlite_verify.out.rfind("OK: 3 events", 0), 0U) << sqlite_verify.out;
  EXPECT_NE(sqlite_verify.out.find("2 files (" + std::to_string(file_bytes) + " bytes)"),
            std::string::npos)
      << sqlite_verify.out;
  const std::string root = NamedRoot(sqlite_verify.out);
  ASSERT_EQ(root.size(), 64U) << sqlite_verify.out;
  const std::string sqlite_file = Sha256::Of(testing::ReadFileBytes(data_ / "aliquot.db")).Hex();

  const std::vector<std::string> migrate = {ALIQUOT_BINARY, "migrate-store", "--from",
                                            data_.string(), "--to",          DatabaseUrl()};
  const RunResult copied = testing::Run(migrate);
  ASSERT_EQ(copied.status.code, 0) << Describe(copied);
  EXPECT_EQ(copied.out.rfind("Copied 3 events, ", 0), 0U) << copied.out;
  EXPECT_NE(
      copied.out.find(" checkpoints and 2 files (" + std::to_string(file_bytes) + " bytes) from "),
      std::string::npos)
      << copied.out;
  EXPECT_NE(copied.out.find("the copy verifies"), std::string::npos) << copied.out;
  EXPECT_NE(copied.out.find("2 files match their SHA-256"), std::string::npos) << copied.out;
  EXPECT_EQ(NamedRoot(copied.out), root) << copied.out;

  // Each file reads back from PostgreSQL as it was: bytes, size, media type, time of storing.
  EXPECT_EQ(QuerySql("SELECT count(*) FROM blobs"), "2");
  for (const File& file : files) {
    const std::string where = " FROM blobs WHERE sha256 = '" + Sha256::Of(file.bytes).Hex() + "'";
    SCOPED_TRACE(file.media_type);
    EXPECT_EQ(QuerySql("SELECT encode(content, 'hex')" + where), HexOf(file.bytes));
    EXPECT_EQ(QuerySql("SELECT size" + where), std::to_string(file.bytes.size()));
    EXPECT_EQ(QuerySql("SELECT media_type" + where), file.media_type);
    EXPECT_EQ(QuerySql("SELECT stored_at_us" + where), std::to_string(file.stored_at_us));
  }

  const RunResult pg_verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(pg_verify.status.code, 0) << Describe(pg_verify);
  EXPECT_EQ(pg_verify.out.rfind("OK: 3 events", 0), 0U) << pg_verify.out;
  EXPECT_EQ(NamedRoot(pg_verify.out), root) << pg_verify.out;
  EXPECT_NE(
      pg_verify.out.find("2 files (" + std::to_string(file_bytes) + " bytes) match their SHA-256"),
      std::string::npos)
      << pg_verify.out;

  // A second copy into the same database is refused and changes nothing.
  const RunResult again = testing::Run(migrate);
  EXPECT_EQ(again.status.code, 1) << Describe(again);
  EXPECT_NE(again.err.find("already holds a ledger (3 events)"), std::string::npos)
      << Describe(again);
  EXPECT_EQ(QuerySql("SELECT count(*) FROM events"), "3");

  // The site serves from PostgreSQL: the same server, which stopped cleanly on SQLite, read by the
  // administrator the site then bootstraps (events 4 to 6) in a first session (8 to 10).
  ASSERT_FALSE(Bootstrap().terminal_token.empty());
  auto on_postgres = StartServer(data_, "server-postgresql");
  ASSERT_NE(on_postgres, nullptr);
  const testing::Headers admin = AdminSession(*on_postgres).Credentials();
  const Json head = ParseOrFail(on_postgres->Get("/api/v1/ledger/head", admin).body);
  EXPECT_EQ(IntegerMember(head, "tree_size"), 10);
  const Json started = ParseOrFail(on_postgres->Get("/api/v1/ledger/events/7", admin).body);
  EXPECT_EQ(StringMember(started, "event_type"), "system.server_started");
  ASSERT_NE(started.Find("payload"), nullptr) << CanonicalJson(started);
  EXPECT_EQ(StringMember(*started.Find("payload"), "server_id"), ServerIdOf(data_));
  const Json* clean = started.Find("payload")->Find("previous_run_ended_cleanly");
  ASSERT_NE(clean, nullptr) << CanonicalJson(started);
  EXPECT_EQ(*clean, Json(true));
  const auto [pg_stop, pg_out] = on_postgres->Stop(SIGTERM);
  EXPECT_TRUE(pg_stop.Succeeded()) << pg_stop.Describe() << "\n" << pg_out;

  const RunResult after = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(after.out.rfind("OK: 11 events", 0), 0U) << Describe(after);
  // The SQLite file is left as it was.
  EXPECT_EQ(Sha256::Of(testing::ReadFileBytes(data_ / "aliquot.db")).Hex(), sqlite_file);
  const RunResult old = testing::RunAliquot({"verify", "--data", data_.string()}, "");
  EXPECT_EQ(old.out.rfind("OK: 3 events", 0), 0U) << Describe(old);
  EXPECT_EQ(NamedRoot(old.out), root);
}

}  // namespace
}  // namespace aliquot
