// SignatureService: electronic signatures over any record an area registers as signable
// (21 CFR 11.50, 11.70, 11.200; P11-11, P11-12, P11-14; A11-03, A11-06). Signing re-enters the
// password (and the authenticator code where enrolled, or where the site demands one) at that
// moment, binds the signature to the SHA-256 of the content the signer was shown, and appends the
// re-authentication and the signature in one transaction.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/core/json.h"
#include "aliquot/domain/identity/permission.h"
#include "aliquot/domain/identity/signature.h"

namespace aliquot::app {

// A record as of one snapshot: its content, who authored or performed it, and the streams its
// content is read from (a signature is appended only if they are unchanged).
struct RecordContent {
  Json content;
  std::vector<std::string> authors;
  std::vector<ledger::StreamRef> streams;
};

// A signature about to be appended, as the record type's consequences see it.
struct Signing {
  identity::RecordRef record;
  identity::Meaning meaning = identity::Meaning::kApproved;
  const identity::UserState* signer = nullptr;
  std::optional<std::string> comment;
  Timestamp now;
  const RequestContext* context = nullptr;
};

// What an area registers for one record type.
struct SignableRecord {
  // The record `id` as of the reader's snapshot, or nullopt when there is none.
  std::function<Result<std::optional<RecordContent>>(StoreReader&, const std::string& id)> read;
  // The action signing with `meaning` needs on this type; nullopt when the meaning does not apply.
  std::function<std::optional<identity::Action>(identity::Meaning)> action_for;
  // The action reading the record needs: its signatures show its content.
  identity::Action view_action = identity::Action::kViewSignatures;
  // What the signature brings about, decided in the signing snapshot: the events appended in the
  // same transaction as the signature (a document version approved, a training completed), or a
  // refusal when the record's state does not take this signature now (approving a draft). Unset:
  // a signature changes nothing else.
  std::function<Result<std::vector<ledger::NewEvent>>(StoreReader&, const Signing&)> consequences;
};

struct SignRequest {
  identity::Meaning meaning = identity::Meaning::kApproved;
  std::string content_hash;  // What the signer was shown.
  std::optional<std::string> comment;
  std::string password;
  std::optional<std::string> totp;
};

// A record's signatures as shown: each manifestation with whether it is valid for the content.
struct RecordSignatures {
  identity::RecordRef record;
  std::string content_hash;  // Of the record as it stands.
  Json content;
  std::vector<identity::ElectronicSignature> signatures;
};

class SignatureService {
 public:
  SignatureService(Store& store, Clock& clock, SessionService& sessions);

  // Adds a record type; called at start-up, before any request.
  void Register(const std::string& type, SignableRecord record);

  // Signs `record`. Errors: kNotFound (unknown type or record), kInvalidArgument (field
  // "meaning") for a meaning the type does not take, kPermissionDenied for a missing permission
  // or a signer checking their own work, the refusals of the type's consequences (its state does
  // not take the signature now, checked before the password), kFailedPrecondition (field "totp")
  // when the site requires an authenticator the signer has not enrolled, kUnauthenticated (field
  // "password" or "totp") for a wrong password or code (recorded, and counted towards the lock),
  // kFailedPrecondition (field "content_hash") when the record changed since it was shown.
  Result<identity::ElectronicSignature> Sign(const RequestContext& context,
                                             const identity::RecordRef& record,
                                             const SignRequest& request);

  // The record's current content hash and its signatures (action signature.view, and the type's
  // view_action).
  Result<RecordSignatures> Signatures(const RequestContext& context,
                                      const identity::RecordRef& record);
  // The same within a snapshot, without authorisation: for services that return signed records.
  Result<RecordSignatures> SignaturesIn(StoreReader& reader, const identity::RecordRef& record);

 private:
  Result<const SignableRecord*> TypeOf(const std::string& type) const;

  Store& store_;
  Clock& clock_;
  SessionService& sessions_;
  std::map<std::string, SignableRecord> types_;
};

}  // namespace aliquot::app
