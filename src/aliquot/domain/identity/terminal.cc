#include "aliquot/domain/identity/terminal.h"

#include <utility>

#include "aliquot/core/text.h"

namespace aliquot::identity {
namespace {

constexpr std::pair<TerminalKind, std::string_view> kKindNames[] = {
    {TerminalKind::kTablet, "tablet"},
    {TerminalKind::kWorkstation, "workstation"},
    {TerminalKind::kInstrumentGateway, "instrument_gateway"},
};

Json ActionsToJson(ActionSet actions) {
  Json array = Json::MakeArray();
  for (Action action : actions.Members()) array.Push(ActionName(action));
  return array;
}

ledger::NewEvent TerminalEvent(const TerminalState& state, std::string_view type,
                               const ledger::Actor& actor, std::string_view terminal) {
  ledger::NewEvent event = ledger::NewEvent::On(TerminalStream(state.id), type, actor, terminal);
  event.payload.Set("terminal_id", state.id);
  return event;
}

Status RequireActive(const TerminalState& state) {
  if (!state.exists) return Unexpected(NotFound("no terminal " + state.id, "terminal"));
  if (state.status != TerminalStatus::kActive) {
    return Unexpected(FailedPrecondition("the terminal " + state.id + " is retired"));
  }
  return {};
}

}  // namespace

std::vector<Action> ActionSet::Members() const {
  std::vector<Action> members;
  for (const ActionDefinition& definition : Actions()) {
    if (Contains(definition.action)) members.push_back(definition.action);
  }
  return members;
}

std::string_view TerminalKindName(TerminalKind kind) {
  for (const auto& [value, name] : kKindNames) {
    if (value == kind) return name;
  }
  return "tablet";
}

std::optional<TerminalKind> TerminalKindFromName(std::string_view name) {
  for (const auto& [value, text] : kKindNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

bool TerminalState::Permits(Action action) const {
  if (status != TerminalStatus::kActive) return false;
  if (!restricted || DefinitionOf(action).kind == ActionKind::kSelfService) return true;
  return allowed.Contains(action);
}

ledger::StreamRef TerminalStream(std::string_view terminal_id) {
  return {"terminal", std::string(terminal_id)};
}

Status ValidateTerminalId(std::string_view id, std::string_view field) {
  if (!IsUpperCaseCode(id, 2, 32)) {
    return Unexpected(InvalidArgument(std::string(field) + " must be 2-32 of A-Z, 0-9 and '-'",
                                      std::string(field)));
  }
  return {};
}

Result<ledger::NewEvent> RegisterTerminal(const TerminalState& state,
                                          const RegisterTerminalCommand& command,
                                          const std::vector<std::string>& sites,
                                          const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(ValidateTerminalId(command.id, "terminal_id"));
  if (std::find(sites.begin(), sites.end(), command.site) == sites.end()) {
    return Unexpected(InvalidArgument("no site " + command.site.substr(0, 40), "site"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.name, "name", 1, 128));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.location, "location", 1, 200));
  if (state.exists) {
    return Unexpected(AlreadyExists(
        "the terminal id " + command.id + " is taken (" + state.name + "); ids are never reused",
        "terminal_id"));
  }
  TerminalState created;
  created.id = command.id;
  ledger::NewEvent event = TerminalEvent(created, "identity.terminal_registered", actor, terminal);
  event.payload.Set("site", command.site);
  event.payload.Set("name", command.name);
  event.payload.Set("location", command.location);
  event.payload.Set("kind", TerminalKindName(command.kind));
  event.payload.Set("token_sha256", command.token_sha256);
  event.payload.Set("restricted", command.restricted);
  event.payload.Set("allowed_actions", ActionsToJson(command.allowed));
  return event;
}

Result<ledger::NewEvent> RestrictTerminal(const TerminalState& state, bool restricted,
                                          ActionSet allowed, std::string_view reason,
                                          const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireActive(state));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 1, 1000));
  if (!restricted) allowed = ActionSet{};
  if (restricted == state.restricted && allowed == state.allowed) {
    return Unexpected(FailedPrecondition("the terminal " + state.id + " has these settings"));
  }
  ledger::NewEvent event = TerminalEvent(state, "identity.terminal_restricted", actor, terminal);
  event.reason = std::string(reason);
  event.payload.Set("restricted", restricted);
  event.payload.Set("allowed_actions", ActionsToJson(allowed));
  return event;
}

Result<ledger::NewEvent> RetireTerminal(const TerminalState& state, std::string_view reason,
                                        const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(RequireActive(state));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 1, 1000));
  if (terminal == state.id) {
    return Unexpected(FailedPrecondition("a terminal cannot retire itself; retire " + state.id +
                                         " from another terminal"));
  }
  ledger::NewEvent event = TerminalEvent(state, "identity.terminal_retired", actor, terminal);
  event.reason = std::string(reason);
  return event;
}

}  // namespace aliquot::identity
