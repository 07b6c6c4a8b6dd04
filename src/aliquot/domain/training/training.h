// Training tied to the exact version of a controlled document (21 CFR 211.25, G-11; 11.10(i),
// P11-09). Curricula say which roles work to which documents; a major revision assigns everyone in
// those roles to train again before it becomes effective; a person completes training by a
// read-and-understood signature or by an instructor's signed record with an assessment. The
// qualification question, and the gate every GMP action governed by a document passes, are
// answered here from recorded dates alone, so the answer for a past instant never changes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/documents/document.h"
#include "aliquot/domain/identity/role.h"
#include "aliquot/ledger/event.h"

namespace aliquot::training {

// Which roles at a site work to which documents, and how long a qualification lasts.
struct Curriculum {
  bool exists = false;
  std::string id;  // "CUR-OPERATOR"
  std::string site;
  std::string title;
  identity::RoleSet roles;
  std::vector<std::string> documents;
  std::optional<int> requalification_months;  // nullopt: a qualification does not expire.
};

ledger::StreamRef CurriculumStream(std::string_view curriculum_id);
// Each user's training record is one stream: completions, assignments, gate refusals.
ledger::StreamRef TrainingStream(std::string_view user_id);

struct CurriculumCommand {
  std::string id;
  std::string site;
  std::string title;
  identity::RoleSet roles;
  std::vector<std::string> documents;
  std::optional<int> requalification_months;
};

// Creates or replaces a curriculum. `known_documents` are the ids that exist. Returns
// kInvalidArgument naming the field (id, title, roles: at least one GMP role, documents: 1-500
// known ids without repeats, requalification_months: 1-120).
Result<ledger::NewEvent> SetCurriculum(const Curriculum& state, const CurriculumCommand& command,
                                       const std::vector<std::string>& sites,
                                       std::span<const std::string> known_documents,
                                       std::string_view reason, const ledger::Actor& actor,
                                       std::string_view terminal);

enum class Method { kSelfStudy, kInstructorLed };
std::string_view MethodName(Method method);  // "self_study", "instructor_led"

// One completed training: a person on one version of one document.
struct Completion {
  std::uint64_t seq = 0;  // The event that recorded it.
  std::string document;
  int version = 0;
  Timestamp completed_at;
  Method method = Method::kSelfStudy;
  bool passed = true;  // An instructor's assessment can fail.
  std::optional<std::string> trainer;
  std::optional<std::string> assessment;  // "passed" / "failed", with a score where given.
  std::optional<Timestamp> expires_at;    // From the curricula in force at completion.
};

// Training a person is to complete by a date.
struct Assignment {
  std::string document;
  int version = 0;
  Timestamp assigned_at;
  Timestamp due;
  std::string reason;                  // "major revision SOP-CT-004 v3", or the coordinator's.
  std::optional<Timestamp> closed_at;  // Completed, or superseded by a newer assignment.

  bool OpenAt(Timestamp t) const { return assigned_at <= t && (!closed_at || t < *closed_at); }
};

// An instructor-led session recorded, awaiting the trainer's signature.
struct PendingSession {
  bool exists = false;
  std::string trainer;
  bool passed = true;
  std::optional<std::string> score;  // "18/20"
  std::optional<std::string> comment;
  Timestamp recorded_at;
};

enum class Reason {
  kQualified,
  kNotEffective,    // No version of the document is effective at that instant.
  kNeverTrained,    // No passed training on any version.
  kEarlierVersion,  // Trained only on versions before the latest major revision.
  kExpired,         // The qualification lapsed (requalification interval).
  kOverdue,         // An assignment on the document is past its due date.
};
std::string_view ReasonName(Reason reason);  // "trained_on_earlier_version"

struct Qualification {
  Reason reason = Reason::kQualified;
  std::string user;
  std::string document;
  Timestamp at;
  std::optional<int> effective_version;  // The version effective at `at`.
  std::optional<int> baseline_version;   // The lowest version that qualifies for it.
  std::optional<int> trained_version;    // The latest version the user passed training on.
  std::optional<Timestamp> trained_at;
  std::optional<Timestamp> expired_at;
  std::optional<Timestamp> overdue_since;  // The due date of the overdue assignment.
  std::string message;  // A sentence for the person refused: which version, since when, why.

