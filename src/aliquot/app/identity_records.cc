#include "aliquot/app/identity_records.h"

#include <algorithm>
#include <utility>

#include "aliquot/core/json.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::app {
namespace {

using identity::AccountStatus;
using identity::SiteRole;

// Password hashes kept for the history rule: the policy's largest history.
constexpr std::size_t kMaxPasswordHistory = 24;

const TableSpec& SitesTable() {
  static const TableSpec kTable{"sites",
                                {{"site_id", ColumnType::kText},
                                 {"name", ColumnType::kText},
                                 {"policy", ColumnType::kText},
                                 {"created_at", ColumnType::kText}},
                                1};
  return kTable;
}
enum SiteColumn : std::size_t { kSiteId, kSiteName, kSitePolicy, kSiteCreatedAt };

const TableSpec& UsersTable() {
  static const TableSpec kTable{"users",
                                {{"user_id", ColumnType::kText},
                                 {"printed_name", ColumnType::kText},
                                 {"status", ColumnType::kText},
                                 {"roles", ColumnType::kText},
                                 {"sealed_password", ColumnType::kText},
                                 {"password_history", ColumnType::kText},
                                 {"password_set_at", ColumnType::kInteger},
                                 {"password_change_required", ColumnType::kInteger},
                                 {"failed_attempts", ColumnType::kInteger},
                                 {"locked_at", ColumnType::kInteger, /*nullable=*/true},
                                 {"sealed_totp_secret", ColumnType::kText},
                                 {"totp_last_step", ColumnType::kInteger, /*nullable=*/true},
                                 {"created_at", ColumnType::kText},
                                 {"last_sign_in_at", ColumnType::kText, /*nullable=*/true}},
                                1};
  return kTable;
}
enum UserColumn : std::size_t {
  kUserId,
  kPrintedName,
  kStatus,
  kRoles,
  kSealedPassword,
  kPasswordHistory,
  kPasswordSetAt,
  kPasswordChangeRequired,
  kFailedAttempts,
  kLockedAt,
  kSealedTotpSecret,
  kTotpLastStep,
  kCreatedAt,
  kLastSignInAt,
};

// Who holds which role where: (site, role) prefixes answer "every qa_approver at LEI".
const TableSpec& UserRolesTable() {
  static const TableSpec kTable{
      "user_roles",
      {{"site_id", ColumnType::kText}, {"role", ColumnType::kText}, {"user_id", ColumnType::kText}},
      3};
  return kTable;
}

const TableSpec& TerminalsTable() {
  static const TableSpec kTable{"terminals",
                                {{"terminal_id", ColumnType::kText},
                                 {"site_id", ColumnType::kText},
                                 {"name", ColumnType::kText},
                                 {"location", ColumnType::kText},
                                 {"kind", ColumnType::kText},
                                 {"status", ColumnType::kText},
                                 {"restricted", ColumnType::kInteger},
                                 {"allowed_actions", ColumnType::kText},
                                 {"token_sha256", ColumnType::kText},
                                 {"registered_at", ColumnType::kText}},
                                1};
  return kTable;
}
enum TerminalColumn : std::size_t {
  kTerminalId,
  kTerminalSite,
  kTerminalName,
  kLocation,
  kKind,
  kTerminalStatus,
  kRestricted,
  kAllowedActions,
  kTokenSha256,
  kRegisteredAt,
};

const TableSpec& TerminalTokensTable() {
  static const TableSpec kTable{
      "terminal_tokens",
      {{"token_sha256", ColumnType::kText}, {"terminal_id", ColumnType::kText}},
      1};
  return kTable;
}

const TableSpec& SignaturesTable() {
  static const TableSpec kTable{"signatures",
                                {{"record_type", ColumnType::kText},
                                 {"record_id", ColumnType::kText},
                                 {"seq", ColumnType::kInteger},
                                 {"signer_id", ColumnType::kText},
                                 {"printed_name", ColumnType::kText},
                                 {"meaning", ColumnType::kText},
                                 {"signed_at", ColumnType::kInteger},
                                 {"comment", ColumnType::kText, /*nullable=*/true},
                                 {"content_hash", ColumnType::kText}},
                                3};
  return kTable;
}
enum SignatureColumn : std::size_t {
  kRecordType,
  kRecordId,
  kSignatureSeq,
  kSignerId,
  kSignerName,
  kMeaning,
  kSignedAt,
  kComment,
  kContentHash,
};

Result<Json> ParseStored(const std::string& text, const char* what) {
  auto json = ParseJson(text);
  if (!json) return Unexpected(DataLoss(std::string(what) + ": " + json.error().Message()));
  return json;
}

class IdentityProjector final : public Projector {
 public:
  const std::vector<TableSpec>& Tables() const override {
    static const std::vector<TableSpec> kTables{SitesTable(),          UsersTable(),
                                                UserRolesTable(),      TerminalsTable(),
                                                TerminalTokensTable(), SignaturesTable()};
    return kTables;
  }

  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    if (!event.event_type.starts_with("identity.")) return {};
    ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                             ledger::PayloadReader::Parse(event));
    if (event.stream.type == "site") return ApplyToSite(event, payload, writer);
    if (event.stream.type == "user") return ApplyToUser(event, payload, writer);
    if (event.stream.type == "terminal") return ApplyToTerminal(event, payload, writer);
    if (event.stream.type == "signature") return ApplySignature(event, payload, writer);
    return {};
  }

 private:
  static Status ApplyToSite(const ledger::Event& event, const ledger::PayloadReader& payload,
                            ProjectionWriter& writer) {
    ALIQUOT_ASSIGN_OR_RETURN(const Json* policy, payload.Object("policy"));
    if (event.event_type == "identity.site_created") {
      ALIQUOT_ASSIGN_OR_RETURN(std::string name, payload.String("name"));
      return writer.Upsert(SitesTable(), {event.stream.id, std::move(name), CanonicalJson(*policy),
                                          event.time.ToRfc3339()});
    }
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> row,
                             writer.Get(SitesTable(), Row{event.stream.id}));
    if (!row) return Unexpected(payload.Corrupt("the site was never created"));
    if (event.event_type == "identity.policy_set") (*row)[kSitePolicy] = CanonicalJson(*policy);
    return writer.Upsert(SitesTable(), *row);
  }

  static Status ApplyToUser(const ledger::Event& event, const ledger::PayloadReader& payload,
                            ProjectionWriter& writer) {
    const std::string& type = event.event_type;
    if (type == "identity.user_created") return CreateUser(event, payload, writer);
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> found,
                             writer.Get(UsersTable(), Row{event.stream.id}));
    if (!found) return Unexpected(payload.Corrupt("the user was never created"));
    Row row = std::move(*found);
    if (type == "identity.user_renamed") {
      ALIQUOT_ASSIGN_OR_RETURN(row[kPrintedName], payload.String("printed_name"));
    } else if (type == "identity.roles_assigned") {
      ALIQUOT_RETURN_IF_ERROR(ReplaceRoles(event, payload, row, writer));
    } else if (type == "identity.user_deactivated") {
      row[kStatus] = std::string("deactivated");
    } else if (type == "identity.user_reactivated") {
      row[kStatus] = std::string("active");
    } else if (type == "identity.password_changed" || type == "identity.password_reset") {
      ALIQUOT_RETURN_IF_ERROR(NewPassword(event, payload, row));
      if (type == "identity.password_reset") {
        row[kFailedAttempts] = std::int64_t{0};
        row[kLockedAt] = Value{};
      }
    } else if (type == "identity.user_unlocked") {
      row[kFailedAttempts] = std::int64_t{0};
      row[kLockedAt] = Value{};
    } else if (type == "identity.totp_enrolled") {
      ALIQUOT_ASSIGN_OR_RETURN(row[kSealedTotpSecret], payload.String("sealed_secret"));
      ALIQUOT_ASSIGN_OR_RETURN(row[kTotpLastStep], payload.Integer("totp_step"));
    } else if (type == "identity.totp_reset") {
      row[kSealedTotpSecret] = std::string();
      row[kTotpLastStep] = Value{};
    } else if (type == "identity.signed_in" || type == "identity.reauthenticated" ||
               type == "identity.sign_in_failed" || type == "identity.reauthentication_failed") {
      ALIQUOT_ASSIGN_OR_RETURN(row[kFailedAttempts], payload.Integer("failed_attempts"));
      ALIQUOT_ASSIGN_OR_RETURN(const bool locked, payload.Bool("locked"));
      if (!locked) {
        row[kLockedAt] = Value{};
      } else if (std::holds_alternative<std::monostate>(row[kLockedAt])) {
        row[kLockedAt] = event.time.Micros();
      }
      if (const Json* step = payload.Find("totp_step"); step != nullptr && step->AsInteger()) {
        row[kTotpLastStep] = *step->AsInteger();
      }
      if (type == "identity.signed_in") row[kLastSignInAt] = event.time.ToRfc3339();
    } else if (type == "identity.account_locked") {
      // Each lock starts its own period, also after an earlier lock ran out.
      row[kLockedAt] = event.time.Micros();
    } else {
      return {};  // Sign-outs and denials are on the record; they change no state.
    }
    return writer.Upsert(UsersTable(), row);
  }

  enum RoleRows { kInsert, kDelete };

  // Inserts or deletes the user_roles rows of `roles` (the JSON array events carry).
  static Status WriteRoles(const ledger::PayloadReader& payload, const Json& roles,
                           const std::string& user_id, ProjectionWriter& writer, RoleRows what) {
    auto parsed = identity::RolesFromJson(roles, "roles");
    if (!parsed) return Unexpected(payload.Corrupt(parsed.error().Message()));
    for (const SiteRole& role : *parsed) {
      const Row key{role.site, std::string(identity::RoleName(role.role)), user_id};
      ALIQUOT_RETURN_IF_ERROR(what == kInsert ? writer.Upsert(UserRolesTable(), key)
                                              : writer.Delete(UserRolesTable(), key));
    }
    return {};
  }

  static Status CreateUser(const ledger::Event& event, const ledger::PayloadReader& payload,
                           ProjectionWriter& writer) {
    ALIQUOT_ASSIGN_OR_RETURN(std::string name, payload.String("printed_name"));
    ALIQUOT_ASSIGN_OR_RETURN(std::string sealed, payload.String("sealed_password"));
    ALIQUOT_ASSIGN_OR_RETURN(const bool change, payload.Bool("password_change_required"));
    ALIQUOT_ASSIGN_OR_RETURN(const Json* roles_json, payload.Array("roles"));
    ALIQUOT_RETURN_IF_ERROR(WriteRoles(payload, *roles_json, event.stream.id, writer, kInsert));
    return writer.Upsert(
        UsersTable(),
        {event.stream.id, std::move(name), std::string("active"), CanonicalJson(*roles_json),
         std::move(sealed), std::string("[]"), event.time.Micros(), std::int64_t{change ? 1 : 0},
         std::int64_t{0}, Value{}, std::string(), Value{}, event.time.ToRfc3339(), Value{}});
  }

  static Status ReplaceRoles(const ledger::Event& event, const ledger::PayloadReader& payload,
                             Row& row, ProjectionWriter& writer) {
    ALIQUOT_ASSIGN_OR_RETURN(const Json old_roles, ParseStored(Text(row, kRoles), "users.roles"));
    ALIQUOT_RETURN_IF_ERROR(WriteRoles(payload, old_roles, event.stream.id, writer, kDelete));
    ALIQUOT_ASSIGN_OR_RETURN(const Json* roles_json, payload.Array("roles"));
    ALIQUOT_RETURN_IF_ERROR(WriteRoles(payload, *roles_json, event.stream.id, writer, kInsert));
    row[kRoles] = CanonicalJson(*roles_json);
    return {};
  }

  static Status NewPassword(const ledger::Event& event, const ledger::PayloadReader& payload,
                            Row& row) {
    ALIQUOT_ASSIGN_OR_RETURN(std::string sealed, payload.String("sealed_password"));
    ALIQUOT_ASSIGN_OR_RETURN(const bool change, payload.Bool("password_change_required"));
    ALIQUOT_ASSIGN_OR_RETURN(Json history,
                             ParseStored(Text(row, kPasswordHistory), "users.password_history"));
    if (!history.IsArray()) return Unexpected(payload.Corrupt("password history is not an array"));
    Json::Array& entries = history.AsArray();
    entries.insert(entries.begin(), Json(Text(row, kSealedPassword)));
    if (entries.size() > kMaxPasswordHistory) entries.resize(kMaxPasswordHistory);
    row[kPasswordHistory] = CanonicalJson(history);
    row[kSealedPassword] = std::move(sealed);
    row[kPasswordSetAt] = event.time.Micros();
    row[kPasswordChangeRequired] = std::int64_t{change ? 1 : 0};
    return {};
  }

  static Status ApplyToTerminal(const ledger::Event& event, const ledger::PayloadReader& payload,
                                ProjectionWriter& writer) {
    if (event.event_type == "identity.terminal_registered") {
      ALIQUOT_ASSIGN_OR_RETURN(std::string site, payload.String("site"));
      ALIQUOT_ASSIGN_OR_RETURN(std::string name, payload.String("name"));
      ALIQUOT_ASSIGN_OR_RETURN(std::string location, payload.String("location"));
      ALIQUOT_ASSIGN_OR_RETURN(std::string kind, payload.String("kind"));
      ALIQUOT_ASSIGN_OR_RETURN(std::string token, payload.String("token_sha256"));
      ALIQUOT_ASSIGN_OR_RETURN(const bool restricted, payload.Bool("restricted"));
      ALIQUOT_ASSIGN_OR_RETURN(const Json* allowed, payload.Array("allowed_actions"));
      ALIQUOT_RETURN_IF_ERROR(writer.Upsert(TerminalTokensTable(), {token, event.stream.id}));
      return writer.Upsert(
          TerminalsTable(),
          {event.stream.id, std::move(site), std::move(name), std::move(location), std::move(kind),
           std::string("active"), std::int64_t{restricted ? 1 : 0}, CanonicalJson(*allowed),
           std::move(token), event.time.ToRfc3339()});
    }
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> found,
                             writer.Get(TerminalsTable(), Row{event.stream.id}));
    if (!found) return Unexpected(payload.Corrupt("the terminal was never registered"));
    Row row = std::move(*found);
    if (event.event_type == "identity.terminal_restricted") {
      ALIQUOT_ASSIGN_OR_RETURN(const bool restricted, payload.Bool("restricted"));
      ALIQUOT_ASSIGN_OR_RETURN(const Json* allowed, payload.Array("allowed_actions"));
      row[kRestricted] = std::int64_t{restricted ? 1 : 0};
      row[kAllowedActions] = CanonicalJson(*allowed);
    } else if (event.event_type == "identity.terminal_retired") {
      row[kTerminalStatus] = std::string("retired");
    } else {
      return {};
    }
    return writer.Upsert(TerminalsTable(), row);
  }

  static Status ApplySignature(const ledger::Event& event, const ledger::PayloadReader& payload,
                               ProjectionWriter& writer) {
    if (event.event_type != "identity.signature_applied") return {};
    auto signature = identity::SignatureFromEvent(payload);
    if (!signature) return Unexpected(signature.error());
    return writer.Upsert(
        SignaturesTable(),
        {signature->record.type, signature->record.id, static_cast<std::int64_t>(event.seq),
         signature->signer_id, signature->printed_name,
         std::string(identity::MeaningName(signature->meaning)), event.time.Micros(),
         signature->comment ? Value(*signature->comment) : Value{}, signature->content_hash});
  }
};

