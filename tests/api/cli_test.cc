// Command-line tests: the real `aliquot` binary on bad input and on tampered records. Bad input
// must end with a clear message on stderr, a non-zero exit, and the data folder exactly as it
// was; tampering must be found, by `aliquot verify` and by the stand-alone verifier alike.

#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace aliquot {
namespace {

using std::chrono::seconds;
using testing::Process;
using testing::RunResult;

constexpr const char* kSqlite3 = "/usr/bin/sqlite3";

RunResult Aliquot(std::vector<std::string> args) {
  args.insert(args.begin(), ALIQUOT_BINARY);
  return testing::Run(args);
}

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

// The 64 hex digits after "root " in a report line, or "".
std::string NamedRoot(const std::string& output) {
  static const std::regex kRoot(R"(root ([0-9a-f]{64}))");
  std::smatch match;
  if (!std::regex_search(output, match, kRoot)) return "";
  return match[1].str();
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

std::string Describe(const RunResult& result) {
  return result.status.Describe() + "\nstdout:\n" + result.out + "\nstderr:\n" + result.err;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const RunResult init = Aliquot({"init", "--data", data_.string(), "--site", "CLI Test Site"});
    ASSERT_TRUE(init.status.Succeeded()) << Describe(init);
  }

  std::filesystem::path Database() const { return data_ / "aliquot.db"; }
  std::filesystem::path KeyFile() const { return data_ / "keys" / "checkpoint.key"; }

  // Starts a server on the folder and waits until it serves.
  std::unique_ptr<Process> StartServer() {
    ++starts_;
    auto started = Process::Start({{ALIQUOT_BINARY, "serve", "--data", data_.string(), "--listen",
                                    "127.0.0.1:0", "--threads", "1"},
                                   {},
                                   dir_ / ("server-" + std::to_string(starts_) + ".err")});
    EXPECT_TRUE(started) << started.error().ToString();
    if (!started) return nullptr;
    std::unique_ptr<Process> server = std::move(*started);
    const auto line = server->ReadLineContaining("is serving", seconds(60));
    EXPECT_TRUE(line) << "no 'is serving' line; stdout:\n" << server->StdoutSoFar();
    return line ? std::move(server) : nullptr;
  }

  void StopServer(std::unique_ptr<Process>& server) {
    ASSERT_NE(server, nullptr);
    ASSERT_TRUE(server->Signal(SIGTERM));
    const auto status = server->Wait(seconds(60));
    ASSERT_TRUE(status) << "the server did not stop on SIGTERM";
    EXPECT_TRUE(status->Succeeded()) << status->Describe();
    server.reset();
  }

  // One server start and a graceful stop: two more events (started, stopped).
  void StartAndStopServer() {
    auto server = StartServer();
    ASSERT_NE(server, nullptr);
    ASSERT_NO_FATAL_FAILURE(StopServer(server));
  }

  std::string Export(const std::string& name) {
    std::string out = (dir_ / name).string();
    const RunResult exported = Aliquot({"export", "--data", data_.string(), "--out", out});
    EXPECT_TRUE(exported.status.Succeeded()) << Describe(exported);
    return out;
  }

  testing::TempDir dir_;
  const std::filesystem::path data_ = dir_ / "data";
  int starts_ = 0;
};

// Bad input ----------------------------------------------------------------------------------

TEST_F(CliTest, VerifyRefusesADatabaseThatIsRandomBytes) {
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

TEST_F(CliTest, VerifyWithoutTheKeyFileSaysThereIsNoSigningKey) {
  std::filesystem::remove(KeyFile());
  const auto before = Snapshot(data_);
  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(verify.status.code, 1) << Describe(verify);
  EXPECT_NE(verify.err.find("no signing key"), std::string::npos) << Describe(verify);
  EXPECT_EQ(Snapshot(data_), before);
}

TEST_F(CliTest, KeyFileReadableByOthersIsRefusedWithTheChmodThatFixesIt) {
  std::filesystem::permissions(KeyFile(), static_cast<std::filesystem::perms>(0644));
  const auto before = Snapshot(data_);
  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(verify.status.code, 1) << Describe(verify);
  EXPECT_NE(verify.err.find("chmod 600"), std::string::npos) << Describe(verify);
  // Refused, not silently repaired: the operator decides.
  EXPECT_EQ(Snapshot(data_), before);
}

TEST_F(CliTest, SecondServerOnAServedFolderIsRefusedAndRecordsNothing) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const RunResult second = Aliquot({"serve", "--data", data_.string(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(second.status.code, 1) << Describe(second);
  EXPECT_NE(second.err.find("another Aliquot server"), std::string::npos) << Describe(second);
  EXPECT_NE(second.err.find("pid " + std::to_string(server->Pid())), std::string::npos)
      << Describe(second);
  ASSERT_NO_FATAL_FAILURE(StopServer(server));
  // Initialised, started, stopped: the refused server recorded no start.
  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(verify.out.rfind("OK: 3 events", 0), 0U) << Describe(verify);
}

TEST_F(CliTest, InitOnAnInitialisedFolderIsRefusedAndKeepsItsKey) {
  const auto before = Snapshot(data_);
  const RunResult again = Aliquot({"init", "--data", data_.string(), "--site", "Another Site"});
  EXPECT_EQ(again.status.code, 1) << Describe(again);
  EXPECT_NE(again.err.find("already"), std::string::npos) << Describe(again);
  EXPECT_EQ(Snapshot(data_), before);
}

TEST_F(CliTest, ServeWithAMalformedListenAddressNamesTheOption) {
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

TEST_F(CliTest, ProofPastTheHeadIsNotFound) {
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

TEST_F(CliTest, CommandsOnAFolderThatIsNotInitialisedSayHowToInitialiseIt) {
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

TEST_F(CliTest, UnknownCommandIsAUsageError) {
  const RunResult result = Aliquot({"frobnicate"});
  EXPECT_EQ(result.status.code, 2) << Describe(result);
  EXPECT_FALSE(result.err.empty());
}

// Output ------------------------------------------------------------------------------------

TEST_F(CliTest, VerifyOnAPipePrintsOnlyTheResultLine) {
  const RunResult verify = Aliquot({"verify", "--data", data_.string()});
  ASSERT_EQ(verify.status.code, 0) << Describe(verify);
  // A log file or a CI job gets the result alone: no "\rverifying: n / m" progress.
  EXPECT_TRUE(verify.err.empty()) << Describe(verify);
  EXPECT_EQ(verify.out.rfind("OK: 1 events, 1 checkpoints verified, root ", 0), 0U)
      << Describe(verify);
  EXPECT_EQ(verify.out.find('\n'), verify.out.size() - 1) << "one line: " << verify.out;
  EXPECT_EQ(verify.out.find('\r'), std::string::npos);
}

TEST_F(CliTest, VersionNamesTheLedgerFormat) {
  const RunResult version = Aliquot({"version"});
  EXPECT_EQ(version.status.code, 0) << Describe(version);
  EXPECT_EQ(version.out.rfind("aliquot ", 0), 0U) << version.out;
  EXPECT_NE(version.out.find("ledger event format 1"), std::string::npos) << version.out;
}

// Records and their copies -------------------------------------------------------------------

// Verifies P11-02: an export is a complete, accurate copy: the stand-alone verifier, `aliquot
// verify --export` and `aliquot verify` on the data folder agree on its root.
TEST_F(CliTest, ExportRoundTripsThroughTheStandAloneVerifier) {
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
TEST_F(CliTest, TamperedExportFailsBothVerifiersAtTheSameEvent) {
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
TEST_F(CliTest, EventAppendedToAnExportWithoutASignatureFailsBothVerifiers) {
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
TEST_F(CliTest, TruncatedLedgerFailsVerifyAgainstACheckpointKeptOutside) {
  if (!std::filesystem::exists(kSqlite3)) GTEST_SKIP() << kSqlite3 << " is not installed";
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
  const RunResult cut =
      testing::Run({kSqlite3, Database().string(),
                    "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq > 3;"});
  ASSERT_TRUE(cut.status.Succeeded()) << Describe(cut);
  const RunResult own = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(own.status.code, 1) << Describe(own);
  EXPECT_NE(own.out.find("truncated"), std::string::npos) << own.out;

  // A forger deletes down to seq 2 with every checkpoint above it: only the kept one can tell.
  const RunResult forged = testing::Run(
      {kSqlite3, Database().string(),
       "DELETE FROM events WHERE seq > 2; DELETE FROM checkpoints WHERE tree_size > 2;"});
  ASSERT_TRUE(forged.status.Succeeded()) << Describe(forged);
  const RunResult trusted = Aliquot({"verify", "--data", data_.string(), "--checkpoint", kept});
  EXPECT_EQ(trusted.status.code, 1) << Describe(trusted);
  EXPECT_EQ(trusted.out.rfind("FAIL: trusted checkpoint", 0), 0U) << trusted.out;
  EXPECT_NE(trusted.out.find("truncated after seq 2"), std::string::npos) << trusted.out;
}

// Verifies P11-01: the proof the CLI prints convinces the stand-alone verifier.
TEST_F(CliTest, ProofOfAnEventVerifiesWithTheStandAloneVerifier) {
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
