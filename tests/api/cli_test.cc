// Command-line tests: the real `aliquot` binary on bad input and on tampered records. Bad input
// must end with a clear message on stderr, a non-zero exit, and the data folder exactly as it
// was; tampering must be found, by `aliquot verify` and by the stand-alone verifier alike. Every
// test runs on both engines (tests/api/site.h), except those about the SQLite file itself.

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "tests/api/site.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace aliquot {
namespace {

using testing::Describe;
using testing::Engine;
using testing::NamedRoot;
using testing::RunResult;

RunResult StandAloneVerifier(std::vector<std::string> args) {
  args.insert(args.begin(), (testing::SourceDir() / "tools" / "verify_ledger.py").string());
  args.insert(args.begin(), PYTHON3);
  return testing::Run(args);
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The sequence number a verifier's "FAIL: event seq N: ..." line names, or -1.
long long NamedSeq(const std::string& output) {
  static const std::regex kEventSeq(R"(event seq (\d+))");
  std::smatch match;
  if (!std::regex_search(output, match, kEventSeq)) return -1;
  return std::stoll(match[1].str());
}

// Every file under `folder` with its permission bits and the SHA-256 of its bytes: what "the
// command changed nothing" is checked against.
std::map<std::string, std::string> Snapshot(const std::filesystem::path& folder) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    struct stat info {};
    ::stat(entry.path().c_str(), &info);
    files[std::filesystem::relative(entry.path(), folder).string()] =
        std::to_string(info.st_mode & 07777) + " " +
        Sha256::Of(testing::ReadFileBytes(entry.path())).Hex();
  }
  return files;
}

class CliTest : public testing::SiteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SiteTest::SetUp());
    const RunResult init = Aliquot({"init", "--data", data_.string(), "--site", "CLI Test Site"});
    ASSERT_TRUE(init.status.Succeeded()) << Describe(init);
  }

  std::filesystem::path Database() const { return data_ / "aliquot.db"; }
  std::filesystem::path KeyFile() const { return data_ / "keys" / "checkpoint.key"; }

  // Starts a server on the folder and waits until it serves.
  std::unique_ptr<testing::Server> StartServer() {
    ++starts_;
    return testing::Server::Start(data_, DatabaseUrl(),
                                  dir_ / ("server-" + std::to_string(starts_) + ".err"));
  }

  void StopServer(std::unique_ptr<testing::Server>& server) {
    ASSERT_NE(server, nullptr);
    const auto [status, out] = server->Stop(SIGTERM);
    EXPECT_TRUE(status.Succeeded()) << status.Describe() << "\n" << out;
    server.reset();
  }

  // One server start and a graceful stop: two more events (started, stopped).
  void StartAndStopServer() {
    auto server = StartServer();
    ASSERT_NE(server, nullptr);
    ASSERT_NO_FATAL_FAILURE(StopServer(server));
  }

  // `bytes` as an SQL literal of the site's engine.
  std::string BytesLiteral(const std::string& bytes) const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (const char c : bytes) {
      hex += kDigits[static_cast<unsigned char>(c) >> 4];
      hex += kDigits[static_cast<unsigned char>(c) & 0xf];
    }
    return OnPostgres() ? "decode('" + hex + "', 'hex')" : "X'" + hex + "'";
  }

  // Stores `bytes` as a file (a row of the blobs table, as the store writes one) behind
  // Aliquot's back: the CLI has no command that stores a file, and an upload needs a user with a
  // GMP role. Returns "" or the engine's error.
  std::string StoreFile(const std::string& bytes, const std::string& media_type) {
    return ExecuteSql(
        "INSERT INTO blobs (sha256, size, media_type, stored_at_us, content) VALUES ('" +
        Sha256::Of(bytes).Hex() + "', " + std::to_string(bytes.size()) + ", '" + media_type +
        "', 1767225600000000, " + BytesLiteral(bytes) + ")");
  }

  std::string Export(const std::string& name) {
    std::string out = (dir_ / name).string();
    const RunResult exported = Aliquot({"export", "--data", data_.string(), "--out", out});
    EXPECT_TRUE(exported.status.Succeeded()) << Describe(exported);
    return out;
  }

  int starts_ = 0;
};