Result<identity::SiteState> SiteFromRow(const Row& row) {
  identity::SiteState site;
  site.exists = true;
  site.id = Text(row, kSiteId);
  site.name = Text(row, kSiteName);
  ALIQUOT_ASSIGN_OR_RETURN(const Json policy, ParseStored(Text(row, kSitePolicy), "sites.policy"));
  auto parsed = identity::PolicyFromJson(policy);
  if (!parsed)
    return Unexpected(DataLoss("sites.policy of " + site.id + ": " + parsed.error().Message()));
  site.policy = *parsed;
  return site;
}

Result<identity::UserState> UserFromRow(const Row& row) {
  identity::UserState user;
  user.exists = true;
  user.id = Text(row, kUserId);
  user.printed_name = Text(row, kPrintedName);
  user.status =
      Text(row, kStatus) == "active" ? AccountStatus::kActive : AccountStatus::kDeactivated;
  ALIQUOT_ASSIGN_OR_RETURN(const Json roles, ParseStored(Text(row, kRoles), "users.roles"));
  auto parsed = identity::RolesFromJson(roles, "roles");
  if (!parsed)
    return Unexpected(DataLoss("users.roles of " + user.id + ": " + parsed.error().Message()));
  user.roles = std::move(*parsed);
  user.sealed_password = Text(row, kSealedPassword);
  ALIQUOT_ASSIGN_OR_RETURN(const Json history,
                           ParseStored(Text(row, kPasswordHistory), "users.password_history"));
  if (!history.IsArray()) return Unexpected(DataLoss("users.password_history is not an array"));
  for (const Json& entry : history.AsArray()) {
    if (!entry.IsString()) return Unexpected(DataLoss("users.password_history holds a non-string"));
    user.sealed_password_history.push_back(entry.AsString());
  }
  user.password_set_at = Timestamp::FromMicros(Int(row, kPasswordSetAt));
  user.password_change_required = Int(row, kPasswordChangeRequired) != 0;
  user.failed_attempts = static_cast<int>(Int(row, kFailedAttempts));
  if (std::holds_alternative<std::int64_t>(row[kLockedAt])) {
    user.locked_at = Timestamp::FromMicros(Int(row, kLockedAt));
  }
  user.sealed_totp_secret = Text(row, kSealedTotpSecret);
  if (std::holds_alternative<std::int64_t>(row[kTotpLastStep])) {
    user.totp_last_step = Int(row, kTotpLastStep);
  }
  return user;
}

