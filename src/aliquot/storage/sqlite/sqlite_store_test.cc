// What only SqliteStore can show: the file it keeps (not a database, missing, out of room, from a
// newer build) and SQLite's write-ahead log. What every Store promises is
// tests/contract/store_contract_test.cc.
#include "aliquot/storage/sqlite/sqlite_store.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/sha256.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/sqlite/migrations.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/note_projector.h"
#include "tests/support/raw_sqlite.h"
#include "tests/support/temp_dir.h"

namespace aliquot::storage {
namespace {

using ::aliquot::testing::AllEvents;
using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::Note;
using ::aliquot::testing::NoteProjector;
using ::aliquot::testing::NoteValues;
using ::aliquot::testing::RawDatabase;
using ::aliquot::testing::Request;
using ::aliquot::testing::TempDir;
using ::aliquot::testing::VerifyChain;
using ::testing::HasSubstr;

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string DbPath() const { return (dir_ / "aliquot.db").string(); }

  SqliteStoreOptions Options(OpenMode mode = OpenMode::kReadWriteCreate) const {
    SqliteStoreOptions options;
    options.path = DbPath();
    options.mode = mode;
    return options;
  }

  Result<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options) {
    return SqliteStore::Open(options, clock_, projector_);
  }

  std::unique_ptr<SqliteStore> OpenOrDie(const SqliteStoreOptions& options) {
    auto store = Open(options);
    EXPECT_TRUE(store) << store.error().ToString();
    return store ? std::move(*store) : nullptr;
  }
  std::unique_ptr<SqliteStore> OpenOrDie() { return OpenOrDie(Options()); }

  std::optional<app::Row> NoteRow(app::StoreReader& store, const std::string& id) {
    return testing::NoteRow(store, projector_, id);
  }

  TempDir dir_;
  FakeClock clock_;
  NoteProjector projector_;
};

TEST_F(SqliteStoreTest, AFullDiskRefusesTheAppendStoresNothingAndTheChainContinuesAfter) {
  {
    auto store = OpenOrDie();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Append(Request({Note("n-1", "small")})));
  }
  const std::int64_t pages = RawDatabase(DbPath()).QueryInt("PRAGMA page_count");
  SqliteStoreOptions limited = Options(OpenMode::kReadWrite);
  limited.max_page_count = pages + 8;  // 32 KiB of room at the default page size.
  auto store = OpenOrDie(limited);
  const auto before = store->Head();
  ASSERT_TRUE(before);

  const std::string photo(std::size_t{256} * 1024, 'x');
  auto refused = store->Append(Request({Note("n-2", "caption"), Note("n-3", photo)}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kUnavailable);
  EXPECT_THAT(refused.error().Message(), HasSubstr("disk is full"));

  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, 3u);
  EXPECT_EQ(head->head_hash, before->head_hash);
  EXPECT_EQ(AllEvents(*store).size(), 3u);
  EXPECT_EQ(NoteRow(*store, "n-2"), std::nullopt);
  EXPECT_EQ(NoteRow(*store, "n-1"), NoteValues("n-1", "small", 3));

  // A small event still fits, and chains onto the last stored one.
  auto small = store->Append(Request({Note("n-2", "fits")}));
  ASSERT_TRUE(small) << small.error().ToString();
  EXPECT_EQ(small->front().seq, 4u);
  EXPECT_EQ(small->front().prev_hash, before->head_hash);

  // With room again (the operator freed space), the large event goes in after it.
  store.reset();
  store = OpenOrDie(Options(OpenMode::kReadWrite));
  auto large = store->Append(Request({Note("n-3", photo)}));
  ASSERT_TRUE(large) << large.error().ToString();
  EXPECT_EQ(large->front().seq, 5u);
  EXPECT_EQ(large->front().prev_hash, small->front().hash);
  const auto events = AllEvents(*store);
  EXPECT_EQ(events.size(), 5u);
  EXPECT_EQ(Describe(VerifyChain(events)), "ok");
}

