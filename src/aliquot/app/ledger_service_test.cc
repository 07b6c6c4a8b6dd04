#include "aliquot/app/ledger_service.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "aliquot/app/projectors.h"
#include "aliquot/app/system_service.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/domain/system/installation.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/merkle.h"
#include "aliquot/ledger/verifier.h"
#include "aliquot/storage/files/data_folder.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/raw_sqlite.h"
#include "tests/support/temp_dir.h"

namespace aliquot::app {
namespace {

using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::kEventContentColumns;
using ::aliquot::testing::RawDatabase;
using ::aliquot::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// "ok", or the error: an assertion on it prints what went wrong.
Ed25519SigningKey::Seed FixedSeed() {
  Ed25519SigningKey::Seed seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(7 * i + 1);
  return seed;
}

// One installation in a temporary folder, wired as the server wires it: a SQLite store, every
// area's projector, SystemService for realistic events, a fixed signing key and a FakeClock.
struct Site {
  TempDir dir;
  FakeClock clock;
  Ed25519SigningKey key = Ed25519SigningKey::FromSeed(FixedSeed());
  std::unique_ptr<Projector> projector = MakeAllProjectors();
  std::unique_ptr<storage::SqliteStore> store;
  std::unique_ptr<SystemService> system;
  std::unique_ptr<LedgerService> ledger;

  std::string DbPath() const { return (dir / "aliquot.db").string(); }

  Status Open() {
    ledger.reset();
    system.reset();
    store.reset();
    storage::SqliteStoreOptions options;
    options.path = DbPath();
    options.mode = storage::OpenMode::kReadWriteCreate;
    ALIQUOT_ASSIGN_OR_RETURN(store, storage::SqliteStore::Open(options, clock, *projector));
    system = std::make_unique<SystemService>(*store);
    ledger = std::make_unique<LedgerService>(*store, clock, key, *projector);
    return {};
  }

  Status Initialise() {
    ALIQUOT_RETURN_IF_ERROR(system->Initialise(
        {"Leiden Cell Therapy Unit", key.PublicKey().KeyId().Hex(), "0.1.0", "server:test"}));
    return {};
  }
  Status StartServer() {
    ALIQUOT_RETURN_IF_ERROR(
        system->RecordServerStarted({"0.1.0", "127.0.0.1:8080", "server", "lab-1:/srv/aliquot"}));
    return {};
  }
  Status StopServer() {
    ALIQUOT_RETURN_IF_ERROR(system->RecordServerStopped("lab-1:/srv/aliquot", "SIGTERM", "server"));
    return {};
  }

  // Appends one request of "sample" events, a stream no projector knows.
  Result<std::vector<ledger::Event>> AppendSamples(const std::vector<std::string>& texts) {
    AppendRequest request;
    for (const std::string& text : texts) {
      ledger::NewEvent event;
      event.stream = {"sample", "S-" + std::to_string(request.events.size() + 1)};
      event.event_type = "sample.noted";
      event.payload.Set("text", text);
      event.actor = {"u-7", "Grace Hopper"};
      event.terminal = "lab-2";
      request.events.push_back(std::move(event));
    }
    return store->Append(request);
  }

  std::vector<ledger::Event> AllEvents() {
    std::vector<ledger::Event> events;
    const auto collect = [&](const ledger::Event& event) -> Status {
      events.push_back(event);
      return {};
    };
    EXPECT_EQ(Describe(store->ScanEvents(1, UINT64_MAX, collect)), "ok");
    return events;
  }
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

// A realistic small ledger: the installation's life with samples noted in between.
//   1 initialised, 2 started, 3-5 samples, 6 stopped, 7 started, 8 sample, 9 sample.
class LedgerServiceTest : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kEvents = 9;

