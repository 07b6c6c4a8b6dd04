#include "aliquot/app/equipment_service.h"

#include <cmath>
#include <utility>

#include "aliquot/app/environment_records.h"
#include "aliquot/app/identity_records.h"
#include "aliquot/app/quality_records.h"
#include "aliquot/app/use_case.h"
#include "aliquot/domain/materials/lot.h"

namespace aliquot::app {
namespace {

using equipment::EquipmentState;
using identity::Action;
using identity::Meaning;

Result<EquipmentState> ExistingEquipment(StoreReader& reader, const std::string& id,
                                         const std::string& field) {
  ALIQUOT_ASSIGN_OR_RETURN(EquipmentState state, LoadEquipment(reader, id));
  if (!state.exists) return Unexpected(NotFound("no equipment " + id.substr(0, 60), field));
  return state;
}

// "<equipment>:<entry>": equipment ids hold no ':' (CheckIdentifier).
std::optional<std::pair<std::string, int>> ParseEntryId(const std::string& id) {
  const std::size_t colon = id.find(':');
  if (colon == std::string::npos || colon == 0 || id.size() - colon - 1 > 9) return std::nullopt;
  int number = 0;
  for (std::size_t i = colon + 1; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return std::nullopt;
    number = number * 10 + (id[i] - '0');
  }
  if (number < 1 || id[colon + 1] == '0') return std::nullopt;
  return std::pair<std::string, int>(id.substr(0, colon), number);
}

// The room the equipment stands in: as it stood at `at` (its grade then), or now.
Result<environment::RoomState> RoomOf(StoreReader& reader, const EquipmentState& state,
                                      std::optional<Timestamp> at = std::nullopt) {
  ALIQUOT_ASSIGN_OR_RETURN(environment::RoomState room,
                           at ? LoadRoomAt(reader, state.definition.room, *at)
                              : LoadRoom(reader, state.definition.room));
  if (!room.exists) {
    return Unexpected(DataLoss("equipment " + state.id + " stands in room " +
                               state.definition.room + ", which is not defined"));
  }
  return room;
}

}  // namespace

SignableRecord LogbookEntryRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    const auto parsed = ParseEntryId(id);
    if (!parsed) return std::optional<RecordContent>();
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<LogbookRow> row,
                             LoadLogbookEntry(reader, parsed->first, parsed->second));
    if (!row) return std::optional<RecordContent>();
    RecordContent content;
    content.content = equipment::EntryContent(row->entry);
    content.authors = {row->entry.by};
    content.streams = {equipment::EquipmentStream(parsed->first)};
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewEquipment;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    // Signing one's own entry as performed needs no more than reading it: the consequences
    // below admit only its performer.
    if (meaning == Meaning::kPerformed) return Action::kViewEquipment;
    if (meaning == Meaning::kVerified) return Action::kVerifyEquipmentEntry;
    return std::nullopt;
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    const auto parsed = ParseEntryId(signing.record.id);
    if (!parsed) return Unexpected(NotFound("no such logbook entry", "record_id"));
    ALIQUOT_ASSIGN_OR_RETURN(const EquipmentState state,
                             ExistingEquipment(reader, parsed->first, "record_id"));
    const auto decided =
        signing.meaning == Meaning::kPerformed
            ? equipment::SignEntry(state, parsed->second, signing.signer->id,
                                   signing.context->Actor(), signing.context->terminal.id)
            : equipment::VerifyEntry(state, parsed->second, signing.signer->id,
                                     signing.context->Actor(), signing.context->terminal.id);
    return decided.transform(One);
  };
  return record;
}

EquipmentService::EquipmentService(Store& store, BlobStore& blobs, Clock& clock,
                                   SessionService& sessions)
    : store_(store), blobs_(blobs), clock_(clock), sessions_(sessions) {}

