#include "aliquot/app/environment_service.h"

#include <utility>

#include "aliquot/app/environment_records.h"
#include "aliquot/app/equipment_records.h"
#include "aliquot/app/quality_records.h"
#include "aliquot/app/use_case.h"

namespace aliquot::app {
namespace {

using environment::LocationState;
using environment::SampleState;
using identity::Action;

std::string Minute(Timestamp time) {
  const std::string text = time.ToRfc3339();
  return text.substr(0, 10) + " " + text.substr(11, 5) + " UTC";
}

}  // namespace

EnvironmentService::EnvironmentService(Store& store, Clock& clock, SessionService& sessions)
    : store_(store), clock_(clock), sessions_(sessions) {}

Status EnvironmentService::DefineLocation(const RequestContext& context,
                                          const environment::LocationCommand& command,
                                          const std::string& reason) {
  const Timestamp now = clock_.Now();
  auto appended = RunUseCase(
      store_, sessions_, context, Action::kPlanMonitoring,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const LocationState state, LoadLocation(reader, command.id));
        ALIQUOT_ASSIGN_OR_RETURN(const environment::RoomState room, LoadRoom(reader, command.room));
        ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent event,
                                 environment::DefineLocation(state, command, room, reason, now,
                                                             context.Actor(), context.terminal.id));
        std::vector<ledger::NewEvent> events;
        events.push_back(std::move(event));
        return events;
      });
  if (!appended) return Unexpected(appended.error());
  return {};
}

Result<std::vector<LocationState>> EnvironmentService::Locations(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEnvironment));
  std::vector<LocationState> locations;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(locations, LoadLocations(reader));
    return {};
  }));
  return locations;
}

Result<LocationState> EnvironmentService::Location(const RequestContext& context,
                                                   const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEnvironment));
  LocationState location;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(location, LoadLocation(reader, id));
    if (!location.exists) {
      return Unexpected(NotFound("no sampling location " + id.substr(0, 60), "location_id"));
    }
    return {};
  }));
  return location;
}

Result<SampleRecorded> EnvironmentService::RecordSample(const RequestContext& context,
                                                        const environment::SampleInput& input) {
  const Timestamp now = clock_.Now();
  SampleRecorded recorded;
  auto appended = RunUseCase(
      store_, sessions_, context, Action::kRecordMonitoring,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        recorded.deviation.reset();
        ALIQUOT_ASSIGN_OR_RETURN(const SampleState existing, LoadSample(reader, input.id));
        ALIQUOT_ASSIGN_OR_RETURN(const LocationState location,
                                 LoadLocation(reader, input.location));
        if (!location.exists) {
          return Unexpected(
              NotFound("no sampling location " + input.location.substr(0, 60), "location"));
        }
        ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent event,
                                 environment::RecordSample(existing, input, location, now,
                                                           context.Actor(), context.terminal.id));
        // What the sample will read back as (sealed at now).
        ledger::Event sealed;
        sealed.stream = event.stream;
        sealed.event_type = event.event_type;
        sealed.payload = CanonicalJson(event.payload);
        sealed.actor = event.actor;
        sealed.terminal = event.terminal;
        sealed.time = now;
        recorded.sample = SampleState();
        ALIQUOT_RETURN_IF_ERROR(environment::ApplySampleEvent(recorded.sample, sealed));
        std::vector<ledger::NewEvent> events;
        events.push_back(std::move(event));
        const SampleState& sample = recorded.sample;
        if (sample.outcome != environment::Outcome::kAction) return events;
        // Annex 1 9.30-9.31 and 21 CFR 211.192 (G-04): an action-level excursion is investigated,
        // and so is every batch exposed since the last sample that showed the area in control.
        ALIQUOT_ASSIGN_OR_RETURN(
            const std::optional<Timestamp> compliant,
            LastCompliantSample(reader, location.id, sample.type, sample.taken_at));
        const Timestamp window_start = compliant.value_or(location.monitored_since);
        quality::DeviationInput deviation;
        deviation.source = quality::DeviationSource::kEnvironment;
        deviation.room = location.room;
        deviation.location = location.id;
        deviation.sample = sample.id;
        deviation.title = "Environmental excursion at " + location.id + " (room " + location.room +
                          ", grade " + std::string(environment::GradeName(location.grade)) +
                          "): " + std::string(environment::SampleTypeName(sample.type));
        deviation.description =
            sample.assessment + ". Sample " + sample.id + " taken " + Minute(sample.taken_at) +
            "; exposure window from " +
            (compliant ? "the last compliant sample of this type (" + Minute(window_start) + ")"
                       : "the start of monitoring there (" + Minute(window_start) + ")") +
            " to the result's entry (" + Minute(now) + ").";
        deviation.window_start = window_start;
        deviation.window_end = now;
        ALIQUOT_ASSIGN_OR_RETURN(deviation.batches,
                                 BatchesInRoomSince(reader, location.room, window_start));
        ALIQUOT_ASSIGN_OR_RETURN(
            ledger::NewEvent raised,
            RaiseNextDeviation(reader, deviation, now, context.Actor(), context.terminal.id));
        quality::DeviationState state;
        state.exists = true;
        state.id = raised.stream.id;
        state.details = std::move(deviation);
        state.raised_at = now;
        state.raised_by = context.principal.user_id;
        recorded.deviation = std::move(state);
        events.push_back(std::move(raised));
        return events;
      });
  if (!appended) return Unexpected(appended.error());
  // The sealed time may differ from `now` by the commit's wait.
  for (const ledger::Event& event : *appended) {
    if (event.stream == environment::SampleStream(input.id))
      recorded.sample.recorded_at = event.time;
    if (recorded.deviation && event.stream.type == "deviation") {
      recorded.deviation->raised_at = event.time;
    }
  }
  return recorded;
}

Result<std::vector<SampleState>> EnvironmentService::Samples(const RequestContext& context,
                                                             const SampleFilter& filter) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEnvironment));
  if (filter.limit < 1 || filter.limit > kMaxSamplePage) {
    return Unexpected(InvalidArgument(
        "a page holds 1 to " + std::to_string(kMaxSamplePage) + " samples", "limit"));
  }
  if (filter.to < filter.from) {
    return Unexpected(InvalidArgument("'from' is after 'to'", "from"));
  }
  std::vector<SampleState> samples;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    if (filter.location) {
      ALIQUOT_ASSIGN_OR_RETURN(const LocationState location,
                               LoadLocation(reader, *filter.location));
      if (!location.exists) {
        return Unexpected(
            NotFound("no sampling location " + filter.location->substr(0, 60), "location"));
      }
      ALIQUOT_ASSIGN_OR_RETURN(samples, LoadLocationSamples(reader, *filter.location, filter.from,
                                                            filter.to, filter.limit));
      return {};
    }
    ALIQUOT_ASSIGN_OR_RETURN(samples, LoadSamples(reader, filter.from, filter.to, filter.limit));
    return {};
  }));
  return samples;
}

Result<SampleState> EnvironmentService::Sample(const RequestContext& context,
                                               const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEnvironment));
  SampleState sample;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(sample, LoadSample(reader, id));
    if (!sample.exists) return Unexpected(NotFound("no sample " + id.substr(0, 60), "sample_id"));
    return {};
  }));
  return sample;
}

}  // namespace aliquot::app
