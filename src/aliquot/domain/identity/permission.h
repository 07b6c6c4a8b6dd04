// The permission table: every action the system authorises, what it is, and which roles may
// perform it. It is the one definition that the authorisation check, the API documentation
// (GET /api/v1/roles, docs/identity.md) and the role x action matrix test all read (P11-07).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "aliquot/domain/identity/role.h"

namespace aliquot::identity {

enum class Action : std::uint8_t {
  // Every signed-in user, whatever the role: their own session and account.
  kViewOwnSession,
  kLogout,
  kChangeOwnPassword,
  kEnrolTotp,
  // Reading.
  kViewRoles,
  kViewSites,
  kViewUsers,
  kViewTerminals,
  kReadAuditTrail,
  kViewSignatures,
  kViewDocuments,
  kViewTraining,
  kViewMaterials,
  // Administration: accounts, devices and configuration.
  kCreateUser,
  kRenameUser,
  kAssignRoles,
  kDeactivateUser,
  kReactivateUser,
  kResetPassword,
  kUnlockUser,
  kResetTotp,
  kRegisterTerminal,
  kRestrictTerminal,
  kRetireTerminal,
  kCreateSite,
  kConfigureSite,
  // GMP records, signed.
  kApproveUserAccess,
  kUploadFile,
  kCreateDocument,
  kAuthorDocument,
  kReviewDocument,
  kApproveDocument,
  kManageTraining,
  kRecordTrainingSession,
  kCompleteTraining,
  kPerformGovernedWork,
  kManageSuppliers,
  kApproveSupplier,
  kDefineMaterial,
  kReceiveLot,
  kProduceLot,
  kTestLot,
  kDetermineEligibility,
  kDisposeLot,
  kConsumeLot,
  // Equipment, environmental monitoring and deviations: reads, then GMP records.
  kViewEquipment,
  kViewEnvironment,
  kViewDeviations,
  kManageEquipment,
  kUseEquipment,
  kMaintainEquipment,
  kVerifyEquipmentEntry,
  kPlanMonitoring,
  kRecordMonitoring,
  // Master batch records: products, processes and their versions.
  kViewRecipes,
  kAuthorRecipe,
  kCheckRecipe,
  kApproveRecipe,
  // Deviations: QA's assessment and closure.
  kAssessDeviation,
  kCloseDeviation,
  // Batch execution, review and disposition.
  kViewBatches,
  kCreateBatch,
  kExecuteBatch,
  kVerifyBatchStep,
  kSuperviseBatch,
  kReviewBatch,
  kDisposeBatch,
};

enum class ActionKind : std::uint8_t {
  kSelfService,     // On one's own session or account; allowed on every terminal.
  kRead,            // Reads records.
  kAdministration,  // Accounts, terminals, configuration: the system administrator's work.
  kGmp,             // Performs, verifies, approves or releases a GMP record. Never the system
                    // administrator's (segregation of duties).
};

struct ActionDefinition {
  Action action;
  std::string_view name;  // Stable, as in events and the API: "user.create".
  std::string_view description;
  ActionKind kind;
  RoleSet roles;  // The roles that may perform it.
};

// Every action, in enum order.
std::span<const ActionDefinition> Actions();
const ActionDefinition& DefinitionOf(Action action);
std::string_view ActionName(Action action);
std::optional<Action> ActionFromName(std::string_view name);

// True when one of `roles` may perform `action`.
bool Permits(RoleSet roles, Action action);

}  // namespace aliquot::identity
