#include "aliquot/ledger/export_format.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/ed25519.h"
#include "aliquot/core/error.h"
#include "aliquot/core/hex.h"
#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"
#include "tests/support/worked_example.h"

namespace aliquot::ledger {
namespace {

// docs/ledger-format.md section 11: the worked example's event line and checkpoint line.
constexpr std::string_view kWorkedLine = testing::kWorkedEventLine;
constexpr std::string_view kWorkedCheckpointLine = testing::kWorkedCheckpointLine;
constexpr std::string_view kTest1PublicKey = testing::kTest1PublicKey;
constexpr std::string_view kTest1KeyId = testing::kTest1KeyId;
constexpr std::string_view kTest1Seed = testing::kTest1Seed;
constexpr std::int64_t kWorkedSeconds = testing::kWorkedEventSeconds;

Ed25519SigningKey Test1Key() {
  Ed25519SigningKey::Seed seed{};
  const auto bytes = HexDecode(kTest1Seed);
  std::copy(bytes->begin(), bytes->end(), seed.begin());
  return Ed25519SigningKey::FromSeed(seed);
}

Event WorkedEvent() {
  NewEvent event;
  event.stream = {"system", "system"};
  event.event_type = "system.initialised";
  event.payload.Set("site", "Zürich");
  event.actor = {"system", "Aliquot server"};
  event.terminal = "server";
  return SealEvent(event, 1, Timestamp::FromMicros(kWorkedSeconds * kMicrosPerSecond),
                   kGenesisPrevHash);
}

Event RichEvent() {
  NewEvent event;
  event.stream = {"material_lot", "LOT/2026-001 \"A\""};
  event.event_type = "material_lot.received";
  Json tests = Json::MakeArray();
  tests.Push("identity");
  tests.Push(true);
  tests.Push(nullptr);
  Json nested = Json::MakeObject();
  nested.Set("b", 1);
  nested.Set("a", -0.000001);
  event.payload.Set("quantity", 12.5);
  event.payload.Set("supplier", "Ünited Ćells");
  event.payload.Set("tests", tests);
  event.payload.Set("nested", nested);
  event.actor = {"u-7", "Grace \\ Hopper"};
  event.terminal = "receiving-dock 1";
  event.reason = "correction: quantity was 12.0\nsee deviation D-3";
  return SealEvent(event, 9007199254740991ULL, Timestamp::FromMicros(-123456), Sha256::Of("prev"));
}

std::string Line(const Event& event) {
  std::string line;
  AppendEventJson(event, &event.hash, line);
  return line;
}

// Replaces the first occurrence of `from` in `text` with `to`.
std::string Replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string result(text);
  const std::size_t at = result.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' is not in " << text;
  if (at != std::string::npos) result.replace(at, from.size(), to);
  return result;
}

// Whether `result` is a kInvalidArgument refusal that names `field` as the member at fault.
template <typename T>
::testing::AssertionResult RefusedNaming(const Result<T>& result, std::string_view field) {
  if (result.has_value()) return ::testing::AssertionFailure() << "accepted";
  const Error& error = result.error();
  if (error.Code() != ErrorCode::kInvalidArgument || error.Field() != field) {
    return ::testing::AssertionFailure() << "refused with " << error.ToString();
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult RefusedSaying(const Result<T>& result, std::string_view words) {
  if (result.has_value()) return ::testing::AssertionFailure() << "accepted";
  const Error& error = result.error();
  if (error.Code() != ErrorCode::kInvalidArgument ||
      error.Message().find(words) == std::string::npos) {
    return ::testing::AssertionFailure() << "refused with " << error.ToString();
  }
  return ::testing::AssertionSuccess();
}

// Events.

TEST(ParseEventJson, ParsesTheWorkedExampleIntoTheEventItEncodes) {
  const Result<Event> parsed = ParseEventJson(kWorkedLine);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, WorkedEvent());
  EXPECT_EQ(parsed->hash.Hex(), "52d855dccd9473fbb691574dd52145df9ae74c7e25f80f65fcaca9441bcd53ab");
  EXPECT_EQ(parsed->payload, R"({"site":"Zürich"})");
  EXPECT_FALSE(parsed->reason.has_value());
}

TEST(ParseEventJson, RoundTripsAnEventWithEscapesUnicodeAndAReason) {
  // Verifies P11-02: an exported line is an exact electronic copy of the record.
  const Event event = RichEvent();
  const Result<Event> parsed = ParseEventJson(Line(event));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString() << "\n" << Line(event);
  EXPECT_EQ(*parsed, event);
  EXPECT_EQ(Line(*parsed), Line(event));
}

TEST(ParseEventJson, AcceptsTheLineWithItsNewline) {
  const Result<Event> parsed = ParseEventJson(std::string(kWorkedLine) + "\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, WorkedEvent());
}

TEST(ParseEventJson, TakesTheHashAsWrittenForTheVerifierToJudge) {
  const std::string line =
      Replaced(kWorkedLine, "52d855dccd9473fbb691574dd52145df9ae74c7e25f80f65fcaca9441bcd53ab",
               std::string(64, 'f'));
  const Result<Event> parsed = ParseEventJson(line);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(parsed->hash.Hex(), std::string(64, 'f'));
  EXPECT_NE(ComputeEventHash(*parsed), parsed->hash);
}

TEST(ParseEventJson, RefusesNonCanonicalWhitespace) {
  // Verifies P11-01: one event has exactly one byte representation, so its hash can be
  // recomputed.
  for (const std::string& line : {
           Replaced(kWorkedLine, R"("seq":1)", R"("seq": 1)"),
           Replaced(kWorkedLine, R"({"actor")", R"({ "actor")"),
           Replaced(kWorkedLine, R"(,"terminal")", R"(, "terminal")"),
           std::string(kWorkedLine) + " ",
           " " + std::string(kWorkedLine),
           std::string(kWorkedLine) + "\r",
           std::string(kWorkedLine) + "\r\n",
           std::string(kWorkedLine) + "\n\n",
       }) {
    EXPECT_TRUE(RefusedSaying(ParseEventJson(line), "canonical")) << line;
  }
}

TEST(ParseEventJson, RefusesOtherNonCanonicalEncodings) {
  for (const std::string& line : {
           // Members out of order.
           Replaced(kWorkedLine, R"("seq":1,"stream":{"id":"system","type":"system"})",
                    R"("stream":{"id":"system","type":"system"},"seq":1)"),
           Replaced(kWorkedLine, R"({"id":"system","type":"system"})",
                    R"({"type":"system","id":"system"})"),
           // A number written with a fraction or an exponent.
           Replaced(kWorkedLine, R"("seq":1)", R"("seq":1.0)"),
           Replaced(kWorkedLine, R"("format":1)", R"("format":1e0)"),
           // A character escaped that needs no escape.
           Replaced(kWorkedLine, "Zürich", R"(Z\u00fcrich)"),
           Replaced(kWorkedLine, "system.initialised", R"(system\/initialised)"),
           // A payload whose members are out of order.
           Replaced(kWorkedLine, R"({"site":"Zürich"})", R"({"site":"Zürich","a":1})"),
       }) {
    EXPECT_TRUE(RefusedSaying(ParseEventJson(line), "canonical")) << line;
  }
}

TEST(ParseEventJson, RefusesAnUnknownMemberNamingIt) {
  const std::string line = Replaced(kWorkedLine, R"("format":1,)", R"("format":1,"extra":0,)");
  EXPECT_TRUE(RefusedNaming(ParseEventJson(line), "extra"));
}

TEST(ParseEventJson, RefusesEachMissingMemberNamingIt) {
  const Result<Json> json = ParseJson(kWorkedLine);
  ASSERT_TRUE(json.has_value());
  for (const auto& [name, value] : json->AsObject()) {
    Json without = Json::MakeObject();
    for (const auto& [other, other_value] : json->AsObject()) {
      if (other != name) without.Set(other, other_value);
    }
    const Result<Event> parsed = ParseEventJson(CanonicalJson(without));
    EXPECT_TRUE(RefusedNaming(parsed, name)) << "without " << name;
    EXPECT_TRUE(RefusedSaying(parsed, "lacks the member '" + name + "'")) << "without " << name;
  }
}

TEST(ParseEventJson, RefusesMembersOfTheWrongTypeNamingThem) {
  struct Case {
    std::string_view from;
    std::string_view to;
    std::string_view field;
  };
  const Case cases[] = {
      {R"("seq":1)", R"("seq":"1")", "seq"},
      {R"("seq":1)", R"("seq":0)", "seq"},
      {R"("seq":1)", R"("seq":-1)", "seq"},
      {R"("seq":1)", R"("seq":1.5)", "seq"},
      {R"("seq":1)", R"("seq":9007199254740992)", "seq"},
      {R"("format":1)", R"("format":"1")", "format"},
      {R"("format":1)", R"("format":true)", "format"},
      {R"("event_type":"system.initialised")", R"("event_type":7)", "event_type"},
      {R"("terminal":"server")", R"("terminal":null)", "terminal"},
      {R"("payload":{"site":"Zürich"})", R"("payload":["site"])", "payload"},
      {R"("payload":{"site":"Zürich"})", R"("payload":"site")", "payload"},
      {R"("reason":null)", R"("reason":false)", "reason"},
      {R"("reason":null)", R"("reason":{})", "reason"},
      {R"("time":"2026-03-02T09:00:00.000000Z")", R"("time":1772442000)", "time"},
      {R"("time":"2026-03-02T09:00:00.000000Z")", R"("time":"2026-03-02T09:00:00Z")", "time"},
      {R"("time":"2026-03-02T09:00:00.000000Z")", R"("time":"2026-03-02T10:00:00.000000+01:00")",
       "time"},
      {R"("prev_hash":"0000)", R"("prev_hash":"000)", "prev_hash"},
      {R"("prev_hash":"0000000000000000000000000000000000000000000000000000000000000000")",
       R"("prev_hash":null)", "prev_hash"},
      {R"("hash":"52d8)", R"("hash":"52dX)", "hash"},
      {R"({"id":"system","name")", R"({"id":1,"name")", "actor.id"},
      {R"("name":"Aliquot server")", R"("name":["Aliquot server"])", "actor.name"},
      {R"({"id":"system","type")", R"({"id":null,"type")", "stream.id"},
      {R"("type":"system")", R"("type":{})", "stream.type"},
  };
  for (const Case& c : cases) {
    const std::string line = Replaced(kWorkedLine, c.from, c.to);
    EXPECT_TRUE(RefusedNaming(ParseEventJson(line), c.field)) << line;
  }
}

TEST(ParseEventJson, RefusesAnActorOrStreamThatIsNotAnObjectNamingIt) {
  EXPECT_TRUE(RefusedSaying(
      ParseEventJson(Replaced(kWorkedLine, R"({"id":"system","name":"Aliquot server"})", "\"s\"")),
      "actor"));
  EXPECT_TRUE(RefusedSaying(
      ParseEventJson(Replaced(kWorkedLine, R"({"id":"system","type":"system"})", "[]")), "stream"));
}

TEST(ParseEventJson, RefusesExtraOrMissingMembersOfActorAndStream) {
  EXPECT_TRUE(RefusedSaying(ParseEventJson(Replaced(kWorkedLine, R"("name":"Aliquot server")",
                                                    R"("name":"Aliquot server","role":"qa")")),
                            "actor has an unknown member 'role'"));
  EXPECT_TRUE(
      RefusedSaying(ParseEventJson(Replaced(kWorkedLine, R"({"id":"system","type":"system"})",
                                            R"({"id":"system"})")),
                    "stream lacks the member 'type'"));
}

TEST(ParseEventJson, RefusesUpperCaseHexInHashes) {
  EXPECT_TRUE(RefusedNaming(ParseEventJson(Replaced(kWorkedLine, "52d855dccd9473fbb691574dd52145df",
                                                    "52D855DCCD9473FBB691574DD52145DF")),
                            "hash"));
  // "lower-case" is what the message asks for.
  EXPECT_TRUE(RefusedSaying(ParseEventJson(Replaced(kWorkedLine, "52d8", "52D8")), "lower-case"));
}

TEST(ParseEventJson, RefusesAnotherFormatVersion) {
  const Result<Event> parsed =
      ParseEventJson(Replaced(kWorkedLine, R"("format":1)", R"("format":2)"));
  EXPECT_TRUE(RefusedNaming(parsed, "format"));
  EXPECT_TRUE(RefusedSaying(parsed, "event format must be 1"));
}

TEST(ParseEventJson, RefusesTextThatIsNotAJsonObject) {
  EXPECT_TRUE(RefusedSaying(ParseEventJson(""), "event: JSON: at byte"));
  EXPECT_TRUE(RefusedSaying(ParseEventJson("{\"seq\":"), "event: JSON: at byte"));
  EXPECT_TRUE(RefusedSaying(ParseEventJson("[]"), "event is not a JSON object"));
  EXPECT_TRUE(RefusedSaying(ParseEventJson(std::string(kWorkedLine) + std::string(kWorkedLine)),
                            "event: JSON"));
  // A duplicated member is not I-JSON.
  EXPECT_TRUE(RefusedSaying(
      ParseEventJson(Replaced(kWorkedLine, R"("seq":1,)", R"("seq":1,"seq":1,)")), "JSON"));
}

// Checkpoints.

TEST(ParseCheckpointJson, ParsesTheWorkedExample) {
  const Result<Checkpoint> parsed = ParseCheckpointJson(kWorkedCheckpointLine);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  const Checkpoint expected = SignCheckpoint(
      1, *Hash256::FromHex("52d855dccd9473fbb691574dd52145df9ae74c7e25f80f65fcaca9441bcd53ab"),
      Timestamp::FromMicros((kWorkedSeconds + 1) * kMicrosPerSecond), Test1Key());
  EXPECT_EQ(*parsed, expected);
  EXPECT_EQ(CheckpointJson(*parsed), kWorkedCheckpointLine);
  EXPECT_TRUE(VerifyCheckpointSignature(*parsed, Test1Key().PublicKey()).has_value());
}

TEST(ParseCheckpointJson, AcceptsAnAuditorsCopyInAnyJsonFormatting) {
  // docs/ledger-format.md section 10: an external checkpoint may be formatted freely.
  const std::string pretty =
      "{\n  \"tree_size\": 1,\n  \"time\": \"2026-03-02T09:00:01.000000Z\",\n"
      "  \"signature\": "
      "\"2255d25fb1a9c6dde47581c651883f3bdb9983c8bf23bde4323da0afae9d10b392d0767fbd288890a54f8bbe"
      "20d3f8e72686929b712c3997d90337964d373609\",\n"
      "  \"root_hash\": \"52d855dccd9473fbb691574dd52145df9ae74c7e25f80f65fcaca9441bcd53ab\",\n"
      "  \"key_id\": \"21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9\"\n}\n";
  const Result<Checkpoint> parsed = ParseCheckpointJson(pretty);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(CheckpointJson(*parsed), kWorkedCheckpointLine);
}

TEST(ParseCheckpointJson, AcceptsTreeSizeZero) {
  const Checkpoint empty = SignCheckpoint(0, Sha256::Of(""), Timestamp(), Test1Key());
  const Result<Checkpoint> parsed = ParseCheckpointJson(CheckpointJson(empty));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, empty);
}

TEST(ParseCheckpointJson, RefusesUnknownAndMissingMembersNamingThem) {
  EXPECT_TRUE(RefusedNaming(ParseCheckpointJson(Replaced(kWorkedCheckpointLine, R"("tree_size":1)",
                                                         R"("tree_size":1,"note":"x")")),
                            "note"));
  const Result<Json> json = ParseJson(kWorkedCheckpointLine);
  ASSERT_TRUE(json.has_value());
  for (const std::string_view name : {"key_id", "root_hash", "signature", "time", "tree_size"}) {
    Json without = Json::MakeObject();
    for (const auto& [other, value] : json->AsObject()) {
      if (other != name) without.Set(other, value);
    }
    EXPECT_TRUE(RefusedNaming(ParseCheckpointJson(CanonicalJson(without)), name)) << name;
  }
}

TEST(ParseCheckpointJson, RefusesMembersOfTheWrongTypeNamingThem) {
  struct Case {
    std::string_view from;
    std::string_view to;
    std::string_view field;
  };
  const Case cases[] = {
      {R"("tree_size":1)", R"("tree_size":-1)", "tree_size"},
      {R"("tree_size":1)", R"("tree_size":"1")", "tree_size"},
      {R"("tree_size":1)", R"("tree_size":0.5)", "tree_size"},
      {R"("root_hash":"52d8)", R"("root_hash":"52D8)", "root_hash"},
      {R"("key_id":"21fe)", R"("key_id":"21f)", "key_id"},
      {R"("signature":"2255)", R"("signature":"2255aa)", "signature"},
      {R"("signature":"2255)", R"("signature":"22)", "signature"},
      {R"("signature":"2255d25f)", R"("signature":"2255D25F)", "signature"},
      {R"("time":"2026-03-02T09:00:01.000000Z")", R"("time":"2026-03-02T09:00:01Z")", "time"},
      {R"("time":"2026-03-02T09:00:01.000000Z")", R"("time":null)", "time"},
  };
  for (const Case& c : cases) {
    const std::string text = Replaced(kWorkedCheckpointLine, c.from, c.to);
    EXPECT_TRUE(RefusedNaming(ParseCheckpointJson(text), c.field)) << text;
  }
}

TEST(ParseCheckpointJson, RefusesTextThatIsNotAJsonObject) {
  EXPECT_TRUE(RefusedSaying(ParseCheckpointJson("checkpoint"), "checkpoint: JSON: at byte"));
  EXPECT_TRUE(RefusedSaying(ParseCheckpointJson("[1]"), "checkpoint is not a JSON object"));
}

// Public keys.

std::string PublicKeyText(std::string_view algorithm, std::string_view key_id,
                          std::string_view key) {
  return R"({"algorithm":")" + std::string(algorithm) + R"(","key_id":")" + std::string(key_id) +
         R"(","public_key":")" + std::string(key) + R"("})";
}