TEST_F(SqliteStoreTest, AFullDiskRefusesTheBlobStoresNothingAndAppendsGoOn) {
  { ASSERT_TRUE(OpenOrDie()->Append(Request({Note("n-1", "small")}))); }
  const std::int64_t pages = RawDatabase(DbPath()).QueryInt("PRAGMA page_count");
  SqliteStoreOptions limited = Options(OpenMode::kReadWrite);
  limited.max_page_count = pages + 8;  // 32 KiB of room at the default page size.
  auto store = OpenOrDie(limited);

  const std::string scan(std::size_t{256} * 1024, '\xff');
  auto refused = store->PutBlob(scan, "image/tiff");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().Code(), ErrorCode::kUnavailable);
  EXPECT_THAT(refused.error().Message(), HasSubstr("disk is full"));
  EXPECT_THAT(refused.error().Message(), HasSubstr(Sha256::Of(scan).Hex()));
  auto stat = store->StatBlob(Sha256::Of(scan).Hex());
  ASSERT_TRUE(stat) << stat.error().ToString();
  EXPECT_EQ(*stat, std::nullopt);
  EXPECT_EQ(RawDatabase(DbPath()).QueryInt("SELECT count(*) FROM blobs"), 0);

  // The writer was left with no transaction open: appends and small blobs still go in.
  auto appended = store->Append(Request({Note("n-1", "after")}));
  ASSERT_TRUE(appended) << appended.error().ToString();
  EXPECT_EQ(appended->front().seq, 2u);
  auto small = store->PutBlob("a small file", "text/plain");
  ASSERT_TRUE(small) << small.error().ToString();
  EXPECT_EQ(*store->GetBlob(small->sha256), "a small file");
}

TEST_F(SqliteStoreTest, OpenReportsDataLossForAFileThatIsNotADatabase) {
  std::mt19937_64 random(20260115);  // Fixed seed: the same bytes every run.
  {
    std::ofstream file(DbPath(), std::ios::binary);
    for (int i = 0; i < 64 * 1024 / 8; ++i) {
      const std::uint64_t word = random();
      file.write(reinterpret_cast<const char*>(&word), sizeof word);
    }
  }
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    auto store = Open(Options(mode));
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().Code(), ErrorCode::kDataLoss) << store.error().ToString();
    EXPECT_THAT(store.error().Message(), HasSubstr(DbPath()));
  }
}

TEST_F(SqliteStoreTest, OpenReportsNotFoundForAMissingFileUnlessAskedToCreate) {
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    auto store = Open(Options(mode));
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().Code(), ErrorCode::kNotFound);
  }
  EXPECT_FALSE(std::filesystem::exists(DbPath()));
}

TEST_F(SqliteStoreTest, OpenRefusesADatabaseFromANewerBuildNamingTheMigrationItLacks) {
  OpenOrDie().reset();
  {
    RawDatabase raw(DbPath());
    ASSERT_EQ(raw.Exec("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)"), "");
  }
  auto store = Open(Options(OpenMode::kReadWrite));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(store.error().Message(), HasSubstr("migration 99 (from the future)"));
  EXPECT_THAT(store.error().Message(),
              HasSubstr("up to " + std::to_string(SqliteMigrations().back().version)));

  store = Open(Options(OpenMode::kReadOnly));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(store.error().Message(), HasSubstr("migration 99 (from the future)"));
}

TEST_F(SqliteStoreTest, ClosingFoldsTheWriteAheadLogIntoTheDatabaseFile) {
  std::vector<ledger::Event> appended;
  {
    auto store = OpenOrDie();
    for (int i = 0; i < 3; ++i) {
      auto events = store->Append(Request({Note("n-1", std::to_string(i))}));
      ASSERT_TRUE(events) << events.error().ToString();
      appended.insert(appended.end(), events->begin(), events->end());
    }
    // While open, commits go to the write-ahead log first.
    EXPECT_EQ(RawDatabase(DbPath()).QueryText("PRAGMA journal_mode"), "wal");
  }
  // At rest the folder is one self-contained file: a copy of aliquot.db alone, as a backup
  // script that knows nothing of SQLite would take, holds every acknowledged event.
  const std::filesystem::path wal = dir_ / "aliquot.db-wal";
  EXPECT_TRUE(!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0);
  std::filesystem::create_directory(dir_ / "copy");
  std::filesystem::copy_file(DbPath(), dir_ / "copy" / "aliquot.db");
  SqliteStoreOptions copy = Options(OpenMode::kReadOnly);
  copy.path = (dir_ / "copy" / "aliquot.db").string();
  auto store = OpenOrDie(copy);
  ASSERT_TRUE(store);
  EXPECT_EQ(AllEvents(*store), appended);
  EXPECT_EQ(NoteRow(*store, "n-1"), NoteValues("n-1", "2", 3));
  EXPECT_EQ(Describe(VerifyChain(AllEvents(*store))), "ok");
}

}  // namespace
}  // namespace aliquot::storage
