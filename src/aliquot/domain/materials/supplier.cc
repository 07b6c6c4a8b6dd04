#include "aliquot/domain/materials/supplier.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "aliquot/core/enum_names.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/materials/codec.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::materials {
namespace {

constexpr std::string_view kCreated = "materials.supplier_created";
constexpr std::string_view kAudited = "materials.supplier_audited";
constexpr std::string_view kProposed = "materials.supplier_qualification_proposed";
constexpr std::string_view kQualified = "materials.supplier_qualified";
constexpr std::string_view kProposalRejected = "materials.supplier_qualification_rejected";

constexpr std::array<std::string_view, 3> kAuditKinds{"on_site", "remote", "questionnaire"};
// In the enums' order (core/enum_names.h).
constexpr std::array<std::string_view, 4> kSupplierStatusNames{"pending", "approved", "conditional",
                                                               "disqualified"};
constexpr std::array<std::string_view, 4> kAuditOutcomeNames{"satisfactory", "minor_findings",
                                                             "major_findings", "unsatisfactory"};
constexpr std::array<std::string_view, 3> kDecisionNames{"pending", "approved", "rejected"};

std::string Day(Timestamp time) { return time.ToRfc3339().substr(0, 10); }

ledger::NewEvent SupplierEvent(std::string_view supplier, std::string_view type,
                               const ledger::Actor& actor, std::string_view terminal) {
  return ledger::NewEvent::On(SupplierStream(supplier), type, actor, terminal);
}

std::optional<QualificationChange::Decision> DecisionFromName(std::string_view name) {
  return EnumFromName<QualificationChange::Decision>(kDecisionNames, name);
}

bool Qualifies(SupplierStatus status) {
  return status == SupplierStatus::kApproved || status == SupplierStatus::kConditional;
}

// The change as events and signed content carry it (instants as RFC 3339).
Json ChangeToJson(const QualificationChange& change) {
  Json json = Json::MakeObject();
  json.Set("status", SupplierStatusName(change.status));
  json.Set("materials", JsonStrings(change.materials));
  json.Set("qualified_until", OptionalRfc3339(change.qualified_until));
  json.Set("requalify_by", OptionalRfc3339(change.requalify_by));
  json.Set("conditions", change.conditions);
  json.Set("reason", change.reason);
  return json;
}

Result<QualificationChange> ChangeFromPayload(const ledger::PayloadReader& payload) {
  QualificationChange change;
  ALIQUOT_ASSIGN_OR_RETURN(const std::string status, payload.String("status"));
  const auto parsed = SupplierStatusFromName(status);
  if (!parsed) return Unexpected(payload.Corrupt("unknown status " + status));
  change.status = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(const Json* materials, payload.Array("materials"));
  for (const Json& material : materials->AsArray()) {
    if (!material.IsString()) return Unexpected(payload.Corrupt("a material is not a string"));
    change.materials.push_back(material.AsString());
  }
  ALIQUOT_ASSIGN_OR_RETURN(change.qualified_until, OptionalPayloadTime(payload, "qualified_until"));
  ALIQUOT_ASSIGN_OR_RETURN(change.requalify_by, OptionalPayloadTime(payload, "requalify_by"));
  ALIQUOT_ASSIGN_OR_RETURN(change.conditions, payload.String("conditions"));
  ALIQUOT_ASSIGN_OR_RETURN(change.reason, payload.String("reason"));
  return change;
}

}  // namespace

std::string_view SupplierStatusName(SupplierStatus status) {
  return EnumName(kSupplierStatusNames, status);
}

std::optional<SupplierStatus> SupplierStatusFromName(std::string_view name) {
  return EnumFromName<SupplierStatus>(kSupplierStatusNames, name);
}

std::string_view AuditOutcomeName(AuditOutcome outcome) {
  return EnumName(kAuditOutcomeNames, outcome);
}

std::optional<AuditOutcome> AuditOutcomeFromName(std::string_view name) {
  return EnumFromName<AuditOutcome>(kAuditOutcomeNames, name);
}