TEST(ParsePublicKeyJson, ParsesWhatPublicKeyJsonWrites) {
  const Ed25519PublicKey key = Test1Key().PublicKey();
  const Result<Ed25519PublicKey> parsed = ParsePublicKeyJson(PublicKeyJson(key) + "\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, key);
  EXPECT_EQ(PublicKeyJson(key), PublicKeyText("ed25519", kTest1KeyId, kTest1PublicKey));
}

TEST(ParsePublicKeyJson, RefusesAKeyIdThatIsNotTheKeysFingerprint) {
  // Another key's id: the file does not agree with itself.
  const std::string text =
      PublicKeyText("ed25519", Sha256::Of("another key").Hex(), kTest1PublicKey);
  const Result<Ed25519PublicKey> parsed = ParsePublicKeyJson(text);
  EXPECT_TRUE(RefusedNaming(parsed, "key_id"));
  EXPECT_TRUE(RefusedSaying(parsed, "key_id is not the SHA-256 of public_key"));
}

TEST(ParsePublicKeyJson, RefusesAnotherAlgorithm) {
  EXPECT_TRUE(RefusedNaming(
      ParsePublicKeyJson(PublicKeyText("ed448", kTest1KeyId, kTest1PublicKey)), "algorithm"));
}

TEST(ParsePublicKeyJson, RefusesAKeyOfTheWrongLength) {
  EXPECT_TRUE(RefusedNaming(
      ParsePublicKeyJson(PublicKeyText("ed25519", kTest1KeyId, kTest1PublicKey.substr(2))),
      "public_key"));
}

TEST(ParsePublicKeyJson, RefusesUpperCaseHex) {
  // docs/ledger-format.md section 1: hex is lower-case only; tools/verify_ledger.py refuses it.
  std::string upper(kTest1PublicKey);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  EXPECT_TRUE(RefusedNaming(ParsePublicKeyJson(PublicKeyText("ed25519", kTest1KeyId, upper)),
                            "public_key"));
}

TEST(ParsePublicKeyJson, RefusesExtraAndMissingMembers) {
  EXPECT_TRUE(
      RefusedNaming(ParsePublicKeyJson(R"({"algorithm":"ed25519","comment":"x","key_id":")" +
                                       std::string(kTest1KeyId) + R"(","public_key":")" +
                                       std::string(kTest1PublicKey) + R"("})"),
                    "comment"));
  EXPECT_TRUE(RefusedNaming(ParsePublicKeyJson(R"({"algorithm":"ed25519","public_key":")" +
                                               std::string(kTest1PublicKey) + R"("})"),
                            "key_id"));
}