  void SetUp() override {
    ASSERT_EQ(Describe(site_.Open()), "ok");
    ASSERT_EQ(Describe(site_.Initialise()), "ok");
    site_.clock.Advance(60 * kMicrosPerSecond);
    ASSERT_EQ(Describe(site_.StartServer()), "ok");
    site_.clock.Advance(60 * kMicrosPerSecond);
    ASSERT_EQ(Describe(site_.AppendSamples({"viability 92%", "count 1.2e6/mL", "pH 7.2"})), "ok");
    site_.clock.Advance(60 * kMicrosPerSecond);
    ASSERT_EQ(Describe(site_.StopServer()), "ok");
    site_.clock.Advance(60 * kMicrosPerSecond);
    ASSERT_EQ(Describe(site_.StartServer()), "ok");
    site_.clock.Advance(60 * kMicrosPerSecond);
    ASSERT_EQ(Describe(site_.AppendSamples({"sterile"})), "ok");
    ASSERT_EQ(Describe(site_.AppendSamples({"released"})), "ok");
    ASSERT_EQ(site_.store->Head()->size, kEvents);
  }

  LedgerService& Service() { return *site_.ledger; }

  Site site_;
};

// Verifies P11-01
TEST_F(LedgerServiceTest, VerifyPassesOnAGoodLedgerAndReportsWhatItChecked) {
  auto early = Service().Checkpoint();
  ASSERT_TRUE(early);
  ASSERT_EQ(Describe(site_.AppendSamples({"after the checkpoint"})), "ok");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  VerifyOptions options;
  options.trusted_checkpoint = *early;
  options.progress = [&](std::uint64_t done, std::uint64_t all) {
    progress.emplace_back(done, all);
  };

  auto outcome = Service().Verify(options);
  ASSERT_EQ(Describe(outcome), "ok");
  const auto head = Service().Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(outcome->ledger.events, kEvents + 1);
  EXPECT_EQ(outcome->ledger.checkpoints, 2u);  // The stored one and the trusted copy.
  EXPECT_EQ(outcome->ledger.head_hash, head->head_hash);
  EXPECT_EQ(outcome->ledger.root_hash, head->root_hash);
  EXPECT_EQ(outcome->projection_rows, 2u);  // The installation row and its one server.
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(kEvents + 1, kEvents + 1));
}

TEST(LedgerService, VerifyPassesOnAnEmptyLedger) {
  Site site;
  ASSERT_EQ(Describe(site.Open()), "ok");
  auto outcome = site.ledger->Verify({});
  ASSERT_EQ(Describe(outcome), "ok");
  EXPECT_EQ(outcome->ledger.events, 0u);
  EXPECT_EQ(outcome->ledger.root_hash, ledger::EmptyRoot());
  EXPECT_EQ(outcome->projection_rows, 0u);
}

// The tamperings of the property below: what someone with write access to the database file can
// do to the events table once they have dropped its triggers.
enum class Tampering {
  kPayloadByte,       // One byte of one payload changed.
  kActorName,         // The printed name of who did it.
  kTerminal,          // Where it was done.
  kEventType,         // What was done.
  kTime,              // When it was done.
  kDeleteRow,         // One event removed (not the last: that is truncation, tested below).
  kSwapRows,          // Two events' contents exchanged, each keeping its seq.
  kInsertCopyAtEnd,   // A copy of an event appended as seq max + 1.
  kDuplicateRowAsIs,  // The key dropped and one row stored twice, seq and all.
};

const char* TamperingName(Tampering tampering) {
  switch (tampering) {
    case Tampering::kPayloadByte:
      return "payload byte";
    case Tampering::kActorName:
      return "actor name";
    case Tampering::kTerminal:
      return "terminal";
    case Tampering::kEventType:
      return "event type";
    case Tampering::kTime:
      return "time";
    case Tampering::kDeleteRow:
      return "delete row";
    case Tampering::kSwapRows:
      return "swap rows";
    case Tampering::kInsertCopyAtEnd:
      return "insert copy at end";
    case Tampering::kDuplicateRowAsIs:
      return "duplicate row";
  }
  return "?";
}

// Counterexamples name the tampering rather than printing <???>.
std::ostream& operator<<(std::ostream& out, Tampering tampering) {
  return out << TamperingName(tampering);
}

// Builds a random ledger of exactly `size` events: initialisation first, then server starts and
// stops (through SystemService) and requests of 1-8 sample events, with the clock moving.
void BuildRandomLedger(Site& site, std::uint64_t size) {
  RC_ASSERT(Describe(site.Initialise()) == "ok");
  std::uint64_t count = 1;
  bool running = false;
  while (count < size) {
    site.clock.Advance(*rc::gen::inRange<std::int64_t>(0, 5 * kMicrosPerSecond));
    if (*rc::gen::inRange(0, 3) == 0) {
      RC_ASSERT(Describe(running ? site.StopServer() : site.StartServer()) == "ok");
      running = !running;
      ++count;
    } else {
      const auto n = std::min<std::uint64_t>(*rc::gen::inRange<std::uint64_t>(1, 9), size - count);
      const auto texts = *rc::gen::container<std::vector<std::string>>(
          static_cast<std::size_t>(n),
          rc::gen::container<std::string>(rc::gen::inRange<char>(' ', '\x7f')));
      RC_ASSERT(Describe(site.AppendSamples(texts)) == "ok");
      count += n;
    }
  }
}

// Applies `tampering` with raw SQL and returns the seq Verify must name: the first event that no
// longer follows from the ones before it.
std::uint64_t Tamper(RawDatabase& raw, Tampering tampering, std::uint64_t size) {
  RC_ASSERT(raw.DropTriggers().empty());
  const auto pick = [&] { return *rc::gen::inRange<std::uint64_t>(1, size + 1); };
  const auto seq_text = [](std::uint64_t seq) { return std::to_string(seq); };
  switch (tampering) {
    case Tampering::kPayloadByte: {
      const std::uint64_t seq = pick();
      std::string payload =
          raw.QueryText("SELECT payload FROM events WHERE seq = " + seq_text(seq));
      const auto at = *rc::gen::inRange<std::size_t>(0, payload.size());
      payload[at] = *rc::gen::distinctFrom(rc::gen::inRange<char>(' ', '\x7f'), payload[at]);
      RC_ASSERT(raw.Run("UPDATE events SET payload = ?1 WHERE seq = ?2",
                        {payload, static_cast<std::int64_t>(seq)})
                    .empty());
      return seq;
    }
    case Tampering::kActorName:
    case Tampering::kTerminal:
    case Tampering::kEventType: {
      const std::uint64_t seq = pick();
      const std::string column = tampering == Tampering::kActorName  ? "actor_name"
                                 : tampering == Tampering::kTerminal ? "terminal"
                                                                     : "event_type";
      RC_ASSERT(raw.Exec("UPDATE events SET " + column + " = " + column +
                         " || 'x' WHERE seq = " + seq_text(seq))
                    .empty());
      return seq;
    }
    case Tampering::kTime: {
      const std::uint64_t seq = pick();
      const auto shift = *rc::gen::distinctFrom(
          rc::gen::inRange<std::int64_t>(-kMicrosPerSecond, kMicrosPerSecond), std::int64_t{0});
      RC_ASSERT(raw.Exec("UPDATE events SET time_us = time_us + (" + std::to_string(shift) +
                         ") WHERE seq = " + seq_text(seq))
                    .empty());
      return seq;
    }
    case Tampering::kDeleteRow: {
      const auto seq = *rc::gen::inRange<std::uint64_t>(1, size);
      RC_ASSERT(raw.Exec("DELETE FROM events WHERE seq = " + seq_text(seq)).empty());
      return seq;  // "event seq N: missing".
    }
    case Tampering::kSwapRows: {
      const auto first = *rc::gen::inRange<std::uint64_t>(1, size);
      const auto second = *rc::gen::inRange<std::uint64_t>(first + 1, size + 1);
      const std::string columns = kEventContentColumns;
      const auto copy = [&](std::uint64_t to, std::uint64_t from) {
        return "UPDATE events SET (" + columns + ") = (SELECT " + columns +
               " FROM temp.original WHERE seq = " + seq_text(from) +
               ") WHERE seq = " + seq_text(to) + ";";
      };
      RC_ASSERT(raw.Exec("CREATE TEMP TABLE original AS SELECT * FROM events;" +
                         copy(first, second) + copy(second, first) + "DROP TABLE temp.original")
                    .empty());
      // The first of the two now carries the later event's prev_hash.
      return first;
    }
    case Tampering::kInsertCopyAtEnd: {
      const std::uint64_t seq = pick();
      RC_ASSERT(raw.Exec("INSERT INTO events (seq, " + std::string(kEventContentColumns) +
                         ") SELECT " + seq_text(size + 1) + ", " + kEventContentColumns +
                         " FROM events WHERE seq = " + seq_text(seq))
                    .empty());
      // Its prev_hash is that of the copied event, never the hash of seq `size`.
      return size + 1;
    }
    case Tampering::kDuplicateRowAsIs: {
      const std::uint64_t seq = pick();
      RC_ASSERT(raw.Exec("CREATE TABLE events_without_key AS SELECT * FROM events;"
                         "DROP TABLE events;"
                         "ALTER TABLE events_without_key RENAME TO events;"
                         "INSERT INTO events SELECT * FROM events WHERE seq = " +
                         seq_text(seq))
                    .empty());
      return seq + 1;  // "event seq N+1: expected, found seq N again".
    }
  }
  RC_FAIL("unknown tampering");
  return 0;
}

// Verifies P11-01
RC_GTEST_PROP(LedgerTampering, VerifyFailsNamingTheFirstTamperedEvent, ()) {
  const auto size = *rc::gen::inRange<std::uint64_t>(1, 61);
  std::vector<Tampering> possible{
      Tampering::kPayloadByte,     Tampering::kActorName, Tampering::kTerminal,
      Tampering::kEventType,       Tampering::kTime,      Tampering::kInsertCopyAtEnd,
      Tampering::kDuplicateRowAsIs};
  if (size >= 2) {
    possible.push_back(Tampering::kDeleteRow);
    possible.push_back(Tampering::kSwapRows);
  }
  const Tampering tampering = *rc::gen::elementOf(possible);
  RC_CLASSIFY(true, TamperingName(tampering));

  Site site;
  RC_ASSERT(Describe(site.Open()) == "ok");
  BuildRandomLedger(site, size);
  RC_ASSERT(Describe(site.ledger->Verify({})) == "ok");

  RawDatabase raw(site.DbPath());
  const std::uint64_t first_bad = Tamper(raw, tampering, size);
  const std::string described = Describe(site.ledger->Verify({}));
  const std::string expected = "data_loss: event seq " + std::to_string(first_bad) + ": ";
  RC_ASSERT(described.substr(0, expected.size()) == expected);
}

// Verifies P11-01
TEST_F(LedgerServiceTest, VerifyCatchesAProjectionRowEditedBehindTheSystemsBack) {
  RawDatabase raw(site_.DbPath());
  ASSERT_EQ(raw.Exec("UPDATE installation SET site_name = 'Elsewhere'"), "");
  auto outcome = Service().Verify({});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(outcome.error().Message(),
            "projection installation: row (id=\"installation\") column site_name is "
            "\"Elsewhere\" but the ledger says \"Leiden Cell Therapy Unit\"");

  ASSERT_EQ(raw.Exec("UPDATE installation SET site_name = 'Leiden Cell Therapy Unit',"
                     " server_starts = 7"),
            "");
  outcome = Service().Verify({});
  ASSERT_FALSE(outcome);
  EXPECT_THAT(outcome.error().Message(),
              HasSubstr("column server_starts is 7 but the ledger says 2"));

  // A value of another type than the column's is reported, not a reason to stop reading.
  ASSERT_EQ(raw.Exec("UPDATE installation SET server_starts = 'two'"), "");
  outcome = Service().Verify({});
  ASSERT_FALSE(outcome);
  EXPECT_THAT(outcome.error().Message(),
              HasSubstr("column server_starts is \"two\" but the ledger says 2"));
}

// Verifies P11-01
TEST_F(LedgerServiceTest, VerifyCatchesAProjectionRowDeletedBehindTheSystemsBack) {
  RawDatabase raw(site_.DbPath());
  ASSERT_EQ(raw.Exec("DELETE FROM installation"), "");
  auto outcome = Service().Verify({});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(outcome.error().Message(),
              StartsWith("projection installation: row (id=\"installation\") is missing"));
}

// Verifies P11-01
TEST_F(LedgerServiceTest, VerifyCatchesAProjectionRowInsertedBehindTheSystemsBack) {
  RawDatabase raw(site_.DbPath());
  ASSERT_EQ(raw.Exec("INSERT INTO installation VALUES ('rogue', 'Rogue Lab', 'k', "
                     "'2026-01-15T08:00:00.000000Z', '0.1.0', 0, 0, 0, NULL, NULL)"),
            "");
  auto outcome = Service().Verify({});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(outcome.error().Message(),
              StartsWith("projection installation: row (id=\"rogue\") is not derived from any "
                         "event"));
}

// Verifies P11-01
TEST_F(LedgerServiceTest, VerifyCatchesTruncationWithACheckpointTakenBefore) {
  auto trusted = Service().Checkpoint();
  ASSERT_TRUE(trusted);
  ASSERT_EQ(trusted->tree_size, kEvents);
  RawDatabase raw(site_.DbPath());
  ASSERT_EQ(raw.DropTriggers(), "");
  ASSERT_EQ(raw.Exec("DELETE FROM events WHERE seq > 6"), "");

  VerifyOptions options;
  options.trusted_checkpoint = *trusted;
  auto outcome = Service().Verify(options);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(outcome.error().Message(), StartsWith("checkpoint 1 (tree size 9"));
  EXPECT_THAT(outcome.error().Message(),
              HasSubstr("covers 9 events but the ledger holds 6: the ledger was truncated after "
                        "seq 6"));

  // Whoever truncates deletes the stored checkpoints too; the copy kept outside still tells.
  ASSERT_EQ(raw.Exec("DELETE FROM checkpoints"), "");
  outcome = Service().Verify(options);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(outcome.error().Message(),
            "trusted checkpoint: covers 9 events but the ledger holds 6: the ledger was "
            "truncated after seq 6");
}

// Verifies P11-01
TEST_F(LedgerServiceTest, VerifyCatchesARewrittenTailThatStillChains) {
  auto trusted = Service().Checkpoint();
  ASSERT_TRUE(trusted);
  const std::vector<ledger::Event> original = site_.AllEvents();
  ASSERT_EQ(original.size(), kEvents);

  // Roll back to seq 7 and write a different history from seq 8 on, longer than the original,
  // sealed exactly as the store seals: every hash and link is right.
  constexpr std::uint64_t kFrom = 8;
  RawDatabase raw(site_.DbPath());
  ASSERT_EQ(raw.DropTriggers(), "");
  ASSERT_EQ(raw.Exec("DELETE FROM events WHERE seq >= " + std::to_string(kFrom)), "");
  Hash256 prev_hash = original[kFrom - 2].hash;
  std::vector<ledger::Event> forged(original.begin(),
                                    original.begin() + static_cast<std::ptrdiff_t>(kFrom - 1));
  for (std::uint64_t seq = kFrom; seq <= kEvents + 2; ++seq) {
    ledger::NewEvent event;
    event.stream = {"sample", "S-1"};
    event.event_type = "sample.noted";
    event.payload.Set("text", "failed sterility, rewritten as passed " + std::to_string(seq));
    event.actor = {"u-7", "Grace Hopper"};
    event.terminal = "lab-2";
    const ledger::Event sealed = ledger::SealEvent(event, seq, original[kFrom - 2].time, prev_hash);
    ASSERT_EQ(raw.InsertEvent(sealed), "");
    forged.push_back(sealed);
    prev_hash = sealed.hash;
  }
  ASSERT_EQ(site_.AllEvents(), forged);
  {
    // The chain on its own is flawless...
    ledger::LedgerVerifier chain_only(site_.key.PublicKey(), {});
    for (const ledger::Event& event : forged) ASSERT_EQ(Describe(chain_only.Add(event)), "ok");
    ASSERT_EQ(Describe(chain_only.Finish()), "ok");
  }

  // ...but the stored checkpoint signed the old root at size 9.
  auto outcome = Service().Verify({});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(outcome.error().Message(), StartsWith("checkpoint 1 (tree size 9"));
  EXPECT_THAT(outcome.error().Message(),
              HasSubstr("the signed root is " + trusted->root_hash.Hex()));
  EXPECT_THAT(outcome.error().Message(), HasSubstr("rewritten or rolled back"));

  // And with the stored checkpoints gone, the trusted copy catches it.
  ASSERT_EQ(raw.Exec("DELETE FROM checkpoints"), "");
  VerifyOptions options;
  options.trusted_checkpoint = *trusted;
  outcome = Service().Verify(options);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(outcome.error().Message(), StartsWith("trusted checkpoint (tree size 9)"));
  EXPECT_THAT(outcome.error().Message(), HasSubstr("rewritten or rolled back"));
}

TEST_F(LedgerServiceTest, VerifyRefusesATrustedCheckpointSignedByAnotherKey) {
  auto head = Service().Head();
  ASSERT_TRUE(head);
  Ed25519SigningKey::Seed other_seed = FixedSeed();
  other_seed[0] ^= 1;
  const auto other = Ed25519SigningKey::FromSeed(other_seed);
  VerifyOptions options;
  options.trusted_checkpoint =
      ledger::SignCheckpoint(head->size, head->root_hash, site_.clock.Now(), other);
  auto outcome = Service().Verify(options);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().Code(), ErrorCode::kDataLoss);
  EXPECT_THAT(outcome.error().Message(),
              StartsWith("trusted checkpoint (tree size 9): signed by key"));
}