INSTANTIATE_TEST_SUITE_P(, CliTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

// Tests of the data folder's SQLite file itself: SQLite only.
class CliSqliteFileTest : public CliTest {};

INSTANTIATE_TEST_SUITE_P(, CliSqliteFileTest, ::testing::Values(Engine::kSqlite),
                         testing::EngineName);

// Tests of how a site names its PostgreSQL database: PostgreSQL only.
class CliPostgresTest : public CliTest {};

INSTANTIATE_TEST_SUITE_P(, CliPostgresTest, ::testing::Values(Engine::kPostgres),
                         testing::EngineName);

// Bad input ----------------------------------------------------------------------------------

TEST_P(CliSqliteFileTest, VerifyRefusesADatabaseThatIsRandomBytes) {
  std::mt19937 random(42);
  std::string noise(std::size_t{64} * 1024, '\0');
  for (char& c : noise) c = static_cast<char>(random() & 0xff);
  ASSERT_TRUE(testing::WriteFileBytes(Database(), noise));
  const auto before = Snapshot(data_);

  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_NE(verify.status.code, 0) << Describe(verify);
  EXPECT_TRUE(verify.status.exited) << Describe(verify);
  const std::string err = Lower(verify.err);
  EXPECT_TRUE(err.find("corrupt") != std::string::npos ||
              err.find("not a database") != std::string::npos)
      << Describe(verify);
  EXPECT_EQ(verify.out.find("OK"), std::string::npos) << Describe(verify);
  EXPECT_EQ(Snapshot(data_), before);
}

TEST_P(CliTest, VerifyWithoutTheKeyFileSaysThereIsNoSigningKey) {
  std::filesystem::remove(KeyFile());
  const auto before = Snapshot(data_);
  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(verify.status.code, 1) << Describe(verify);
  EXPECT_NE(verify.err.find("no signing key"), std::string::npos) << Describe(verify);
  EXPECT_EQ(Snapshot(data_), before);
}

TEST_P(CliTest, KeyFileReadableByOthersIsRefusedWithTheChmodThatFixesIt) {
  std::filesystem::permissions(KeyFile(), static_cast<std::filesystem::perms>(0644));
  const auto before = Snapshot(data_);
  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(verify.status.code, 1) << Describe(verify);
  EXPECT_NE(verify.err.find("chmod 600"), std::string::npos) << Describe(verify);
  // Refused, not silently repaired: the operator decides.
  EXPECT_EQ(Snapshot(data_), before);
}

TEST_P(CliTest, SecondServerOnAServedFolderIsRefusedAndRecordsNothing) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const RunResult second = Aliquot({"serve", "--data", data_.string(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(second.status.code, 1) << Describe(second);
  EXPECT_NE(second.err.find("another Aliquot server"), std::string::npos) << Describe(second);
  EXPECT_NE(second.err.find("pid " + std::to_string(server->Child().Pid())), std::string::npos)
      << Describe(second);
  ASSERT_NO_FATAL_FAILURE(StopServer(server));
  // Initialised, started, stopped: the refused server recorded no start.
  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(verify.out.rfind("OK: 3 events", 0), 0U) << Describe(verify);
}

// bootstrap and demo append events; beside a server on the same folder they would leave its
// chain behind, so they take the server lock and are refused while it serves.
TEST_P(CliTest, BootstrapAndDemoAreRefusedWhileAServerServesTheFolder) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const RunResult bootstrap =
      Aliquot({"bootstrap", "--data", data_.string(), "--site-id", "LEI", "--site-name", "Leiden",
               "--admin", "sam", "--admin-name", "Sam de Boer"});
  EXPECT_EQ(bootstrap.status.code, 1) << Describe(bootstrap);
  EXPECT_NE(bootstrap.err.find("another Aliquot server"), std::string::npos) << Describe(bootstrap);
  const RunResult demo = Aliquot({"demo", "--data", data_.string()});
  EXPECT_EQ(demo.status.code, 1) << Describe(demo);
  ASSERT_NO_FATAL_FAILURE(StopServer(server));
  // Initialised, started, stopped: the refused commands recorded nothing.
  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(verify.out.rfind("OK: 3 events", 0), 0U) << Describe(verify);
}

TEST_P(CliTest, InitOnAnInitialisedFolderIsRefusedAndKeepsItsKey) {
  const auto before = Snapshot(data_);
  const RunResult again = Aliquot({"init", "--data", data_.string(), "--site", "Another Site"});
  EXPECT_EQ(again.status.code, 1) << Describe(again);
  EXPECT_NE(again.err.find("already"), std::string::npos) << Describe(again);
  EXPECT_EQ(Snapshot(data_), before);
}

TEST_P(CliTest, ServeWithAMalformedListenAddressNamesTheOption) {
  const auto before = Snapshot(data_);
  for (const std::string listen : {"nonsense", "127.0.0.1", "127.0.0.1:", ":8080",
                                   "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:http"}) {
    SCOPED_TRACE(listen);
    const RunResult serve = Aliquot({"serve", "--data", data_.string(), "--listen", listen});
    EXPECT_EQ(serve.status.code, 1) << Describe(serve);
    EXPECT_NE(serve.err.find("--listen"), std::string::npos) << Describe(serve);
    EXPECT_NE(serve.err.find("'" + listen + "'"), std::string::npos) << Describe(serve);
  }
  EXPECT_EQ(Snapshot(data_), before);
}

TEST_P(CliTest, ProofPastTheHeadIsNotFound) {
  const auto before = Snapshot(data_);
  for (const std::string seq : {"999", "9223372036854775808"}) {
    SCOPED_TRACE(seq);
    const RunResult proof = Aliquot({"proof", "--data", data_.string(), seq});
    EXPECT_EQ(proof.status.code, 1) << Describe(proof);
    EXPECT_NE(proof.err.find("not_found"), std::string::npos) << Describe(proof);
    EXPECT_NE(proof.err.find(seq), std::string::npos) << Describe(proof);
    EXPECT_TRUE(proof.out.empty()) << Describe(proof);
  }
  EXPECT_EQ(Snapshot(data_), before);

  const RunResult zero = Aliquot({"proof", "--data", data_.string(), "0"});
  EXPECT_EQ(zero.status.code, 2) << Describe(zero);
}

TEST_P(CliTest, CommandsOnAFolderThatIsNotInitialisedSayHowToInitialiseIt) {
  const std::string missing = (dir_ / "nowhere").string();
  for (const std::string command : {"verify", "serve", "export", "checkpoint"}) {
    SCOPED_TRACE(command);
    std::vector<std::string> args = {command, "--data", missing};
    if (command == "export") args.insert(args.end(), {"--out", (dir_ / "out").string()});
    if (command == "serve") args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    const RunResult result = Aliquot(args);
    EXPECT_EQ(result.status.code, 1) << Describe(result);
    EXPECT_NE(result.err.find("aliquot init --data " + missing), std::string::npos)
        << Describe(result);
  }
  EXPECT_FALSE(std::filesystem::exists(missing));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out"));
}

TEST_P(CliTest, UnknownCommandIsAUsageError) {
  const RunResult result = Aliquot({"frobnicate"});
  EXPECT_EQ(result.status.code, 2) << Describe(result);
  EXPECT_FALSE(result.err.empty());
}

// A database written by a newer Aliquot is refused, naming the migration this build lacks, and
// nothing is recorded in it.
TEST_P(CliTest, ServeAndVerifyRefuseADatabaseFromANewerBuildNamingTheMigration) {
  ASSERT_EQ(ExecuteSql("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)"), "");
  for (const std::string command : {"serve", "verify"}) {
    SCOPED_TRACE(command);
    std::vector<std::string> args = {command, "--data", data_.string()};
    if (command == "serve") args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    const RunResult refused = Aliquot(args);
    EXPECT_EQ(refused.status.code, 1) << Describe(refused);
    EXPECT_NE(refused.err.find("migration 99 (from the future)"), std::string::npos)
        << Describe(refused);
    EXPECT_NE(refused.err.find("newer"), std::string::npos) << Describe(refused);
  }
  EXPECT_EQ(QuerySql("SELECT count(*) FROM events"), "1") << "the refused server recorded a start";
}

// Choosing the database ------------------------------------------------------------------------

// docs/deploy-postgresql.md: every command takes the URL from ALIQUOT_DATABASE as from
// --database; without either, a folder that holds only a key is not served from an empty SQLite
// file made on the spot.
TEST_P(CliPostgresTest, TheDatabaseUrlMayComeFromAliquotDatabase) {
  const RunResult flag = Aliquot({"verify", "--data", data_.string()});
  ASSERT_EQ(flag.status.code, 0) << Describe(flag);
  const RunResult environment = testing::Run({"/usr/bin/env", "ALIQUOT_DATABASE=" + DatabaseUrl(),
                                              ALIQUOT_BINARY, "verify", "--data", data_.string()});
  EXPECT_EQ(environment.status.code, 0) << Describe(environment);
  EXPECT_EQ(environment.out, flag.out);
  EXPECT_EQ(environment.out.rfind("OK: 1 events", 0), 0U) << Describe(environment);

  const auto before = Snapshot(data_);
  for (const std::string command : {"verify", "serve"}) {
    SCOPED_TRACE(command);
    std::vector<std::string> args = {command, "--data", data_.string()};
    if (command == "serve") args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    const RunResult without = testing::RunAliquot(args, /*database_url=*/"");
    EXPECT_EQ(without.status.code, 1) << Describe(without);
    EXPECT_FALSE(without.err.empty()) << Describe(without);
  }
  EXPECT_EQ(Snapshot(data_), before);
  EXPECT_FALSE(std::filesystem::exists(Database()));
}

TEST_P(CliPostgresTest, ADatabaseThatIsNotAPostgresqlUrlIsRefusedNamingTheOption) {
  const auto before = Snapshot(data_);
  const RunResult verify = testing::RunAliquot(
      {"verify", "--data", data_.string(), "--database", "host=127.0.0.1 dbname=aliquot"}, "");
  EXPECT_EQ(verify.status.code, 1) << Describe(verify);
  EXPECT_NE(verify.err.find("--database"), std::string::npos) << Describe(verify);
  EXPECT_NE(verify.err.find("postgresql://"), std::string::npos) << Describe(verify);
  EXPECT_EQ(Snapshot(data_), before);
}

// Output ------------------------------------------------------------------------------------

TEST_P(CliTest, VerifyOnAPipePrintsOnlyTheResultLine) {
  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  ASSERT_EQ(verify.status.code, 0) << Describe(verify);
  // A log file or a CI job gets the result alone: no "\rverifying: n / m" progress.
  EXPECT_TRUE(verify.err.empty()) << Describe(verify);
  EXPECT_EQ(verify.out.rfind("OK: 1 events, 1 checkpoints verified, root ", 0), 0U)
      << Describe(verify);
  EXPECT_EQ(verify.out.find('\n'), verify.out.size() - 1) << "one line: " << verify.out;
  EXPECT_EQ(verify.out.find('\r'), std::string::npos);
}

TEST_P(CliTest, VersionNamesTheLedgerFormat) {
  const RunResult version = Aliquot({"version"});
  EXPECT_EQ(version.status.code, 0) << Describe(version);
  EXPECT_EQ(version.out.rfind("aliquot ", 0), 0U) << version.out;
  EXPECT_NE(version.out.find("ledger event format 1"), std::string::npos) << version.out;
}

// Records and their copies -------------------------------------------------------------------

// Verifies P11-02: an export is a complete, accurate copy: the stand-alone verifier, `aliquot
// verify --export` and `aliquot verify` on the data folder agree on its root.
TEST_P(CliTest, ExportRoundTripsThroughTheStandAloneVerifier) {
  ASSERT_NO_FATAL_FAILURE(StartAndStopServer());
  const std::string out = (dir_ / "export").string();
  const RunResult exported = Aliquot({"export", "--data", data_.string(), "--out", out});
  ASSERT_EQ(exported.status.code, 0) << Describe(exported);
  EXPECT_EQ(exported.out.rfind("Exported 3 events and ", 0), 0U) << exported.out;
  const std::string root = NamedRoot(exported.out);
  ASSERT_EQ(root.size(), 64U) << exported.out;

  const RunResult python = StandAloneVerifier({out});
  EXPECT_EQ(python.status.code, 0) << Describe(python);
  EXPECT_EQ(python.out.rfind("OK: 3 events", 0), 0U) << python.out;
  EXPECT_EQ(NamedRoot(python.out), root);

  const RunResult ours = Aliquot({"verify", "--export", out});
  EXPECT_EQ(ours.status.code, 0) << Describe(ours);
  EXPECT_EQ(ours.out.rfind("OK: 3 events", 0), 0U) << ours.out;
  EXPECT_EQ(NamedRoot(ours.out), root);

  const RunResult live = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(live.status.code, 0) << Describe(live);
  EXPECT_EQ(NamedRoot(live.out), root);

  // A second export never overwrites the first.
  const auto first = Snapshot(out);
  const RunResult again = Aliquot({"export", "--data", data_.string(), "--out", out});
  EXPECT_EQ(again.status.code, 1) << Describe(again);
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << Describe(again);
  EXPECT_EQ(Snapshot(out), first);
}

// Verifies P11-01: one altered event in an export is found by both verifiers, at the same event.
TEST_P(CliTest, TamperedExportFailsBothVerifiersAtTheSameEvent) {
  ASSERT_NO_FATAL_FAILURE(StartAndStopServer());
  ASSERT_NO_FATAL_FAILURE(StartAndStopServer());
  const std::string out = Export("export");
  ASSERT_EQ(StandAloneVerifier({out}).status.code, 0);

  // Event 3 is the first stop; its cause is rewritten, a string of the same length, so the line
  // stays canonical JSON and only its hash can tell.
  const std::filesystem::path events = std::filesystem::path(out) / "events.jsonl";
  const std::string original = testing::ReadFileBytes(events);
  std::size_t line_start = 0;
  for (int line = 1; line < 3; ++line) line_start = original.find('\n', line_start) + 1;
  const std::size_t line_end = original.find('\n', line_start);
  const std::string cause = "\"cause\":\"SIGTERM\"";
  const std::size_t at = original.find(cause, line_start);
  ASSERT_TRUE(at != std::string::npos && at < line_end)
      << original.substr(line_start, line_end - line_start);
  std::string tampered = original;
  tampered.replace(at, cause.size(), "\"cause\":\"SIGKILL\"");
  ASSERT_TRUE(testing::WriteFileBytes(events, tampered));

  const RunResult ours = Aliquot({"verify", "--export", out});
  EXPECT_EQ(ours.status.code, 1) << Describe(ours);
  EXPECT_EQ(ours.out.rfind("FAIL: ", 0), 0U) << ours.out;
  EXPECT_EQ(NamedSeq(ours.out), 3) << ours.out;

  // The manifest's file hash gives the edit away first.
  const RunResult naive = StandAloneVerifier({out});
  EXPECT_EQ(naive.status.code, 1) << Describe(naive);
  EXPECT_NE(naive.out.find("manifest.json"), std::string::npos) << naive.out;

  // A careful forger updates the manifest too; the event's own hash still gives it away.
  const std::filesystem::path manifest = std::filesystem::path(out) / "manifest.json";
  std::string manifest_text = testing::ReadFileBytes(manifest);
  const std::string old_hash = Sha256::Of(original).Hex();
  const std::size_t hash_at = manifest_text.find(old_hash);
  ASSERT_NE(hash_at, std::string::npos) << manifest_text;
  manifest_text.replace(hash_at, old_hash.size(), Sha256::Of(tampered).Hex());
  ASSERT_TRUE(testing::WriteFileBytes(manifest, manifest_text));

  const RunResult python = StandAloneVerifier({out});
  EXPECT_EQ(python.status.code, 1) << Describe(python);
  EXPECT_EQ(python.out.rfind("FAIL: ", 0), 0U) << python.out;
  EXPECT_EQ(NamedSeq(python.out), NamedSeq(ours.out)) << python.out << ours.out;
}

// Verifies P11-01: an event a forger appends to an export, chained correctly onto the last one but
// signed by no checkpoint, is refused by both verifiers.
TEST_P(CliTest, EventAppendedToAnExportWithoutASignatureFailsBothVerifiers) {
  ASSERT_NO_FATAL_FAILURE(StartAndStopServer());
  const std::string out = Export("export");
  const std::filesystem::path events = std::filesystem::path(out) / "events.jsonl";
  const std::string original = testing::ReadFileBytes(events);
  ASSERT_FALSE(original.empty());
  const std::size_t last_start = original.rfind('\n', original.size() - 2) + 1;
  auto last = ParseJson(original.substr(last_start, original.size() - 1 - last_start));
  ASSERT_TRUE(last) << last.error().ToString();

  Json forged = *last;
  Json::Object& members = forged.AsObject();
  std::erase_if(members, [](const auto& member) { return member.first == "hash"; });
  forged.Set("seq", Json(*last->Find("seq")->AsInteger() + 1));
  forged.Set("prev_hash", *last->Find("hash"));
  Json payload = Json::MakeObject();
  payload.Set("cause", "SIGTERM");
  forged.Set("payload", payload);
  const Hash256 hash = Sha256().Update(std::uint8_t{0}).Update(CanonicalJson(forged)).Finish();
  forged.Set("hash", hash.Hex());
  const std::string tampered = original + CanonicalJson(forged) + "\n";
  ASSERT_TRUE(testing::WriteFileBytes(events, tampered));
  const std::filesystem::path manifest = std::filesystem::path(out) / "manifest.json";
  std::string manifest_text = testing::ReadFileBytes(manifest);
  const std::string old_hash = Sha256::Of(original).Hex();
  ASSERT_NE(manifest_text.find(old_hash), std::string::npos) << manifest_text;
  manifest_text.replace(manifest_text.find(old_hash), old_hash.size(), Sha256::Of(tampered).Hex());
  ASSERT_TRUE(testing::WriteFileBytes(manifest, manifest_text));

  const RunResult python = StandAloneVerifier({out});
  EXPECT_EQ(python.status.code, 1) << Describe(python);
  EXPECT_NE(python.out.find("not signed"), std::string::npos) << python.out;
  const RunResult ours = Aliquot({"verify", "--export", out});
  EXPECT_EQ(ours.status.code, 1) << Describe(ours);
  EXPECT_EQ(ours.out.rfind("FAIL: ", 0), 0U) << ours.out;
}

// Verifies P11-01: events deleted from the database behind the system's back (with the ledger's
// own later checkpoints) are found by verifying against a checkpoint kept outside the system.
TEST_P(CliTest, TruncatedLedgerFailsVerifyAgainstACheckpointKeptOutside) {
  ASSERT_NO_FATAL_FAILURE(StartAndStopServer());
  const RunResult checkpoint = Aliquot({"checkpoint", "--data", data_.string()});
  ASSERT_EQ(checkpoint.status.code, 0) << Describe(checkpoint);
  EXPECT_NE(checkpoint.out.find("\"tree_size\":3"), std::string::npos) << checkpoint.out;
  const std::string kept = (dir_ / "kept-checkpoint.json").string();
  ASSERT_TRUE(testing::WriteFileBytes(kept, checkpoint.out));
  ASSERT_NO_FATAL_FAILURE(StartAndStopServer());

  const RunResult before = Aliquot({"verify", "--data", data_.string(), "--checkpoint", kept});
  ASSERT_EQ(before.status.code, 0) << Describe(before);
  EXPECT_EQ(before.out.rfind("OK: 5 events", 0), 0U) << before.out;

  // The last two events go; the ledger's own checkpoint at 5 still gives it away.
  ASSERT_EQ(ExecuteSql(OnPostgres() ? "DROP TRIGGER events_no_update_or_delete ON events; "
                                      "DELETE FROM events WHERE seq > 3;"
                                    : "DROP TRIGGER events_no_delete; "
                                      "DELETE FROM events WHERE seq > 3;"),
            "");
  const RunResult own = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(own.status.code, 1) << Describe(own);
  EXPECT_EQ(own.out.rfind("FAIL: ", 0), 0U) << Describe(own);
  EXPECT_NE(own.out.find("truncated"), std::string::npos) << Describe(own);

  // A forger deletes down to seq 2 with every checkpoint above it: only the kept one can tell.
  // On PostgreSQL the forger also sets the chain's tip row to what seq 2 left, with the Merkle
  // frontier of two leaves, as a restore to an earlier point in time would leave it.
  ASSERT_EQ(ExecuteSql("DELETE FROM events WHERE seq > 2; "
                       "DELETE FROM checkpoints WHERE tree_size > 2;" +
                       std::string(OnPostgres() ? "UPDATE ledger_head SET size = 2, "
                                                  "head_hash = e2.hash, "
                                                  "last_time_us = e2.time_us, "
                                                  "frontier = sha256('\\x01'::bytea || "
                                                  "e1.hash || e2.hash) "
                                                  "FROM events e1, events e2 "
                                                  "WHERE e1.seq = 1 AND e2.seq = 2;"
                                                : "")),
            "");
  const RunResult trusted = Aliquot({"verify", "--data", data_.string(), "--checkpoint", kept});
  EXPECT_EQ(trusted.status.code, 1) << Describe(trusted);
  EXPECT_EQ(trusted.out.rfind("FAIL: trusted checkpoint", 0), 0U) << Describe(trusted);
  EXPECT_NE(trusted.out.find("truncated after seq 2"), std::string::npos) << Describe(trusted);
}

// Verifies P11-01: a file the record cites cannot change unnoticed. `verify` reads back every
// stored file and hashes it again; bytes altered in the database (once the trigger that refuses
// it is dropped) fail it, naming the file and the hash its bytes now have.
TEST_P(CliTest, AFileAlteredBehindTheSystemsBackFailsVerifyNamingIt) {
  const std::string sop("%PDF-1.7 SOP-014 rev 3\n\0\xff", 25);
  const std::string certificate = "CoA lot 7: sterile";
  ASSERT_EQ(StoreFile(sop, "application/pdf"), "");
  ASSERT_EQ(StoreFile(certificate, "text/plain"), "");
  const std::string sha256 = Sha256::Of(sop).Hex();

  const RunResult good = Aliquot({"verify", "--data", data_.string()});
  ASSERT_EQ(good.status.code, 0) << Describe(good);
  EXPECT_NE(good.out.find(", 2 files (" + std::to_string(sop.size() + certificate.size()) +
                          " bytes) match their SHA-256"),
            std::string::npos)
      << good.out;

  // One digit of the revision changed, the length kept: only the hash can tell.
  std::string altered = sop;
  altered[21] = '4';
  const std::string update =
      "UPDATE blobs SET content = " + BytesLiteral(altered) + " WHERE sha256 = '" + sha256 + "'";
  // The trigger refuses the edit...
  EXPECT_NE(ExecuteSql(update), "");
  const RunResult still = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(still.status.code, 0) << Describe(still);
  // ...until it is dropped, as someone bent on the edit would.
  ASSERT_EQ(ExecuteSql((OnPostgres() ? "DROP TRIGGER blobs_no_update_or_delete ON blobs; "
                                     : "DROP TRIGGER blobs_no_update; ") +
                       update),
            "");
  ASSERT_EQ(QuerySql("SELECT count(*) FROM blobs WHERE sha256 = '" + sha256 + "'"), "1");

  const RunResult caught = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(caught.status.code, 1) << Describe(caught);
  EXPECT_EQ(caught.out.rfind("FAIL: file " + sha256, 0), 0U) << Describe(caught);
  EXPECT_NE(caught.out.find("hash to " + Sha256::Of(altered).Hex()), std::string::npos)
      << Describe(caught);
  EXPECT_EQ(caught.out.find("OK"), std::string::npos) << Describe(caught);
}

// Verifies P11-01: the proof the CLI prints convinces the stand-alone verifier.
TEST_P(CliTest, ProofOfAnEventVerifiesWithTheStandAloneVerifier) {
  ASSERT_NO_FATAL_FAILURE(StartAndStopServer());
  const RunResult proof = Aliquot({"proof", "--data", data_.string(), "2"});
  ASSERT_EQ(proof.status.code, 0) << Describe(proof);
  const std::string file = (dir_ / "proof.json").string();
  ASSERT_TRUE(testing::WriteFileBytes(file, proof.out));
  const RunResult python = StandAloneVerifier({"--proof", file});
  EXPECT_EQ(python.status.code, 0) << Describe(python);
  EXPECT_EQ(python.out.rfind("OK", 0), 0U) << python.out;
}

}  // namespace
}  // namespace aliquot
