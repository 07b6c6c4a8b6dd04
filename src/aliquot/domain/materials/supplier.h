// Suppliers and their qualification (21 CFR 211.84(d)(2), G-09): a supplier's certificates may
// stand in for full testing only while its reliability is established and periodically verified.
// A supplier is qualified for named materials, until a date, with a requalification due before it;
// audits and their outcomes are recorded; every change of qualification is proposed and then
// approved by QA's e-signature, and takes effect at that signature. Whether a supplier was
// qualified for a material at an instant follows from the recorded history alone.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/event.h"

namespace aliquot::materials {

enum class SupplierStatus { kPending, kApproved, kConditional, kDisqualified };
std::string_view SupplierStatusName(SupplierStatus status);  // "conditional"
std::optional<SupplierStatus> SupplierStatusFromName(std::string_view name);

// One period of a supplier's qualification, in force from `from` until the next one.
struct Qualification {
  Timestamp from;
  SupplierStatus status = SupplierStatus::kPending;
  std::vector<std::string> materials;        // The materials it is qualified to supply.
  std::optional<Timestamp> qualified_until;  // Approved and conditional only.
  std::optional<Timestamp> requalify_by;     // When requalification (an audit) is due.
  std::string conditions;                    // Conditional: what restricts the approval.
  std::string reason;
  std::string approved_by;  // Empty for the pending status a new supplier starts in.
};

// A proposed change of qualification: awaiting QA's signature, or decided.
struct QualificationChange {
  enum class Decision { kPending, kApproved, kRejected };
  int number = 0;  // 1 for a supplier's first proposal: the record "<supplier>:<number>".
  Decision decision = Decision::kPending;
  SupplierStatus status = SupplierStatus::kPending;
  std::vector<std::string> materials;
  std::optional<Timestamp> qualified_until;
  std::optional<Timestamp> requalify_by;
  std::string conditions;
  std::string reason;
  std::string proposed_by;
  Timestamp proposed_at;
};

std::string_view DecisionName(QualificationChange::Decision decision);  // "approved"

enum class AuditOutcome { kSatisfactory, kMinorFindings, kMajorFindings, kUnsatisfactory };
std::string_view AuditOutcomeName(AuditOutcome outcome);  // "minor_findings"
std::optional<AuditOutcome> AuditOutcomeFromName(std::string_view name);

struct SupplierAudit {
  Timestamp performed_on;
  std::string kind;  // "on_site", "remote", "questionnaire"
  AuditOutcome outcome = AuditOutcome::kSatisfactory;
  std::string auditor;
  std::string summary;
  std::optional<std::string> report_sha256;  // The report in the blob store.
  std::string recorded_by;
  Timestamp recorded_at;
};

struct SupplierState {
  bool exists = false;
  std::string id;  // "SUP-MILTENYI"
  std::string name;
  std::string address;
  Timestamp created_at;
  std::vector<Qualification> history;  // Oldest first; the first is "pending" from creation.
  std::optional<QualificationChange> proposed;  // The one awaiting signature, if any.
  std::vector<QualificationChange> proposals;   // Every proposal, oldest first.
  std::vector<SupplierAudit> audits;            // In the order recorded.

  // The qualification in force at `at` (nullptr before the supplier existed).
  const Qualification* QualificationAt(Timestamp at) const;
};

ledger::StreamRef SupplierStream(std::string_view supplier_id);

// Whether `supplier` was qualified for `material` at `at`: approved or conditional, the material
// among those it is qualified for, and `at` before the qualification's end. `message` says why not
// ("supplier SUP-X's qualification for MAT-Y lapsed on 2026-11-30", "... is disqualified since
// ...", "... is not qualified for MAT-Y").
struct SupplierCheck {
  bool qualified = false;
  std::string message;
};
SupplierCheck QualifiedFor(const SupplierState& supplier, std::string_view material, Timestamp at);

struct SupplierCommand {
  std::string id;
  std::string name;
  std::string address;
};
// A new supplier, pending qualification. kInvalidArgument naming the field; kAlreadyExists.
Result<ledger::NewEvent> CreateSupplier(const SupplierState& state, const SupplierCommand& command,
                                        const ledger::Actor& actor, std::string_view terminal);

struct AuditCommand {
  Timestamp performed_on;
  std::string kind;
  AuditOutcome outcome = AuditOutcome::kSatisfactory;
  std::string auditor;
  std::string summary;
  std::optional<std::string> report_sha256;
};
// Records an audit. kInvalidArgument naming the field: a date in the future, an unknown kind.
Result<ledger::NewEvent> RecordAudit(const SupplierState& state, const AuditCommand& command,
                                     Timestamp now, const ledger::Actor& actor,
                                     std::string_view terminal);

struct QualificationCommand {
  SupplierStatus status = SupplierStatus::kPending;
  std::vector<std::string> materials;
  std::optional<Timestamp> qualified_until;
  std::optional<Timestamp> requalify_by;
  std::string conditions;
  std::string reason;
};
// Proposes a change of qualification, for QA to approve by signature. `known_materials` are the
// purchased materials that exist. Returns kInvalidArgument naming the field: approved and
// conditional need materials and a qualified_until after `now` with requalify_by at or before it;
// conditional needs its conditions; pending and disqualified carry no materials or dates; a reason
// is always needed. kFailedPrecondition: approval without an audit on record whose outcome is
// satisfactory or minor findings (the supplier's reliability is established, G-09), or another
// change already awaiting signature.
Result<ledger::NewEvent> ProposeQualification(const SupplierState& state,
                                              const QualificationCommand& command,
                                              std::span<const std::string> known_materials,
                                              Timestamp now, const ledger::Actor& actor,
                                              std::string_view terminal);

// The event QA's signature on proposal `number` brings: approved puts it in force now; rejected
// discards it. kFailedPrecondition when that proposal is not the one awaiting signature, or its
// end of qualification has passed meanwhile; kPermissionDenied when the signer proposed it (an
// independent check, A11-01).
Result<ledger::NewEvent> DecideQualification(const SupplierState& state, int number, bool approve,
                                             std::string_view signer, Timestamp now,
                                             const ledger::Actor& actor, std::string_view terminal);

// What QA signs for proposal `number`: the supplier and the change as proposed, not whether it
// was decided, so an approval stays valid once in force. nullopt when there is no such proposal.
std::optional<Json> ProposalContent(const SupplierState& state, int number);
// The record id of proposal `number`, "SUP-X:3", and back (nullopt for an id of another form).
std::string ProposalRecordId(std::string_view supplier, int number);
struct ProposalRef {
  std::string supplier;
  int number = 0;
};
std::optional<ProposalRef> ParseProposalRecordId(std::string_view id);

Status ApplySupplierEvent(SupplierState& state, const ledger::Event& event);
Json SupplierToJson(const SupplierState& supplier);
Result<SupplierState> SupplierFromJson(const Json& json);

}  // namespace aliquot::materials
