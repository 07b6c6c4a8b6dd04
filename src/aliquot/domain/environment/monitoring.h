// Environmental monitoring (EU GMP Annex 1 (2022) 9.4-9.31; limits of Tables 5 and 6; G-10 input
// checks): sampling locations per room with their grade and the samples planned there, each with a
// site alert level below the Annex 1 action limit; and samples, each result checked as it is
// entered against the action limit of the location's grade and the site's alert level. An
// action-level excursion is what the app raises a deviation for.
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

namespace aliquot::environment {

enum class SampleType {
  kParticles05,   // Total particles >= 0.5 um, per m3.
  kParticles5,    // Total particles >= 5 um, per m3.
  kActiveAir,     // Viable air, CFU per m3.
  kSettlePlate,   // 90 mm settle plate, CFU per plate, exposed up to 4 h.
  kContactPlate,  // 55 mm contact plate, CFU per plate.
  kGlovePrint,    // 5 fingers, CFU per glove.
};
// "particles_0_5um", "particles_5um", "active_air", "settle_plate", "contact_plate", "glove_print"
std::string_view SampleTypeName(SampleType type);
std::optional<SampleType> SampleTypeFromName(std::string_view name);
// The unit results of `type` are kept and compared in: "particles/m3", "CFU/m3" or "CFU".
std::string_view ResultUnit(SampleType type);
// Viable samples: everything but particles. Plate and glove counts (in CFU) are whole numbers; an
// active air result is a count divided by the volume sampled (1 CFU in 0.3 m3), so it need not be.
bool IsViable(SampleType type);

enum class Occupancy { kAtRest, kInOperation };
std::string_view OccupancyName(Occupancy occupancy);  // "at_rest", "in_operation"
std::optional<Occupancy> OccupancyFromName(std::string_view name);

// An action limit. Exceeded by a result above `maximum`, or, for grade A viable samples (Annex 1:
// "< 1", any growth), by any result of `maximum` or more.
struct Limit {
  double maximum = 0;
  bool any_growth = false;  // Grade A viable: the limit is "< 1".
  std::string unit;         // ResultUnit of the sample type.

  bool ExceededBy(double value) const { return any_growth ? value >= maximum : value > maximum; }
  std::string Describe() const;  // "< 1 CFU", "<= 3520 particles/m3"

  friend bool operator==(const Limit&, const Limit&) = default;
};
// The Annex 1 (2022) action limit for `type` in a `grade` location in `occupancy`; nullopt where
// Annex 1 sets none (grade D particles in operation, glove prints in C and D, unclassified).
// Particles >= 0.5 um: A 3,520 / 3,520; B 3,520 / 352,000; C 352,000 / 3,520,000; D 3,520,000 /
// none (at rest / in operation). >= 5 um: A 29 / 29; B 29 / 2,930; C 2,930 / 29,300; D 29,300 /
// none. Viable (either occupancy): air A < 1, B 10, C 100, D 200 CFU/m3; settle plates A < 1,
// B 5, C 50, D 100 CFU/4 h; contact plates A < 1, B 5, C 25, D 50 CFU/plate; glove prints A < 1,
// B 5 CFU/glove.
std::optional<Limit> Annex1Limit(Grade grade, SampleType type, Occupancy occupancy);

// One kind of sample planned at a location, with the site's alert level for it.
struct PlannedSample {
  SampleType type = SampleType::kParticles05;
  Occupancy occupancy = Occupancy::kInOperation;
  std::optional<double> alert_level;  // In ResultUnit(type); a result above it is an alert.
  std::string frequency;              // As the plan says it: "each session", "weekly".

  friend bool operator==(const PlannedSample&, const PlannedSample&) = default;
};

struct LocationCommand {
  std::string id;                      // CheckIdentifier: "B101-BSC1-AIR".
  std::string room;                    // The room it is in.
  Grade grade = Grade::kUnclassified;  // Its own grade: a cabinet's grade A in a grade B room.
  std::string description;             // "BSC-01 work zone, centre".
  std::vector<PlannedSample> samples;  // At least one; one per (type, occupancy).
  // When monitoring at this location began, if before now: a site bringing its earlier results
  // in. Default: now. Fixed at revision 1.
  std::optional<Timestamp> monitored_since;
};

struct LocationState {
  bool exists = false;
  std::string id;
  std::string room;
  Grade grade = Grade::kUnclassified;
  std::string description;
  std::vector<PlannedSample> samples;
  int revision = 0;           // 1 when defined, +1 per revision.
  Timestamp defined_at;       // Of revision 1.
  Timestamp monitored_since;  // No sample is taken before it: revision 1's, or its defined_at.
  std::string defined_by;

