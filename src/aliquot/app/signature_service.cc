#include "aliquot/app/signature_service.h"

#include <utility>

#include "aliquot/app/identity_records.h"

namespace aliquot::app {
namespace {

std::uint64_t UserHead(const std::vector<StreamExpectation>& expectations,
                       const std::string& user_id) {
  for (const StreamExpectation& expectation : expectations) {
    if (expectation.stream == identity::UserStream(user_id)) return expectation.last_seq;
  }
  return 0;
}

}  // namespace

SignatureService::SignatureService(Store& store, Clock& clock, SessionService& sessions)
    : store_(store), clock_(clock), sessions_(sessions) {}

void SignatureService::Register(const std::string& type, SignableRecord record) {
  types_[type] = std::move(record);
}

Result<const SignableRecord*> SignatureService::TypeOf(const std::string& type) const {
  const auto found = types_.find(type);
  if (found == types_.end()) {
    std::string known;
    for (const auto& [name, record] : types_) known += (known.empty() ? "" : ", ") + name;
    return Unexpected(
        NotFound("no record type '" + type.substr(0, 40) + "' can be signed; types: " + known,
                 "record_type"));
  }
  return &found->second;
}

Result<RecordSignatures> SignatureService::SignaturesIn(StoreReader& reader,
                                                        const identity::RecordRef& record) {
  ALIQUOT_ASSIGN_OR_RETURN(const SignableRecord* type, TypeOf(record.type));
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<RecordContent> content, type->read(reader, record.id));
  if (!content) {
    return Unexpected(NotFound("no " + record.type + " " + record.id.substr(0, 64), "record_id"));
  }
  RecordSignatures signatures;
  signatures.record = record;
  signatures.content_hash = identity::ContentHash(content->content);
  signatures.content = std::move(content->content);
  ALIQUOT_ASSIGN_OR_RETURN(signatures.signatures, LoadSignatures(reader, record));
  return signatures;
}

Result<RecordSignatures> SignatureService::Signatures(const RequestContext& context,
                                                      const identity::RecordRef& record) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, identity::Action::kViewSignatures));
  ALIQUOT_ASSIGN_OR_RETURN(const SignableRecord* type, TypeOf(record.type));
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, type->view_action));
  RecordSignatures signatures;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(signatures, SignaturesIn(reader, record));
    return {};
  }));
  return signatures;
}