TEST_F(LedgerServiceTest, CheckpointIsIdempotentAtAnUnchangedHeadAndItsSignatureVerifies) {
  auto first = Service().Checkpoint();
  ASSERT_EQ(Describe(first), "ok");
  const auto head = Service().Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(first->tree_size, head->size);
  EXPECT_EQ(first->root_hash, head->root_hash);
  EXPECT_EQ(first->key_id, site_.key.PublicKey().KeyId());
  EXPECT_EQ(Describe(ledger::VerifyCheckpointSignature(*first, site_.key.PublicKey())), "ok");
  ledger::Checkpoint altered = *first;
  altered.tree_size -= 1;
  EXPECT_FALSE(ledger::VerifyCheckpointSignature(altered, site_.key.PublicKey()));

  site_.clock.Advance(kMicrosPerSecond);
  auto again = Service().Checkpoint();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);
  auto stored = Service().Checkpoints();
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, std::vector<ledger::Checkpoint>{*first});

  // AL-01: a later checkpoint is never dated before an earlier one, whatever the clock says.
  site_.clock.Advance(-3600 * kMicrosPerSecond);
  ASSERT_EQ(Describe(site_.AppendSamples({"one more"})), "ok");
  auto next = Service().Checkpoint();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->tree_size, kEvents + 1);
  EXPECT_GE(next->time, first->time);
  EXPECT_EQ(Describe(ledger::VerifyCheckpointSignature(*next, site_.key.PublicKey())), "ok");
  stored = Service().Checkpoints();
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, (std::vector<ledger::Checkpoint>{*first, *next}));
  EXPECT_EQ(Describe(Service().Verify({})), "ok");
}

