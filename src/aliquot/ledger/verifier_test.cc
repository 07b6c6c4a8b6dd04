// Properties of LedgerVerifier over in-memory ledgers built with SealEvent: an honest ledger of
// any shape verifies, and every kind of tampering fails at exactly the event or checkpoint where
// it happened. 21 CFR 11.10(a) (P11-01): the system tells an altered record from a good one.
#include "aliquot/ledger/verifier.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "aliquot/core/ed25519.h"
#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/merkle.h"
#include "tests/support/fake_clock.h"

namespace aliquot::ledger {
namespace {

// Runs a RapidCheck property with a fixed seed so that every run checks the same cases (STYLE.md:
// no unseeded randomness). Setting RC_PARAMS (for example "seed=N" to explore) hands the
// parameters back to RapidCheck.
template <typename Property>
void CheckProperty(Property property) {
  rc::detail::TestParams params;
  params.seed = 20260302;
  // Read before any test thread could exist: the tests run on one thread.
  if (std::getenv("RC_PARAMS") != nullptr) {  // NOLINT(concurrency-mt-unsafe)
    params = rc::detail::configuration().testParams;
  }
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  const rc::detail::TestResult result =
      rc::detail::checkProperty(rc::detail::toProperty(std::move(property)), metadata, params);
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    ADD_FAILURE() << message.str() << "\n(RapidCheck seed " << params.seed << ")";
  }
}

const Ed25519SigningKey& LedgerKey() {
  static const Ed25519SigningKey* const kKey = [] {
    Ed25519SigningKey::Seed seed{};
    seed.fill(0x07);
    return new Ed25519SigningKey(Ed25519SigningKey::FromSeed(seed));
  }();
  return *kKey;
}

const Ed25519SigningKey& OtherKey() {
  static const Ed25519SigningKey* const kKey = [] {
    Ed25519SigningKey::Seed seed{};
    seed.fill(0x08);
    return new Ed25519SigningKey(Ed25519SigningKey::FromSeed(seed));
  }();
  return *kKey;
}

// Printable text with the characters JSON must escape, and some that are not ASCII.
std::string GenText() {
  std::string text = *rc::gen::container<std::string>(rc::gen::inRange<char>(0, 127));
  if (*rc::gen::arbitrary<bool>())
    text += *rc::gen::element<std::string>("ü", "µg/mL", "日本", "😀");
  return text;
}

NewEvent GenNewEvent() {
  NewEvent event;
  event.stream.type =
      *rc::gen::element<std::string>("batch", "material_lot", "deviation", "system");
  event.stream.id = "S-" + std::to_string(*rc::gen::inRange(0, 20));
  event.event_type = event.stream.type + "." +
                     *rc::gen::element<std::string>("created", "step_completed", "closed");
  event.payload.Set("n", *rc::gen::inRange<std::int64_t>(-1'000'000, 1'000'000));
  event.payload.Set("note", GenText());
  if (*rc::gen::arbitrary<bool>()) event.payload.Set("ok", *rc::gen::arbitrary<bool>());
  event.actor = {"u-" + std::to_string(*rc::gen::inRange(1, 5)),
                 *rc::gen::element<std::string>("Ada Lovelace", "Zoë Ünal", R"(O"Brien \ QA)")};
  event.terminal = *rc::gen::element<std::string>("server", "cleanroom-2/bsc-1", "lab-3");
  if (*rc::gen::arbitrary<bool>()) event.reason = "r: " + GenText();
  return event;
}

// What a ledger was asked to hold, and the events sealed from it.
struct Ledger {
  std::vector<NewEvent> asked;
  std::vector<Timestamp> times;
  std::vector<Event> events;

  std::vector<Hash256> Hashes(std::size_t size) const {
    std::vector<Hash256> hashes;
    for (std::size_t i = 0; i < size; ++i) hashes.push_back(events[i].hash);
    return hashes;
  }
  // The time of event `seq`, or the clock's start for seq 0.
  Timestamp TimeAt(std::size_t seq) const {
    return seq == 0 ? Timestamp::FromMicros(testing::FakeClock::kDefaultStart) : times[seq - 1];
  }
};

// Seals asked[from..] again after events[0..from), as a writer with database access could.
void Reseal(Ledger& ledger, std::size_t from) {
  ledger.events.resize(from);
  for (std::size_t i = from; i < ledger.asked.size(); ++i) {
    const Hash256 prev = i == 0 ? kGenesisPrevHash : ledger.events[i - 1].hash;
    ledger.events.push_back(SealEvent(ledger.asked[i], i + 1, ledger.times[i], prev));
  }
}

Ledger GenLedger(std::size_t min_size, std::size_t max_size) {
  Ledger ledger;
  const auto size = *rc::gen::inRange(min_size, max_size + 1);
  testing::FakeClock clock;
  for (std::size_t i = 0; i < size; ++i) {
    // Often no time passes between events: equal times are allowed.
    if (*rc::gen::arbitrary<bool>()) clock.Advance(*rc::gen::inRange<std::int64_t>(1, 90'000'000));
    ledger.asked.push_back(GenNewEvent());
    ledger.times.push_back(clock.Now());
  }
  Reseal(ledger, 0);
  return ledger;
}

Checkpoint CheckpointAt(const Ledger& ledger, std::size_t size,
                        const Ed25519SigningKey& key = LedgerKey()) {
  const std::vector<Hash256> hashes = ledger.Hashes(size);
  return SignCheckpoint(size, MerkleRoot(hashes),
                        Timestamp::FromMicros(ledger.TimeAt(size).Micros() + kMicrosPerSecond),
                        key);
}

// Distinct sizes from 0 to `max`, in increasing order.
std::vector<std::size_t> GenSizes(std::size_t max) {
  std::vector<std::size_t> sizes =
      *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, max + 1));
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

// The outcome of feeding events to a verifier and finishing it.
struct Verdict {
  Status status;
  std::optional<VerifyReport> report;
  std::size_t accepted = 0;  // Events that Add accepted before the verdict.
  bool at_finish = false;    // Whether Finish gave the verdict.

