#include "aliquot/domain/identity/role.h"

namespace aliquot::identity {
namespace {

struct RoleText {
  Role role;
  std::string_view name;
  std::string_view title;
  bool gmp;
};

constexpr std::array<RoleText, kAllRoles.size()> kRoleTexts{{
    {Role::kOperator, "operator", "Operator", true},
    {Role::kVerifier, "verifier", "Verifier (supervisor)", true},
    {Role::kQaReviewer, "qa_reviewer", "QA reviewer", true},
    {Role::kQaApprover, "qa_approver", "QA approver (release)", true},
    {Role::kQcAnalyst, "qc_analyst", "QC analyst", true},
    {Role::kDocumentOwner, "document_owner", "Document owner", true},
    {Role::kTrainingCoordinator, "training_coordinator", "Training coordinator", true},
    {Role::kEquipmentOwner, "equipment_owner", "Equipment owner", true},
    {Role::kWarehouse, "warehouse", "Warehouse", true},
    {Role::kSystemAdministrator, "system_administrator", "System administrator", false},
    {Role::kAuditor, "auditor", "Auditor (read-only)", false},
}};

const RoleText& TextOf(Role role) { return kRoleTexts[static_cast<std::size_t>(role)]; }

}  // namespace

std::string_view RoleName(Role role) { return TextOf(role).name; }

std::string_view RoleTitle(Role role) { return TextOf(role).title; }

bool IsGmpRole(Role role) { return TextOf(role).gmp; }

std::optional<Role> RoleFromName(std::string_view name) {
  for (const RoleText& text : kRoleTexts) {
    if (text.name == name) return text.role;
  }
  return std::nullopt;
}

}  // namespace aliquot::identity