  const PlannedSample* Planned(SampleType type, Occupancy occupancy) const;
  friend bool operator==(const LocationState&, const LocationState&) = default;
};

ledger::StreamRef LocationStream(std::string_view location_id);

// Defines a sampling location (revision 1) or revises its plan (a reason is required, field
// "reason"). kNotFound (field "room") for an unknown room; kInvalidArgument naming the field
// ("samples[1].alert_level"): a malformed id ("location_id"), description or frequency, a location
// grade less clean than its room's, no samples, a repeated (type, occupancy), an alert level
// negative or not below the Annex 1 action limit, an alert level on a grade A viable sample (any
// growth is an action-level excursion, Annex 1 Table 6), a revision that moves it to another room
// ("room": define a new location); kAlreadyExists: a revision that changes nothing (the order of
// the samples aside).
Result<ledger::NewEvent> DefineLocation(const LocationState& state, const LocationCommand& command,
                                        const RoomState& room, std::string_view reason,
                                        Timestamp now, const ledger::Actor& actor,
                                        std::string_view terminal);

enum class Outcome { kWithinLimits, kAlert, kAction };
std::string_view OutcomeName(Outcome outcome);  // "within_limits", "alert", "action"
std::optional<Outcome> OutcomeFromName(std::string_view name);

struct SampleInput {
  std::string id;  // The sample's label (CheckIdentifier): "EM-2026-10-0412".
  std::string location;
  SampleType type = SampleType::kParticles05;
  Occupancy occupancy = Occupancy::kInOperation;
  Timestamp taken_at;  // When it was taken; plates are read days later.
  double result = 0;
  std::string unit;                     // Any unit of the type's dimension: converted.
  std::optional<int> exposure_minutes;  // Settle plates only, and required for them: 1-240.
  std::optional<std::string> person;    // Glove prints only, and required: whose glove (user id).
  std::string comment;                  // Optional, at most 2000 bytes.
};

struct SampleState {
  bool exists = false;
  std::string id;
  std::string location;
  std::string room;
  Grade grade = Grade::kUnclassified;
  SampleType type = SampleType::kParticles05;
  Occupancy occupancy = Occupancy::kInOperation;
  Timestamp taken_at;
  double value_entered = 0;  // As entered, in `unit_entered` (AL-02: the original).
  std::string unit_entered;
  double result = 0;  // In ResultUnit(type).
  std::optional<int> exposure_minutes;
  std::optional<std::string> person;
  std::string comment;
  Outcome outcome = Outcome::kWithinLimits;
  std::optional<Limit> action_limit;  // As applied when the result was entered.
  std::optional<double> alert_level;
  std::string assessment;  // For people: "12 CFU/m3 exceeds the grade B action limit <= 10 CFU/m3".
  Timestamp recorded_at;
  std::string recorded_by;

  friend bool operator==(const SampleState&, const SampleState&) = default;
};

ledger::StreamRef SampleStream(std::string_view sample_id);

// Records a sample's result, assessed against the location's grade and plan (Annex 1 Tables 5 and
// 6). The event is marked an alert when the outcome is not within limits. kAlreadyExists: the
// sample id was recorded before; kNotFound ("location"): no such location; kInvalidArgument naming
// the field: a malformed id ("sample_id"), a (type, occupancy) the location does not plan ("type"
// or "occupancy"; the message lists what it plans), a unit not of the type's dimension ("unit"),
// a result negative or not finite, a plate or glove count that is not a whole number ("result"),
// a time in the future or before the location's monitored_since ("taken_at"), an exposure given for
// anything but a settle plate, missing for one or outside 1-240 min ("exposure_minutes"), a
// person given for anything but a glove print or missing for one ("person"). A settle plate
// exposed for less than 4 h is held to the same per-plate limit (Annex 1 Table 6: CFU/4 hours is
// the maximum exposure, not a rate to scale).
Result<ledger::NewEvent> RecordSample(const SampleState& state, const SampleInput& input,
                                      const LocationState& location, Timestamp now,
                                      const ledger::Actor& actor, std::string_view terminal);

// Folds one event; kDataLoss when the payload does not read back.
Status ApplyLocationEvent(LocationState& state, const ledger::Event& event);
Status ApplySampleEvent(SampleState& state, const ledger::Event& event);
Json LocationToJson(const LocationState& location);
Result<LocationState> LocationFromJson(const Json& json);
Json SampleToJson(const SampleState& sample);
Result<SampleState> SampleFromJson(const Json& json);

}  // namespace aliquot::environment
