// Sites and their security policy: password rules, lockout, session timeouts and whether signing
// requires a second factor. A user's roles, a terminal and the policy all belong to one site
// (21 CFR 11.300, P11-15; EU GMP Annex 11 draft, A11-06).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/ledger/event.h"

namespace aliquot::identity {

struct SecurityPolicy {
  int password_min_length = 12;
  int password_history = 5;        // A new password may not be any of the last N.
  int password_max_age_days = 90;  // 0: passwords never expire.
  int lockout_threshold = 5;       // Consecutive failures (sign-in or signing) that lock.
  int lockout_minutes = 30;        // 0: locked until an administrator unlocks.
  int session_idle_minutes = 15;
  int session_max_hours = 12;
  bool totp_required_for_signing = false;

  friend bool operator==(const SecurityPolicy&, const SecurityPolicy&) = default;
};

// Checks every field's range. Returns kInvalidArgument naming the field ("password_min_length
// must be from 8 to 128").
Status ValidatePolicy(const SecurityPolicy& policy);
// The policy as the JSON object events and the API carry, and back. FromJson returns
// kInvalidArgument naming the member that is missing, of the wrong type or out of range.
Json PolicyToJson(const SecurityPolicy& policy);
Result<SecurityPolicy> PolicyFromJson(const Json& json, std::string_view field_prefix = "");

struct SiteState {
  bool exists = false;
  std::string id;
  std::string name;
  SecurityPolicy policy;
};

ledger::StreamRef SiteStream(std::string_view site_id);

// Site ids are short codes: 2-16 of A-Z, 0-9 and '-' ("LEI", "SUITE-2").
Status ValidateSiteId(std::string_view id, std::string_view field);

struct CreateSiteCommand {
  std::string id;
  std::string name;
  SecurityPolicy policy;
};

// Returns kAlreadyExists when the id is taken (ids are never reused), kInvalidArgument for a bad
// id, name (1-200 characters) or policy.
Result<ledger::NewEvent> CreateSite(const SiteState& state, const CreateSiteCommand& command,
                                    const ledger::Actor& actor, std::string_view terminal);

// Returns kNotFound for an unknown site, kInvalidArgument for a bad policy or an empty reason,
// kFailedPrecondition when nothing would change.
Result<ledger::NewEvent> SetPolicy(const SiteState& state, const SecurityPolicy& policy,
                                   std::string_view reason, const ledger::Actor& actor,
                                   std::string_view terminal);

}  // namespace aliquot::identity