Status EquipmentService::DefineRoom(const RequestContext& context,
                                    const environment::RoomCommand& command,
                                    const std::string& reason) {
  auto appended = RunUseCase(
      store_, sessions_, context, Action::kManageEquipment,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const identity::SiteState site, LoadSite(reader, command.site));
        if (!site.exists) {
          return Unexpected(NotFound("no site " + command.site.substr(0, 20), "site"));
        }
        ALIQUOT_ASSIGN_OR_RETURN(const environment::RoomState state, LoadRoom(reader, command.id));
        return environment::DefineRoom(state, command, reason, context.Actor(), context.terminal.id)
            .transform(One);
      });
  if (!appended) return Unexpected(appended.error());
  return {};
}

Result<std::vector<environment::RoomState>> EquipmentService::Rooms(const RequestContext& context) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEquipment));
  std::vector<environment::RoomState> rooms;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(rooms, LoadRooms(reader));
    return {};
  }));
  return rooms;
}

Result<environment::RoomState> EquipmentService::Room(const RequestContext& context,
                                                      const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEquipment));
  environment::RoomState room;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(room, LoadRoom(reader, id));
    if (!room.exists) return Unexpected(NotFound("no room " + id.substr(0, 60), "room_id"));
    return {};
  }));
  return room;
}

Status EquipmentService::Register(const RequestContext& context, const std::string& id,
                                  const equipment::Definition& definition) {
  auto appended =
      RunUseCase(store_, sessions_, context, Action::kManageEquipment,
                 [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                   ALIQUOT_ASSIGN_OR_RETURN(const EquipmentState state, LoadEquipment(reader, id));
                   ALIQUOT_ASSIGN_OR_RETURN(const environment::RoomState room,
                                            LoadRoom(reader, definition.room));
                   return equipment::Register(state, id, definition, room, context.Actor(),
                                              context.terminal.id)
                       .transform(One);
                 });
  if (!appended) return Unexpected(appended.error());
  return {};
}

Status EquipmentService::Redefine(const RequestContext& context, const std::string& id,
                                  const equipment::Definition& definition,
                                  const std::string& reason) {
  const Timestamp now = clock_.Now();
  auto appended =
      RunUseCase(store_, sessions_, context, Action::kManageEquipment,
                 [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                   ALIQUOT_ASSIGN_OR_RETURN(const EquipmentState state,
                                            ExistingEquipment(reader, id, "equipment_id"));
                   ALIQUOT_ASSIGN_OR_RETURN(const environment::RoomState room,
                                            LoadRoom(reader, definition.room));
                   return equipment::Redefine(state, definition, room, reason, now, context.Actor(),
                                              context.terminal.id)
                       .transform(One);
                 });
  if (!appended) return Unexpected(appended.error());
  return {};
}

Result<std::vector<EquipmentView>> EquipmentService::List(const RequestContext& context,
                                                          std::optional<Timestamp> at) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEquipment));
  const Timestamp when = at.value_or(clock_.Now());
  std::vector<EquipmentView> views;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<EquipmentState> all, LoadAllEquipment(reader));
    for (EquipmentState& state : all) {
      if (at) {
        ALIQUOT_ASSIGN_OR_RETURN(state, LoadEquipmentAt(reader, state.id, when));
        if (!state.exists) continue;
      }
      EquipmentView view;
      ALIQUOT_ASSIGN_OR_RETURN(view.room, RoomOf(reader, state, at));
      view.status = equipment::StatusAt(state, when);
      view.state = std::move(state);
      views.push_back(std::move(view));
    }
    return {};
  }));
  return views;
}

Result<EquipmentView> EquipmentService::Get(const RequestContext& context, const std::string& id,
                                            std::optional<Timestamp> at) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEquipment));
  const Timestamp now = clock_.Now();
  const Timestamp when = at.value_or(now);
  EquipmentView view;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(view.state,
                             at ? LoadEquipmentAt(reader, id, when) : LoadEquipment(reader, id));
    if (!view.state.exists) {
      ALIQUOT_ASSIGN_OR_RETURN(const EquipmentState current, LoadEquipment(reader, id));
      return Unexpected(NotFound(
          current.exists ? "equipment " + id + " was not yet registered at " + when.ToRfc3339()
                         : "no equipment " + id.substr(0, 60),
          current.exists ? "at" : "equipment_id"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(view.room, RoomOf(reader, view.state, at));
    return {};
  }));
  view.status = equipment::StatusAt(view.state, when);
  return view;
}

