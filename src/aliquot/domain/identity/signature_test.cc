#include "aliquot/domain/identity/signature.h"

#include <string>

#include <gtest/gtest.h>

namespace aliquot::identity {
namespace {

constexpr std::string_view kTerminal = "QA-WS1";
constexpr Timestamp kSignedAt = Timestamp::FromMicros(1'800'000'000 * kMicrosPerSecond);

UserState Person(std::string id, std::string printed_name) {
  UserState user;
  user.exists = true;
  user.id = std::move(id);
  user.printed_name = std::move(printed_name);
  return user;
}

UserState Olivia() { return Person("olivia", "Olivia Operator"); }
UserState Victor() { return Person("victor", "Victor Verifier"); }
UserState Quinn() { return Person("quinn", "Quinn QA"); }

Json ContentA() {
  Json content = Json::MakeObject();
  content.Set("viability", 92);
  content.Set("operator", "olivia");
  return content;
}

Json ContentB() {
  Json content = Json::MakeObject();
  content.Set("viability", 29);
  content.Set("operator", "olivia");
  return content;
}

RecordToSign Record(const Json& content) {
  return {.record = {"batch_step", "B-0017/5"}, .content_hash = ContentHash(content)};
}

SignCommand Command(Meaning meaning, const Json& content_seen) {
  return {.meaning = meaning,
          .content_hash_seen = ContentHash(content_seen),
          .factors = {"password", "totp"},
          .session_id = "session-1"};
}

ledger::Event Seal(const ledger::NewEvent& event) {
  return ledger::SealEvent(event, 42, kSignedAt, ledger::kGenesisPrevHash);
}

// Signs and reads the signature back as the record's signature list would hold it.
ElectronicSignature Signed(const UserState& signer, const RecordToSign& record,
                           const SignCommand& command) {
  auto event = Sign(signer, record, command, kTerminal);
  EXPECT_TRUE(event) << event.error().ToString();
  const ledger::Event sealed = Seal(*event);
  auto payload = ParseJson(sealed.payload);
  EXPECT_TRUE(payload) << payload.error().ToString();
  auto signature = SignatureFromEvent(sealed, *payload);
  EXPECT_TRUE(signature) << signature.error().ToString();
  return *signature;
}

TEST(Signature, TheContentHashIsTheSha256OfTheCanonicalJson) {
  Json content = Json::MakeObject();
  content.Set("b", "x");  // Out of order: the canonical form sorts the members.
  content.Set("a", 1);
  EXPECT_EQ(CanonicalJson(content), R"({"a":1,"b":"x"})");
  // hashlib.sha256(b'{"a":1,"b":"x"}').hexdigest()
  EXPECT_EQ(ContentHash(content),
            "ecf9e98ec0641e23113ff3ce8bdc78d0ddd249886517fd4a7f68cc83d4e65667");
}

TEST(Signature, DifferentContentHasADifferentHash) {
  EXPECT_NE(ContentHash(ContentA()), ContentHash(ContentB()));
}

// Verifies P11-12: a signature cannot be transferred to other content.
TEST(Signature, ASignatureIsValidOnlyForTheContentItWasMadeOver) {
  const ElectronicSignature signature =
      Signed(Victor(), Record(ContentA()), Command(Meaning::kVerified, ContentA()));
  EXPECT_EQ(signature.content_hash, ContentHash(ContentA()));
  EXPECT_TRUE(signature.ValidFor(ContentHash(ContentA())));
  EXPECT_FALSE(signature.ValidFor(ContentHash(ContentB())));
}

// Verifies P11-12: one signs what one saw.
TEST(Signature, RefusesWhenTheRecordChangedSinceItWasShown) {
  auto event =
      Sign(Victor(), Record(ContentB()), Command(Meaning::kVerified, ContentA()), kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(event.error().Field(), "content_hash");
}

// Verifies A11-01: a second person checks what the first entered.
TEST(Signature, ThePerformerCannotVerifyTheirOwnStep) {
  RecordToSign record = Record(ContentA());
  record.signatures.push_back(Signed(Olivia(), record, Command(Meaning::kPerformed, ContentA())));
  auto event = Sign(Olivia(), record, Command(Meaning::kVerified, ContentA()), kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(event.error().Field(), "meaning");
  EXPECT_TRUE(Sign(Victor(), record, Command(Meaning::kVerified, ContentA()), kTerminal));
}

// Verifies A11-01
TEST(Signature, AnAuthorCannotApprove) {
  RecordToSign record = Record(ContentA());
  record.authors = {"dora", "olivia"};
  for (Meaning meaning : {Meaning::kVerified, Meaning::kReviewed, Meaning::kApproved,
                          Meaning::kReleased, Meaning::kRejected}) {
    auto event = Sign(Person("dora", "Dora Document-Owner"), record, Command(meaning, ContentA()),
                      kTerminal);
    ASSERT_FALSE(event) << MeaningName(meaning);
    EXPECT_EQ(event.error().Code(), ErrorCode::kPermissionDenied);
    EXPECT_EQ(event.error().Field(), "meaning");
  }
}

TEST(Signature, AnAuthorMaySignAsAuthor) {
  RecordToSign record = Record(ContentA());
  record.authors = {"dora"};
  EXPECT_TRUE(Sign(Person("dora", "Dora Document-Owner"), record,
                   Command(Meaning::kAuthored, ContentA()), kTerminal));
}

TEST(Signature, SomeoneWhoIsNotAnAuthorMayApprove) {
  RecordToSign record = Record(ContentA());
  record.authors = {"dora"};
  auto event = Sign(Quinn(), record, Command(Meaning::kApproved, ContentA()), kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_TRUE(ledger::ValidateNewEvent(*event));
}

TEST(Signature, RefusesTheSameSignatureTwiceOnTheSameContent) {
  RecordToSign record = Record(ContentA());
  record.signatures.push_back(Signed(Quinn(), record, Command(Meaning::kApproved, ContentA())));
  auto event = Sign(Quinn(), record, Command(Meaning::kApproved, ContentA()), kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kAlreadyExists);
}

TEST(Signature, TheSameSignerMaySignChangedContentAgain) {
  RecordToSign before = Record(ContentA());
  RecordToSign after = Record(ContentB());
  after.signatures.push_back(Signed(Quinn(), before, Command(Meaning::kApproved, ContentA())));
  EXPECT_TRUE(Sign(Quinn(), after, Command(Meaning::kApproved, ContentB()), kTerminal));
}

TEST(Signature, TheSameSignerMaySignWithAnotherMeaning) {
  RecordToSign record = Record(ContentA());
  record.signatures.push_back(Signed(Quinn(), record, Command(Meaning::kReviewed, ContentA())));
  EXPECT_TRUE(Sign(Quinn(), record, Command(Meaning::kApproved, ContentA()), kTerminal));
}

// Verifies P11-11, A11-03: the signature shows who, when and what it means.
TEST(Signature, TheEventCarriesTheSignerNameMeaningAndContentHash) {
  SignCommand command = Command(Meaning::kApproved, ContentA());
  command.comment = "Reviewed against MBR v3";
  auto event = Sign(Quinn(), Record(ContentA()), command, kTerminal);
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->event_type, "identity.signature_applied");
  EXPECT_EQ(event->stream, SignatureStream({"batch_step", "B-0017/5"}));
  EXPECT_EQ(event->actor, ActorOf(Quinn()));
  EXPECT_EQ(event->terminal, kTerminal);
  EXPECT_EQ(event->payload.Find("signer_id")->AsString(), "quinn");
  EXPECT_EQ(event->payload.Find("printed_name")->AsString(), "Quinn QA");
  EXPECT_EQ(event->payload.Find("meaning")->AsString(), "approved");
  EXPECT_EQ(event->payload.Find("content_hash")->AsString(), ContentHash(ContentA()));
  EXPECT_EQ(event->payload.Find("comment")->AsString(), "Reviewed against MBR v3");
  ASSERT_EQ(event->payload.Find("factors")->AsArray().size(), 2U);
  EXPECT_EQ(event->payload.Find("factors")->AsArray()[1].AsString(), "totp");
}

// Verifies P11-11, A11-03
TEST(Signature, ReadsTheSignatureBackFromItsSealedEvent) {
  SignCommand command = Command(Meaning::kApproved, ContentA());
  command.comment = "Reviewed against MBR v3";
  const ElectronicSignature signature = Signed(Quinn(), Record(ContentA()), command);
  EXPECT_EQ(signature.seq, 42U);
  EXPECT_EQ(signature.time, kSignedAt);
  EXPECT_EQ(signature.record, (RecordRef{"batch_step", "B-0017/5"}));
  EXPECT_EQ(signature.signer_id, "quinn");
  EXPECT_EQ(signature.printed_name, "Quinn QA");
  EXPECT_EQ(signature.meaning, Meaning::kApproved);
  EXPECT_EQ(signature.comment, "Reviewed against MBR v3");
  EXPECT_EQ(signature.content_hash, ContentHash(ContentA()));
}

TEST(Signature, AMalformedSignatureEventIsDataLossNamingItsSeq) {
  auto event =
      Sign(Quinn(), Record(ContentA()), Command(Meaning::kApproved, ContentA()), kTerminal);
  ASSERT_TRUE(event);
  Json payload = Json::MakeObject();
  for (const auto& [name, value] : event->payload.AsObject()) {
    if (name != "content_hash") payload.Set(name, value);
  }
  auto signature = SignatureFromEvent(Seal(*event), payload);
  ASSERT_FALSE(signature);
  EXPECT_EQ(signature.error().Code(), ErrorCode::kDataLoss);
  EXPECT_NE(signature.error().Message().find("42"), std::string::npos);
  EXPECT_NE(signature.error().Message().find("content_hash"), std::string::npos);
}

// Verifies P11-13: a signature belongs to an active person.
TEST(Signature, RefusesADeactivatedSigner) {
  UserState gone = Quinn();
  gone.status = AccountStatus::kDeactivated;
  auto event = Sign(gone, Record(ContentA()), Command(Meaning::kApproved, ContentA()), kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kPermissionDenied);
}

TEST(Signature, RefusesASignerWithoutAnAccount) {
  UserState nobody = Quinn();
  nobody.exists = false;
  auto event = Sign(nobody, Record(ContentA()), Command(Meaning::kApproved, ContentA()), kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kPermissionDenied);
}

TEST(Signature, RefusesAnEmptyComment) {
  SignCommand command = Command(Meaning::kApproved, ContentA());
  command.comment = "";
  auto event = Sign(Quinn(), Record(ContentA()), command, kTerminal);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(event.error().Field(), "comment");
}

TEST(Signature, EveryMeaningNameLeadsBackToItsMeaning) {
  for (Meaning meaning :
       {Meaning::kAuthored, Meaning::kPerformed, Meaning::kVerified, Meaning::kReviewed,
        Meaning::kApproved, Meaning::kReleased, Meaning::kRejected}) {
    EXPECT_EQ(MeaningFromName(MeaningName(meaning)), meaning) << MeaningName(meaning);
  }
  EXPECT_EQ(MeaningFromName("witnessed"), std::nullopt);
}

}  // namespace
}  // namespace aliquot::identity
