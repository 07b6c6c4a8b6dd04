// Terminals: the registered devices requests come from (a tablet in suite 2, a QA workstation, an
// instrument gateway). Every request names its terminal by the token issued at registration,
// every event records the terminal, and a site can restrict what a terminal may do
// (21 CFR 11.10(h), P11-08; ALCOA+ attributable to a device, AL-03).
#pragma once

#include <bitset>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/result.h"
#include "aliquot/domain/identity/permission.h"
#include "aliquot/ledger/event.h"

namespace aliquot::identity {

// A set of actions: the ones a restricted terminal may perform.
class ActionSet {
 public:
  // Room for every Action (the permission table asserts it fits).
  static constexpr std::size_t kCapacity = 128;

  void Add(Action action) { bits_.set(static_cast<std::size_t>(action)); }
  bool Contains(Action action) const { return bits_.test(static_cast<std::size_t>(action)); }
  bool Empty() const { return bits_.none(); }
  std::vector<Action> Members() const;
  friend bool operator==(const ActionSet&, const ActionSet&) = default;

 private:
  std::bitset<kCapacity> bits_;
};

enum class TerminalKind { kTablet, kWorkstation, kInstrumentGateway };
std::string_view TerminalKindName(TerminalKind kind);
std::optional<TerminalKind> TerminalKindFromName(std::string_view name);

enum class TerminalStatus { kActive, kRetired };

struct TerminalState {
  bool exists = false;
  std::string id;  // "SUITE2-TAB1"
  std::string site;
  std::string name;      // "Suite 2 tablet 1"
  std::string location;  // "Grade B suite 2, bench 1"
  TerminalKind kind = TerminalKind::kTablet;
  TerminalStatus status = TerminalStatus::kActive;
  bool restricted = false;  // When true, only `allowed` (and self-service) actions.
  ActionSet allowed;
  std::string token_sha256;  // Hex SHA-256 of the token; the token itself is never stored.

  // Whether this terminal may be used for `action`. Self-service actions (one's own session and
  // account) are allowed on every terminal, so nobody is stuck signed in on a restricted one.
  bool Permits(Action action) const;
};

ledger::StreamRef TerminalStream(std::string_view terminal_id);

// Terminal ids: 2-32 of A-Z, 0-9 and '-'.
Status ValidateTerminalId(std::string_view id, std::string_view field);

struct RegisterTerminalCommand {
  std::string id;
  std::string site;
  std::string name;
  std::string location;
  TerminalKind kind = TerminalKind::kTablet;
  std::string token_sha256;
  bool restricted = false;
  ActionSet allowed;
};

// Returns kAlreadyExists for an id ever used, kInvalidArgument naming the field at fault
// (including a site not in `sites`).
Result<ledger::NewEvent> RegisterTerminal(const TerminalState& state,
                                          const RegisterTerminalCommand& command,
                                          const std::vector<std::string>& sites,
                                          const ledger::Actor& actor, std::string_view terminal);
// Sets the actions the terminal may perform; `restricted` false lifts the restriction.
Result<ledger::NewEvent> RestrictTerminal(const TerminalState& state, bool restricted,
                                          ActionSet allowed, std::string_view reason,
                                          const ledger::Actor& actor, std::string_view terminal);
// Returns kFailedPrecondition for a retired terminal, or for retiring the terminal the request
// comes from.
Result<ledger::NewEvent> RetireTerminal(const TerminalState& state, std::string_view reason,
                                        const ledger::Actor& actor, std::string_view terminal);

}  // namespace aliquot::identity
