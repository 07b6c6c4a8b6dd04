#include "aliquot/storage/files/data_folder.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aliquot/core/error.h"
#include "tests/support/file_mode.h"
#include "tests/support/temp_dir.h"

namespace aliquot::storage {
namespace {

using ::aliquot::testing::ModeOf;
using ::aliquot::testing::ScopedUmask;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void Touch(const std::filesystem::path& path) { std::ofstream(path, std::ios::binary) << ""; }

std::set<std::string> Names(const std::filesystem::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

// DataFolder.

TEST(DataFolder, CreateMakesAPrivateFolderWithAKeysFolder) {
  const testing::TempDir dir;
  const ScopedUmask permissive(0);
  const std::filesystem::path root = dir / "data";
  const Result<DataFolder> folder = DataFolder::Create(root);
  ASSERT_TRUE(folder.has_value()) << folder.error().ToString();
  // Verifies P11-04: the folder holds the signing key and every record, so it is 0700.
  EXPECT_EQ(ModeOf(root), 0700U);
  EXPECT_EQ(ModeOf(root / "keys"), 0700U);
  EXPECT_EQ(folder->Root(), root);
  EXPECT_EQ(folder->Database(), root / "aliquot.db");
  EXPECT_EQ(folder->SigningKey(), root / "keys" / "checkpoint.key");
  EXPECT_EQ(folder->LockFile(), root / "aliquot.lock");
}

TEST(DataFolder, CreateAcceptsAnExistingEmptyFolder) {
  const testing::TempDir dir;
  const Result<DataFolder> folder = DataFolder::Create(dir.Path());
  ASSERT_TRUE(folder.has_value()) << folder.error().ToString();
  EXPECT_TRUE(std::filesystem::is_directory(dir / "keys"));
}

TEST(DataFolder, CreateRefusesAnInitialisedFolder) {
  const testing::TempDir dir;
  ASSERT_TRUE(DataFolder::Create(dir.Path()).has_value());
  Touch(dir / "aliquot.db");
  const Result<DataFolder> again = DataFolder::Create(dir.Path());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(again.error().Message().find("already an initialised data folder"), std::string::npos)
      << again.error().Message();
}

TEST(DataFolder, CreateRefusesAPathThatIsAFile) {
  const testing::TempDir dir;
  Touch(dir / "data");
  const Result<DataFolder> folder = DataFolder::Create(dir / "data");
  ASSERT_FALSE(folder.has_value());
  EXPECT_EQ(folder.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(folder.error().Message().find("is not a folder"), std::string::npos);
}

TEST(DataFolder, CreateReportsAMissingParentAsNotFound) {
  const testing::TempDir dir;
  const Result<DataFolder> folder = DataFolder::Create(dir / "no" / "data");
  ASSERT_FALSE(folder.has_value());
  EXPECT_EQ(folder.error().Code(), ErrorCode::kNotFound) << folder.error().ToString();
}

TEST(DataFolder, ExistingReportsAMissingFolderSayingToRunInit) {
  const testing::TempDir dir;
  const Result<DataFolder> folder = DataFolder::Existing(dir / "data");
  ASSERT_FALSE(folder.has_value());
  EXPECT_EQ(folder.error().Code(), ErrorCode::kNotFound);
  EXPECT_NE(folder.error().Message().find("aliquot init --data " + (dir / "data").string()),
            std::string::npos)
      << folder.error().Message();
}

TEST(DataFolder, ExistingReportsAFolderWithoutDatabaseOrKeySayingToRunInit) {
  const testing::TempDir dir;
  ASSERT_TRUE(DataFolder::Create(dir.Path()).has_value());
  const Result<DataFolder> folder = DataFolder::Existing(dir.Path());
  ASSERT_FALSE(folder.has_value());
  EXPECT_EQ(folder.error().Code(), ErrorCode::kNotFound);
  EXPECT_NE(folder.error().Message().find("no aliquot.db"), std::string::npos);
  EXPECT_NE(folder.error().Message().find("aliquot init"), std::string::npos);
}

TEST(DataFolder, ExistingOpensAnInitialisedFolder) {
  const testing::TempDir dir;
  ASSERT_TRUE(DataFolder::Create(dir.Path()).has_value());
  Touch(dir / "aliquot.db");
  const Result<DataFolder> folder = DataFolder::Existing(dir.Path());
  ASSERT_TRUE(folder.has_value()) << folder.error().ToString();
  EXPECT_EQ(folder->Database(), dir / "aliquot.db");
}

// ServerLock.

// An initialised data folder in a fresh temporary folder.
class InitialisedFolder {
 public:
  InitialisedFolder() {
    EXPECT_TRUE(DataFolder::Create(dir_.Path()).has_value());
    Touch(dir_ / "aliquot.db");
  }
  DataFolder Folder() const { return *DataFolder::Existing(dir_.Path()); }
  const std::filesystem::path& Path() const { return dir_.Path(); }

 private:
  testing::TempDir dir_;
};

TEST(ServerLock, RecordsTheHoldersPid) {
  const InitialisedFolder data;
  const auto lock = ServerLock::Acquire(data.Folder());
  ASSERT_TRUE(lock.has_value()) << lock.error().ToString();
  EXPECT_EQ(ReadFile(data.Folder().LockFile()), std::to_string(::getpid()) + "\n");
}

TEST(ServerLock, RefusesASecondLockNamingTheFirstPid) {
  const InitialisedFolder data;
  const auto first = ServerLock::Acquire(data.Folder());
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  // flock belongs to the open file description, so a second Acquire is refused even in the same
  // process.
  const auto second = ServerLock::Acquire(data.Folder());
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(second.error().Message().find("(pid " + std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.error().Message();
  EXPECT_NE(second.error().Message().find(data.Path().string()), std::string::npos);
  // The refused attempt did not wipe the holder's pid.
  EXPECT_EQ(ReadFile(data.Folder().LockFile()), std::to_string(::getpid()) + "\n");
}

TEST(ServerLock, RefusesAnotherProcessNamingTheHoldersPid) {
  const InitialisedFolder data;
  const auto lock = ServerLock::Acquire(data.Folder());
  ASSERT_TRUE(lock.has_value()) << lock.error().ToString();
  const pid_t holder = ::getpid();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A second server starting on the same folder.
    const auto second = ServerLock::Acquire(*DataFolder::Existing(data.Path()));
    const bool refused_naming_holder =
        !second.has_value() && second.error().Code() == ErrorCode::kFailedPrecondition &&
        second.error().Message().find("(pid " + std::to_string(holder) + ")") != std::string::npos;
    ::_exit(refused_naming_holder ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the second process was not refused naming pid " << holder;
}

TEST(ServerLock, CanBeTakenAgainOnceReleased) {
  const InitialisedFolder data;
  auto first = ServerLock::Acquire(data.Folder());
  ASSERT_TRUE(first.has_value());
  first->reset();
  // The pid of a stopped server is not left behind to mislead.
  EXPECT_EQ(ReadFile(data.Folder().LockFile()), "");
  const auto second = ServerLock::Acquire(data.Folder());
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  EXPECT_EQ(ReadFile(data.Folder().LockFile()), std::to_string(::getpid()) + "\n");
}

TEST(ServerLock, IgnoresAStalePidFromACrashedServer) {
  const InitialisedFolder data;
  // A server killed with SIGKILL leaves its pid in the file but no lock.
  std::ofstream(data.Folder().LockFile(), std::ios::binary) << "999999\n";
  const auto lock = ServerLock::Acquire(data.Folder());
  ASSERT_TRUE(lock.has_value()) << lock.error().ToString();
  EXPECT_EQ(ReadFile(data.Folder().LockFile()), std::to_string(::getpid()) + "\n");
}

// FolderExportWriter.

// Starts the file `name` through the port, as the export use case does. (Called on the concrete
// class, a string literal is ambiguous between FolderExportWriter's two Create functions.)
Result<std::unique_ptr<app::ExportFile>> Start(app::ExportWriter& writer, const std::string& name) {
  return writer.Create(name);
}

TEST(FolderExportWriter, FileAppearsOnlyWhenCommitted) {
  const testing::TempDir dir;
  const std::filesystem::path folder = dir / "export";
  auto writer = FolderExportWriter::Create(folder);
  ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
  auto file = Start(**writer, "events.jsonl");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  ASSERT_TRUE((*file)->Append("{\"seq\":1}\n").has_value());
  ASSERT_TRUE((*file)->Append("{\"seq\":2}\n").has_value());
  EXPECT_FALSE(std::filesystem::exists(folder / "events.jsonl"));
  ASSERT_TRUE((*file)->Commit().has_value());
  EXPECT_EQ(ReadFile(folder / "events.jsonl"), "{\"seq\":1}\n{\"seq\":2}\n");
  // Nothing else is left in the folder.
  EXPECT_EQ(Names(folder), std::set<std::string>{"events.jsonl"});
}

TEST(FolderExportWriter, AnAbandonedFileLeavesNothingBehind) {
  const testing::TempDir dir;
  auto writer = FolderExportWriter::Create(dir / "export");
  ASSERT_TRUE(writer.has_value());
  {
    auto file = Start(**writer, "events.jsonl");
    ASSERT_TRUE(file.has_value());
    ASSERT_TRUE((*file)->Append("partial").has_value());
  }
  EXPECT_TRUE(Names(dir / "export").empty());
}

TEST(FolderExportWriter, WritesLargeFilesWhole) {
  const testing::TempDir dir;
  auto writer = FolderExportWriter::Create(dir / "export");
  ASSERT_TRUE(writer.has_value());
  auto file = Start(**writer, "events.jsonl");
  ASSERT_TRUE(file.has_value());
  std::string expected;
  for (int i = 0; i < 30'000; ++i) {
    const std::string line = "{\"seq\":" + std::to_string(i + 1) + ",\"pad\":\"" +
                             std::string(static_cast<std::size_t>(i % 97), 'p') + "\"}\n";
    expected += line;
    ASSERT_TRUE((*file)->Append(line).has_value());
  }
  ASSERT_GT(expected.size(), 2U << 20);
  ASSERT_TRUE((*file)->Commit().has_value());
  EXPECT_EQ(ReadFile(dir / "export" / "events.jsonl"), expected);
}

TEST(FolderExportWriter, AcceptsAnExistingEmptyFolder) {
  const testing::TempDir dir;
  EXPECT_TRUE(FolderExportWriter::Create(dir.Path()).has_value());
}

TEST(FolderExportWriter, RefusesAFolderThatIsNotEmpty) {
  const testing::TempDir dir;
  Touch(dir / "manifest.json");
  const auto writer = FolderExportWriter::Create(dir.Path());
  ASSERT_FALSE(writer.has_value());
  EXPECT_EQ(writer.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(writer.error().Message().find("choose a new folder"), std::string::npos);
  // The file found there is untouched.
  EXPECT_EQ(Names(dir.Path()), std::set<std::string>{"manifest.json"});
}

TEST(FolderExportWriter, RefusesNamesThatAreNotPlainFileNames) {
  const testing::TempDir dir;
  auto writer = FolderExportWriter::Create(dir / "export");
  ASSERT_TRUE(writer.has_value());
  for (const std::string name :
       {"", "a/b", "/etc/passwd", "../escape.jsonl", ".hidden", ".", ".."}) {
    const auto file = Start(**writer, name);
    ASSERT_FALSE(file.has_value()) << "'" << name << "'";
    EXPECT_EQ(file.error().Code(), ErrorCode::kInvalidArgument) << "'" << name << "'";
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "escape.jsonl"));
  EXPECT_TRUE(Names(dir / "export").empty());
}

TEST(FolderExportWriter, RefusesToOverwriteACommittedFile) {
  const testing::TempDir dir;
  auto writer = FolderExportWriter::Create(dir / "export");
  ASSERT_TRUE(writer.has_value());
  auto first = Start(**writer, "manifest.json");
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE((*first)->Append("first").has_value());
  ASSERT_TRUE((*first)->Commit().has_value());
  const auto second = Start(**writer, "manifest.json");
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(dir / "export" / "manifest.json"), "first");
}

}  // namespace
}  // namespace aliquot::storage
