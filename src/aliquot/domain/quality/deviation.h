// Deviations (21 CFR 211.100(b), 211.192; G-04, G-05): the quality event raised the moment the
// system sees a departure (a calibration found out of tolerance, an environmental excursion above
// its Annex 1 action limit), with what it touched: the equipment, the room, the window of exposure
// and every batch that may be affected (211.192: the investigation extends to other batches).
// Numbered DEV-<year>-<nnnn> in the order raised. Assessment and closure by QA come with batch
// execution (TODO(#9)).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/ledger/event.h"

namespace aliquot::quality {

enum class DeviationSource { kCalibration, kEnvironment };
// "calibration_out_of_tolerance", "environmental_excursion"
std::string_view DeviationSourceName(DeviationSource source);
std::optional<DeviationSource> DeviationSourceFromName(std::string_view name);

enum class DeviationStatus { kOpen };
std::string_view DeviationStatusName(DeviationStatus status);  // "open"

// What raised it and what it touched.
struct DeviationInput {
  DeviationSource source = DeviationSource::kCalibration;
  std::string title;        // "BAL-02 found out of tolerance at calibration"
  std::string description;  // The figures: the limits, the values.
  std::string equipment;    // Calibration: the instrument; its logbook entry.
  int equipment_entry = 0;
  std::string room;  // Excursion: the room; the location and sample.
  std::string location;
  std::string sample;
  // The window in which batches may have been affected, and the batches (sorted, distinct).
  std::optional<Timestamp> window_start;
  std::optional<Timestamp> window_end;
  std::vector<std::string> batches;
};

struct DeviationState {
  bool exists = false;
  std::string id;
  DeviationInput details;
  DeviationStatus status = DeviationStatus::kOpen;
  Timestamp raised_at;
  std::string raised_by;
};

// "DEV-2026-0007": the `number`th deviation raised in `year`.
std::string DeviationId(int year, int number);
ledger::StreamRef DeviationStream(std::string_view deviation_id);

// Raises deviation `id` (its stream must be new; kAlreadyExists otherwise). The event is an alert.
Result<ledger::NewEvent> RaiseDeviation(const DeviationState& state, std::string_view id,
                                        const DeviationInput& input, const ledger::Actor& actor,
                                        std::string_view terminal);

Status ApplyDeviationEvent(DeviationState& state, const ledger::Event& event);
Json DeviationToJson(const DeviationState& deviation);
Result<DeviationState> DeviationFromJson(const Json& json);

}  // namespace aliquot::quality