Result<identity::ElectronicSignature> SignatureService::Sign(const RequestContext& context,
                                                             const identity::RecordRef& record,
                                                             const SignRequest& request) {
  ALIQUOT_ASSIGN_OR_RETURN(const SignableRecord* type, TypeOf(record.type));
  const std::optional<identity::Action> action = type->action_for(request.meaning);
  if (!action) {
    std::string meanings;
    for (int m = 0; m <= static_cast<int>(identity::Meaning::kRejected); ++m) {
      const auto meaning = static_cast<identity::Meaning>(m);
      if (!type->action_for(meaning)) continue;
      meanings += (meanings.empty() ? "" : ", ") + std::string(identity::MeaningName(meaning));
    }
    return Unexpected(InvalidArgument("a " + record.type + " record cannot be signed as " +
                                          std::string(identity::MeaningName(request.meaning)) +
                                          "; it can be signed as: " + meanings,
                                      "meaning"));
  }
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, *action));
  if (request.password.empty()) {
    // 11.200(a)(1): every signing re-enters the password, even within a session.
    return Unexpected(InvalidArgument("signing requires your password, entered now", "password"));
  }
  if (request.password.size() > 256) {
    return Unexpected(InvalidArgument("password must be at most 256 bytes", "password"));
  }
  if (request.totp && request.totp->size() > 16) {
    return Unexpected(InvalidArgument("totp must be the 6-digit code", "totp"));
  }

  std::optional<identity::CredentialCheck> check;
  // The credentials `check` was made against. A retry after a lost race checks again when any of
  // them changed: a code spent meanwhile (a sign-in that won) must not sign (RFC 6238 5.2).
  std::string checked_password;
  std::string checked_totp_secret;
  std::optional<std::int64_t> checked_totp_step;
  for (int attempt = 1;; ++attempt) {
    identity::UserState signer;
    identity::SecurityPolicy policy;
    std::optional<RecordContent> content;
    identity::RecordToSign to_sign;
    std::vector<StreamExpectation> expectations;
    std::vector<ledger::NewEvent> consequences;
    std::optional<Error> refused;
    ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(signer, LoadUser(reader, context.principal.user_id));
      ALIQUOT_ASSIGN_OR_RETURN(policy, sessions_.PolicyOf(reader, context.terminal.site));
      ALIQUOT_ASSIGN_OR_RETURN(content, type->read(reader, record.id));
      if (!content) return {};
      std::vector<ledger::StreamRef> streams = content->streams;
      streams.push_back(identity::UserStream(signer.id));
      streams.push_back(identity::SignatureStream(record));
      if (type->consequences) {
        Signing signing{record, request.meaning, &signer, request.comment, clock_.Now(), &context};
        auto decided = type->consequences(reader, signing);
        if (!decided) {
          refused = decided.error();
          return {};
        }
        consequences = std::move(*decided);
        for (const ledger::NewEvent& event : consequences) streams.push_back(event.stream);
      }
      for (const ledger::StreamRef& stream : streams) {
        bool seen = false;
        for (const StreamExpectation& expectation : expectations) {
          seen = seen || expectation.stream == stream;
        }
        if (seen) continue;
        ALIQUOT_ASSIGN_OR_RETURN(const std::uint64_t head, reader.StreamHead(stream));
        expectations.push_back({stream, head});
      }
      ALIQUOT_ASSIGN_OR_RETURN(to_sign.signatures, LoadSignatures(reader, record));
      return {};
    }));
    if (!content) {
      return Unexpected(NotFound("no " + record.type + " " + record.id.substr(0, 64), "record_id"));
    }
    if (refused) {
      // The record's state does not take this signature: refused before the password is asked
      // for, and recorded like any refusal when it is about who may sign (P11-07).
      if (refused->Code() == ErrorCode::kPermissionDenied) {
        return Unexpected(sessions_.RecordRefusal(context, *action, *refused).error());
      }
      return Unexpected(*refused);
    }
    // EU GMP Annex 11 draft (A11-06): a site may demand a second factor for every signature.
    if (policy.totp_required_for_signing && !signer.TotpEnrolled()) {
      return Unexpected(FailedPrecondition(
          "site " + context.terminal.site +
              " requires an authenticator app for signing; enrol one first (POST "
              "/api/v1/session/totp)",
          "totp"));
    }
    if (!check || checked_password != signer.sealed_password ||
        checked_totp_secret != signer.sealed_totp_secret ||
        checked_totp_step != signer.totp_last_step) {
      ALIQUOT_ASSIGN_OR_RETURN(check,
                               sessions_.CheckCredentials(signer, request.password, request.totp));
      checked_password = signer.sealed_password;
      checked_totp_secret = signer.sealed_totp_secret;
      checked_totp_step = signer.totp_last_step;
    }
    identity::AuthenticationDecision authentication =
        identity::Authenticate(signer, policy, *check, identity::AuthenticationPurpose::kSigning,
                               clock_.Now(), context.session_id, context.terminal.id);

    AppendRequest append;
    append.events = std::move(authentication.events);
    append.expectations = expectations;
    std::optional<Error> refusal;
    // Roles may have changed since the request was authenticated: the signer's roles in this
    // snapshot are the ones that count (P11-07).
    if (!identity::Permits(signer.RolesAt(context.terminal.site), *action)) {
      return Unexpected(sessions_
                            .RecordRefusal(context, *action,
                                           ::aliquot::PermissionDenied(
                                               "your roles at site " + context.terminal.site +
                                                   " no longer permit " +
                                                   std::string(identity::ActionName(*action)),
                                               "action"))
                            .error());
    }
    if (!authentication.outcome) {
      refusal = authentication.outcome.error();
      // A wrong password is counted whatever happens to the record meanwhile.
      append.expectations = {{identity::UserStream(signer.id), UserHead(expectations, signer.id)}};
    } else {
      to_sign.record = record;
      to_sign.content_hash = identity::ContentHash(content->content);
      to_sign.authors = content->authors;
      identity::SignCommand command;
      command.meaning = request.meaning;
      command.content_hash_seen = request.content_hash;
      command.comment = request.comment;
      command.factors = {"password"};
      if (check->totp_step) command.factors.emplace_back("totp");
      command.session_id = context.session_id;
      auto signature = identity::Sign(signer, to_sign, command, context.terminal.id);
      if (!signature) {
        // The record shows no half-made signature. A code entered is spent all the same, so it
        // cannot be replayed within its window; the re-authentication that spent it is kept.
        if (check->totp_step) {
          append.expectations = {
              {identity::UserStream(signer.id), UserHead(expectations, signer.id)}};
          auto spent = store_.Append(append);
          if (!spent && spent.error().Code() == ErrorCode::kAborted && attempt < kAppendAttempts) {
            continue;
          }
          if (!spent) return Unexpected(spent.error());
        }
        if (signature.error().Code() == ErrorCode::kPermissionDenied) {
          return Unexpected(sessions_.RecordRefusal(context, *action, signature.error()).error());
        }
        return Unexpected(signature.error());
      }
      append.events.push_back(std::move(*signature));
      for (ledger::NewEvent& event : consequences) append.events.push_back(std::move(event));
    }
    auto appended = store_.Append(append);
    if (!appended) {
      if (appended.error().Code() == ErrorCode::kAborted && attempt < kAppendAttempts) continue;
      return Unexpected(appended.error());
    }
    if (authentication.locked_now) sessions_.EndSessionsOf(signer, "locked");
    if (refusal) return Unexpected(*refusal);
    for (const ledger::Event& event : *appended) {
      if (event.stream != identity::SignatureStream(record)) continue;
      ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                               ledger::PayloadReader::Parse(event));
      return identity::SignatureFromEvent(payload);
    }
    return Unexpected(Internal("the signature was appended but not returned"));
  }
}

}  // namespace aliquot::app
