// Electronic signatures (21 CFR 11.50, 11.70, 11.100, 11.200; P11-11 to P11-14; A11-03): a
// signature is a ledger event naming the signer, the printed name, the meaning and the SHA-256 of
// the exact content signed; the time is the event's server time. A signature therefore belongs to
// one content: when the record changes, the signature is shown as no longer valid for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/identity/user.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::identity {

enum class Meaning { kAuthored, kPerformed, kVerified, kReviewed, kApproved, kReleased, kRejected };

std::string_view MeaningName(Meaning meaning);  // "approved"
std::optional<Meaning> MeaningFromName(std::string_view name);
// True for the meanings that check another person's work: verified, reviewed, approved,
// released, rejected. Nobody signs these on a record they authored or performed.
bool IsIndependentMeaning(Meaning meaning);

// A signable record: ("user", "olivia"), later ("batch_step", "B-0017/5").
struct RecordRef {
  std::string type;
  std::string id;
  friend bool operator==(const RecordRef&, const RecordRef&) = default;
};

// All signatures of one record are in one stream: ("signature", "<type>/<id>").
ledger::StreamRef SignatureStream(const RecordRef& record);

// The hex SHA-256 of the canonical JSON (RFC 8785) of a record's content: what a signature
// binds to, and what anyone can recompute from the record.
std::string ContentHash(const Json& content);

struct ElectronicSignature {
  std::uint64_t seq = 0;  // The signature's event: its proof of inclusion is fetched by it.
  RecordRef record;
  std::string signer_id;
  std::string printed_name;  // As it was at signing (11.50).
  Meaning meaning = Meaning::kApproved;
  Timestamp time;
  std::optional<std::string> comment;
  std::string content_hash;

  // 11.70: valid only for the content it was made over.
  bool ValidFor(std::string_view current_content_hash) const {
    return content_hash == current_content_hash;
  }
};

// A record as it stands when someone signs it.
struct RecordToSign {
  RecordRef record;
  std::string content_hash;
  // Who authored or performed the record's content: they may not check it.
  std::vector<std::string> authors;
  std::vector<ElectronicSignature> signatures;
};

struct SignCommand {
  Meaning meaning = Meaning::kApproved;
  // The content hash the signer was shown. Signing what you saw: if the record changed since,
  // the signature is refused rather than applied to content nobody read.
  std::string content_hash_seen;
  std::optional<std::string> comment;
  std::vector<std::string> factors;  // How the signer re-authenticated: "password", "totp".
  std::string session_id;
};

// Decides a signature by `signer` on `record`. The caller has re-authenticated the signer at this
// moment (11.200) and checked the permission for the meaning. Returns kFailedPrecondition (field
// "content_hash") when the record changed since it was shown, kPermissionDenied (field "meaning")
// when the signer authored or performed what they would check, kAlreadyExists when the signer
// already signed this content with this meaning, kInvalidArgument for a bad comment.
Result<ledger::NewEvent> Sign(const UserState& signer, const RecordToSign& record,
                              const SignCommand& command, std::string_view terminal);

// Reads a signature back from its event. Returns kDataLoss naming the seq for a malformed one.
Result<ElectronicSignature> SignatureFromEvent(const ledger::PayloadReader& payload);
Result<ElectronicSignature> SignatureFromEvent(const ledger::Event& event, const Json& payload);

}  // namespace aliquot::identity
