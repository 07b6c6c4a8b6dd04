// Role: what a person does at a site, the unit permissions are granted to (21 CFR 11.10(g),
// P11-07). Roles are a closed set known to the code, so that every permission and the
// segregation of duties between them can be tested.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace aliquot::identity {

enum class Role : std::uint8_t {
  kOperator,             // Performs batch steps on the cleanroom floor.
  kVerifier,             // Supervisor: second-person checks of critical entries.
  kQaReviewer,           // Reviews records by exception; reviews audit trails.
  kQaApprover,           // Approves and releases; approves user access.
  kQcAnalyst,            // Test results, certificates of analysis, environmental monitoring.
  kDocumentOwner,        // Authors and owns controlled documents.
  kTrainingCoordinator,  // Training assignments and records.
  kEquipmentOwner,       // Equipment status, calibration, cleaning, maintenance.
  kWarehouse,            // Material receipt and lots.
  kSystemAdministrator,  // Accounts, terminals and configuration; no GMP records.
  kAuditor,              // Read-only: an inspector or auditor reading the record.
};

inline constexpr std::array kAllRoles{
    Role::kOperator,
    Role::kVerifier,
    Role::kQaReviewer,
    Role::kQaApprover,
    Role::kQcAnalyst,
    Role::kDocumentOwner,
    Role::kTrainingCoordinator,
    Role::kEquipmentOwner,
    Role::kWarehouse,
    Role::kSystemAdministrator,
    Role::kAuditor,
};

// The stable name used in events, the API and the docs: "qa_approver".
std::string_view RoleName(Role role);
// What a person reads on a screen: "QA approver (release)".
std::string_view RoleTitle(Role role);
// The role named `name`, or nullopt.
std::optional<Role> RoleFromName(std::string_view name);
// True for the roles that create, perform, verify, review, approve or release GMP records: every
// role but the system administrator and the auditor. Segregation of duties: a GMP role is never
// held together with the system administrator's.
bool IsGmpRole(Role role);

// A set of roles, for example the roles one user holds at one site.
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role role : roles) Add(role);
  }
  constexpr void Add(Role role) { bits_ |= Bit(role); }
  constexpr bool Contains(Role role) const { return (bits_ & Bit(role)) != 0; }
  constexpr bool Intersects(RoleSet other) const { return (bits_ & other.bits_) != 0; }
  constexpr bool Empty() const { return bits_ == 0; }
  friend constexpr bool operator==(RoleSet, RoleSet) = default;

 private:
  static constexpr std::uint32_t Bit(Role role) {
    return std::uint32_t{1} << static_cast<std::uint8_t>(role);
  }
  std::uint32_t bits_ = 0;
};

}  // namespace aliquot::identity