Result<LogbookPage> EquipmentService::Logbook(const RequestContext& context, const std::string& id,
                                              std::optional<int> after, std::optional<int> before,
                                              bool oldest_first, std::size_t limit) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEquipment));
  if (limit < 1 || limit > kMaxLogbookPage) {
    return Unexpected(InvalidArgument(
        "a page holds 1 to " + std::to_string(kMaxLogbookPage) + " entries", "limit"));
  }
  LogbookPage page;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(const EquipmentState state,
                             ExistingEquipment(reader, id, "equipment_id"));
    page.total = state.entries;
    ALIQUOT_ASSIGN_OR_RETURN(
        page.entries, LoadLogbookPage(reader, id, after.value_or(0),
                                      before.value_or(state.entries + 1), !oldest_first, limit));
    return {};
  }));
  return page;
}

Result<LogbookRow> EquipmentService::Entry(const RequestContext& context, const std::string& id,
                                           int number) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEquipment));
  std::optional<LogbookRow> row;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_RETURN_IF_ERROR(ExistingEquipment(reader, id, "equipment_id").transform([](auto&&) {}));
    ALIQUOT_ASSIGN_OR_RETURN(row, LoadLogbookEntry(reader, id, number));
    return {};
  }));
  if (!row) {
    return Unexpected(NotFound(id + " has no logbook entry " + std::to_string(number), "entry"));
  }
  return std::move(*row);
}

Result<equipment::UseCheck> EquipmentService::CheckUseIn(StoreReader& reader, const std::string& id,
                                                         const equipment::UseRequest& request,
                                                         Timestamp now) {
  // The check at now decodes the lean state kept for it; at another instant, the state then.
  ALIQUOT_ASSIGN_OR_RETURN(const EquipmentState state,
                           request.at >= now ? LoadEquipmentForCheck(reader, id)
                                             : LoadEquipmentAt(reader, id, request.at));
  if (!state.exists) {
    return Unexpected(NotFound("no equipment " + id.substr(0, 60) +
                                   (request.at >= now ? "" : " at " + request.at.ToRfc3339()),
                               "equipment"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(
      const environment::RoomState room,
      RoomOf(reader, state, request.at >= now ? std::nullopt : std::optional(request.at)));
  return equipment::CheckUse(state, room, request);
}

Result<equipment::UseCheck> EquipmentService::Check(const RequestContext& context,
                                                    const std::string& id,
                                                    const EquipmentCheckInput& input) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewEquipment));
  if (!input.patient_code.empty()) {
    ALIQUOT_RETURN_IF_ERROR(materials::CheckDonorCode(input.patient_code, "patient_code"));
  }
  const Timestamp now = clock_.Now();
  equipment::UseRequest request;
  request.required_class = input.required_class;
  request.required_grade = input.required_grade;
  request.batch = input.batch;
  request.product = input.product;
  request.patient_code = input.patient_code;
  request.at = input.at.value_or(now);
  equipment::UseCheck check;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(check, CheckUseIn(reader, id, request, now));
    return {};
  }));
  return check;
}

Result<EntryRecorded> EquipmentService::StartUse(const RequestContext& context,
                                                 const std::string& id,
                                                 const equipment::UseInput& input) {
  ALIQUOT_RETURN_IF_ERROR(equipment::CheckUseInput(input));
  const Timestamp now = clock_.Now();
  std::optional<equipment::UseCheck> refused;
  EntryRecorded recorded;
  auto appended = RunUseCase(
      store_, sessions_, context, Action::kUseEquipment,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        refused.reset();
        ALIQUOT_ASSIGN_OR_RETURN(const EquipmentState state,
                                 ExistingEquipment(reader, id, "equipment"));
        ALIQUOT_ASSIGN_OR_RETURN(const environment::RoomState room, RoomOf(reader, state));
        equipment::UseRequest request;
        request.required_class = input.required_class;
        request.required_grade = input.required_grade;
        request.batch = input.batch;
        request.product = input.product;
        request.patient_code = input.patient_code;
        request.at = now;
        ALIQUOT_ASSIGN_OR_RETURN(const equipment::UseCheck check,
                                 equipment::CheckUse(state, room, request));
        recorded.entry = state.entries + 1;
        if (!check.Allowed()) {
          refused = check;
          return One(
              equipment::RefuseUse(state, input, check, context.Actor(), context.terminal.id));
        }
        return One(
            equipment::StartUse(state, input, check, room, context.Actor(), context.terminal.id));
      });
  if (!appended) return Unexpected(appended.error());
  if (refused) return Unexpected(FailedPrecondition(refused->message, "equipment"));
  return recorded;
}