TEST_F(LedgerServiceTest, InclusionProofJsonIsCanonicalAndItsAuditPathVerifies) {
  const auto head = Service().Head();
  ASSERT_TRUE(head);
  for (std::uint64_t seq = 1; seq <= kEvents; ++seq) {
    SCOPED_TRACE("seq " + std::to_string(seq));
    auto text = Service().InclusionProofJson(seq);
    ASSERT_EQ(Describe(text), "ok");
    auto json = ParseJson(*text);
    ASSERT_EQ(Describe(json), "ok");
    EXPECT_EQ(CanonicalJson(*json), *text);
    EXPECT_EQ(json->Find("format")->AsString(), "aliquot-inclusion-proof/1");
    EXPECT_EQ(json->Find("leaf_index")->AsInteger(), static_cast<std::int64_t>(seq - 1));
    EXPECT_EQ(json->Find("public_key")->Find("public_key")->AsString(),
              site_.key.PublicKey().Hex());

    const Json& checkpoint = *json->Find("checkpoint");
    EXPECT_EQ(checkpoint.Find("tree_size")->AsInteger(), static_cast<std::int64_t>(kEvents));
    auto root = Hash256::FromHex(checkpoint.Find("root_hash")->AsString());
    ASSERT_TRUE(root);
    EXPECT_EQ(*root, head->root_hash);
    auto event = Service().EventAt(seq);
    ASSERT_TRUE(event);
    auto leaf = Hash256::FromHex(json->Find("event")->Find("hash")->AsString());
    ASSERT_TRUE(leaf);
    EXPECT_EQ(*leaf, event->hash);
    EXPECT_EQ(json->Find("event")->Find("seq")->AsInteger(), static_cast<std::int64_t>(seq));

    std::vector<Hash256> path;
    for (const Json& step : json->Find("audit_path")->AsArray()) {
      auto hash = Hash256::FromHex(step.AsString());
      ASSERT_TRUE(hash);
      path.push_back(*hash);
    }
    EXPECT_EQ(Describe(ledger::VerifyInclusion(seq - 1, kEvents, *leaf, path, *root)), "ok");
    // The same path does not prove another event in its place.
    EXPECT_FALSE(ledger::VerifyInclusion(seq - 1, kEvents, Sha256::Of("forged"), path, *root));
  }
  // The first proof signed the checkpoint it refers to; the rest reused it.
  auto checkpoints = Service().Checkpoints();
  ASSERT_TRUE(checkpoints);
  EXPECT_EQ(checkpoints->size(), 1u);
}