  bool Qualified() const { return reason == Reason::kQualified; }
};

// Whether `user` is qualified at `at` to perform work governed by `document`, from the document's
// versions and the user's completions and assignments on it (any order). Pure: the answer uses
// only facts dated at or before `at`.
Qualification Qualify(std::string_view user, const documents::DocumentState& document,
                      std::span<const Completion> completions,
                      std::span<const Assignment> assignments, Timestamp at);

// How many months a qualification on `document` lasts for a holder of `roles` at `site`: the
// shortest requalification interval of the curricula that require it of them; nullopt: for good.
std::optional<int> RequalificationMonths(std::span<const Curriculum> curricula,
                                         std::string_view site, identity::RoleSet roles,
                                         std::string_view document);
// When a qualification gained at `completed_at` lapses: RequalificationMonths later.
std::optional<Timestamp> ExpiryOf(std::span<const Curriculum> curricula, std::string_view site,
                                  identity::RoleSet roles, std::string_view document,
                                  Timestamp completed_at);
// The expiry a completion recorded at `completed_at` carries: its interval after that instant.
std::optional<Timestamp> ExpiryAfter(Timestamp completed_at,
                                     std::optional<int> requalification_months);

// The roles at `site` whose curricula include `document`.
identity::RoleSet RolesRequiring(std::span<const Curriculum> curricula, std::string_view site,
                                 std::string_view document);

// The assignment of `version` of `document` to `user`, due `due` (not in the past). Returns
// kInvalidArgument naming the field.
Result<ledger::NewEvent> Assign(std::string_view user, std::string_view document, int version,
                                Timestamp due, std::string_view reason, Timestamp now,
                                const ledger::Actor& actor, std::string_view terminal);

// The assignments a newly approved `version` of `document` brings: for a major revision, one per
// user in `users` (those holding a role that requires the document), due on its effective date;
// for a minor one, none (G-11: training follows a change in how the work is done).
std::vector<ledger::NewEvent> RetrainingFor(const documents::DocumentState& document,
                                            const documents::VersionState& version,
                                            std::span<const std::string> users,
                                            const ledger::Actor& actor, std::string_view terminal);

// An instructor's record of a session, to be signed by them. Returns kInvalidArgument naming the
// field, kFailedPrecondition when the version is not approved (one trains on what is approved).
Result<ledger::NewEvent> RecordSession(std::string_view trainee,
                                       const documents::DocumentState& document, int version,
                                       bool passed, const std::optional<std::string>& score,
                                       const std::optional<std::string>& comment,
                                       const ledger::Actor& trainer, std::string_view terminal);

// The completion a signature "performed" on the training record (user, document, version) brings:
// by the trainee for self-study (read and understood), or by the trainer of a pending session. It
// records `requalification_months`; the qualification expires that long after the completion's
// own recorded time (ExpiryAfter). Returns kPermissionDenied when the signer is neither,
// kFailedPrecondition when the version is not approved or already completed.
Result<ledger::NewEvent> Complete(std::string_view trainee,
                                  const documents::DocumentState& document, int version,
                                  const PendingSession& session,
                                  std::span<const Completion> completions,
                                  std::optional<int> requalification_months,
                                  std::string_view signer, Timestamp now,
                                  const ledger::Actor& actor, std::string_view terminal);

// What the work is, as a gate request names it ("transduction, batch B-0001"): at most 200
// bytes. Returns kInvalidArgument (field "purpose").
Status CheckPurpose(std::string_view purpose);

// The record of a refused attempt at work governed by a document (the gate).
ledger::NewEvent GateRefusal(const Qualification& qualification, std::string_view purpose,
                             const ledger::Actor& actor, std::string_view terminal);

}  // namespace aliquot::training
