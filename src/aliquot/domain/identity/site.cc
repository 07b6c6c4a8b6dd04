#include "aliquot/domain/identity/site.h"

#include <string>

#include "aliquot/core/text.h"

namespace aliquot::identity {
namespace {

struct IntegerField {
  const char* name;
  int SecurityPolicy::*member;
  int min;
  int max;
};

// The ranges keep a site inside what Part 11 and common practice accept: passwords of at least
// 8 characters, a lockout after at most 10 failures, a session idle for at most 8 hours.
constexpr IntegerField kIntegerFields[] = {
    {"password_min_length", &SecurityPolicy::password_min_length, 8, 128},
    {"password_history", &SecurityPolicy::password_history, 0, 24},
    {"password_max_age_days", &SecurityPolicy::password_max_age_days, 0, 730},
    {"lockout_threshold", &SecurityPolicy::lockout_threshold, 1, 10},
    {"lockout_minutes", &SecurityPolicy::lockout_minutes, 0, 1440},
    {"session_idle_minutes", &SecurityPolicy::session_idle_minutes, 1, 480},
    {"session_max_hours", &SecurityPolicy::session_max_hours, 1, 24},
};

std::string Prefixed(std::string_view prefix, const char* name) {
  return std::string(prefix) + name;
}

}  // namespace

Status ValidatePolicy(const SecurityPolicy& policy) {
  for (const IntegerField& field : kIntegerFields) {
    const int value = policy.*field.member;
    if (value < field.min || value > field.max) {
      return Unexpected(
          InvalidArgument(std::string(field.name) + " must be from " + std::to_string(field.min) +
                              " to " + std::to_string(field.max) + ", got " + std::to_string(value),
                          field.name));
    }
  }
  return {};
}

Json PolicyToJson(const SecurityPolicy& policy) {
  Json json = Json::MakeObject();
  for (const IntegerField& field : kIntegerFields) json.Set(field.name, policy.*field.member);
  json.Set("totp_required_for_signing", policy.totp_required_for_signing);
  return json;
}

Result<SecurityPolicy> PolicyFromJson(const Json& json, std::string_view field_prefix) {
  if (!json.IsObject()) {
    return Unexpected(InvalidArgument("the policy must be an object", "policy"));
  }
  SecurityPolicy policy;
  for (const IntegerField& field : kIntegerFields) {
    const Json* value = json.Find(field.name);
    const std::string name = Prefixed(field_prefix, field.name);
    const std::optional<std::int64_t> integer =
        value != nullptr ? value->AsInteger() : std::nullopt;
    if (!integer || *integer < field.min || *integer > field.max) {
      return Unexpected(InvalidArgument(name + " must be an integer from " +
                                            std::to_string(field.min) + " to " +
                                            std::to_string(field.max),
                                        name));
    }
    policy.*field.member = static_cast<int>(*integer);
  }
  const Json* totp = json.Find("totp_required_for_signing");
  if (totp == nullptr || !totp->IsBool()) {
    const std::string name = Prefixed(field_prefix, "totp_required_for_signing");
    return Unexpected(InvalidArgument(name + " must be true or false", name));
  }
  policy.totp_required_for_signing = totp->AsBool();
  return policy;
}

ledger::StreamRef SiteStream(std::string_view site_id) { return {"site", std::string(site_id)}; }

Status ValidateSiteId(std::string_view id, std::string_view field) {
  if (!IsUpperCaseCode(id, 2, 16)) {
    return Unexpected(InvalidArgument(std::string(field) +
                                          " must be 2-16 of A-Z, 0-9 and '-', got '" +
                                          std::string(id.substr(0, 40)) + "'",
                                      std::string(field)));
  }
  return {};
}

Result<ledger::NewEvent> CreateSite(const SiteState& state, const CreateSiteCommand& command,
                                    const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(ValidateSiteId(command.id, "site_id"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.name, "name", 1, 200));
  ALIQUOT_RETURN_IF_ERROR(ValidatePolicy(command.policy));
  if (state.exists) {
    return Unexpected(AlreadyExists(
        "site " + command.id + " exists already (" + state.name + "); site ids are never reused",
        "site_id"));
  }
  ledger::NewEvent event;
  event.stream = SiteStream(command.id);
  event.event_type = "identity.site_created";
  event.actor = actor;
  event.terminal = std::string(terminal);
  event.payload.Set("site_id", command.id);
  event.payload.Set("name", command.name);
  event.payload.Set("policy", PolicyToJson(command.policy));
  return event;
}

Result<ledger::NewEvent> SetPolicy(const SiteState& state, const SecurityPolicy& policy,
                                   std::string_view reason, const ledger::Actor& actor,
                                   std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no site " + state.id, "site"));
  ALIQUOT_RETURN_IF_ERROR(ValidatePolicy(policy));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 1, 1000));
  if (policy == state.policy) {
    return Unexpected(FailedPrecondition("site " + state.id + " already has this policy"));
  }
  ledger::NewEvent event;
  event.stream = SiteStream(state.id);
  event.event_type = "identity.policy_set";
  event.actor = actor;
  event.terminal = std::string(terminal);
  event.reason = std::string(reason);
  event.payload.Set("site_id", state.id);
  event.payload.Set("policy", PolicyToJson(policy));
  event.payload.Set("previous", PolicyToJson(state.policy));
  return event;
}

}  // namespace aliquot::identity