TEST_F(LedgerServiceTest, InclusionProofOfAnEventPastTheHeadIsNotFound) {
  for (std::uint64_t seq : {std::uint64_t{0}, kEvents + 1}) {
    auto proof = Service().InclusionProofJson(seq);
    ASSERT_FALSE(proof);
    EXPECT_EQ(proof.error().Code(), ErrorCode::kNotFound);
  }
}

// Verifies P11-02
TEST_F(LedgerServiceTest, ExportWritesFourFilesThatMatchTheLedger) {
  const std::filesystem::path folder = site_.dir / "export";
  auto writer = storage::FolderExportWriter::Create(folder);
  ASSERT_EQ(Describe(writer), "ok");
  auto summary = Service().Export(**writer);
  ASSERT_EQ(Describe(summary), "ok");
  const auto head = Service().Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(summary->events, kEvents);
  EXPECT_EQ(summary->checkpoints, 1u);
  EXPECT_EQ(summary->root_hash, head->root_hash);

  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"checkpoints.jsonl", "events.jsonl", "manifest.json",
                                             "public_key.json"}));

  // events.jsonl: every event, in order, exactly as the ledger holds it.
  std::string expected_events;
  for (const ledger::Event& event : site_.AllEvents()) {
    ledger::AppendEventJson(event, &event.hash, expected_events);
    expected_events += '\n';
  }
  const std::string events = ReadFile(folder / "events.jsonl");
  EXPECT_EQ(events, expected_events);

  // checkpoints.jsonl: the checkpoint the export signed first, covering all of it.
  const std::string checkpoints = ReadFile(folder / "checkpoints.jsonl");
  auto stored = Service().Checkpoints();
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(checkpoints, ledger::CheckpointJson(stored->front()) + "\n");
  EXPECT_EQ(stored->front().tree_size, kEvents);

  const std::string public_key = ReadFile(folder / "public_key.json");
  EXPECT_EQ(public_key, ledger::PublicKeyJson(site_.key.PublicKey()) + "\n");

  const std::vector<std::string> manifest_lines = Lines(ReadFile(folder / "manifest.json"));
  ASSERT_EQ(manifest_lines.size(), 1u);
  auto manifest = ParseJson(manifest_lines[0]);
  ASSERT_EQ(Describe(manifest), "ok");
  EXPECT_EQ(CanonicalJson(*manifest), manifest_lines[0]);
  EXPECT_EQ(manifest->Find("format")->AsString(), "aliquot-ledger-export/1");
  EXPECT_EQ(manifest->Find("events")->AsInteger(), static_cast<std::int64_t>(kEvents));
  EXPECT_EQ(manifest->Find("tree_size")->AsInteger(), static_cast<std::int64_t>(kEvents));
  EXPECT_EQ(manifest->Find("checkpoints")->AsInteger(), 1);
  EXPECT_EQ(manifest->Find("head_hash")->AsString(), head->head_hash.Hex());
  EXPECT_EQ(manifest->Find("root_hash")->AsString(), head->root_hash.Hex());
  EXPECT_EQ(manifest->Find("exported_at")->AsString(), site_.clock.Now().ToRfc3339());
  const Json& files = *manifest->Find("files");
  EXPECT_EQ(files.AsObject().size(), 3u);
  EXPECT_EQ(files.Find("events.jsonl")->AsString(), Sha256::Of(events).Hex());
  EXPECT_EQ(files.Find("checkpoints.jsonl")->AsString(), Sha256::Of(checkpoints).Hex());
  EXPECT_EQ(files.Find("public_key.json")->AsString(), Sha256::Of(public_key).Hex());
}

