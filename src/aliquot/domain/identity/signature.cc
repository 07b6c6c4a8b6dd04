#include "aliquot/domain/identity/signature.h"

#include <algorithm>
#include <array>
#include <utility>

#include "aliquot/core/sha256.h"
#include "aliquot/core/text.h"

namespace aliquot::identity {
namespace {

constexpr std::array<std::pair<Meaning, std::string_view>, 7> kMeaningNames{{
    {Meaning::kAuthored, "authored"},
    {Meaning::kPerformed, "performed"},
    {Meaning::kVerified, "verified"},
    {Meaning::kReviewed, "reviewed"},
    {Meaning::kApproved, "approved"},
    {Meaning::kReleased, "released"},
    {Meaning::kRejected, "rejected"},
}};

}  // namespace

std::string_view MeaningName(Meaning meaning) {
  return kMeaningNames[static_cast<std::size_t>(meaning)].second;
}

std::optional<Meaning> MeaningFromName(std::string_view name) {
  for (const auto& [meaning, text] : kMeaningNames) {
    if (text == name) return meaning;
  }
  return std::nullopt;
}

bool IsIndependentMeaning(Meaning meaning) {
  return meaning != Meaning::kAuthored && meaning != Meaning::kPerformed;
}

ledger::StreamRef SignatureStream(const RecordRef& record) {
  return {"signature", record.type + "/" + record.id};
}

std::string ContentHash(const Json& content) { return Sha256::Of(CanonicalJson(content)).Hex(); }

Result<ledger::NewEvent> Sign(const UserState& signer, const RecordToSign& record,
                              const SignCommand& command, std::string_view terminal) {
  if (!signer.exists || signer.status != AccountStatus::kActive) {
    return Unexpected(::aliquot::PermissionDenied("the account " + signer.id + " is not active"));
  }
  if (command.comment)
    ALIQUOT_RETURN_IF_ERROR(CheckParagraph(*command.comment, "comment", 1, 1000));
  // 11.70: the signature binds to the content the signer saw, and to nothing else.
  if (command.content_hash_seen != record.content_hash) {
    return Unexpected(FailedPrecondition(
        "the record " + record.record.type + "/" + record.record.id +
            " changed since it was shown to you (content " + record.content_hash.substr(0, 12) +
            "..., you saw " + command.content_hash_seen.substr(0, 12) +
            "...); reload it and sign what you see",
        "content_hash"));
  }
  const std::string_view meaning = MeaningName(command.meaning);
  if (IsIndependentMeaning(command.meaning)) {
    // Nobody verifies or approves their own work (A11-01; 21 CFR 211.186 and 211.188).
    const bool author =
        std::find(record.authors.begin(), record.authors.end(), signer.id) != record.authors.end();
    const bool performer = std::any_of(
        record.signatures.begin(), record.signatures.end(), [&](const ElectronicSignature& s) {
          // Whatever the record became since: who performed it never checks it.
          return s.signer_id == signer.id && !IsIndependentMeaning(s.meaning);
        });
    if (author || performer) {
      return Unexpected(::aliquot::PermissionDenied(
          signer.printed_name + " authored or performed " + record.record.type + "/" +
              record.record.id + " and so cannot sign it as " + std::string(meaning) +
              "; another person must",
          "meaning"));
    }
  }
  for (const ElectronicSignature& existing : record.signatures) {
    if (existing.signer_id == signer.id && existing.meaning == command.meaning &&
        existing.ValidFor(record.content_hash)) {
      return Unexpected(AlreadyExists("you signed this content as " + std::string(meaning) +
                                      " already, at " + existing.time.ToRfc3339()));
    }
  }
  ledger::NewEvent event;
  event.stream = SignatureStream(record.record);
  event.event_type = "identity.signature_applied";
  event.actor = ActorOf(signer);
  event.terminal = std::string(terminal);
  Json ref = Json::MakeObject();
  ref.Set("type", record.record.type);
  ref.Set("id", record.record.id);
  event.payload.Set("record", std::move(ref));
  event.payload.Set("content_hash", record.content_hash);
  event.payload.Set("meaning", meaning);
  event.payload.Set("signer_id", signer.id);
  event.payload.Set("printed_name", signer.printed_name);
  if (command.comment) event.payload.Set("comment", *command.comment);
  Json factors = Json::MakeArray();
  for (const std::string& factor : command.factors) factors.Push(factor);
  event.payload.Set("factors", std::move(factors));
  event.payload.Set("session_id", command.session_id);
  return event;
}

Result<ElectronicSignature> SignatureFromEvent(const ledger::PayloadReader& payload) {
  const ledger::Event& event = payload.Source();
  ElectronicSignature signature;
  signature.seq = event.seq;
  signature.time = event.time;
  ALIQUOT_ASSIGN_OR_RETURN(const Json* record, payload.Object("record"));
  const ledger::PayloadReader reference(event, *record);
  ALIQUOT_ASSIGN_OR_RETURN(signature.record.type, reference.String("type"));
  ALIQUOT_ASSIGN_OR_RETURN(signature.record.id, reference.String("id"));
  ALIQUOT_ASSIGN_OR_RETURN(signature.signer_id, payload.String("signer_id"));
  ALIQUOT_ASSIGN_OR_RETURN(signature.printed_name, payload.String("printed_name"));
  ALIQUOT_ASSIGN_OR_RETURN(signature.content_hash, payload.String("content_hash"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::string meaning, payload.String("meaning"));
  const std::optional<Meaning> parsed = MeaningFromName(meaning);
  if (!parsed) return Unexpected(payload.Corrupt("has the unknown meaning '" + meaning + "'"));
  signature.meaning = *parsed;
  if (const Json* comment = payload.Find("comment"); comment != nullptr && comment->IsString()) {
    signature.comment = comment->AsString();
  }
  return signature;
}

Result<ElectronicSignature> SignatureFromEvent(const ledger::Event& event, const Json& payload) {
  return SignatureFromEvent(ledger::PayloadReader(event, payload));
}

}  // namespace aliquot::identity
