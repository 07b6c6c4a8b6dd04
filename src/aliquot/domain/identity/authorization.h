// The authorisation check every use case runs first (21 CFR 11.10(d) and (g), P11-04, P11-07;
// device checks, P11-08): may this person, with their roles at the terminal's site, perform this
// action from this terminal? Cheap enough to run on every request: no allocation unless refused.
#pragma once

#include <string>

#include "aliquot/core/result.h"
#include "aliquot/domain/identity/permission.h"
#include "aliquot/domain/identity/role.h"
#include "aliquot/domain/identity/terminal.h"

namespace aliquot::identity {

// The authenticated person behind a request.
struct Principal {
  std::string user_id;
  std::string printed_name;
  std::string site;  // The terminal's site: roles there are the ones that count.
  RoleSet roles;     // The user's roles at `site`.
  // A temporary or expired password: until it is changed, only self-service actions.
  bool password_change_required = false;
};

// Returns kPermissionDenied with the exact reason: the password must be changed first (field
// "password"), the terminal may not be used for the action (field "terminal"), or no role of the
// user at the site permits it (field "action").
Status Authorize(const Principal& principal, const TerminalState& terminal, Action action);

}  // namespace aliquot::identity
