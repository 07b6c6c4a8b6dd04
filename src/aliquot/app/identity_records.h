// The identity area's projection: sites, users and their roles, terminals and signatures as plain
// tables, kept by IdentityProjector from the identity.* events, and the functions that read them
// back into the domain's state types. Shared by the identity, session and signature services.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/identity/signature.h"
#include "aliquot/domain/identity/site.h"
#include "aliquot/domain/identity/terminal.h"
#include "aliquot/domain/identity/user.h"

namespace aliquot::app {

// Tables: sites, users, user_roles (site, role, user: who holds a role where), terminals,
// terminal_tokens (token hash -> terminal) and signatures (record type, record id, seq).
std::unique_ptr<Projector> MakeIdentityProjector();

// Each returns the state with `exists` false when there is no such row, and kDataLoss when a row
// cannot be read back (a projection edited behind the system's back).
Result<identity::SiteState> LoadSite(StoreReader& reader, const std::string& site_id);
Result<identity::UserState> LoadUser(StoreReader& reader, const std::string& user_id);
Result<identity::TerminalState> LoadTerminal(StoreReader& reader, const std::string& terminal_id);
// The terminal whose token hashes to `token_sha256` (hex), if any.
Result<std::optional<identity::TerminalState>> LoadTerminalByToken(StoreReader& reader,
                                                                   const std::string& token_sha256);

Result<std::vector<identity::SiteState>> LoadSites(StoreReader& reader);
Result<std::vector<std::string>> LoadSiteIds(StoreReader& reader);
Result<std::vector<identity::UserState>> LoadUsers(StoreReader& reader);
Result<std::vector<identity::TerminalState>> LoadTerminals(StoreReader& reader);
// The users holding `role` at `site`, in user id order.
Result<std::vector<std::string>> UsersWithRole(StoreReader& reader, const std::string& site,
                                               identity::Role role);
// A record's signatures, oldest first.
Result<std::vector<identity::ElectronicSignature>> LoadSignatures(
    StoreReader& reader, const identity::RecordRef& record);

}  // namespace aliquot::app
