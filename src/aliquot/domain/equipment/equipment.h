// Equipment and its logbook (21 CFR 211.68, 211.105(b), 211.182; G-06, G-07, G-10; A11-01): a
// piece of equipment with a distinct id, its class and room, its qualification, calibration,
// preventive maintenance and cleaning rules; the chronological, append-only logbook of everything
// done with it; its status as of any instant; and the check every step that uses it passes: may
// equipment E be used at instant t for a step that needs class C in a room of grade G?
//
// One principle decides when an entry takes effect. What restricts use (a use, a calibration out of
// tolerance, taking it out of service) takes effect the moment it is recorded. What permits use
// again (a cleaning, a passing calibration, preventive maintenance, a qualification, a return to
// service) takes effect only once its performer has signed it and, where the equipment's rules ask
// for it, a second person has verified it (A11-01). So an unsigned cleaning never makes a cabinet
// clean, and a failed calibration stops use before anyone signs anything.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/environment/room.h"
#include "aliquot/ledger/event.h"

namespace aliquot::equipment {

using environment::Grade;

enum class EquipmentClass {
  kBiosafetyCabinet,
  kIncubator,
  kBioreactor,
  kCellProcessingSystem,  // Counterflow centrifugation, magnetic selection: a closed system.
  kCentrifuge,
  kControlledRateFreezer,
  kLn2Storage,
  kRefrigerator,
  kFreezer,
  kBalance,
  kPipette,
  kCellCounter,
  kFlowCytometer,
  kPcrInstrument,
  kTubeSealer,
  kSterileWelder,
  kThawingDevice,
  kParticleCounter,
  kAirSampler,
};
std::string_view EquipmentClassName(EquipmentClass value);  // "biosafety_cabinet"
std::optional<EquipmentClass> EquipmentClassFromName(std::string_view name);

// When the equipment must be cleaned again before it is used.
enum class CleaningRule {
  kNone,             // Not cleaned between uses (a freezer, an LN2 tank): no clean status.
  kAfterEachUse,     // Any use makes it dirty.
  kBetweenBatches,   // Used again by the same batch without cleaning; another batch needs one.
  kBetweenProducts,  // Campaigns: the same product again; another product needs a cleaning.
  kBetweenPatients,  // Autologous work: one patient's material, then a cleaning (T-01).
};
std::string_view CleaningRuleName(CleaningRule rule);  // "between_patients"
std::optional<CleaningRule> CleaningRuleFromName(std::string_view name);

// What a logbook entry records. Every event of an equipment's stream is one entry.
enum class EntryKind {
  kRegistered,
  kRedefined,
  kQualification,
  kUseStarted,
  kUseEnded,
  kUseRefused,
  kCleaning,
  kMaintenance,
  kCalibration,
  kOutOfService,
  kReturnedToService,
  kSigned,    // The performer's signature of an earlier entry.
  kVerified,  // A second person's check of an earlier entry.
};
std::string_view EntryKindName(EntryKind kind);  // "use_started", "returned_to_service"
std::optional<EntryKind> EntryKindFromName(std::string_view name);
// Kinds that permit use again: they take effect once signed (and verified where required).
bool IsSignedKind(EntryKind kind);

enum class QualificationStatus { kNotQualified, kQualified };
std::string_view QualificationStatusName(QualificationStatus status);  // "qualified"
std::optional<QualificationStatus> QualificationStatusFromName(std::string_view name);

enum class MaintenanceType { kPreventive, kCorrective };
std::string_view MaintenanceTypeName(MaintenanceType type);  // "preventive", "corrective"
std::optional<MaintenanceType> MaintenanceTypeFromName(std::string_view name);

struct Definition {
  std::string name;  // "Class II biosafety cabinet, suite 1"
  EquipmentClass equipment_class = EquipmentClass::kBiosafetyCabinet;
  std::string manufacturer;
  std::string model;
  std::string serial_number;
  std::string room;                              // Where it stands (a room id).
  std::optional<int> calibration_interval_days;  // Absent: not calibrated. 1-3650.
  std::optional<int> maintenance_interval_days;  // Absent: no preventive schedule. 1-3650.
  CleaningRule cleaning_rule = CleaningRule::kNone;
  std::optional<int> clean_hold_hours;  // How long a cleaning lasts unused. 1-8760.
  // The unit calibration points are checked in ("g", "uL", "C", "cells/mL", "m/s"); required
  // with a calibration interval.
  std::optional<std::string> measures;
  // Signed kinds that also need a second person's verification. Qualification always does.
  std::vector<EntryKind> second_person_checks;