  std::string Message() const {
    return status.has_value() ? "(verified)" : status.error().Message();
  }
};

Verdict Verify(const std::vector<Event>& events, std::vector<Checkpoint> checkpoints = {},
               std::optional<Checkpoint> trusted = std::nullopt,
               const Ed25519PublicKey& key = LedgerKey().PublicKey()) {
  LedgerVerifier verifier(key, std::move(checkpoints), trusted);
  Verdict verdict;
  for (const Event& event : events) {
    Status added = verifier.Add(event);
    if (!added.has_value()) {
      verdict.status = std::move(added);
      return verdict;
    }
    ++verdict.accepted;
    if (verifier.EventsChecked() != verdict.accepted) {
      verdict.status = Unexpected(Internal("EventsChecked does not count the accepted events"));
      return verdict;
    }
  }
  Result<VerifyReport> finished = verifier.Finish();
  verdict.at_finish = true;
  if (!finished.has_value()) {
    verdict.status = Unexpected(finished.error());
    return verdict;
  }
  verdict.report = *finished;
  return verdict;
}

// Inside a property: the verdict is kDataLoss at event `seq`, given by Add for that event, with a
// message that starts "event seq <seq>:" and contains `what`.
void RcAssertFailsAtSeq(const Verdict& verdict, std::uint64_t seq, std::string_view what) {
  const std::string prefix = "event seq " + std::to_string(seq) + ":";
  if (verdict.status.has_value()) RC_FAIL("the ledger verified; expected a failure at " + prefix);
  RC_ASSERT(verdict.status.error().Code() == ErrorCode::kDataLoss);
  if (!verdict.Message().starts_with(prefix) || verdict.Message().find(what) == std::string::npos) {
    RC_FAIL("expected '" + prefix + " ..." + std::string(what) + "...', got '" + verdict.Message() +
            "'");
  }
  RC_ASSERT(!verdict.at_finish);
  RC_ASSERT(verdict.accepted == seq - 1);
}

// A checkpoint over n events is checked when event n is added (before event 1 when n is 0), and
// its failure is that Add's verdict.
std::size_t AcceptedBeforeCheckpointAt(std::size_t tree_size) {
  return tree_size == 0 ? 0 : tree_size - 1;
}

void RcAssertFailsSaying(const Verdict& verdict, std::string_view prefix, std::string_view what) {
  if (verdict.status.has_value()) RC_FAIL("the ledger verified; expected '" + std::string(prefix));
  RC_ASSERT(verdict.status.error().Code() == ErrorCode::kDataLoss);
  if (!verdict.Message().starts_with(prefix) || verdict.Message().find(what) == std::string::npos) {
    RC_FAIL("expected '" + std::string(prefix) + "..." + std::string(what) + "...', got '" +
            verdict.Message() + "'");
  }
}

// Honest ledgers.

TEST(LedgerVerifier, AcceptsEveryHonestLedgerWithItsCheckpoints) {
  // Verifies P11-01: a good record is recognised as good, whatever its length and content.
  CheckProperty([] {
    const Ledger ledger = GenLedger(0, 40);
    const std::size_t size = ledger.events.size();
    std::vector<Checkpoint> checkpoints;
    for (const std::size_t at : GenSizes(size)) checkpoints.push_back(CheckpointAt(ledger, at));
    std::optional<Checkpoint> trusted;
    if (*rc::gen::arbitrary<bool>()) {
      trusted = CheckpointAt(ledger, *rc::gen::inRange<std::size_t>(0, size + 1));
    }
    const Verdict verdict = Verify(ledger.events, checkpoints, trusted);
    if (!verdict.status.has_value()) RC_FAIL(verdict.Message());
    RC_ASSERT(verdict.report->events == size);
    RC_ASSERT(verdict.report->checkpoints == checkpoints.size() + (trusted ? 1 : 0));
    RC_ASSERT(verdict.report->head_hash ==
              (size == 0 ? kGenesisPrevHash : ledger.events.back().hash));
    RC_ASSERT(verdict.report->root_hash == MerkleRoot(ledger.Hashes(size)));
  });
}

TEST(LedgerVerifier, ReportsAnEmptyLedgerWithTheEmptyRoot) {
  const Ledger empty;
  const Verdict verdict = Verify({}, {CheckpointAt(empty, 0)});
  ASSERT_TRUE(verdict.status.has_value()) << verdict.Message();
  EXPECT_EQ(verdict.report->events, 0U);
  EXPECT_EQ(verdict.report->checkpoints, 1U);
  EXPECT_EQ(verdict.report->head_hash, kGenesisPrevHash);
  EXPECT_EQ(verdict.report->root_hash.Hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Tampered events: each fails at the seq where it happened.

TEST(LedgerVerifier, DetectsAnyChangedPayloadByteAtItsSeq) {
  // Verifies P11-01.
  CheckProperty([] {
    Ledger ledger = GenLedger(1, 30);
    const auto seq = *rc::gen::inRange<std::size_t>(1, ledger.events.size() + 1);
    std::string& payload = ledger.events[seq - 1].payload;
    const auto at = *rc::gen::inRange<std::size_t>(0, payload.size());
    payload[at] = static_cast<char>(payload[at] ^ *rc::gen::inRange(1, 256));
    RcAssertFailsAtSeq(Verify(ledger.events), seq, "hash does not match the event's content");
  });
}

TEST(LedgerVerifier, DetectsAnyChangedFieldAtItsSeq) {
  // Verifies P11-01.
  enum Field {
    kSeq,
    kStreamType,
    kStreamId,
    kEventType,
    kPayload,
    kActorId,
    kActorName,
    kTerminal,
    kTime,
    kReason,
    kPrevHash,
    kHash,
    kFieldCount
  };
  CheckProperty([] {
    Ledger ledger = GenLedger(1, 30);
    const auto seq = *rc::gen::inRange<std::size_t>(1, ledger.events.size() + 1);
    Event& event = ledger.events[seq - 1];
    const auto field = *rc::gen::inRange<int>(0, kFieldCount);
    switch (field) {
      case kSeq:
        event.seq = *rc::gen::distinctFrom(rc::gen::inRange<std::uint64_t>(0, 45), event.seq);
        break;
      case kStreamType:
        event.stream.type += "s";
        break;
      case kStreamId:
        event.stream.id = "X" + event.stream.id;
        break;
      case kEventType:
        event.event_type += "_v2";
        break;
      case kPayload:
        event.payload = R"({"forged":true})";
        break;
      case kActorId:
        event.actor.id += "0";
        break;
      case kActorName:
        event.actor.name = "Mallory";
        break;
      case kTerminal:
        event.terminal += "-b";
        break;
      case kTime:
        event.time = Timestamp::FromMicros(
            event.time.Micros() + *rc::gen::element<std::int64_t>(-1, 1, kMicrosPerSecond));
        break;
      case kReason:
        event.reason = event.reason ? std::nullopt : std::optional<std::string>("added later");
        break;
      case kPrevHash:
        event.prev_hash.bytes[*rc::gen::inRange<std::size_t>(0, 32)] ^= 0x10;
        break;
      case kHash:
        event.hash.bytes[*rc::gen::inRange<std::size_t>(0, 32)] ^= 0x01;
        break;
      default:
        RC_FAIL("no such field");
    }
    RcAssertFailsAtSeq(Verify(ledger.events), seq, "");
  });
}

TEST(LedgerVerifier, DetectsADeletedEventAtTheGap) {
  // Verifies P11-01.
  CheckProperty([] {
    Ledger ledger = GenLedger(2, 30);
    // Deleting the last event leaves a shorter, consistent chain: only a checkpoint shows it
    // (DetectsADeletedLastEventOnlyThroughACheckpoint).
    const auto seq = *rc::gen::inRange<std::size_t>(1, ledger.events.size());
    ledger.events.erase(ledger.events.begin() + static_cast<std::ptrdiff_t>(seq - 1));
    RcAssertFailsAtSeq(Verify(ledger.events), seq,
                       "missing: the next event is seq " + std::to_string(seq + 1));
  });
}

TEST(LedgerVerifier, DetectsADeletedLastEventOnlyThroughACheckpoint) {
  // Verifies P11-01.
  CheckProperty([] {
    Ledger ledger = GenLedger(1, 30);
    const std::size_t size = ledger.events.size();
    const Checkpoint last = CheckpointAt(ledger, size);
    ledger.events.pop_back();
    // docs/ledger-format.md section 12: a chain alone does not stop someone cutting off the end.
    RC_ASSERT(Verify(ledger.events).status.has_value());
    const Verdict verdict = Verify(ledger.events, {last});
    RcAssertFailsSaying(verdict, "checkpoint 1 (tree size " + std::to_string(size),
                        "the ledger was truncated after seq " + std::to_string(size - 1));
    RC_ASSERT(verdict.at_finish);
  });
}

TEST(LedgerVerifier, DetectsTwoSwappedEventsAtTheFirstPosition) {
  // Verifies P11-01.
  CheckProperty([] {
    Ledger ledger = GenLedger(2, 30);
    const std::size_t size = ledger.events.size();
    const auto first = *rc::gen::inRange<std::size_t>(1, size);
    const auto second = *rc::gen::inRange<std::size_t>(first + 1, size + 1);
    std::swap(ledger.events[first - 1], ledger.events[second - 1]);
    RcAssertFailsAtSeq(Verify(ledger.events), first,
                       "missing: the next event is seq " + std::to_string(second));
  });
}

TEST(LedgerVerifier, DetectsAForgedEventInsertedWithACorrectOwnHash) {
  // Verifies P11-01.
  CheckProperty([] {
    Ledger ledger = GenLedger(1, 30);
    const std::size_t size = ledger.events.size();
    // The forger chains the new event correctly to its predecessor and hashes it correctly; the
    // event it displaces then arrives with a number already used.
    const auto seq = *rc::gen::inRange<std::size_t>(1, size + 1);
    const Hash256 prev = seq == 1 ? kGenesisPrevHash : ledger.events[seq - 2].hash;
    const Event forged = SealEvent(GenNewEvent(), seq, ledger.TimeAt(seq - 1), prev);
    RC_ASSERT(ComputeEventHash(forged) == forged.hash);
    ledger.events.insert(ledger.events.begin() + static_cast<std::ptrdiff_t>(seq - 1), forged);
    RcAssertFailsAtSeq(Verify(ledger.events), seq + 1,
                       "expected, found seq " + std::to_string(seq) + " again");
  });
}

TEST(LedgerVerifier, DetectsADuplicatedEvent) {
  // Verifies P11-01.
  CheckProperty([] {
    Ledger ledger = GenLedger(1, 30);
    const auto seq = *rc::gen::inRange<std::size_t>(1, ledger.events.size() + 1);
    const Event copy = ledger.events[seq - 1];
    ledger.events.insert(ledger.events.begin() + static_cast<std::ptrdiff_t>(seq), copy);
    RcAssertFailsAtSeq(Verify(ledger.events), seq + 1,
                       "expected, found seq " + std::to_string(seq) + " again");
  });
}

TEST(LedgerVerifier, DetectsTimeGoingBackwards) {
  // Verifies AL-01: server time only moves forward along the ledger; back-dating an event shows
  // even when the writer re-seals the chain after it.
  CheckProperty([] {
    Ledger ledger = GenLedger(2, 30);
    const auto seq = *rc::gen::inRange<std::size_t>(2, ledger.events.size() + 1);
    ledger.times[seq - 1] = Timestamp::FromMicros(
        ledger.times[seq - 2].Micros() - *rc::gen::inRange<std::int64_t>(1, 86'400'000'000));
    Reseal(ledger, seq - 1);
    RcAssertFailsAtSeq(Verify(ledger.events), seq,
                       "is earlier than the previous event's " + ledger.times[seq - 2].ToRfc3339());
  });
}

TEST(LedgerVerifier, NamesTheStoredAndComputedHashes) {
  testing::FakeClock clock;
  NewEvent asked;
  asked.stream = {"system", "installation"};
  asked.event_type = "system.initialised";
  asked.actor = {"system", "Aliquot server"};
  asked.terminal = "server";
  Event event = SealEvent(asked, 1, clock.Now(), kGenesisPrevHash);
  const Hash256 computed = event.hash;
  event.hash = Sha256::Of("forged");
  const Verdict verdict = Verify({event});
  EXPECT_EQ(verdict.Message(), "event seq 1: hash does not match the event's content (stored " +
                                   event.hash.Hex() + ", computed " + computed.Hex() + ")");
}

TEST(LedgerVerifier, RefusesAFirstEventThatDoesNotStartAtTheGenesis) {
  testing::FakeClock clock;
  NewEvent asked;
  asked.stream = {"system", "installation"};
  asked.event_type = "system.initialised";
  asked.actor = {"system", "Aliquot server"};
  asked.terminal = "server";
  // A ledger whose beginning was cut off and whose first remaining event was renumbered.
  const Event event = SealEvent(asked, 1, clock.Now(), Sha256::Of("an earlier event"));
  const Verdict verdict = Verify({event});
  EXPECT_TRUE(verdict.Message().starts_with("event seq 1: prev_hash " +
                                            Sha256::Of("an earlier event").Hex() +
                                            " does not match the hash of seq 0"))
      << verdict.Message();
}

// Checkpoints.

TEST(LedgerVerifier, RefusesACheckpointWithADifferentRootNamingIt) {
  // Verifies P11-01.
  CheckProperty([] {
    const Ledger ledger = GenLedger(0, 30);
    const std::size_t size = ledger.events.size();
    std::vector<std::size_t> sizes = GenSizes(size);
    if (sizes.empty()) sizes.push_back(*rc::gen::inRange<std::size_t>(0, size + 1));
    std::vector<Checkpoint> checkpoints;
    checkpoints.reserve(sizes.size());
    for (const std::size_t at : sizes) checkpoints.push_back(CheckpointAt(ledger, at));
    const auto index = *rc::gen::inRange<std::size_t>(0, checkpoints.size());
    // Correctly signed, but over another tree: what a rewritten ledger next to its old
    // checkpoints looks like.
    Checkpoint& bad = checkpoints[index];
    bad = SignCheckpoint(bad.tree_size, Sha256::Of("another tree"), bad.time, LedgerKey());
    const Verdict verdict = Verify(ledger.events, checkpoints);
    RcAssertFailsSaying(verdict,
                        "checkpoint " + std::to_string(index + 1) + " (tree size " +
                            std::to_string(bad.tree_size) + ", signed " + bad.time.ToRfc3339() +
                            "): the ledger's Merkle root at this size is ",
                        "were rewritten or rolled back after the checkpoint was signed");
    RC_ASSERT(verdict.accepted == AcceptedBeforeCheckpointAt(bad.tree_size));
  });
}

TEST(LedgerVerifier, RefusesACheckpointWhoseSignatureDoesNotVerify) {
  CheckProperty([] {
    const Ledger ledger = GenLedger(1, 20);
    const auto at = *rc::gen::inRange<std::size_t>(0, ledger.events.size() + 1);
    Checkpoint checkpoint = CheckpointAt(ledger, at);
    checkpoint.signature[*rc::gen::inRange<std::size_t>(0, 64)] ^= 0x20;
    const Verdict verdict = Verify(ledger.events, {checkpoint});
    RcAssertFailsSaying(verdict, "checkpoint 1 (tree size " + std::to_string(at),
                        ": signature does not verify");
    RC_ASSERT(verdict.accepted == AcceptedBeforeCheckpointAt(at));
  });
}

TEST(LedgerVerifier, RefusesACheckpointSignedByAnotherKey) {
  CheckProperty([] {
    const Ledger ledger = GenLedger(1, 20);
    const std::size_t size = ledger.events.size();
    const Verdict verdict = Verify(ledger.events, {CheckpointAt(ledger, size, OtherKey())});
    RcAssertFailsSaying(verdict, "checkpoint 1 (tree size " + std::to_string(size),
                        "signed by key " + OtherKey().PublicKey().KeyId().Hex());
  });
}

TEST(LedgerVerifier, DetectsTruncationAtFinish) {
  // Verifies P11-01.
  CheckProperty([] {
    const Ledger ledger = GenLedger(1, 30);
    const std::size_t size = ledger.events.size();
    const auto kept = *rc::gen::inRange<std::size_t>(0, size);
    std::vector<Checkpoint> checkpoints;
    for (const std::size_t at : GenSizes(kept)) checkpoints.push_back(CheckpointAt(ledger, at));
    checkpoints.push_back(CheckpointAt(ledger, size));
    const std::vector<Event> truncated(ledger.events.begin(),
                                       ledger.events.begin() + static_cast<std::ptrdiff_t>(kept));
    const Verdict verdict = Verify(truncated, checkpoints);
    RcAssertFailsSaying(
        verdict,
        "checkpoint " + std::to_string(checkpoints.size()) + " (tree size " + std::to_string(size),
        "covers " + std::to_string(size) + " events but the ledger holds " + std::to_string(kept) +
            ": the ledger was truncated after seq " + std::to_string(kept));
    RC_ASSERT(verdict.at_finish);
  });
}

TEST(LedgerVerifier, ReportsATrustedCheckpointBeyondTheEndAsTruncation) {
  // Verifies P11-01.
  CheckProperty([] {
    const Ledger ledger = GenLedger(1, 30);
    const std::size_t size = ledger.events.size();
    const auto kept = *rc::gen::inRange<std::size_t>(0, size);
    std::vector<Checkpoint> checkpoints;
    for (const std::size_t at : GenSizes(kept)) checkpoints.push_back(CheckpointAt(ledger, at));
    const std::vector<Event> truncated(ledger.events.begin(),
                                       ledger.events.begin() + static_cast<std::ptrdiff_t>(kept));
    // The truncated ledger is consistent with its own checkpoints...
    RC_ASSERT(Verify(truncated, checkpoints).status.has_value());
    // ...and only the auditor's copy from before the truncation shows it.
    const Verdict verdict =
        Verify(truncated, checkpoints, CheckpointAt(ledger, *rc::gen::inRange(kept + 1, size + 1)));
    RcAssertFailsSaying(verdict, "trusted checkpoint: covers ",
                        "events but the ledger holds " + std::to_string(kept) +
                            ": the ledger was truncated after seq " + std::to_string(kept));
    RC_ASSERT(verdict.at_finish);
  });
}

TEST(LedgerVerifier, ReportsATrustedCheckpointWithAnotherRootAsRewrittenOrRolledBack) {
  // Verifies P11-01.
  CheckProperty([] {
    const Ledger original = GenLedger(1, 30);
    const std::size_t size = original.events.size();
    const auto trusted_size = *rc::gen::inRange<std::size_t>(1, size + 1);
    const Checkpoint trusted = CheckpointAt(original, trusted_size);
    // A ledger that agrees with the original up to `common` events and then tells another
    // story, long enough to cover the trusted size, and re-signed throughout.
    const auto common = *rc::gen::inRange<std::size_t>(0, trusted_size);
    Ledger rewritten = original;
    rewritten.asked[common].payload.Set("rewritten", true);
    const auto extra = *rc::gen::inRange<std::size_t>(0, 5);
    for (std::size_t i = 0; i < extra; ++i) {
      rewritten.asked.push_back(GenNewEvent());
      rewritten.times.push_back(rewritten.times.back());
    }
    Reseal(rewritten, common);
    std::vector<Checkpoint> own;
    for (const std::size_t at : GenSizes(rewritten.events.size())) {
      own.push_back(CheckpointAt(rewritten, at));
    }
    // Internally consistent: its own checkpoints all verify.
    RC_ASSERT(Verify(rewritten.events, own).status.has_value());
    const Verdict verdict = Verify(rewritten.events, own, trusted);
    RcAssertFailsSaying(verdict,
                        "trusted checkpoint (tree size " + std::to_string(trusted_size) + "): ",
                        "were rewritten or rolled back");
    RC_ASSERT(verdict.accepted == AcceptedBeforeCheckpointAt(trusted_size));
  });
}

TEST(LedgerVerifier, RefusesATrustedCheckpointSignedByAnotherKey) {
  CheckProperty([] {
    const Ledger ledger = GenLedger(0, 20);
    const auto at = *rc::gen::inRange<std::size_t>(0, ledger.events.size() + 1);
    const Verdict verdict = Verify(ledger.events, {}, CheckpointAt(ledger, at, OtherKey()));
    RcAssertFailsSaying(verdict, "trusted checkpoint (tree size " + std::to_string(at) + "): ",
                        "signed by key " + OtherKey().PublicKey().KeyId().Hex());
  });
}

TEST(LedgerVerifier, RefusesCheckpointsThatDoNotGrow) {
  CheckProperty([] {
    const Ledger ledger = GenLedger(2, 20);
    const auto larger = *rc::gen::inRange<std::size_t>(1, ledger.events.size() + 1);
    const auto smaller = *rc::gen::inRange<std::size_t>(0, larger + 1);  // Equal included.
    const Verdict verdict =
        Verify(ledger.events, {CheckpointAt(ledger, larger), CheckpointAt(ledger, smaller)});
    RcAssertFailsSaying(
        verdict, "checkpoint 2 (tree size " + std::to_string(smaller),
        "tree size does not grow beyond the previous checkpoint's " + std::to_string(larger));
  });
}

TEST(LedgerVerifier, RefusesACheckpointSignedBeforeThePreviousOne) {
  CheckProperty([] {
    const Ledger ledger = GenLedger(2, 20);
    const auto first = *rc::gen::inRange<std::size_t>(0, ledger.events.size());
    const auto second = *rc::gen::inRange<std::size_t>(first + 1, ledger.events.size() + 1);
    const Checkpoint earlier = CheckpointAt(ledger, first);
    const Checkpoint later = CheckpointAt(ledger, second);
    const Checkpoint backdated =
        SignCheckpoint(later.tree_size, later.root_hash,
                       Timestamp::FromMicros(earlier.time.Micros() - 1), LedgerKey());
    const Verdict verdict = Verify(ledger.events, {earlier, backdated});
    RcAssertFailsSaying(verdict, "checkpoint 2 (tree size " + std::to_string(second),
                        "signed before the previous checkpoint");
  });
}

}  // namespace
}  // namespace aliquot::ledger