namespace {

// Runs one logbook use case whose event `decide` makes from the equipment's state.
template <typename Decide>
Result<EntryRecorded> RecordEntry(Store& store, SessionService& sessions,
                                  const RequestContext& context, Action action,
                                  const std::string& id, Decide decide) {
  EntryRecorded recorded;
  auto appended =
      RunUseCase(store, sessions, context, action,
                 [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
                   recorded.deviation.reset();
                   ALIQUOT_ASSIGN_OR_RETURN(const EquipmentState state,
                                            ExistingEquipment(reader, id, "equipment_id"));
                   recorded.entry = state.entries + 1;
                   return decide(reader, state, recorded);
                 });
  if (!appended) return Unexpected(appended.error());
  // The deviation was raised when its event was sealed, a moment after the decision.
  for (const ledger::Event& event : *appended) {
    if (recorded.deviation && event.stream == quality::DeviationStream(recorded.deviation->id)) {
      recorded.deviation->raised_at = event.time;
    }
  }
  return recorded;
}

}  // namespace

Result<EntryRecorded> EquipmentService::EndUse(const RequestContext& context, const std::string& id,
                                               const std::string& batch,
                                               const std::string& comment) {
  return RecordEntry(store_, sessions_, context, Action::kUseEquipment, id,
                     [&](StoreReader&, const EquipmentState& state,
                         EntryRecorded&) -> Result<std::vector<ledger::NewEvent>> {
                       return equipment::EndUse(state, batch, comment, context.Actor(),
                                                context.terminal.id)
                           .transform(One);
                     });
}

Result<EntryRecorded> EquipmentService::RecordCleaning(const RequestContext& context,
                                                       const std::string& id,
                                                       const equipment::CleaningInput& input) {
  return RecordEntry(store_, sessions_, context, Action::kUseEquipment, id,
                     [&](StoreReader&, const EquipmentState& state,
                         EntryRecorded&) -> Result<std::vector<ledger::NewEvent>> {
                       return equipment::RecordCleaning(state, input, context.Actor(),
                                                        context.terminal.id)
                           .transform(One);
                     });
}

Result<EntryRecorded> EquipmentService::RecordMaintenance(
    const RequestContext& context, const std::string& id,
    const equipment::MaintenanceInput& input) {
  const Timestamp now = clock_.Now();
  return RecordEntry(
      store_, sessions_, context, Action::kMaintainEquipment, id,
      [&](StoreReader&, const EquipmentState& state,
          EntryRecorded&) -> Result<std::vector<ledger::NewEvent>> {
        // The file a record cites is in the store before the record is.
        ALIQUOT_RETURN_IF_ERROR(CheckCitedFile(blobs_, input.report_sha256, "report_sha256"));
        return equipment::RecordMaintenance(state, input, now, context.Actor(), context.terminal.id)
            .transform(One);
      });
}