std::string_view DecisionName(QualificationChange::Decision decision) {
  return EnumName(kDecisionNames, decision);
}

ledger::StreamRef SupplierStream(std::string_view supplier_id) {
  return {"supplier", std::string(supplier_id)};
}

const Qualification* SupplierState::QualificationAt(Timestamp at) const {
  const Qualification* found = nullptr;
  for (const Qualification& qualification : history) {
    if (qualification.from > at) break;
    found = &qualification;
  }
  return found;
}

SupplierCheck QualifiedFor(const SupplierState& supplier, std::string_view material, Timestamp at) {
  const std::string who = "supplier " + supplier.id;
  const Qualification* in_force = supplier.QualificationAt(at);
  if (!supplier.exists || in_force == nullptr) {
    return {false, who + " did not exist on " + Day(at)};
  }
  if (!Qualifies(in_force->status)) {
    return {false, who + " is " + std::string(SupplierStatusName(in_force->status)) + " since " +
                       Day(in_force->from) + ", not qualified for " + std::string(material)};
  }
  if (std::find(in_force->materials.begin(), in_force->materials.end(), material) ==
      in_force->materials.end()) {
    return {false, who + " is not qualified to supply " + std::string(material)};
  }
  if (in_force->qualified_until && at >= *in_force->qualified_until) {
    return {false, who + "'s qualification for " + std::string(material) + " lapsed on " +
                       Day(*in_force->qualified_until) + " (requalification was due " +
                       (in_force->requalify_by ? Day(*in_force->requalify_by) : "earlier") + ")"};
  }
  return {true, who + " is " + std::string(SupplierStatusName(in_force->status)) + " for " +
                    std::string(material)};
}