Result<identity::TerminalState> TerminalFromRow(const Row& row) {
  identity::TerminalState terminal;
  terminal.exists = true;
  terminal.id = Text(row, kTerminalId);
  terminal.site = Text(row, kTerminalSite);
  terminal.name = Text(row, kTerminalName);
  terminal.location = Text(row, kLocation);
  const auto kind = identity::TerminalKindFromName(Text(row, kKind));
  if (!kind) return Unexpected(DataLoss("terminals.kind of " + terminal.id + " is unknown"));
  terminal.kind = *kind;
  terminal.status = Text(row, kTerminalStatus) == "active" ? identity::TerminalStatus::kActive
                                                           : identity::TerminalStatus::kRetired;
  terminal.restricted = Int(row, kRestricted) != 0;
  ALIQUOT_ASSIGN_OR_RETURN(const Json allowed,
                           ParseStored(Text(row, kAllowedActions), "terminals.allowed_actions"));
  if (!allowed.IsArray()) return Unexpected(DataLoss("terminals.allowed_actions is not an array"));
  for (const Json& name : allowed.AsArray()) {
    const auto action = name.IsString() ? identity::ActionFromName(name.AsString()) : std::nullopt;
    if (!action) {
      return Unexpected(
          DataLoss("terminals.allowed_actions of " + terminal.id + " names an unknown action"));
    }
    terminal.allowed.Add(*action);
  }
  terminal.token_sha256 = Text(row, kTokenSha256);
  return terminal;
}

