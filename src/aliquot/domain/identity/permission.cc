#include "aliquot/domain/identity/permission.h"

#include <array>

#include "aliquot/core/check.h"
#include "aliquot/domain/identity/terminal.h"

namespace aliquot::identity {
namespace {

using enum Role;

constexpr RoleSet kEveryRole{kOperator,
                             kVerifier,
                             kQaReviewer,
                             kQaApprover,
                             kQcAnalyst,
                             kDocumentOwner,
                             kTrainingCoordinator,
                             kEquipmentOwner,
                             kWarehouse,
                             kSystemAdministrator,
                             kAuditor};
// Who may read the audit trail and the list of accounts and devices: the quality unit reviewing
// it (DI-01), inspectors, and the administrator who maintains them.
constexpr RoleSet kOversight{kQaReviewer, kQaApprover, kAuditor, kSystemAdministrator};
constexpr RoleSet kAdministrator{kSystemAdministrator};
// Every role that performs GMP work: the administrator and the auditor do none.
constexpr RoleSet kGmpRoles{kOperator,  kVerifier,      kQaReviewer,          kQaApprover,
                            kQcAnalyst, kDocumentOwner, kTrainingCoordinator, kEquipmentOwner,
                            kWarehouse};
// Who reads training records beyond their own: those who assign, supervise, review or audit it.
constexpr RoleSet kTrainingReaders{kVerifier,      kQaReviewer,          kQaApprover,
                                   kDocumentOwner, kTrainingCoordinator, kAuditor};

// In enum order: Actions() indexes it by the enum's value.
constexpr std::array<ActionDefinition, 67> kTable{{
    {Action::kViewOwnSession, "session.view", "See one's own session, roles and permissions",
     ActionKind::kSelfService, kEveryRole},
    {Action::kLogout, "session.logout", "Sign out", ActionKind::kSelfService, kEveryRole},
    {Action::kChangeOwnPassword, "account.change_password", "Change one's own password",
     ActionKind::kSelfService, kEveryRole},
    {Action::kEnrolTotp, "account.enrol_totp",
     "Enrol an authenticator app as one's second factor (TOTP)", ActionKind::kSelfService,
     kEveryRole},
    {Action::kViewRoles, "roles.view", "Read the roles and this permission table",
     ActionKind::kRead, kEveryRole},
    {Action::kViewSites, "site.view", "Read the sites and their security policy", ActionKind::kRead,
     kEveryRole},
    {Action::kViewUsers, "user.view", "Read user accounts, their roles and access approvals",
     ActionKind::kRead, kOversight},
    {Action::kViewTerminals, "terminal.view", "Read the registered terminals", ActionKind::kRead,
     kOversight},
    {Action::kReadAuditTrail, "audit_trail.read", "Read the ledger: events, checkpoints and proofs",
     ActionKind::kRead, kOversight},
    {Action::kViewSignatures, "signature.view",
     "Read a record's signatures and whether each is valid for its current content",
     ActionKind::kRead, kEveryRole},
    {Action::kViewDocuments, "document.view",
     "Read controlled documents, their versions, files, history and review dates",
     ActionKind::kRead, kEveryRole},
    {Action::kViewTraining, "training.view",
     "Read curricula, everyone's training records, the training matrix and overdue training",
     ActionKind::kRead, kTrainingReaders},
    {Action::kViewMaterials, "material.view",
     "Read suppliers, materials, lots, certificates and genealogy; ask the point-of-use check",
     ActionKind::kRead, kEveryRole},
    {Action::kCreateUser, "user.create", "Create a user account with a temporary password",
     ActionKind::kAdministration, kAdministrator},
    {Action::kRenameUser, "user.rename", "Change a user's printed name",
     ActionKind::kAdministration, kAdministrator},
    {Action::kAssignRoles, "user.assign_roles", "Set a user's roles per site",
     ActionKind::kAdministration, kAdministrator},
    {Action::kDeactivateUser, "user.deactivate", "Deactivate an account (never deleted)",
     ActionKind::kAdministration, kAdministrator},
    {Action::kReactivateUser, "user.reactivate", "Reactivate a deactivated account",
     ActionKind::kAdministration, kAdministrator},
    {Action::kResetPassword, "user.reset_password",
     "Issue a temporary password, to be changed at the next sign-in", ActionKind::kAdministration,
     kAdministrator},
    {Action::kUnlockUser, "user.unlock", "Unlock an account locked after failed sign-ins",
     ActionKind::kAdministration, kAdministrator},
    {Action::kResetTotp, "user.reset_totp", "Remove a user's authenticator (lost device)",
     ActionKind::kAdministration, kAdministrator},
    {Action::kRegisterTerminal, "terminal.register", "Register a device and issue its token",
     ActionKind::kAdministration, kAdministrator},
    {Action::kRestrictTerminal, "terminal.restrict", "Set the actions a terminal may perform",
     ActionKind::kAdministration, kAdministrator},
    {Action::kRetireTerminal, "terminal.retire", "Retire a terminal; its token stops working",
     ActionKind::kAdministration, kAdministrator},
    {Action::kCreateSite, "site.create", "Create a site", ActionKind::kAdministration,
     kAdministrator},
    {Action::kConfigureSite, "site.configure",
     "Set a site's password, lockout, session and signing policy", ActionKind::kAdministration,
     kAdministrator},
    {Action::kApproveUserAccess, "user.approve_access",
     "Sign a user's access (account and roles) as approved or rejected", ActionKind::kGmp,
     RoleSet{kQaApprover}},
    {Action::kUploadFile, "file.upload",
     "Upload a file (a document's PDF, a scanned certificate) to the content-addressed store",
     ActionKind::kGmp, kGmpRoles},
    {Action::kCreateDocument, "document.create",
     "Create a controlled document, draft its versions, propose its retirement", ActionKind::kGmp,
     RoleSet{kDocumentOwner}},
    {Action::kAuthorDocument, "document.author",
     "Sign a draft version as authored, submitting it for review", ActionKind::kGmp,
     RoleSet{kDocumentOwner}},
    {Action::kReviewDocument, "document.review",
     "Sign a version as reviewed or return it to draft; sign a document's periodic review",
     ActionKind::kGmp, RoleSet{kDocumentOwner, kQaReviewer, kQaApprover}},
    {Action::kApproveDocument, "document.approve",
     "Sign a reviewed version as approved (effective on its date); approve a retirement",
     ActionKind::kGmp, RoleSet{kQaApprover}},
    {Action::kManageTraining, "training.manage", "Set curricula and assign training",
     ActionKind::kGmp, RoleSet{kTrainingCoordinator}},
    {Action::kRecordTrainingSession, "training.record_session",
     "Record and sign an instructor-led session with the trainee's assessment", ActionKind::kGmp,
     RoleSet{kVerifier, kDocumentOwner, kTrainingCoordinator}},
    {Action::kCompleteTraining, "training.complete",
     "Sign a training record as performed: one's own read-and-understood, or a session one "
     "trained",
     ActionKind::kGmp, kGmpRoles},
    {Action::kPerformGovernedWork, "training.gate",
     "Ask to perform work governed by a document: refused unless trained on its effective "
     "version",
     ActionKind::kGmp, kGmpRoles},
    {Action::kManageSuppliers, "supplier.manage",
     "Create a supplier, record its audits, propose a change of its qualification",
     ActionKind::kGmp, RoleSet{kQaReviewer, kQaApprover}},
    {Action::kApproveSupplier, "supplier.approve",
     "Sign a proposed change of a supplier's qualification as approved or rejected",
     ActionKind::kGmp, RoleSet{kQaApprover}},
    {Action::kDefineMaterial, "material.define", "Define a material and revise its specification",
     ActionKind::kGmp, RoleSet{kQcAnalyst, kQaApprover}},
    {Action::kReceiveLot, "lot.receive",
     "Receive a supplier's lot or an apheresis collection into quarantine", ActionKind::kGmp,
     RoleSet{kWarehouse}},
    {Action::kProduceLot, "lot.produce",
     "Record a lot made in house (an intermediate, a product unit)", ActionKind::kGmp,
     RoleSet{kOperator, kWarehouse}},
    {Action::kTestLot, "lot.test",
     "Enter a certificate of analysis; record an identity test on receipt", ActionKind::kGmp,
     RoleSet{kQcAnalyst}},
    {Action::kDetermineEligibility, "donor.determine_eligibility",
     "Determine a collection donor's eligibility from screening and testing", ActionKind::kGmp,
     RoleSet{kQaApprover}},
    {Action::kDisposeLot, "lot.release", "Sign a lot as released or rejected", ActionKind::kGmp,
     RoleSet{kQaApprover}},
    {Action::kConsumeLot, "lot.consume",
     "Consume a lot into a batch or another lot; withdraw samples and waste", ActionKind::kGmp,
     RoleSet{kOperator, kWarehouse}},
    {Action::kViewEquipment, "equipment.view",
     "Read rooms, equipment, logbooks and equipment status; ask the equipment check; sign as "
     "performed a logbook entry one performed oneself",
     ActionKind::kRead, kEveryRole},
    {Action::kViewEnvironment, "environment.view",
     "Read sampling locations, environmental monitoring results and the Annex 1 limits",
     ActionKind::kRead, kEveryRole},
    {Action::kViewDeviations, "deviation.view", "Read deviations and the batches they may affect",
     ActionKind::kRead, kEveryRole},
    {Action::kManageEquipment, "equipment.manage",
     "Define rooms; register equipment, change its definition; record its qualification",
     ActionKind::kGmp, RoleSet{kEquipmentOwner, kQaApprover}},
    {Action::kUseEquipment, "equipment.use",
     "Start and end a use of equipment by a batch; record a cleaning", ActionKind::kGmp,
     RoleSet{kOperator, kVerifier, kQcAnalyst, kEquipmentOwner}},
    {Action::kMaintainEquipment, "equipment.maintain",
     "Record maintenance and calibration; take equipment out of service and return it",
     ActionKind::kGmp, RoleSet{kEquipmentOwner}},
    {Action::kVerifyEquipmentEntry, "equipment.verify",
     "Verify another person's logbook entry as the second person (cleaning, calibration, "
     "maintenance, qualification, return to service)",
     ActionKind::kGmp, RoleSet{kVerifier, kEquipmentOwner, kQaReviewer, kQaApprover}},
    {Action::kPlanMonitoring, "environment.plan",
     "Define environmental monitoring locations, the samples planned and their alert levels",
     ActionKind::kGmp, RoleSet{kQcAnalyst, kQaApprover}},
    {Action::kRecordMonitoring, "environment.record", "Record environmental monitoring results",
     ActionKind::kGmp, RoleSet{kQcAnalyst}},
    {Action::kViewRecipes, "recipe.view",
     "Read products, master batch records, their versions, definitions and differences",
     ActionKind::kRead, kEveryRole},
    {Action::kAuthorRecipe, "recipe.author",
     "Define products and master batch records; import a definition as a draft version; sign it "
     "as authored (prepared); propose a retirement",
     ActionKind::kGmp, RoleSet{kDocumentOwner}},
    {Action::kCheckRecipe, "recipe.check",
     "Sign a master batch record version as reviewed (the independent check) or return it to "
     "draft",
     ActionKind::kGmp, RoleSet{kDocumentOwner, kQaReviewer, kQaApprover}},
    {Action::kApproveRecipe, "recipe.approve",
     "Sign a checked master batch record version as approved (effective on its date); approve a "
     "retirement",
     ActionKind::kGmp, RoleSet{kQaApprover}},
    {Action::kAssessDeviation, "deviation.assess",
     "Assess a deviation: its classification, impact on product and the batches affected",
     ActionKind::kGmp, RoleSet{kQaReviewer, kQaApprover}},
    {Action::kCloseDeviation, "deviation.close",
     "Close an assessed deviation by e-signature with its justification", ActionKind::kGmp,
     RoleSet{kQaApprover}},
    {Action::kViewBatches, "batch.view",
     "Read batches, their executed batch records, exceptions and refused attempts",
     ActionKind::kRead, kEveryRole},
    {Action::kCreateBatch, "batch.create",
     "Create a batch from the effective master batch record version, with its chain-of-identity "
     "identifiers, batch inputs and starting material",
     ActionKind::kGmp, RoleSet{kVerifier}},
    {Action::kExecuteBatch, "batch.execute",
     "Start and complete steps; scan equipment, lots and labels; enter, correct and mark values "
     "not applicable; take samples",
     ActionKind::kGmp, RoleSet{kOperator, kVerifier}},
    {Action::kVerifyBatchStep, "batch.verify",
     "Verify another person's step by e-signature as the second person (A11-01)", ActionKind::kGmp,
     RoleSet{kOperator, kVerifier}},
    {Action::kSuperviseBatch, "batch.supervise",
     "Acknowledge a step's action-limit excursion or override a refused hold time, expiry or "
     "minimum duration by e-signature; put a batch on hold and resume it",
     ActionKind::kGmp, RoleSet{kVerifier}},
    {Action::kReviewBatch, "batch.review",
     "Start the review of a completed batch; record its exceptions as reviewed", ActionKind::kGmp,
     RoleSet{kQaReviewer, kQaApprover}},
    {Action::kDisposeBatch, "batch.release", "Release or reject a batch by e-signature (A11-04)",
     ActionKind::kGmp, RoleSet{kQaApprover}},
}};

constexpr bool TableIsInEnumOrder() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<std::size_t>(kTable[i].action) != i) return false;
  }
  return true;
}
static_assert(TableIsInEnumOrder(), "kTable must list the actions in enum order");
static_assert(kTable.size() <= ActionSet::kCapacity, "ActionSet must hold every action");

// Segregation of duties: the system administrator manages accounts and configuration but never
// performs, verifies, approves or releases a GMP record.
constexpr bool AdministratorHasNoGmpAction() {
  for (const ActionDefinition& definition : kTable) {
    if (definition.kind == ActionKind::kGmp && definition.roles.Contains(kSystemAdministrator)) {
      return false;
    }
  }
  return true;
}
static_assert(AdministratorHasNoGmpAction(), "the system administrator may not hold GMP actions");

}  // namespace

std::span<const ActionDefinition> Actions() { return kTable; }

const ActionDefinition& DefinitionOf(Action action) {
  const auto index = static_cast<std::size_t>(action);
  ALIQUOT_CHECK(index < kTable.size());
  return kTable[index];
}

std::string_view ActionName(Action action) { return DefinitionOf(action).name; }

std::optional<Action> ActionFromName(std::string_view name) {
  for (const ActionDefinition& definition : kTable) {
    if (definition.name == name) return definition.action;
  }
  return std::nullopt;
}

bool Permits(RoleSet roles, Action action) { return roles.Intersects(DefinitionOf(action).roles); }

}  // namespace aliquot::identity