TEST_F(LedgerServiceTest, ExportRefusesAFolderThatIsNotEmpty) {
  const std::filesystem::path folder = site_.dir / "export";
  auto writer = storage::FolderExportWriter::Create(folder);
  ASSERT_TRUE(writer);
  ASSERT_EQ(Describe(Service().Export(**writer)), "ok");
  const std::string manifest = ReadFile(folder / "manifest.json");

  auto second = storage::FolderExportWriter::Create(folder);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_THAT(second.error().Message(), HasSubstr("not empty"));

  // Nor does the first writer overwrite what it wrote.
  site_.clock.Advance(kMicrosPerSecond);
  auto again = Service().Export(**writer);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(folder / "manifest.json"), manifest);
}

TEST_F(LedgerServiceTest, EventsValidatesItsRangeNamingTheField) {
  auto from_zero = Service().Events(0, 10);
  ASSERT_FALSE(from_zero);
  EXPECT_EQ(from_zero.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(from_zero.error().Field(), "from");
  for (std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{1001}}) {
    auto refused = Service().Events(1, limit);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(refused.error().Field(), "limit");
    EXPECT_THAT(refused.error().Message(), HasSubstr("between 1 and 1000"));
  }

  auto all = Service().Events(1, 1000);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, site_.AllEvents());
  auto page = Service().Events(3, 2);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 3u);
  EXPECT_EQ((*page)[1].seq, 4u);
  auto past = Service().Events(kEvents + 1, 10);
  ASSERT_TRUE(past);
  EXPECT_TRUE(past->empty());
}