// The state in `table`'s row keyed `id`, or a State that does not exist (with its id) when
// there is no such row.
template <typename State>
Result<State> LoadOne(StoreReader& reader, const TableSpec& table, const std::string& id,
                      Result<State> (*from_row)(const Row&)) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> row, reader.GetRow(table, Row{id}));
  if (row) return from_row(*row);
  State missing;
  missing.id = id;
  return missing;
}

// Every row of `table` as a State, in key order.
template <typename State>
Result<std::vector<State>> LoadAll(StoreReader& reader, const TableSpec& table,
                                   Result<State> (*from_row)(const Row&)) {
  std::vector<State> states;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(table, [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(State state, from_row(row));
    states.push_back(std::move(state));
    return {};
  }));
  return states;
}

}  // namespace

std::unique_ptr<Projector> MakeIdentityProjector() { return std::make_unique<IdentityProjector>(); }

Result<identity::SiteState> LoadSite(StoreReader& reader, const std::string& site_id) {
  return LoadOne(reader, SitesTable(), site_id, &SiteFromRow);
}

Result<identity::UserState> LoadUser(StoreReader& reader, const std::string& user_id) {
  return LoadOne(reader, UsersTable(), user_id, &UserFromRow);
}

Result<identity::TerminalState> LoadTerminal(StoreReader& reader, const std::string& terminal_id) {
  return LoadOne(reader, TerminalsTable(), terminal_id, &TerminalFromRow);
}