Result<EntryRecorded> EquipmentService::RecordCalibration(
    const RequestContext& context, const std::string& id,
    const equipment::CalibrationInput& input) {
  const Timestamp now = clock_.Now();
  return RecordEntry(
      store_, sessions_, context, Action::kMaintainEquipment, id,
      [&](StoreReader& reader, const EquipmentState& state,
          EntryRecorded& recorded) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_RETURN_IF_ERROR(
            CheckCitedFile(blobs_, input.certificate_sha256, "certificate_sha256"));
        ALIQUOT_ASSIGN_OR_RETURN(
            ledger::NewEvent calibration,
            equipment::RecordCalibration(state, input, now, context.Actor(), context.terminal.id));
        std::vector<ledger::NewEvent> events = One(std::move(calibration));
        const Json* found = events.front().payload.Find("as_found_in_tolerance");
        if (found == nullptr || !found->IsBool() || found->AsBool()) return events;
        // 21 CFR 211.192 (G-04): what the instrument measured since its last good calibration may
        // be wrong; the investigation extends to every batch that used it since.
        // From when the instrument was last known good: its last good calibration as performed
        // (the certificate's date, from which its interval also runs), or its registration.
        const Timestamp since =
            state.good_calibration ? state.good_calibration->performed_on : state.registered_at;
        quality::DeviationInput deviation;
        deviation.source = quality::DeviationSource::kCalibration;
        deviation.equipment = state.id;
        deviation.equipment_entry = recorded.entry;
        deviation.room = state.definition.room;
        deviation.title =
            state.id + " (" + state.definition.name + ") found out of tolerance at calibration";
        std::string points;
        for (const equipment::CalibrationPoint& point : input.points) {
          const bool out = std::fabs(point.as_found - point.nominal) > point.tolerance;
          if (!out) continue;
          points += (points.empty() ? "" : "; ") + CanonicalNumber(point.nominal) + " " +
                    point.unit + ": found " + CanonicalNumber(point.as_found) + " (tolerance +/- " +
                    CanonicalNumber(point.tolerance) + ")";
        }
        deviation.description =
            "Calibration entry " + std::to_string(recorded.entry) + " by " + input.provider +
            " found " + state.id + " out of tolerance as found: " + points +
            ". Every batch that used it since " +
            (state.good_calibration
                 ? "its last good calibration (entry " +
                       std::to_string(state.good_calibration->signoff.entry) + ", performed " +
                       state.good_calibration->performed_on.ToRfc3339() + ")"
                 : "its registration") +
            " may be affected.";
        deviation.window_start = since;
        deviation.window_end = now;
        ALIQUOT_ASSIGN_OR_RETURN(deviation.batches, BatchesUsingSince(reader, id, since));
        ALIQUOT_ASSIGN_OR_RETURN(
            ledger::NewEvent raised,
            RaiseNextDeviation(reader, deviation, now, context.Actor(), context.terminal.id));
        quality::DeviationState state_after;
        state_after.exists = true;
        state_after.id = raised.stream.id;
        state_after.details = deviation;
        state_after.raised_at = now;
        state_after.raised_by = context.principal.user_id;
        recorded.deviation = std::move(state_after);
        events.push_back(std::move(raised));
        return events;
      });
}

Result<EntryRecorded> EquipmentService::RecordQualification(
    const RequestContext& context, const std::string& id,
    const equipment::QualificationInput& input) {
  return RecordEntry(
      store_, sessions_, context, Action::kManageEquipment, id,
      [&](StoreReader&, const EquipmentState& state,
          EntryRecorded&) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_RETURN_IF_ERROR(CheckCitedFile(blobs_, input.report_sha256, "report_sha256"));
        return equipment::RecordQualification(state, input, context.Actor(), context.terminal.id)
            .transform(One);
      });
}

Result<EntryRecorded> EquipmentService::TakeOutOfService(const RequestContext& context,
                                                         const std::string& id,
                                                         const std::string& reason) {
  return RecordEntry(store_, sessions_, context, Action::kMaintainEquipment, id,
                     [&](StoreReader&, const EquipmentState& state,
                         EntryRecorded&) -> Result<std::vector<ledger::NewEvent>> {
                       return equipment::TakeOutOfService(state, reason, context.Actor(),
                                                          context.terminal.id)
                           .transform(One);
                     });
}

Result<EntryRecorded> EquipmentService::ReturnToService(const RequestContext& context,
                                                        const std::string& id,
                                                        const std::string& comment) {
  return RecordEntry(store_, sessions_, context, Action::kMaintainEquipment, id,
                     [&](StoreReader&, const EquipmentState& state,
                         EntryRecorded&) -> Result<std::vector<ledger::NewEvent>> {
                       return equipment::ReturnToService(state, comment, context.Actor(),
                                                         context.terminal.id)
                           .transform(One);
                     });
}

}  // namespace aliquot::app