  bool NeedsVerification(EntryKind kind) const;
  friend bool operator==(const Definition&, const Definition&) = default;
};

// Who performed an entry that must be signed, and whether it has been.
struct Signoff {
  int entry = 0;
  Timestamp at;
  std::string performed_by;
  bool needs_verification = false;
  std::optional<Timestamp> signed_at;
  std::optional<Timestamp> verified_at;
  std::string verified_by;

  bool Effective() const { return signed_at && (!needs_verification || verified_at); }
};

struct Use {
  int entry = 0;
  std::string batch;
  std::string product;
  std::string lot;
  std::string step;
  std::string patient_code;
  std::string room;  // The room it stood in, as used.
  Timestamp started;
  std::optional<Timestamp> ended;
  int ended_entry = 0;
};

struct Cleaning {
  Signoff signoff;
  std::string agent;   // "70% IPA, then sporicidal (Klercide)"
  std::string method;  // "wipe-down per SOP-CLN-004"
};

struct CalibrationPoint {
  double nominal = 0;
  double as_found = 0;
  std::optional<double> as_left;  // After adjustment; absent when none was made.
  double tolerance = 0;           // +/- around nominal, in `unit`.
  std::string unit;
};

struct Calibration {
  Signoff signoff;
  // When the work was done, as its certificate dates it: the interval runs from here. At or
  // before the entry (signoff.at), never before the previous calibration's.
  Timestamp performed_on;
  bool as_found_in_tolerance = true;  // False: what was measured since may be wrong (impact).
  bool in_tolerance = true;           // As left: fit for use once signed.
  std::string provider;
  std::string reference_standard;
  std::vector<CalibrationPoint> points;  // As entered, each in its own unit (AL-02).
  std::optional<std::string> certificate_sha256;
};

struct Maintenance {
  Signoff signoff;
  Timestamp performed_on;  // As for a calibration.
  MaintenanceType type = MaintenanceType::kPreventive;
  std::string description;
};

struct Qualification {
  Signoff signoff;
  QualificationStatus status = QualificationStatus::kNotQualified;
  std::string reference;  // The protocol / report: "IQOQ-BSC-01-2026".
  std::optional<std::string> report_sha256;
};

struct OutOfService {
  int entry = 0;
  Timestamp since;
  std::string reason;
  std::string by;
};

// The equipment's state: its definition and, for each kind that decides its status, the latest
// entry and the latest effective one. Compact whatever the logbook's length, so the check reads one
// row.
struct EquipmentState {
  bool exists = false;
  std::string id;
  Definition definition;
  Timestamp registered_at;
  int entries = 0;  // The logbook's length: entry numbers run 1..entries.

  std::optional<Qualification> qualification;                          // Latest entry.
  QualificationStatus qualified = QualificationStatus::kNotQualified;  // Latest effective.
  std::optional<Use> last_use;                    // Latest use started, ended or not.
  std::optional<Cleaning> latest_cleaning;        // Latest entry, signed or not.
  std::optional<Cleaning> clean;                  // Latest effective cleaning.
  std::optional<Calibration> latest_calibration;  // Latest entry.
  std::optional<Calibration> good_calibration;    // Latest effective and in tolerance.
  std::optional<int> failed_calibration;  // Entry of a calibration out of tolerance as left, not
                                          // yet followed by a good one: blocks use.
  std::optional<Maintenance> latest_maintenance;  // Latest entry.
  std::optional<Timestamp> preventive_done;       // Latest effective preventive maintenance.
  std::optional<OutOfService> out_of_service;     // Set while out of service.
  std::optional<Signoff> pending_return;          // A return to service awaiting signature.