ExportManifest SampleManifest() {
  ExportManifest manifest;
  manifest.events = 3;
  manifest.checkpoints = 2;
  manifest.head_hash = Sha256::Of(std::string_view("head"));
  manifest.root_hash = Sha256::Of(std::string_view("root"));
  manifest.exported_at = Timestamp::FromMicros(kWorkedSeconds * kMicrosPerSecond);
  for (const std::string_view name : kExportFiles) {
    manifest.files[std::string(name)] = Sha256::Of(name);
  }
  return manifest;
}

TEST(ExportManifest, RoundTripsThroughItsCanonicalJson) {
  const ExportManifest manifest = SampleManifest();
  const std::string text = ManifestJson(manifest);
  EXPECT_EQ(text, CanonicalJson(*ParseJson(text)));
  auto parsed = ParseManifestJson(text + "\n");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(*parsed, manifest);
}

TEST(ExportManifest, RefusesAnotherFormatMissingFilesAndATreeSizeThatDisagrees) {
  const std::string text = ManifestJson(SampleManifest());
  const auto refused_naming = [](const std::string& changed, const std::string& field) {
    auto parsed = ParseManifestJson(changed);
    return !parsed && parsed.error().Code() == ErrorCode::kInvalidArgument &&
           parsed.error().Field() == field;
  };
  std::string other_format = text;
  other_format.replace(other_format.find("export/1"), 8, "export/2");
  EXPECT_TRUE(refused_naming(other_format, "format"));
  Json without_file = *ParseJson(text);
  for (auto& [name, member] : without_file.AsObject()) {
    if (name == "files") member.AsObject().pop_back();  // Members are sorted: public_key.json.
  }
  EXPECT_TRUE(refused_naming(CanonicalJson(without_file), "public_key.json"));
  Json tree_size = *ParseJson(text);
  tree_size.Set("tree_size", 4);
  EXPECT_TRUE(refused_naming(CanonicalJson(tree_size), "tree_size"));
}

TEST(ExportHeadHash, IsTheHashOfTheEmptyStringForAnEmptyExport) {
  const Hash256 last = Sha256::Of(std::string_view("last"));
  EXPECT_EQ(ExportHeadHash(0, last), Sha256::Of(std::string_view("")));
  EXPECT_EQ(ExportHeadHash(5, last), last);
}

}  // namespace
}  // namespace aliquot::ledger
