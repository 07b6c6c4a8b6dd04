#include "aliquot/domain/identity/authorization.h"

namespace aliquot::identity {
namespace {

std::string RoleList(RoleSet roles) {
  std::string list;
  for (Role role : kAllRoles) {
    if (!roles.Contains(role)) continue;
    if (!list.empty()) list += ", ";
    list += RoleName(role);
  }
  return list.empty() ? "none" : list;
}

}  // namespace

Status Authorize(const Principal& principal, const TerminalState& terminal, Action action) {
  const ActionDefinition& definition = DefinitionOf(action);
  if (principal.password_change_required && definition.kind != ActionKind::kSelfService) {
    return Unexpected(
        PermissionDenied("change your password first: it is temporary or has expired", "password"));
  }
  if (!terminal.Permits(action)) {
    return Unexpected(PermissionDenied("the terminal " + terminal.id + " (" + terminal.name +
                                           ") may not be used to " + std::string(definition.name),
                                       "terminal"));
  }
  if (!Permits(principal.roles, action)) {
    return Unexpected(PermissionDenied(std::string(definition.name) + " (" +
                                           std::string(definition.description) +
                                           ") is not permitted to your roles at site " +
                                           principal.site + " (" + RoleList(principal.roles) + ")",
                                       "action"));
  }
  return {};
}

}  // namespace aliquot::identity