TEST_F(LedgerServiceTest, EventsFromBeyondTheLargestSeqAreNone) {
  // Sequence numbers are SQLite integers; a `from` past INT64_MAX (or one that overflows with
  // the limit) can match nothing, and must not wrap around to the start of the ledger.
  for (std::uint64_t from : {std::uint64_t{1} << 63, UINT64_MAX - 5, UINT64_MAX}) {
    SCOPED_TRACE("from " + std::to_string(from));
    auto events = Service().Events(from, 10);
    ASSERT_TRUE(events);
    EXPECT_TRUE(events->empty()) << "returned " << events->size() << " events from seq "
                                 << (events->empty() ? 0 : events->front().seq);
    auto event = Service().EventAt(from);
    EXPECT_EQ(event ? "event seq " + std::to_string(event->seq) : event.error().ToString(),
              "not_found: there is no event with seq " + std::to_string(from) + " (field: seq)");
  }
}

TEST_F(LedgerServiceTest, EventAtReturnsTheEventOrNotFoundNamingSeq) {
  auto third = Service().EventAt(3);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->seq, 3u);
  EXPECT_EQ(*third, site_.AllEvents()[2]);
  for (std::uint64_t seq : {std::uint64_t{0}, kEvents + 1}) {
    auto missing = Service().EventAt(seq);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().Code(), ErrorCode::kNotFound);
    EXPECT_EQ(missing.error().Field(), "seq");
  }
}

}  // namespace
}  // namespace aliquot::app
