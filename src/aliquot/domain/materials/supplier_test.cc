#include "aliquot/domain/materials/supplier.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"

namespace aliquot::materials {
namespace {

// The number of the proposal awaiting signature (0 when none does: a decision is then refused).
int PendingNumber(const SupplierState& state) {
  return state.proposed ? state.proposed->number : 0;
}

constexpr std::string_view kTerminal = "QA-WS1";
// 2026-03-02T09:00:00Z (Python's calendar.timegm).
constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);
const ledger::Actor kBuyer{"pat", "Pat Purchasing"};
const ledger::Actor kQa{"quinn", "Quinn QA"};
const ledger::Actor kQaLead{"quincy", "Quincy QA Lead"};

const std::vector<std::string> kKnownMaterials = {"MAT-IL2", "MAT-TEXMACS", "MAT-CD3-CD28"};

// Day `day` after kDay0, at the same time of day, plus `micros`.
Timestamp Day(std::int64_t day, std::int64_t micros = 0) {
  return Timestamp::FromMicros(kDay0.Micros() + day * kMicrosPerDay + micros);
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Whether `result` is a refusal with `code` naming `field`.
template <typename T>
::testing::AssertionResult Refused(const Result<T>& result, ErrorCode code,
                                   std::string_view field = {}) {
  if (result) return ::testing::AssertionFailure() << "accepted";
  if (result.error().Code() != code || result.error().Field() != field) {
    return ::testing::AssertionFailure() << "refused with " << result.error().ToString();
  }
  return ::testing::AssertionSuccess();
}

// A supplier's stream as the store seals it, folded as it grows.
struct Stream {
  SupplierState state;
  std::vector<ledger::Event> events;

  // Seals `event` as the next one at `time` and folds it into the state.
  Status Append(const Result<ledger::NewEvent>& event, Timestamp time) {
    if (!event) return Unexpected(event.error());
    const Hash256 prev = events.empty() ? ledger::kGenesisPrevHash : events.back().hash;
    events.push_back(ledger::SealEvent(*event, events.size() + 1, time, prev));
    return ApplySupplierEvent(state, events.back());
  }
};

::testing::AssertionResult Ok(const Status& status) {
  if (status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.error().ToString();
}

SupplierCommand Miltenyi() {
  return {.id = "SUP-MILTENYI",
          .name = "Miltenyi Biotec B.V. & Co. KG",
          .address = "Friedrich-Ebert-Strasse 68\n51429 Bergisch Gladbach\nGermany"};
}

AuditCommand Audit(AuditOutcome outcome, Timestamp performed_on = kDay0) {
  return {.performed_on = performed_on,
          .kind = "on_site",
          .outcome = outcome,
          .auditor = "Quincy QA Lead",
          .summary = "Quality system, change control and CoA release reviewed on site."};
}

// Approval for IL-2 and TexMACS for a year, requalification due after ten months.
QualificationCommand Approval(Timestamp now) {
  return {.status = SupplierStatus::kApproved,
          .materials = {"MAT-IL2", "MAT-TEXMACS"},
          .qualified_until = Timestamp::FromMicros(now.Micros() + 365 * kMicrosPerDay),
          .requalify_by = Timestamp::FromMicros(now.Micros() + 300 * kMicrosPerDay),
          .reason = "On-site audit QA-AUD-0012 satisfactory"};
}

QualificationCommand Disqualification() {
  return {.status = SupplierStatus::kDisqualified,
          .reason = "Two endotoxin OOS lots in a quarter (DEV-0031)"};
}

// Created on day 0 and audited (satisfactory) the same day.
Stream Created() {
  Stream stream;
  EXPECT_TRUE(Ok(stream.Append(CreateSupplier({}, Miltenyi(), kBuyer, kTerminal), kDay0)));
  EXPECT_TRUE(Ok(stream.Append(
      RecordAudit(stream.state, Audit(AuditOutcome::kSatisfactory), kDay0, kQaLead, kTerminal),
      kDay0)));
  return stream;
}

// Proposes `command` at `proposed` (by the buyer) and has QA sign it at `signed_at`.
Status Qualify(Stream& stream, const QualificationCommand& command, Timestamp proposed,
               Timestamp signed_at) {
  ALIQUOT_RETURN_IF_ERROR(stream.Append(
      ProposeQualification(stream.state, command, kKnownMaterials, proposed, kBuyer, kTerminal),
      proposed));
  return stream.Append(DecideQualification(stream.state, PendingNumber(stream.state), true, kQa.id,
                                           signed_at, kQa, kTerminal),
                       signed_at);
}

// Created on day 0, approved for IL-2 and TexMACS on day 1 (proposed at day 1, signed an hour
// later), until day 366.
Stream Approved() {
  Stream stream = Created();
  EXPECT_TRUE(Ok(Qualify(stream, Approval(Day(1)), Day(1), Day(1, 3600 * kMicrosPerSecond))));
  return stream;
}

TEST(Supplier, NamesStatusesAndAuditOutcomesInSnakeCase) {
  for (const SupplierStatus status :
       {SupplierStatus::kPending, SupplierStatus::kApproved, SupplierStatus::kConditional,
        SupplierStatus::kDisqualified}) {
    EXPECT_EQ(SupplierStatusFromName(SupplierStatusName(status)), status);
  }
  EXPECT_EQ(SupplierStatusName(SupplierStatus::kConditional), "conditional");
  EXPECT_EQ(SupplierStatusFromName("Approved"), std::nullopt);
  for (const AuditOutcome outcome : {AuditOutcome::kSatisfactory, AuditOutcome::kMinorFindings,
                                     AuditOutcome::kMajorFindings, AuditOutcome::kUnsatisfactory}) {
    EXPECT_EQ(AuditOutcomeFromName(AuditOutcomeName(outcome)), outcome);
  }
  EXPECT_EQ(AuditOutcomeName(AuditOutcome::kMinorFindings), "minor_findings");
  EXPECT_EQ(AuditOutcomeFromName("minor findings"), std::nullopt);
}

// Verifies G-09: a new supplier is not qualified for anything until QA approves it.
TEST(Supplier, CreatesASupplierPendingQualificationFromItsCreation) {
  auto event = CreateSupplier({}, Miltenyi(), kBuyer, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_TRUE(ledger::ValidateNewEvent(*event).has_value());
  EXPECT_EQ(event->stream, SupplierStream("SUP-MILTENYI"));
  EXPECT_EQ(event->stream.type, "supplier");
  EXPECT_EQ(event->event_type, "materials.supplier_created");
  EXPECT_EQ(event->actor, kBuyer);
  EXPECT_EQ(event->terminal, kTerminal);

  Stream stream;
  ASSERT_TRUE(Ok(stream.Append(event, kDay0)));
  const SupplierState& state = stream.state;
  EXPECT_TRUE(state.exists);
  EXPECT_EQ(state.id, "SUP-MILTENYI");
  EXPECT_EQ(state.name, "Miltenyi Biotec B.V. & Co. KG");
  EXPECT_EQ(state.address, Miltenyi().address);
  EXPECT_EQ(state.created_at, kDay0);
  ASSERT_EQ(state.history.size(), 1U);
  EXPECT_EQ(state.history[0].from, kDay0);
  EXPECT_EQ(state.history[0].status, SupplierStatus::kPending);
  EXPECT_EQ(state.history[0].approved_by, "");
  EXPECT_TRUE(state.history[0].materials.empty());
  EXPECT_EQ(state.proposed, std::nullopt);
  EXPECT_TRUE(state.audits.empty());
  EXPECT_FALSE(QualifiedFor(state, "MAT-IL2", Day(1)).qualified);
}

// Verifies A11-01
TEST(Supplier, RefusesASecondCreationOrAnInvalidIdNameOrAddress) {
  const Stream stream = Created();
  EXPECT_TRUE(Refused(CreateSupplier(stream.state, Miltenyi(), kBuyer, kTerminal),
                      ErrorCode::kAlreadyExists, "supplier_id"));
  const std::vector<std::pair<std::function<void(SupplierCommand&)>, std::string_view>> cases = {
      {[](SupplierCommand& c) { c.id = "sup-miltenyi"; }, "supplier_id"},
      {[](SupplierCommand& c) { c.id = ""; }, "supplier_id"},
      {[](SupplierCommand& c) { c.name = "M"; }, "name"},
      {[](SupplierCommand& c) { c.name = "Miltenyi\nBiotec"; }, "name"},
      {[](SupplierCommand& c) { c.name = std::string(201, 'm'); }, "name"},
      {[](SupplierCommand& c) { c.address = ""; }, "address"},
      {[](SupplierCommand& c) { c.address = std::string(501, 'a'); }, "address"},
  };
  for (const auto& [change, field] : cases) {
    SupplierCommand command = Miltenyi();
    change(command);
    EXPECT_TRUE(
        Refused(CreateSupplier({}, command, kBuyer, kTerminal), ErrorCode::kInvalidArgument, field))
        << field;
  }
}

TEST(Supplier, RecordsAnAuditWithItsOutcomeAndWhoRecordedIt) {
  Stream stream = Created();
  AuditCommand command = Audit(AuditOutcome::kMinorFindings, Day(3));
  command.kind = "remote";
  command.report_sha256 = std::string(64, 'a');
  auto event = RecordAudit(stream.state, command, Day(4), kQaLead, kTerminal);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->event_type, "materials.supplier_audited");
  ASSERT_TRUE(Ok(stream.Append(event, Day(4))));
  ASSERT_EQ(stream.state.audits.size(), 2U);
  const SupplierAudit& audit = stream.state.audits[1];
  EXPECT_EQ(audit.performed_on, Day(3));
  EXPECT_EQ(audit.kind, "remote");
  EXPECT_EQ(audit.outcome, AuditOutcome::kMinorFindings);
  EXPECT_EQ(audit.auditor, "Quincy QA Lead");
  EXPECT_EQ(audit.summary, command.summary);
  EXPECT_EQ(audit.report_sha256, std::string(64, 'a'));
  EXPECT_EQ(audit.recorded_by, "quincy");
  EXPECT_EQ(audit.recorded_at, Day(4));
  EXPECT_EQ(stream.state.audits[0].report_sha256, std::nullopt);
}

// Verifies AL-01: an audit is recorded once performed; it is never dated ahead of the server's now.
TEST(Supplier, RefusesAnAuditDatedInTheFuture) {
  const Stream stream = Created();
  auto future = RecordAudit(stream.state, Audit(AuditOutcome::kSatisfactory, Day(2, 1)), Day(2),
                            kQaLead, kTerminal);
  ASSERT_TRUE(Refused(future, ErrorCode::kInvalidArgument, "performed_on"));
  EXPECT_TRUE(Contains(future.error().Message(), "2026-03-04 is in the future"))
      << future.error().Message();
  EXPECT_TRUE(RecordAudit(stream.state, Audit(AuditOutcome::kSatisfactory, Day(2)), Day(2), kQaLead,
                          kTerminal)
                  .has_value());

  AuditCommand telephone = Audit(AuditOutcome::kSatisfactory);
  telephone.kind = "telephone";
  EXPECT_TRUE(Refused(RecordAudit(stream.state, telephone, Day(2), kQaLead, kTerminal),
                      ErrorCode::kInvalidArgument, "kind"));
  AuditCommand no_summary = Audit(AuditOutcome::kSatisfactory);
  no_summary.summary = "";
  EXPECT_TRUE(Refused(RecordAudit(stream.state, no_summary, Day(2), kQaLead, kTerminal),
                      ErrorCode::kInvalidArgument, "summary"));
  EXPECT_TRUE(
      Refused(RecordAudit({}, Audit(AuditOutcome::kSatisfactory), Day(2), kQaLead, kTerminal),
              ErrorCode::kNotFound, "supplier_id"));
}

// Verifies A11-01: each field of a proposed qualification is checked and the refusal points at it.
TEST(Supplier, RefusesEachInvalidProposalNamingItsField) {
  const Stream stream = Created();
  const Timestamp now = Day(1);
  struct Case {
    std::string_view what;
    std::function<void(QualificationCommand&)> change;
    ErrorCode code;
    std::string_view field;
  };
  const std::vector<Case> cases = {
      {"no reason", [](QualificationCommand& c) { c.reason = ""; }, ErrorCode::kInvalidArgument,
       "reason"},
      {"no materials", [](QualificationCommand& c) { c.materials.clear(); },
       ErrorCode::kInvalidArgument, "materials"},
      {"501 materials", [](QualificationCommand& c) { c.materials.assign(501, "MAT-IL2"); },
       ErrorCode::kInvalidArgument, "materials"},
      {"an unknown material", [](QualificationCommand& c) { c.materials[1] = "MAT-IL7"; },
       ErrorCode::kNotFound, "materials[1]"},
      {"a material twice", [](QualificationCommand& c) { c.materials[1] = "MAT-IL2"; },
       ErrorCode::kInvalidArgument, "materials[1]"},
      {"no end", [](QualificationCommand& c) { c.qualified_until.reset(); },
       ErrorCode::kInvalidArgument, "qualified_until"},
      {"an end now",
       [now](QualificationCommand& c) {
         c.qualified_until = now;
         c.requalify_by = now;
       },
       ErrorCode::kInvalidArgument, "qualified_until"},
      {"no requalification", [](QualificationCommand& c) { c.requalify_by.reset(); },
       ErrorCode::kInvalidArgument, "requalify_by"},
      {"requalification after the end",
       [](QualificationCommand& c) {
         c.requalify_by = Timestamp::FromMicros(c.qualified_until->Micros() + 1);
       },
       ErrorCode::kInvalidArgument, "requalify_by"},
      {"conditional without conditions",
       [](QualificationCommand& c) { c.status = SupplierStatus::kConditional; },
       ErrorCode::kInvalidArgument, "conditions"},
      {"approval with conditions",
       [](QualificationCommand& c) { c.conditions = "Full testing of every lot"; },
       ErrorCode::kInvalidArgument, "conditions"},
      {"disqualified with materials",
       [](QualificationCommand& c) {
         c.status = SupplierStatus::kDisqualified;
         c.qualified_until.reset();
         c.requalify_by.reset();
       },
       ErrorCode::kInvalidArgument, "materials"},
      {"disqualified with an end",
       [](QualificationCommand& c) {
         c.status = SupplierStatus::kDisqualified;
         c.materials.clear();
         c.requalify_by.reset();
       },
       ErrorCode::kInvalidArgument, "qualified_until"},
      {"pending with a requalification date",
       [](QualificationCommand& c) {
         c.status = SupplierStatus::kPending;
         c.materials.clear();
         c.qualified_until.reset();
       },
       ErrorCode::kInvalidArgument, "requalify_by"},
      {"disqualified with conditions",
       [](QualificationCommand& c) {
         c = Disqualification();
         c.conditions = "None";
       },
       ErrorCode::kInvalidArgument, "conditions"},
  };
  for (const Case& c : cases) {
    QualificationCommand command = Approval(now);
    c.change(command);
    EXPECT_TRUE(Refused(
        ProposeQualification(stream.state, command, kKnownMaterials, now, kBuyer, kTerminal),
        c.code, c.field))
        << c.what;
  }
  // Each case changed one thing of a proposal that is accepted as it stands.
  EXPECT_TRUE(
      ProposeQualification(stream.state, Approval(now), kKnownMaterials, now, kBuyer, kTerminal)
          .has_value());
  EXPECT_TRUE(ProposeQualification(stream.state, Disqualification(), kKnownMaterials, now, kBuyer,
                                   kTerminal)
                  .has_value());
  EXPECT_TRUE(
      Refused(ProposeQualification({}, Approval(now), kKnownMaterials, now, kBuyer, kTerminal),
              ErrorCode::kNotFound, "supplier_id"));
}

// Verifies G-09: a supplier's reliability is established by an audit before QA approves it.
TEST(Supplier, ApprovalNeedsAnAuditWithASatisfactoryOutcomeOrMinorFindings) {
  Stream stream;
  ASSERT_TRUE(Ok(stream.Append(CreateSupplier({}, Miltenyi(), kBuyer, kTerminal), kDay0)));
  const auto propose = [&](const QualificationCommand& command) {
    return ProposeQualification(stream.state, command, kKnownMaterials, Day(1), kBuyer, kTerminal);
  };
  auto unaudited = propose(Approval(Day(1)));
  ASSERT_TRUE(Refused(unaudited, ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Contains(unaudited.error().Message(), "SUP-MILTENYI has no audit on record"))
      << unaudited.error().Message();
  EXPECT_TRUE(Contains(unaudited.error().Message(), "(G-09)")) << unaudited.error().Message();

  for (const AuditOutcome outcome : {AuditOutcome::kMajorFindings, AuditOutcome::kUnsatisfactory}) {
    ASSERT_TRUE(Ok(stream.Append(
        RecordAudit(stream.state, Audit(outcome), Day(1), kQaLead, kTerminal), Day(1))));
    EXPECT_TRUE(Refused(propose(Approval(Day(1))), ErrorCode::kFailedPrecondition))
        << AuditOutcomeName(outcome);
  }
  // A conditional approval is what a supplier with major findings may get.
  QualificationCommand conditional = Approval(Day(1));
  conditional.status = SupplierStatus::kConditional;
  conditional.conditions = "Full release testing of every lot until the CAPA is closed";
  EXPECT_TRUE(propose(conditional).has_value());

  ASSERT_TRUE(Ok(stream.Append(
      RecordAudit(stream.state, Audit(AuditOutcome::kMinorFindings), Day(1), kQaLead, kTerminal),
      Day(1))));
  EXPECT_TRUE(propose(Approval(Day(1))).has_value());

  Stream satisfactory = Created();
  EXPECT_TRUE(ProposeQualification(satisfactory.state, Approval(Day(1)), kKnownMaterials, Day(1),
                                   kBuyer, kTerminal)
                  .has_value());
}

TEST(Supplier, CarriesAConditionalApprovalsConditionsIntoItsHistory) {
  Stream stream = Created();
  QualificationCommand conditional = Approval(Day(1));
  conditional.status = SupplierStatus::kConditional;
  conditional.materials = {"MAT-CD3-CD28"};
  conditional.conditions = "Full release testing of every lot until CAPA-0007 is closed";
  ASSERT_TRUE(Ok(Qualify(stream, conditional, Day(1), Day(2))));
  const Qualification& in_force = stream.state.history.back();
  EXPECT_EQ(in_force.status, SupplierStatus::kConditional);
  EXPECT_EQ(in_force.conditions, conditional.conditions);
  const SupplierCheck check = QualifiedFor(stream.state, "MAT-CD3-CD28", Day(3));
  EXPECT_TRUE(check.qualified) << check.message;
  EXPECT_EQ(check.message, "supplier SUP-MILTENYI is conditional for MAT-CD3-CD28");
}

TEST(Supplier, RefusesASecondProposalWhileOneAwaitsSignature) {
  Stream stream = Created();
  ASSERT_TRUE(Ok(stream.Append(ProposeQualification(stream.state, Approval(Day(1)), kKnownMaterials,
                                                    Day(1), kBuyer, kTerminal),
                               Day(1))));
  auto second = ProposeQualification(stream.state, Disqualification(), kKnownMaterials, Day(1),
                                     kBuyer, kTerminal);
  ASSERT_TRUE(Refused(second, ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Contains(second.error().Message(), "(to approved) awaits QA's signature"))
      << second.error().Message();
}

TEST(Supplier, ShowsQaTheProposalItSignsUnchangedOnceDecided) {
  Stream stream = Approved();
  ASSERT_TRUE(Ok(stream.Append(ProposeQualification(stream.state, Disqualification(),
                                                    kKnownMaterials, Day(5), kBuyer, kTerminal),
                               Day(5))));
  // The second proposal (the first approved the supplier): what it says, not whether it was
  // decided, so QA's signature on it stays valid once it is in force.
  const std::optional<Json> content = ProposalContent(stream.state, 2);
  ASSERT_TRUE(content.has_value());
  const std::string before = CanonicalJson(*content);
  EXPECT_EQ(
      before,
      R"j({"conditions":"","materials":[],"name":"Miltenyi Biotec B.V. & Co. KG",)j"
      R"j("proposal":2,"proposed_at":")j" +
          Day(5).ToRfc3339() +
          R"j(","proposed_by":"pat","qualified_until":null,)j"
          R"j("reason":"Two endotoxin OOS lots in a quarter (DEV-0031)","requalify_by":null,)j"
          R"j("status":"disqualified","supplier":"SUP-MILTENYI"})j");
  ASSERT_TRUE(Ok(stream.Append(
      DecideQualification(stream.state, 2, true, "quinn", Day(6), kQa, kTerminal), Day(6))));
  EXPECT_EQ(CanonicalJson(*ProposalContent(stream.state, 2)), before);
  EXPECT_FALSE(ProposalContent(stream.state, 3).has_value());
  EXPECT_EQ(ProposalRecordId("SUP-MILTENYI", 2), "SUP-MILTENYI:2");
  const std::optional<ProposalRef> ref = ParseProposalRecordId("SUP-MILTENYI:2");
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->supplier, "SUP-MILTENYI");
  EXPECT_EQ(ref->number, 2);
  EXPECT_FALSE(ParseProposalRecordId("SUP-MILTENYI").has_value());
  EXPECT_FALSE(ParseProposalRecordId("SUP-MILTENYI:0").has_value());
  EXPECT_FALSE(ParseProposalRecordId("SUP-MILTENYI:02").has_value());
  EXPECT_FALSE(ParseProposalRecordId("SUP-MILTENYI:x").has_value());
}

// Verifies A11-01: a change of qualification is checked by someone other than its proposer.
TEST(Supplier, RefusesTheProposerAsTheSignerOfTheirOwnChange) {
  Stream stream = Created();
  ASSERT_TRUE(Ok(stream.Append(ProposeQualification(stream.state, Approval(Day(1)), kKnownMaterials,
                                                    Day(1), kBuyer, kTerminal),
                               Day(1))));
  EXPECT_EQ(stream.state.proposed->proposed_by, "pat");
  for (const bool approve : {true, false}) {
    auto own = DecideQualification(stream.state, PendingNumber(stream.state), approve, "pat",
                                   Day(2), kBuyer, kTerminal);
    ASSERT_TRUE(Refused(own, ErrorCode::kPermissionDenied)) << approve;
    EXPECT_TRUE(Contains(own.error().Message(), "another QA approver signs it"));
  }
  EXPECT_TRUE(DecideQualification(stream.state, PendingNumber(stream.state), true, "quinn", Day(2),
                                  kQa, kTerminal)
                  .has_value());
}

TEST(Supplier, RefusesToApproveAChangeWhoseProposedEndHasPassed) {
  Stream stream = Created();
  QualificationCommand short_one = Approval(Day(1));
  short_one.qualified_until = Day(10);
  short_one.requalify_by = Day(5);
  ASSERT_TRUE(Ok(stream.Append(
      ProposeQualification(stream.state, short_one, kKnownMaterials, Day(1), kBuyer, kTerminal),
      Day(1))));
  EXPECT_TRUE(DecideQualification(stream.state, PendingNumber(stream.state), true, "quinn",
                                  Day(10, -1), kQa, kTerminal)
                  .has_value());
  auto late = DecideQualification(stream.state, PendingNumber(stream.state), true, "quinn", Day(10),
                                  kQa, kTerminal);
  ASSERT_TRUE(Refused(late, ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Contains(late.error().Message(), "would already have ended on 2026-03-12"))
      << late.error().Message();
  // It can still be rejected, to propose anew.
  EXPECT_TRUE(DecideQualification(stream.state, PendingNumber(stream.state), false, "quinn",
                                  Day(10), kQa, kTerminal)
                  .has_value());
}

TEST(Supplier, RefusesADecisionWhenNothingAwaitsSignature) {
  const Stream stream = Approved();
  EXPECT_TRUE(Refused(DecideQualification(stream.state, PendingNumber(stream.state), true, "quinn",
                                          Day(2), kQa, kTerminal),
                      ErrorCode::kFailedPrecondition));
  EXPECT_TRUE(Refused(DecideQualification({}, 1, true, "quinn", Day(2), kQa, kTerminal),
                      ErrorCode::kNotFound, "supplier_id"));
  // A signature names the proposal it decides: an earlier, decided one is not the one pending.
  Stream pending = Approved();
  ASSERT_TRUE(Ok(pending.Append(ProposeQualification(pending.state, Disqualification(),
                                                     kKnownMaterials, Day(5), kBuyer, kTerminal),
                                Day(5))));
  ASSERT_EQ(PendingNumber(pending.state), 2);
  auto stale = DecideQualification(pending.state, 1, true, "quinn", Day(6), kQa, kTerminal);
  ASSERT_TRUE(Refused(stale, ErrorCode::kFailedPrecondition));
  EXPECT_EQ(stale.error().Message(),
            "proposal 1 for SUP-MILTENYI's qualification does not await signature");
}

// Verifies G-09: a change of qualification takes effect at QA's signature, not at its proposal.
TEST(Supplier, PutsAnApprovedChangeInForceAtTheSignature) {
  Stream stream = Created();
  const Timestamp signed_at = Day(3);
  ASSERT_TRUE(Ok(Qualify(stream, Approval(Day(1)), Day(1), signed_at)));
  EXPECT_EQ(stream.events.back().event_type, "materials.supplier_qualified");
  EXPECT_EQ(stream.state.proposed, std::nullopt);
  ASSERT_EQ(stream.state.history.size(), 2U);
  const Qualification& approved = stream.state.history[1];
  EXPECT_EQ(approved.from, signed_at);
  EXPECT_EQ(approved.status, SupplierStatus::kApproved);
  EXPECT_EQ(approved.materials, (std::vector<std::string>{"MAT-IL2", "MAT-TEXMACS"}));
  EXPECT_EQ(approved.qualified_until, Day(366));
  EXPECT_EQ(approved.requalify_by, Day(301));
  EXPECT_EQ(approved.reason, "On-site audit QA-AUD-0012 satisfactory");
  EXPECT_EQ(approved.approved_by, "quinn");
  EXPECT_FALSE(QualifiedFor(stream.state, "MAT-IL2", Day(3, -1)).qualified);
  EXPECT_TRUE(QualifiedFor(stream.state, "MAT-IL2", signed_at).qualified);
}

TEST(Supplier, DiscardsARejectedChangeLeavingTheQualificationAsItWas) {
  Stream stream = Approved();
  ASSERT_TRUE(Ok(stream.Append(ProposeQualification(stream.state, Disqualification(),
                                                    kKnownMaterials, Day(5), kBuyer, kTerminal),
                               Day(5))));
  ASSERT_TRUE(Ok(stream.Append(DecideQualification(stream.state, PendingNumber(stream.state), false,
                                                   "quinn", Day(6), kQa, kTerminal),
                               Day(6))));
  EXPECT_EQ(stream.events.back().event_type, "materials.supplier_qualification_rejected");
  EXPECT_EQ(stream.state.proposed, std::nullopt);
  EXPECT_EQ(stream.state.history.size(), 2U);
  EXPECT_TRUE(QualifiedFor(stream.state, "MAT-IL2", Day(7)).qualified);
}

// Verifies G-09: a certificate stands in for testing only from a supplier qualified, at the
// instant asked about, for that material; when not, the answer says why.
TEST(Supplier, IsQualifiedOnlyWithinItsQualificationForItsMaterials) {
  Stream stream = Approved();  // Signed 2026-03-03T10:00Z, until 2026-03-02 + 366 d.
  const Timestamp signed_at = Day(1, 3600 * kMicrosPerSecond);
  const Timestamp until = Day(366);

  const SupplierCheck before_creation = QualifiedFor(stream.state, "MAT-IL2", Day(0, -1));
  EXPECT_FALSE(before_creation.qualified);
  EXPECT_EQ(before_creation.message, "supplier SUP-MILTENYI did not exist on 2026-03-02");

  const SupplierCheck pending = QualifiedFor(stream.state, "MAT-IL2", Day(1));
  EXPECT_FALSE(pending.qualified);
  EXPECT_EQ(pending.message,
            "supplier SUP-MILTENYI is pending since 2026-03-02, not qualified for MAT-IL2");

  for (const Timestamp within : {signed_at, Day(200), Timestamp::FromMicros(until.Micros() - 1)}) {
    const SupplierCheck check = QualifiedFor(stream.state, "MAT-TEXMACS", within);
    EXPECT_TRUE(check.qualified) << within.ToRfc3339() << ": " << check.message;
    EXPECT_EQ(check.message, "supplier SUP-MILTENYI is approved for MAT-TEXMACS");
  }

  const SupplierCheck lapsed = QualifiedFor(stream.state, "MAT-IL2", until);
  EXPECT_FALSE(lapsed.qualified);
  EXPECT_EQ(lapsed.message,
            "supplier SUP-MILTENYI's qualification for MAT-IL2 lapsed on 2027-03-03 "
            "(requalification was due 2026-12-28)");

  const SupplierCheck other = QualifiedFor(stream.state, "MAT-CD3-CD28", Day(10));
  EXPECT_FALSE(other.qualified);
  EXPECT_EQ(other.message, "supplier SUP-MILTENYI is not qualified to supply MAT-CD3-CD28");

  ASSERT_TRUE(Ok(Qualify(stream, Disqualification(), Day(40), Day(41))));
  const SupplierCheck disqualified = QualifiedFor(stream.state, "MAT-IL2", Day(41));
  EXPECT_FALSE(disqualified.qualified);
  EXPECT_EQ(disqualified.message,
            "supplier SUP-MILTENYI is disqualified since 2026-04-12, not qualified for MAT-IL2");

  const SupplierCheck unknown = QualifiedFor({}, "MAT-IL2", Day(10));
  EXPECT_FALSE(unknown.qualified);
  EXPECT_TRUE(Contains(unknown.message, "did not exist on 2026-03-12")) << unknown.message;
}

// Verifies G-09 and P11-05: a later disqualification does not rewrite whether the supplier was
// qualified when an earlier lot was used.
TEST(Supplier, AnswersForAPastInstantAsItWasThen) {
  Stream stream = Approved();
  ASSERT_TRUE(Ok(Qualify(stream, Disqualification(), Day(40), Day(41))));
  EXPECT_TRUE(QualifiedFor(stream.state, "MAT-IL2", Day(20)).qualified);
  EXPECT_TRUE(QualifiedFor(stream.state, "MAT-IL2", Day(41, -1)).qualified);
  EXPECT_FALSE(QualifiedFor(stream.state, "MAT-IL2", Day(41)).qualified);
  ASSERT_EQ(stream.state.history.size(), 3U);
  EXPECT_EQ(stream.state.QualificationAt(Day(20)), &stream.state.history[1]);
  EXPECT_EQ(stream.state.QualificationAt(Day(41)), &stream.state.history[2]);
  EXPECT_EQ(stream.state.QualificationAt(Day(0, -1)), nullptr);
}

TEST(Supplier, RefusesToFoldEventsOutOfOrderOrCorrupt) {
  const Stream approved = Approved();
  const auto fold = [](SupplierState state, const ledger::NewEvent& event) {
    return ApplySupplierEvent(state, ledger::SealEvent(event, 9, Day(5), ledger::kGenesisPrevHash));
  };
  auto created = CreateSupplier({}, Miltenyi(), kBuyer, kTerminal);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(fold(approved.state, *created).error().Code(), ErrorCode::kDataLoss);

  ledger::NewEvent qualified;
  qualified.stream = SupplierStream("SUP-MILTENYI");
  qualified.event_type = "materials.supplier_qualified";
  qualified.actor = kQa;
  qualified.terminal = std::string(kTerminal);
  qualified.payload = Json::MakeObject();
  // Signed with no change awaiting signature.
  const Status unproposed = fold(approved.state, qualified);
  ASSERT_FALSE(unproposed.has_value());
  EXPECT_EQ(unproposed.error().Code(), ErrorCode::kDataLoss);
  // Before the supplier exists.
  EXPECT_EQ(fold({}, qualified).error().Code(), ErrorCode::kDataLoss);

  auto audit =
      RecordAudit(approved.state, Audit(AuditOutcome::kSatisfactory), Day(5), kQaLead, kTerminal);
  ASSERT_TRUE(audit.has_value());
  audit->payload.Set("outcome", "excellent");
  EXPECT_EQ(fold(approved.state, *audit).error().Code(), ErrorCode::kDataLoss);
}

TEST(Supplier, RoundTripsItsStateThroughJson) {
  Stream stream = Approved();
  AuditCommand remote = Audit(AuditOutcome::kMinorFindings, Day(30));
  remote.report_sha256 = std::string(64, 'f');
  ASSERT_TRUE(
      Ok(stream.Append(RecordAudit(stream.state, remote, Day(31), kQaLead, kTerminal), Day(31))));
  ASSERT_TRUE(Ok(stream.Append(ProposeQualification(stream.state, Disqualification(),
                                                    kKnownMaterials, Day(32), kBuyer, kTerminal),
                               Day(32))));
  const SupplierState& state = stream.state;
  const Json json = SupplierToJson(state);
  auto back = SupplierFromJson(json);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(SupplierToJson(*back), json);
  EXPECT_TRUE(back->exists);
  EXPECT_EQ(back->id, state.id);
  EXPECT_EQ(back->created_at, kDay0);
  ASSERT_EQ(back->history.size(), 2U);
  EXPECT_EQ(back->history[1].from, state.history[1].from);
  EXPECT_EQ(back->history[1].qualified_until, Day(366));
  EXPECT_EQ(back->history[1].requalify_by, Day(301));
  EXPECT_EQ(back->history[1].approved_by, "quinn");
  EXPECT_EQ(back->history[0].qualified_until, std::nullopt);
  ASSERT_TRUE(back->proposed.has_value());
  EXPECT_EQ(back->proposed->status, SupplierStatus::kDisqualified);
  EXPECT_EQ(back->proposed->proposed_by, "pat");
  EXPECT_EQ(back->proposed->proposed_at, Day(32));
  ASSERT_EQ(back->audits.size(), 2U);
  EXPECT_EQ(back->audits[0].report_sha256, std::nullopt);
  EXPECT_EQ(back->audits[1].report_sha256, std::string(64, 'f'));
  EXPECT_EQ(back->audits[1].outcome, AuditOutcome::kMinorFindings);
  EXPECT_EQ(back->audits[1].recorded_at, Day(31));
  for (const Timestamp at : {Day(0, -1), Day(1), Day(20), Day(366)}) {
    EXPECT_EQ(QualifiedFor(*back, "MAT-IL2", at).message,
              QualifiedFor(state, "MAT-IL2", at).message);
  }

  for (std::string_view member : {"id", "created_at", "history", "audits"}) {
    Json broken = json;
    broken.Set(std::string(member), Json(true));
    auto refused = SupplierFromJson(broken);
    ASSERT_FALSE(refused.has_value()) << member;
    EXPECT_EQ(refused.error().Code(), ErrorCode::kDataLoss) << member;
  }
}

// Verifies G-09 on random histories: whether the supplier was qualified for a material at an
// instant follows from the events up to that instant alone, whatever was signed afterwards.
RC_GTEST_PROP(SupplierHistory, AnswersForAPastInstantAsTheEventsUpToItDid, ()) {
  Stream stream;
  RC_ASSERT(Ok(stream.Append(CreateSupplier({}, Miltenyi(), kBuyer, kTerminal), kDay0)));
  RC_ASSERT(Ok(stream.Append(
      RecordAudit(stream.state, Audit(AuditOutcome::kSatisfactory), kDay0, kQaLead, kTerminal),
      kDay0)));
  std::int64_t now = kDay0.Micros();
  const auto advance = [&] {
    // Several events may share an instant.
    now += *rc::gen::inRange<std::int64_t>(0, 20) * (kMicrosPerDay / 4);
    return Timestamp::FromMicros(now);
  };
  const auto steps = *rc::gen::inRange(1, 12);
  for (int i = 0; i < steps; ++i) {
    const Timestamp proposed = advance();
    QualificationCommand command = Disqualification();
    const auto status = *rc::gen::element(SupplierStatus::kApproved, SupplierStatus::kConditional,
                                          SupplierStatus::kDisqualified, SupplierStatus::kPending);
    command.status = status;
    if (status == SupplierStatus::kApproved || status == SupplierStatus::kConditional) {
      command.materials.clear();
      for (const std::string& material : kKnownMaterials) {
        if (*rc::gen::arbitrary<bool>()) command.materials.push_back(material);
      }
      if (command.materials.empty()) command.materials.emplace_back("MAT-IL2");
      const auto days = *rc::gen::inRange<std::int64_t>(1, 30);
      command.qualified_until = Timestamp::FromMicros(now + days * kMicrosPerDay);
      command.requalify_by = command.qualified_until;
      if (status == SupplierStatus::kConditional) command.conditions = "Full testing";
    }
    RC_ASSERT(Ok(stream.Append(
        ProposeQualification(stream.state, command, kKnownMaterials, proposed, kBuyer, kTerminal),
        proposed)));
    const Timestamp signed_at = advance();
    const bool approve = *rc::gen::inRange(0, 4) != 0;
    auto decision = DecideQualification(stream.state, PendingNumber(stream.state), approve, kQa.id,
                                        signed_at, kQa, kTerminal);
    if (!decision) {
      // The proposed end passed before the signature: QA rejects it instead.
      RC_ASSERT(decision.error().Code() == ErrorCode::kFailedPrecondition);
      decision = DecideQualification(stream.state, PendingNumber(stream.state), false, kQa.id,
                                     signed_at, kQa, kTerminal);
    }
    RC_ASSERT(Ok(stream.Append(decision, signed_at)));
  }

  // Probes on the quarter-day grid the events fall on, and a microsecond either side of it.
  constexpr std::int64_t kQuarter = kMicrosPerDay / 4;
  const std::int64_t start = kDay0.Micros() - kMicrosPerDay;
  const std::int64_t quarters = (stream.events.back().time.Micros() - start) / kQuarter;
  for (int probe = 0; probe < 8; ++probe) {
    const Timestamp at =
        Timestamp::FromMicros(start + *rc::gen::inRange<std::int64_t>(0, quarters) * kQuarter +
                              *rc::gen::element<std::int64_t>(-1, 0, 1));
    SupplierState then;
    for (const ledger::Event& event : stream.events) {
      if (event.time > at) break;
      RC_ASSERT(Ok(ApplySupplierEvent(then, event)));
    }
    for (const std::string& material : kKnownMaterials) {
      const SupplierCheck now_asked = QualifiedFor(stream.state, material, at);
      const SupplierCheck then_asked = QualifiedFor(then, material, at);
      RC_ASSERT(now_asked.qualified == then_asked.qualified);
      if (then.exists) {
        RC_ASSERT(now_asked.message == then_asked.message);
      } else {
        // Before its creation the prefix does not even know the supplier's id.
        RC_ASSERT(Contains(now_asked.message, " did not exist on "));
      }
    }
  }
}

}  // namespace
}  // namespace aliquot::materials