  // The entry the signature or verification of `number` concerns, if it is the latest of a signed
  // kind: what may still be signed.
  const Signoff* Signable(int number, EntryKind* kind) const;
};

ledger::StreamRef EquipmentStream(std::string_view equipment_id);

// Registers equipment with its definition; its first entry. kInvalidArgument naming the field
// ("calibration_interval_days", "measures", "second_person_checks[0]"): a malformed id, name or
// interval, a unit Aliquot does not know, a calibration interval without a measured unit, a second
// check on a kind that is not signed; kNotFound (field "room") when `room` does not exist;
// kAlreadyExists for an id in use.
Result<ledger::NewEvent> Register(const EquipmentState& state, std::string_view id,
                                  const Definition& definition, const environment::RoomState& room,
                                  const ledger::Actor& actor, std::string_view terminal);
// Changes the definition (a move to another room, a new interval), with a reason. Refused as
// Register is, and kAlreadyExists when nothing changes, kFailedPrecondition when it moves room
// while in use.
Result<ledger::NewEvent> Redefine(const EquipmentState& state, const Definition& definition,
                                  const environment::RoomState& room, std::string_view reason,
                                  Timestamp now, const ledger::Actor& actor,
                                  std::string_view terminal);

// The status as of `at`, from the state folded up to `at` (EquipmentState as it stood then).
// Used since cleaning: whether it may be used again without a cleaning depends on the rule and who
// asks (the same patient's batch may; another patient's may not).
enum class CleanStatus { kNotRequired, kNeverCleaned, kClean, kUsedSinceCleaning, kExpired };
// "not_required", "never_cleaned", "clean", "used_since_cleaning", "expired"
std::string_view CleanStatusName(CleanStatus status);

struct EquipmentStatus {
  Timestamp at;
  QualificationStatus qualification = QualificationStatus::kNotQualified;
  bool out_of_service = false;
  std::optional<Timestamp> calibration_due;  // With a calibration interval and a good calibration.
  bool calibration_overdue = false;          // Also when never calibrated or failed.
  std::optional<Timestamp> maintenance_due;
  bool maintenance_overdue = false;
  CleanStatus clean = CleanStatus::kNotRequired;
  std::optional<Timestamp> clean_until;  // When the clean status lapses unused.
  std::optional<Use> in_use;             // A use started and not ended.
  // "entry 12 (cleaning) awaits a second person's verification"
  std::vector<std::string> awaiting;
};
EquipmentStatus StatusAt(const EquipmentState& state, Timestamp at);

// The equipment check (G-06, G-07, P11-06). Refusals, in the order checked.
enum class UseRefusal {
  kNone,
  kWrongClass,          // Not of the class the step needs.
  kWrongRoomGrade,      // Its room is of a lower grade than the step needs.
  kOutOfService,        // Taken out of service and not returned.
  kNotQualified,        // No effective qualification.
  kCalibrationOverdue,  // Due date passed, never calibrated, or out of tolerance.
  kMaintenanceOverdue,  // Preventive maintenance due date passed.
  kInUse,               // In use by another batch.
  kNotClean,            // Never cleaned, dirty after use, clean status expired, or a cleaning
                        // awaiting signature.
};
std::string_view UseRefusalName(UseRefusal refusal);  // "calibration_overdue"

struct UseRequest {
  std::optional<EquipmentClass> required_class;
  std::optional<Grade> required_grade;
  std::string batch;         // Who will use it.
  std::string product;       // For between_products; may be empty.
  std::string patient_code;  // For between_patients; may be empty.
  Timestamp at;
};

struct UseCheck {
  UseRefusal refusal = UseRefusal::kNone;
  std::string message;  // For the operator: the equipment, the reason, the dates.
  std::string equipment;
  Timestamp at;
  bool Allowed() const { return refusal == UseRefusal::kNone; }
};

// May `state` (in `room`, as it stood at request.at) be used as `request` asks? kNotFound when the
// equipment does not exist.
Result<UseCheck> CheckUse(const EquipmentState& state, const environment::RoomState& room,
                          const UseRequest& request);

struct UseInput {
  std::string batch;  // Required.
  std::string product;
  std::string lot;
  std::string step;
  std::string patient_code;  // Checked as a distinct identification code (T-02) when given.
  std::optional<EquipmentClass> required_class;
  std::optional<Grade> required_grade;
};
// Checks the fields of a use: kInvalidArgument naming the field.
Status CheckUseInput(const UseInput& input);

// Starts a use that `check` (decided for this state at `now`) allowed: the entry linking the
// equipment to the batch, product, lot and step (G-03, G-06, G-07). ALIQUOT_CHECKs the check.
ledger::NewEvent StartUse(const EquipmentState& state, const UseInput& input, const UseCheck& check,
                          const environment::RoomState& room, const ledger::Actor& actor,
                          std::string_view terminal);
// The record of a refused use: an alert entry in the logbook.
ledger::NewEvent RefuseUse(const EquipmentState& state, const UseInput& input,
                           const UseCheck& check, const ledger::Actor& actor,
                           std::string_view terminal);
// Ends the current use by `batch`. kFailedPrecondition when it is not in use by that batch.
Result<ledger::NewEvent> EndUse(const EquipmentState& state, std::string_view batch,
                                std::string_view comment, const ledger::Actor& actor,
                                std::string_view terminal);

struct CleaningInput {
  std::string agent;
  std::string method;
  std::string comment;
};
// Records a cleaning performed by `actor`, now. kFailedPrecondition while in use or when the
// cleaning rule is none; kInvalidArgument naming the field.
Result<ledger::NewEvent> RecordCleaning(const EquipmentState& state, const CleaningInput& input,
                                        const ledger::Actor& actor, std::string_view terminal);

struct MaintenanceInput {
  // When it was done, if before now (a service engineer's report arriving later). Default: now.
  std::optional<Timestamp> performed_on;
  MaintenanceType type = MaintenanceType::kPreventive;
  std::string description;
  std::optional<std::string> report_sha256;
};
// kInvalidArgument (field "performed_on"): in the future, or before the previous maintenance's
// (entries keep chronological order, G-07).
Result<ledger::NewEvent> RecordMaintenance(const EquipmentState& state,
                                           const MaintenanceInput& input, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal);

struct CalibrationInput {
  // The date on the certificate, if before now (an external calibration whose certificate arrives
  // later). Default: now. The calibration interval runs from it.
  std::optional<Timestamp> performed_on;
  std::string provider;            // "in house", "Mettler-Toledo service"
  std::string reference_standard;  // "Weight set WS-0042 (cert. 2026-118)"
  std::vector<CalibrationPoint> points;
  std::optional<std::string> certificate_sha256;  // The certificate in the file store.
  std::string comment;
};
// Records a calibration: each point in a unit of the equipment's measured dimension, its readings
// compared with its nominal within its tolerance (all in the point's unit). kFailedPrecondition
// without a calibration interval or while in use; kInvalidArgument naming the point's field
// ("points[1].unit", "points[0].tolerance"): a unit not of the measured dimension, a value not
// finite, a negative value of a quantity that cannot be negative (anything but a temperature or a
// rate of one), a tolerance not above zero, no points, more than 100; "performed_on" in the future
// or before the previous calibration's (chronological order, G-07). The entry is an alert when as
// found out of tolerance: the app then raises a deviation.
Result<ledger::NewEvent> RecordCalibration(const EquipmentState& state,
                                           const CalibrationInput& input, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal);

struct QualificationInput {
  QualificationStatus status = QualificationStatus::kQualified;
  std::string reference;
  std::optional<std::string> report_sha256;
  std::string comment;
};
Result<ledger::NewEvent> RecordQualification(const EquipmentState& state,
                                             const QualificationInput& input,
                                             const ledger::Actor& actor, std::string_view terminal);

// Takes it out of service at once, with a reason; kFailedPrecondition when it already is.
Result<ledger::NewEvent> TakeOutOfService(const EquipmentState& state, std::string_view reason,
                                          const ledger::Actor& actor, std::string_view terminal);
// Returns it to service once signed (and verified where required); kFailedPrecondition when it is
// not out of service or a return already awaits signature.
Result<ledger::NewEvent> ReturnToService(const EquipmentState& state, std::string_view comment,
                                         const ledger::Actor& actor, std::string_view terminal);

// The performer's signature ("performed") of entry `number`: only its performer may sign it
// (kPermissionDenied naming who performed it); kFailedPrecondition when the entry is not the latest
// of a signed kind (superseded, or a kind that is not signed) or is already signed.
Result<ledger::NewEvent> SignEntry(const EquipmentState& state, int number, std::string_view signer,
                                   const ledger::Actor& actor, std::string_view terminal);
// A second person's verification ("verified") of entry `number` (A11-01: never its performer,
// which the signature service refuses before this). kFailedPrecondition when the entry does not
// need verification, is not yet signed by its performer, or is already verified.
Result<ledger::NewEvent> VerifyEntry(const EquipmentState& state, int number,
                                     std::string_view verifier, const ledger::Actor& actor,
                                     std::string_view terminal);

// One logbook entry as shown and as signed: the event in people's words.
struct LogbookEntry {
  std::string equipment;
  int number = 0;
  EntryKind kind = EntryKind::kRegistered;
  Timestamp at;
  std::string by;       // User id.
  std::string by_name;  // Printed name.
  std::string terminal;
  std::string summary;  // "Cleaned with 70% IPA (wipe-down per SOP-CLN-004)"
  std::optional<std::string> reason;
  bool alert = false;
  std::string batch;  // Uses: the batch, for the impact lists.
  Json details;       // The event's payload.
};
// The entry event `event` (of an equipment stream whose state before it is `before`) makes.
Result<LogbookEntry> EntryOf(const EquipmentState& before, const ledger::Event& event);
// What a performer or verifier signs: the entry's identity and details.
Json EntryContent(const LogbookEntry& entry);

// `state` without what StatusAt and CheckUse never read (calibration points and providers,
// cleaning agents, descriptions, references): a fraction of its size, so the check at now decodes
// little. Checking it answers exactly as checking `state` does.
EquipmentState ForCheck(const EquipmentState& state);

// Folds one event of the equipment's stream. kDataLoss when the payload does not read back.
Status ApplyEquipmentEvent(EquipmentState& state, const ledger::Event& event);
Json EquipmentToJson(const EquipmentState& state);
Result<EquipmentState> EquipmentFromJson(const Json& json);
Json DefinitionToJson(const Definition& definition);

}  // namespace aliquot::equipment