Result<ledger::NewEvent> CreateSupplier(const SupplierState& state, const SupplierCommand& command,
                                        const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(CheckIdentifier(command.id, "supplier_id"));
  if (state.exists) {
    return Unexpected(AlreadyExists("supplier " + command.id + " exists", "supplier_id"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.name, "name", 2, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(command.address, "address", 2, 500));
  ledger::NewEvent event = SupplierEvent(command.id, kCreated, actor, terminal);
  event.payload.Set("name", command.name);
  event.payload.Set("address", command.address);
  return event;
}

Result<ledger::NewEvent> RecordAudit(const SupplierState& state, const AuditCommand& command,
                                     Timestamp now, const ledger::Actor& actor,
                                     std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no such supplier", "supplier_id"));
  if (command.performed_on > now) {
    return Unexpected(InvalidArgument("an audit is recorded once it has been performed; " +
                                          Day(command.performed_on) + " is in the future",
                                      "performed_on"));
  }
  if (std::find(kAuditKinds.begin(), kAuditKinds.end(), command.kind) == kAuditKinds.end()) {
    return Unexpected(InvalidArgument(
        "kind must be on_site, remote or questionnaire, not '" + command.kind.substr(0, 40) + "'",
        "kind"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(command.auditor, "auditor", 2, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(command.summary, "summary", 2, 4000));
  ledger::NewEvent event = SupplierEvent(state.id, kAudited, actor, terminal);
  event.payload.Set("performed_on", command.performed_on.ToRfc3339());
  event.payload.Set("kind", command.kind);
  event.payload.Set("outcome", AuditOutcomeName(command.outcome));
  event.payload.Set("auditor", command.auditor);
  event.payload.Set("summary", command.summary);
  event.payload.Set("report_sha256", OptionalStringToJson(command.report_sha256));
  return event;
}

Result<ledger::NewEvent> ProposeQualification(const SupplierState& state,
                                              const QualificationCommand& command,
                                              std::span<const std::string> known_materials,
                                              Timestamp now, const ledger::Actor& actor,
                                              std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no such supplier", "supplier_id"));
  if (state.proposed) {
    return Unexpected(FailedPrecondition("a change of " + state.id + "'s qualification (to " +
                                         std::string(SupplierStatusName(state.proposed->status)) +
                                         ") awaits QA's signature; approve or reject it first"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(command.reason, "reason", 3, 2000));
  const bool qualifies = Qualifies(command.status);
  if (!qualifies) {
    if (!command.materials.empty() || command.qualified_until || command.requalify_by) {
      return Unexpected(InvalidArgument(
          "a " + std::string(SupplierStatusName(command.status)) +
              " supplier is qualified for no materials and carries no qualification dates",
          !command.materials.empty() ? "materials"
          : command.qualified_until  ? "qualified_until"
                                     : "requalify_by"));
    }
  } else {
    if (command.materials.empty() || command.materials.size() > 500) {
      return Unexpected(
          InvalidArgument("name the 1-500 materials the supplier is qualified for", "materials"));
    }
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < command.materials.size(); ++i) {
      const std::string& material = command.materials[i];
      const std::string field = "materials[" + std::to_string(i) + "]";
      if (std::find(known_materials.begin(), known_materials.end(), material) ==
          known_materials.end()) {
        return Unexpected(
            NotFound("no purchased material " + material.substr(0, 40) + " is defined", field));
      }
      if (!seen.insert(material).second) {
        return Unexpected(InvalidArgument(material + " is listed twice", field));
      }
    }
    if (!command.qualified_until || *command.qualified_until <= now) {
      return Unexpected(InvalidArgument(
          "a qualification needs an end (qualified_until) after today", "qualified_until"));
    }
    if (!command.requalify_by || *command.requalify_by > *command.qualified_until) {
      return Unexpected(InvalidArgument(
          "requalification must be due (requalify_by) no later than the qualification ends, " +
              Day(*command.qualified_until),
          "requalify_by"));
    }
    if (command.status == SupplierStatus::kConditional) {
      ALIQUOT_RETURN_IF_ERROR(CheckParagraph(command.conditions, "conditions", 3, 2000));
    }
    if (command.status == SupplierStatus::kApproved) {
      // G-09: a supplier's reliability is established (an audit with an acceptable outcome)
      // before its certificates can stand in for testing.
      const bool established =
          std::any_of(state.audits.begin(), state.audits.end(), [](const SupplierAudit& audit) {
            return audit.outcome == AuditOutcome::kSatisfactory ||
                   audit.outcome == AuditOutcome::kMinorFindings;
          });
      if (!established) {
        return Unexpected(FailedPrecondition(
            "supplier " + state.id +
            " has no audit on record with a satisfactory outcome or minor findings; approve it "
            "conditionally or record the audit first (G-09)"));
      }
    }
  }
  if (command.status != SupplierStatus::kConditional && !command.conditions.empty()) {
    return Unexpected(
        InvalidArgument("only a conditional approval carries conditions", "conditions"));
  }
  ledger::NewEvent event = SupplierEvent(state.id, kProposed, actor, terminal);
  QualificationChange change;
  change.status = command.status;
  change.materials = command.materials;
  change.qualified_until = command.qualified_until;
  change.requalify_by = command.requalify_by;
  change.conditions = command.conditions;
  change.reason = command.reason;
  event.payload = ChangeToJson(change);
  return event;
}

Result<ledger::NewEvent> DecideQualification(const SupplierState& state, int number, bool approve,
                                             std::string_view signer, Timestamp now,
                                             const ledger::Actor& actor,
                                             std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no such supplier", "supplier_id"));
  if (!state.proposed || state.proposed->number != number) {
    return Unexpected(FailedPrecondition("proposal " + std::to_string(number) + " for " + state.id +
                                         "'s qualification does not await signature"));
  }
  const QualificationChange& change = *state.proposed;
  // A11-01: the change is checked by someone other than the person who proposed it.
  if (change.proposed_by == signer) {
    return Unexpected(PermissionDenied("you proposed this change of " + state.id +
                                       "'s qualification; another QA approver signs it"));
  }
  if (!approve) {
    return SupplierEvent(state.id, kProposalRejected, actor, terminal);
  }
  if (change.qualified_until && *change.qualified_until <= now) {
    return Unexpected(FailedPrecondition("the proposed qualification would already have ended on " +
                                         Day(*change.qualified_until) +
                                         "; reject it and propose anew"));
  }
  ledger::NewEvent event = SupplierEvent(state.id, kQualified, actor, terminal);
  event.payload = ChangeToJson(change);
  return event;
}

std::optional<Json> ProposalContent(const SupplierState& state, int number) {
  if (number < 1 || static_cast<std::size_t>(number) > state.proposals.size()) return std::nullopt;
  const QualificationChange& change = state.proposals[static_cast<std::size_t>(number) - 1];
  Json json = ChangeToJson(change);
  json.Set("supplier", state.id);
  json.Set("name", state.name);
  json.Set("proposal", number);
  json.Set("proposed_by", change.proposed_by);
  json.Set("proposed_at", change.proposed_at.ToRfc3339());
  return json;
}

std::string ProposalRecordId(std::string_view supplier, int number) {
  return std::string(supplier) + ":" + std::to_string(number);
}

std::optional<ProposalRef> ParseProposalRecordId(std::string_view id) {
  const std::size_t colon = id.rfind(':');
  // One spelling per record: "SUP-X:01" is not another name for "SUP-X:1", or its signatures
  // would be filed apart from the record's.
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == id.size() ||
      id.size() - colon > 6 || id[colon + 1] == '0') {
    return std::nullopt;
  }
  int number = 0;
  for (char c : id.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + (c - '0');
  }
  if (number < 1) return std::nullopt;
  return ProposalRef{std::string(id.substr(0, colon)), number};
}

Status ApplySupplierEvent(SupplierState& state, const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                           ledger::PayloadReader::Parse(event));
  if (event.event_type == kCreated) {
    if (state.exists) return Unexpected(payload.Corrupt("the supplier already exists"));
    state.exists = true;
    state.id = event.stream.id;
    ALIQUOT_ASSIGN_OR_RETURN(state.name, payload.String("name"));
    ALIQUOT_ASSIGN_OR_RETURN(state.address, payload.String("address"));
    state.created_at = event.time;
    Qualification pending;
    pending.from = event.time;
    pending.reason = "new supplier";
    state.history.push_back(std::move(pending));
    return {};
  }
  if (!state.exists) return Unexpected(payload.Corrupt("no such supplier"));
  if (event.event_type == kAudited) {
    SupplierAudit audit;
    ALIQUOT_ASSIGN_OR_RETURN(audit.performed_on, PayloadTime(payload, "performed_on"));
    ALIQUOT_ASSIGN_OR_RETURN(audit.kind, payload.String("kind"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string outcome, payload.String("outcome"));
    const auto parsed = AuditOutcomeFromName(outcome);
    if (!parsed) return Unexpected(payload.Corrupt("unknown audit outcome " + outcome));
    audit.outcome = *parsed;
    ALIQUOT_ASSIGN_OR_RETURN(audit.auditor, payload.String("auditor"));
    ALIQUOT_ASSIGN_OR_RETURN(audit.summary, payload.String("summary"));
    if (const Json* report = payload.Find("report_sha256");
        report != nullptr && report->IsString()) {
      audit.report_sha256 = report->AsString();
    }
    audit.recorded_by = event.actor.id;
    audit.recorded_at = event.time;
    state.audits.push_back(std::move(audit));
    return {};
  }
  if (event.event_type == kProposed) {
    ALIQUOT_ASSIGN_OR_RETURN(QualificationChange change, ChangeFromPayload(payload));
    change.proposed_by = event.actor.id;
    change.proposed_at = event.time;
    change.number = static_cast<int>(state.proposals.size()) + 1;
    state.proposals.push_back(change);
    state.proposed = std::move(change);
    return {};
  }
  if (event.event_type == kQualified) {
    if (!state.proposed) return Unexpected(payload.Corrupt("no change awaited approval"));
    ALIQUOT_ASSIGN_OR_RETURN(const QualificationChange change, ChangeFromPayload(payload));
    Qualification qualification{
        event.time,          change.status,     change.materials, change.qualified_until,
        change.requalify_by, change.conditions, change.reason,    event.actor.id};
    state.history.push_back(std::move(qualification));
    state.proposals.back().decision = QualificationChange::Decision::kApproved;
    state.proposed.reset();
    return {};
  }
  if (event.event_type == kProposalRejected) {
    if (!state.proposed) return Unexpected(payload.Corrupt("no change awaited a decision"));
    state.proposals.back().decision = QualificationChange::Decision::kRejected;
    state.proposed.reset();
    return {};
  }
  return {};
}

Json SupplierToJson(const SupplierState& supplier) {
  Json json = Json::MakeObject();
  json.Set("id", supplier.id);
  json.Set("name", supplier.name);
  json.Set("address", supplier.address);
  json.Set("created_at", TimeToJson(supplier.created_at));
  Json history = Json::MakeArray();
  for (const Qualification& qualification : supplier.history) {
    Json item = Json::MakeObject();
    item.Set("from", TimeToJson(qualification.from));
    item.Set("status", SupplierStatusName(qualification.status));
    item.Set("materials", JsonStrings(qualification.materials));
    item.Set("qualified_until", OptionalTimeToJson(qualification.qualified_until));
    item.Set("requalify_by", OptionalTimeToJson(qualification.requalify_by));
    item.Set("conditions", qualification.conditions);
    item.Set("reason", qualification.reason);
    item.Set("approved_by", qualification.approved_by);
    history.Push(std::move(item));
  }
  json.Set("history", std::move(history));
  Json proposals = Json::MakeArray();
  for (const QualificationChange& change : supplier.proposals) {
    Json proposed = Json::MakeObject();
    proposed.Set("number", change.number);
    proposed.Set("decision", DecisionName(change.decision));
    proposed.Set("status", SupplierStatusName(change.status));
    proposed.Set("materials", JsonStrings(change.materials));
    proposed.Set("qualified_until", OptionalTimeToJson(change.qualified_until));
    proposed.Set("requalify_by", OptionalTimeToJson(change.requalify_by));
    proposed.Set("conditions", change.conditions);
    proposed.Set("reason", change.reason);
    proposed.Set("proposed_by", change.proposed_by);
    proposed.Set("proposed_at", TimeToJson(change.proposed_at));
    proposals.Push(std::move(proposed));
  }
  json.Set("proposals", std::move(proposals));
  Json audits = Json::MakeArray();
  for (const SupplierAudit& audit : supplier.audits) {
    Json item = Json::MakeObject();
    item.Set("performed_on", TimeToJson(audit.performed_on));
    item.Set("kind", audit.kind);
    item.Set("outcome", AuditOutcomeName(audit.outcome));
    item.Set("auditor", audit.auditor);
    item.Set("summary", audit.summary);
    item.Set("report_sha256", OptionalStringToJson(audit.report_sha256));
    item.Set("recorded_by", audit.recorded_by);
    item.Set("recorded_at", TimeToJson(audit.recorded_at));
    audits.Push(std::move(item));
  }
  json.Set("audits", std::move(audits));
  return json;
}

namespace {

Result<SupplierStatus> StatusFrom(const JsonFields& fields) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string name, fields.String("status"));
  const auto status = SupplierStatusFromName(name);
  if (!status) return Unexpected(fields.Corrupt("unknown status " + name));
  return *status;
}

}  // namespace

Result<SupplierState> SupplierFromJson(const Json& json) {
  const JsonFields fields(json, "supplier");
  SupplierState state;
  state.exists = true;
  ALIQUOT_ASSIGN_OR_RETURN(state.id, fields.String("id"));
  ALIQUOT_ASSIGN_OR_RETURN(state.name, fields.String("name"));
  ALIQUOT_ASSIGN_OR_RETURN(state.address, fields.String("address"));
  ALIQUOT_ASSIGN_OR_RETURN(state.created_at, fields.Time("created_at"));
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* history, fields.Array("history"));
  for (const Json& item : *history) {
    const JsonFields entry(item, "supplier " + state.id + " qualification");
    Qualification qualification;
    ALIQUOT_ASSIGN_OR_RETURN(qualification.from, entry.Time("from"));
    ALIQUOT_ASSIGN_OR_RETURN(qualification.status, StatusFrom(entry));
    ALIQUOT_ASSIGN_OR_RETURN(qualification.materials, entry.Strings("materials"));
    ALIQUOT_ASSIGN_OR_RETURN(qualification.qualified_until, entry.OptionalTime("qualified_until"));
    ALIQUOT_ASSIGN_OR_RETURN(qualification.requalify_by, entry.OptionalTime("requalify_by"));
    ALIQUOT_ASSIGN_OR_RETURN(qualification.conditions, entry.String("conditions"));
    ALIQUOT_ASSIGN_OR_RETURN(qualification.reason, entry.String("reason"));
    ALIQUOT_ASSIGN_OR_RETURN(qualification.approved_by, entry.String("approved_by"));
    state.history.push_back(std::move(qualification));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* proposals, fields.Array("proposals"));
  for (const Json& item : *proposals) {
    const JsonFields entry(item, "supplier " + state.id + " proposal");
    QualificationChange change;
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, entry.Integer("number"));
    change.number = static_cast<int>(number);
    ALIQUOT_ASSIGN_OR_RETURN(const std::string decision, entry.String("decision"));
    const std::optional<QualificationChange::Decision> parsed = DecisionFromName(decision);
    if (!parsed) return Unexpected(entry.Corrupt("unknown decision " + decision));
    change.decision = *parsed;
    ALIQUOT_ASSIGN_OR_RETURN(change.status, StatusFrom(entry));
    ALIQUOT_ASSIGN_OR_RETURN(change.materials, entry.Strings("materials"));
    ALIQUOT_ASSIGN_OR_RETURN(change.qualified_until, entry.OptionalTime("qualified_until"));
    ALIQUOT_ASSIGN_OR_RETURN(change.requalify_by, entry.OptionalTime("requalify_by"));
    ALIQUOT_ASSIGN_OR_RETURN(change.conditions, entry.String("conditions"));
    ALIQUOT_ASSIGN_OR_RETURN(change.reason, entry.String("reason"));
    ALIQUOT_ASSIGN_OR_RETURN(change.proposed_by, entry.String("proposed_by"));
    ALIQUOT_ASSIGN_OR_RETURN(change.proposed_at, entry.Time("proposed_at"));
    if (change.decision == QualificationChange::Decision::kPending) state.proposed = change;
    state.proposals.push_back(std::move(change));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* audits, fields.Array("audits"));
  for (const Json& item : *audits) {
    const JsonFields entry(item, "supplier " + state.id + " audit");
    SupplierAudit audit;
    ALIQUOT_ASSIGN_OR_RETURN(audit.performed_on, entry.Time("performed_on"));
    ALIQUOT_ASSIGN_OR_RETURN(audit.kind, entry.String("kind"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string outcome, entry.String("outcome"));
    const auto parsed = AuditOutcomeFromName(outcome);
    if (!parsed) return Unexpected(entry.Corrupt("unknown outcome " + outcome));
    audit.outcome = *parsed;
    ALIQUOT_ASSIGN_OR_RETURN(audit.auditor, entry.String("auditor"));
    ALIQUOT_ASSIGN_OR_RETURN(audit.summary, entry.String("summary"));
    ALIQUOT_ASSIGN_OR_RETURN(audit.report_sha256, entry.OptionalString("report_sha256"));
    ALIQUOT_ASSIGN_OR_RETURN(audit.recorded_by, entry.String("recorded_by"));
    ALIQUOT_ASSIGN_OR_RETURN(audit.recorded_at, entry.Time("recorded_at"));
    state.audits.push_back(std::move(audit));
  }
  return state;
}

}  // namespace aliquot::materials