Result<std::optional<identity::TerminalState>> LoadTerminalByToken(
    StoreReader& reader, const std::string& token_sha256) {
  ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> token,
                           reader.GetRow(TerminalTokensTable(), Row{token_sha256}));
  if (!token) return std::optional<identity::TerminalState>();
  ALIQUOT_ASSIGN_OR_RETURN(identity::TerminalState terminal, LoadTerminal(reader, Text(*token, 1)));
  if (!terminal.exists) {
    return Unexpected(DataLoss("terminal_tokens names the unknown terminal " + terminal.id));
  }
  return std::optional<identity::TerminalState>(std::move(terminal));
}

Result<std::vector<identity::SiteState>> LoadSites(StoreReader& reader) {
  return LoadAll(reader, SitesTable(), &SiteFromRow);
}

Result<std::vector<std::string>> LoadSiteIds(StoreReader& reader) {
  std::vector<std::string> ids;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(SitesTable(), [&](const Row& row) -> Status {
    ids.push_back(Text(row, kSiteId));
    return {};
  }));
  return ids;
}

Result<std::vector<identity::UserState>> LoadUsers(StoreReader& reader) {
  return LoadAll(reader, UsersTable(), &UserFromRow);
}

Result<std::vector<identity::TerminalState>> LoadTerminals(StoreReader& reader) {
  return LoadAll(reader, TerminalsTable(), &TerminalFromRow);
}

Result<std::vector<std::string>> UsersWithRole(StoreReader& reader, const std::string& site,
                                               identity::Role role) {
  std::vector<std::string> users;
  ALIQUOT_RETURN_IF_ERROR(
      reader.ScanRowsWithPrefix(UserRolesTable(), Row{site, std::string(identity::RoleName(role))},
                                [&](const Row& row) -> Status {
                                  users.push_back(Text(row, 2));
                                  return {};
                                }));
  return users;
}

Result<std::vector<identity::ElectronicSignature>> LoadSignatures(
    StoreReader& reader, const identity::RecordRef& record) {
  std::vector<identity::ElectronicSignature> signatures;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRowsWithPrefix(
      SignaturesTable(), Row{record.type, record.id}, [&](const Row& row) -> Status {
        identity::ElectronicSignature signature;
        signature.seq = static_cast<std::uint64_t>(Int(row, kSignatureSeq));
        signature.record = record;
        signature.signer_id = Text(row, kSignerId);
        signature.printed_name = Text(row, kSignerName);
        const auto meaning = identity::MeaningFromName(Text(row, kMeaning));
        if (!meaning) return Unexpected(DataLoss("signatures.meaning is unknown"));
        signature.meaning = *meaning;
        signature.time = Timestamp::FromMicros(Int(row, kSignedAt));
        if (std::holds_alternative<std::string>(row[kComment])) {
          signature.comment = Text(row, kComment);
        }
        signature.content_hash = Text(row, kContentHash);
        signatures.push_back(std::move(signature));
        return {};
      }));
  return signatures;
}

}  // namespace aliquot::app
