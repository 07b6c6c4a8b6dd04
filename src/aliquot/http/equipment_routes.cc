#include "aliquot/http/equipment_routes.h"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/http/json_body.h"
#include "aliquot/http/quality_routes.h"
#include "aliquot/http/response.h"
#include "aliquot/http/route_support.h"

namespace aliquot::http {
namespace {

using app::RequestContext;
namespace env = environment;
namespace eq = equipment;

Json OptionalInt(const std::optional<int>& value) { return value ? Json(*value) : Json(); }
Json OptionalText(const std::optional<std::string>& text) { return text ? Json(*text) : Json(); }

// --- Reading requests -------------------------------------------------------------------------

template <typename Enum>
Result<Enum> EnumFrom(const std::string& text, std::string_view field,
                      std::optional<Enum> (*from_name)(std::string_view),
                      std::string_view allowed) {
  const std::optional<Enum> value = from_name(text);
  if (!value) {
    return Unexpected(InvalidArgument(std::string(field) + " must be one of " +
                                          std::string(allowed) + ", not '" + text.substr(0, 40) +
                                          "'",
                                      std::string(field)));
  }
  return *value;
}

template <typename Enum>
Result<Enum> EnumMember(JsonBody& body, std::string_view name,
                        std::optional<Enum> (*from_name)(std::string_view),
                        std::string_view allowed) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string text, body.String(name));
  return EnumFrom(text, name, from_name, allowed);
}

template <typename Enum>
Result<std::optional<Enum>> OptionalEnumMember(JsonBody& body, std::string_view name,
                                               std::optional<Enum> (*from_name)(std::string_view),
                                               std::string_view allowed) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> text, body.OptionalString(name));
  if (!text) return std::optional<Enum>();
  ALIQUOT_ASSIGN_OR_RETURN(const Enum value, EnumFrom(*text, name, from_name, allowed));
  return std::optional<Enum>(value);
}

constexpr std::string_view kClasses =
    "biosafety_cabinet, incubator, bioreactor, cell_processing_system, centrifuge, "
    "controlled_rate_freezer, ln2_storage, refrigerator, freezer, balance, pipette, cell_counter, "
    "flow_cytometer, pcr_instrument, tube_sealer, sterile_welder, thawing_device, "
    "particle_counter, air_sampler";
constexpr std::string_view kGrades = "A, B, C, D, unclassified";

// ALCOA+ (AL-01): the server's clock dates every entry; a client's time is refused, never taken.
Status RefuseClientTime(JsonBody& body) {
  for (const std::string_view name : {"at", "performed_at", "recorded_at", "time", "timestamp"}) {
    if (body.OptionalMember(name) != nullptr) {
      return Unexpected(InvalidArgument(
          "an entry is dated by the server's clock when it is recorded (ALCOA+, AL-01); '" +
              std::string(name) + "' cannot be given",
          std::string(name)));
    }
  }
  return {};
}

Result<eq::Definition> DefinitionFrom(JsonBody& body) {
  eq::Definition definition;
  ALIQUOT_ASSIGN_OR_RETURN(definition.name, body.String("name"));
  ALIQUOT_ASSIGN_OR_RETURN(definition.equipment_class,
                           EnumMember(body, "class", &eq::EquipmentClassFromName, kClasses));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> manufacturer,
                           body.OptionalString("manufacturer"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> model, body.OptionalString("model"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> serial,
                           body.OptionalString("serial_number"));
  definition.manufacturer = manufacturer.value_or("");
  definition.model = model.value_or("");
  definition.serial_number = serial.value_or("");
  ALIQUOT_ASSIGN_OR_RETURN(definition.room, body.String("room"));
  ALIQUOT_ASSIGN_OR_RETURN(definition.calibration_interval_days,
                           body.OptionalInteger("calibration_interval_days", -1000000, 1000000));
  ALIQUOT_ASSIGN_OR_RETURN(definition.maintenance_interval_days,
                           body.OptionalInteger("maintenance_interval_days", -1000000, 1000000));
  ALIQUOT_ASSIGN_OR_RETURN(
      definition.cleaning_rule,
      EnumMember(body, "cleaning_rule", &eq::CleaningRuleFromName,
                 "none, after_each_use, between_batches, between_products, between_patients"));
  ALIQUOT_ASSIGN_OR_RETURN(definition.clean_hold_hours,
                           body.OptionalInteger("clean_hold_hours", -1000000, 1000000));
  ALIQUOT_ASSIGN_OR_RETURN(definition.measures, body.OptionalString("measures"));
  if (body.OptionalMember("second_person_checks") != nullptr) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> checks,
                             body.StringArray("second_person_checks"));
    for (std::size_t i = 0; i < checks.size(); ++i) {
      ALIQUOT_ASSIGN_OR_RETURN(
          const eq::EntryKind kind,
          EnumFrom(checks[i], "second_person_checks[" + std::to_string(i) + "]",
                   &eq::EntryKindFromName,
                   "cleaning, maintenance, calibration, returned_to_service"));
      definition.second_person_checks.push_back(kind);
    }
  }
  return definition;
}

Result<eq::CalibrationPoint> PointFrom(JsonBody& body) {
  eq::CalibrationPoint point;
  ALIQUOT_ASSIGN_OR_RETURN(point.nominal, body.Number("nominal"));
  ALIQUOT_ASSIGN_OR_RETURN(point.as_found, body.Number("as_found"));
  ALIQUOT_ASSIGN_OR_RETURN(point.as_left, body.OptionalNumber("as_left"));
  ALIQUOT_ASSIGN_OR_RETURN(point.tolerance, body.Number("tolerance"));
  ALIQUOT_ASSIGN_OR_RETURN(point.unit, body.String("unit"));
  ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
  return point;
}

Result<std::string> OptionalStringOr(JsonBody& body, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> text, body.OptionalString(name));
  return text.value_or("");
}

// --- Showing records --------------------------------------------------------------------------

Json RoomJson(const env::RoomState& room) {
  Json json = Json::MakeObject();
  json.Set("room_id", room.id);
  json.Set("site", room.site);
  json.Set("name", room.name);
  json.Set("grade", env::GradeName(room.grade));
  json.Set("revision", room.revision);
  json.Set("defined_at", room.defined_at.ToRfc3339());
  json.Set("defined_by", room.defined_by);
  return json;
}

Json SignoffJson(const eq::Signoff& signoff) {
  Json json = Json::MakeObject();
  json.Set("entry", signoff.entry);
  json.Set("at", signoff.at.ToRfc3339());
  json.Set("performed_by", signoff.performed_by);
  json.Set("signed_at", TimeJson(signoff.signed_at));
  json.Set("needs_verification", signoff.needs_verification);
  json.Set("verified_at", TimeJson(signoff.verified_at));
  json.Set("verified_by", NonEmpty(signoff.verified_by));
  json.Set("in_effect", signoff.Effective());
  return json;
}

Json UseJson(const eq::Use& use) {
  Json json = Json::MakeObject();
  json.Set("entry", use.entry);
  json.Set("batch", use.batch);
  json.Set("product", NonEmpty(use.product));
  json.Set("lot", NonEmpty(use.lot));
  json.Set("step", NonEmpty(use.step));
  json.Set("patient_code", NonEmpty(use.patient_code));
  json.Set("room", use.room);
  json.Set("started", use.started.ToRfc3339());
  json.Set("ended", TimeJson(use.ended));
  return json;
}

Json StatusJson(const eq::EquipmentState& state, const eq::EquipmentStatus& status) {
  Json json = Json::MakeObject();
  json.Set("at", status.at.ToRfc3339());
  json.Set("qualification", eq::QualificationStatusName(status.qualification));
  if (state.out_of_service) {
    Json out = Json::MakeObject();
    out.Set("entry", state.out_of_service->entry);
    out.Set("since", state.out_of_service->since.ToRfc3339());
    out.Set("reason", state.out_of_service->reason);
    out.Set("by", state.out_of_service->by);
    json.Set("out_of_service", std::move(out));
  } else {
    json.Set("out_of_service", Json());
  }
  json.Set("calibration_due", TimeJson(status.calibration_due));
  json.Set("calibration_overdue", status.calibration_overdue);
  if (state.good_calibration) {
    Json good = SignoffJson(state.good_calibration->signoff);
    good.Set("performed_on", state.good_calibration->performed_on.ToRfc3339());
    good.Set("provider", state.good_calibration->provider);
    good.Set("certificate_sha256", OptionalText(state.good_calibration->certificate_sha256));
    json.Set("last_good_calibration", std::move(good));
  } else {
    json.Set("last_good_calibration", Json());
  }
  json.Set("failed_calibration_entry", OptionalInt(state.failed_calibration));
  json.Set("maintenance_due", TimeJson(status.maintenance_due));
  json.Set("maintenance_overdue", status.maintenance_overdue);
  json.Set("clean", eq::CleanStatusName(status.clean));
  json.Set("clean_until", TimeJson(status.clean_until));
  if (state.clean) {
    Json clean = SignoffJson(state.clean->signoff);
    clean.Set("agent", state.clean->agent);
    json.Set("last_cleaning", std::move(clean));
  } else {
    json.Set("last_cleaning", Json());
  }
  json.Set("in_use", status.in_use ? UseJson(*status.in_use) : Json());
  json.Set("last_use", state.last_use ? UseJson(*state.last_use) : Json());
  json.Set("awaiting", JsonStrings(status.awaiting));
  return json;
}

Json EquipmentJson(const app::EquipmentView& view) {
  const eq::EquipmentState& state = view.state;
  const eq::Definition& definition = state.definition;
  Json json = Json::MakeObject();
  json.Set("equipment_id", state.id);
  json.Set("name", definition.name);
  json.Set("class", eq::EquipmentClassName(definition.equipment_class));
  json.Set("manufacturer", definition.manufacturer);
  json.Set("model", definition.model);
  json.Set("serial_number", definition.serial_number);
  json.Set("room", RoomJson(view.room));
  json.Set("calibration_interval_days", OptionalInt(definition.calibration_interval_days));
  json.Set("maintenance_interval_days", OptionalInt(definition.maintenance_interval_days));
  json.Set("cleaning_rule", eq::CleaningRuleName(definition.cleaning_rule));
  json.Set("clean_hold_hours", OptionalInt(definition.clean_hold_hours));
  json.Set("measures", OptionalText(definition.measures));
  Json checks = Json::MakeArray();
  for (const eq::EntryKind kind : definition.second_person_checks) {
    checks.Push(eq::EntryKindName(kind));
  }
  json.Set("second_person_checks", std::move(checks));
  json.Set("registered_at", state.registered_at.ToRfc3339());
  json.Set("logbook_entries", state.entries);
  json.Set("status", StatusJson(state, view.status));
  return json;
}

Json EntryJson(const app::LogbookRow& row) {
  const eq::LogbookEntry& entry = row.entry;
  Json json = Json::MakeObject();
  json.Set("entry", entry.number);
  json.Set("kind", eq::EntryKindName(entry.kind));
  json.Set("at", entry.at.ToRfc3339());
  json.Set("by", entry.by);
  json.Set("by_name", entry.by_name);
  json.Set("terminal", entry.terminal);
  json.Set("summary", entry.summary);
  json.Set("reason", OptionalText(entry.reason));
  json.Set("alert", entry.alert);
  json.Set("batch", NonEmpty(entry.batch));
  json.Set("details", entry.details);
  const auto signoff = [](const std::optional<std::string>& by,
                          const std::optional<Timestamp>& at) {
    if (!by) return Json();
    Json manifest = Json::MakeObject();
    manifest.Set("by", *by);
    manifest.Set("at", TimeJson(at));
    return manifest;
  };
  json.Set("signed_as_performed", signoff(row.signed_by, row.signed_at));
  json.Set("verified", signoff(row.verified_by, row.verified_at));
  if (eq::IsSignedKind(entry.kind)) {
    json.Set("record",
             RecordJson("logbook_entry", entry.equipment + ":" + std::to_string(entry.number)));
  }
  return json;
}

Json CheckJson(const eq::UseCheck& check) {
  Json json = Json::MakeObject();
  json.Set("equipment", check.equipment);
  json.Set("at", check.at.ToRfc3339());
  json.Set("allowed", check.Allowed());
  // As the point-of-use check of a lot says it: "allowed" or the refusal.
  json.Set("reason", check.Allowed() ? "allowed" : eq::UseRefusalName(check.refusal));
  json.Set("message", check.message);
  return json;
}

Json LimitJson(const std::optional<env::Limit>& limit) {
  if (!limit) return Json();
  Json json = Json::MakeObject();
  json.Set("maximum", limit->maximum);
  json.Set("any_growth", limit->any_growth);
  json.Set("unit", limit->unit);
  json.Set("text", limit->Describe());
  return json;
}

Json LocationJson(const env::LocationState& location) {
  Json json = Json::MakeObject();
  json.Set("location_id", location.id);
  json.Set("room", location.room);
  json.Set("grade", env::GradeName(location.grade));
  json.Set("description", location.description);
  Json samples = Json::MakeArray();
  for (const env::PlannedSample& planned : location.samples) {
    Json item = Json::MakeObject();
    item.Set("type", env::SampleTypeName(planned.type));
    item.Set("occupancy", env::OccupancyName(planned.occupancy));
    item.Set("unit", env::ResultUnit(planned.type));
    item.Set("alert_level", planned.alert_level ? Json(*planned.alert_level) : Json());
    item.Set("action_limit",
             LimitJson(env::Annex1Limit(location.grade, planned.type, planned.occupancy)));
    item.Set("frequency", planned.frequency);
    samples.Push(std::move(item));
  }
  json.Set("samples", std::move(samples));
  json.Set("revision", location.revision);
  json.Set("defined_at", location.defined_at.ToRfc3339());
  json.Set("monitored_since", location.monitored_since.ToRfc3339());
  json.Set("defined_by", location.defined_by);
  return json;
}

Json SampleJson(const env::SampleState& sample) {
  Json json = Json::MakeObject();
  json.Set("sample_id", sample.id);
  json.Set("location", sample.location);
  json.Set("room", sample.room);
  json.Set("grade", env::GradeName(sample.grade));
  json.Set("type", env::SampleTypeName(sample.type));
  json.Set("occupancy", env::OccupancyName(sample.occupancy));
  json.Set("taken_at", sample.taken_at.ToRfc3339());
  json.Set("value_entered", sample.value_entered);
  json.Set("unit_entered", sample.unit_entered);
  json.Set("result", sample.result);
  json.Set("unit", env::ResultUnit(sample.type));
  json.Set("exposure_minutes", OptionalInt(sample.exposure_minutes));
  json.Set("person", OptionalText(sample.person));
  json.Set("comment", NonEmpty(sample.comment));
  json.Set("outcome", env::OutcomeName(sample.outcome));
  json.Set("action_limit", LimitJson(sample.action_limit));
  json.Set("alert_level", sample.alert_level ? Json(*sample.alert_level) : Json());
  json.Set("assessment", sample.assessment);
  json.Set("recorded_at", sample.recorded_at.ToRfc3339());
  json.Set("recorded_by", sample.recorded_by);
  return json;
}

class Routes {
 public:
  explicit Routes(const EquipmentApi& api) : api_(api) {}

  static void Add(Router& router, const std::shared_ptr<Routes>& self) {
    app::SessionService& sessions = self->api_.sessions;
    using Handler = Result<Response> (Routes::*)(const Request&, const RequestContext&);
    const auto bind = [&](std::string_view method, std::string_view pattern, Handler handler) {
      BindAuthenticated(router, self, sessions, method, pattern, handler);
    };
    bind("GET", "/api/v1/rooms", &Routes::Rooms);
    bind("GET", "/api/v1/rooms/{room}", &Routes::Room);
    bind("PUT", "/api/v1/rooms/{room}", &Routes::DefineRoom);
    bind("GET", "/api/v1/equipment", &Routes::List);
    bind("POST", "/api/v1/equipment", &Routes::Register);
    bind("GET", "/api/v1/equipment/{equipment}", &Routes::Get);
    bind("PUT", "/api/v1/equipment/{equipment}", &Routes::Redefine);
    bind("GET", "/api/v1/equipment/{equipment}/logbook", &Routes::Logbook);
    bind("GET", "/api/v1/equipment/{equipment}/logbook/{entry}", &Routes::Entry);
    bind("POST", "/api/v1/equipment/{equipment}/check", &Routes::Check);
    bind("POST", "/api/v1/equipment/{equipment}/uses", &Routes::StartUse);
    bind("POST", "/api/v1/equipment/{equipment}/uses/end", &Routes::EndUse);
    bind("POST", "/api/v1/equipment/{equipment}/cleanings", &Routes::Clean);
    bind("POST", "/api/v1/equipment/{equipment}/maintenance", &Routes::Maintain);
    bind("POST", "/api/v1/equipment/{equipment}/calibrations", &Routes::Calibrate);
    bind("POST", "/api/v1/equipment/{equipment}/qualification", &Routes::Qualify);
    bind("POST", "/api/v1/equipment/{equipment}/out-of-service", &Routes::TakeOutOfService);
    bind("POST", "/api/v1/equipment/{equipment}/return-to-service", &Routes::ReturnToService);
    bind("GET", "/api/v1/environment/limits", &Routes::Limits);
    bind("GET", "/api/v1/environment/locations", &Routes::Locations);
    bind("GET", "/api/v1/environment/locations/{location}", &Routes::Location);
    bind("PUT", "/api/v1/environment/locations/{location}", &Routes::DefineLocation);
    bind("GET", "/api/v1/environment/samples", &Routes::Samples);
    bind("POST", "/api/v1/environment/samples", &Routes::RecordSample);
    bind("GET", "/api/v1/environment/samples/{sample}", &Routes::Sample);
  }

 private:
  // --- Rooms

  Result<Response> Rooms(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<env::RoomState> rooms,
                             api_.equipment.Rooms(context));
    Json list = Json::MakeArray();
    for (const env::RoomState& room : rooms) list.Push(RoomJson(room));
    Json json = Json::MakeObject();
    json.Set("rooms", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Room(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const env::RoomState room,
                             api_.equipment.Room(context, PathParam(request, "room")));
    return JsonResponse(kOk, RoomJson(room));
  }

  Result<Response> DefineRoom(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    env::RoomCommand command;
    command.id = PathParam(request, "room");
    ALIQUOT_ASSIGN_OR_RETURN(command.site, body.String("site"));
    ALIQUOT_ASSIGN_OR_RETURN(command.name, body.String("name"));
    ALIQUOT_ASSIGN_OR_RETURN(command.grade,
                             EnumMember(body, "grade", &env::GradeFromName, kGrades));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, OptionalStringOr(body, "reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.equipment.DefineRoom(context, command, reason));
    ALIQUOT_ASSIGN_OR_RETURN(const env::RoomState room, api_.equipment.Room(context, command.id));
    return JsonResponse(room.revision == 1 ? kCreated : kOk, RoomJson(room));
  }

  // --- Equipment

  Result<Response> List(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> at, AtQuery(request));
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<app::EquipmentView> views,
                             api_.equipment.List(context, at));
    const std::optional<std::string_view> room = request.QueryParam("room");
    const std::optional<std::string_view> equipment_class = request.QueryParam("class");
    Json list = Json::MakeArray();
    for (const app::EquipmentView& view : views) {
      if (room && view.state.definition.room != *room) continue;
      if (equipment_class &&
          eq::EquipmentClassName(view.state.definition.equipment_class) != *equipment_class) {
        continue;
      }
      list.Push(EquipmentJson(view));
    }
    Json json = Json::MakeObject();
    json.Set("equipment", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Get(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> at, AtQuery(request));
    ALIQUOT_ASSIGN_OR_RETURN(const app::EquipmentView view,
                             api_.equipment.Get(context, PathParam(request, "equipment"), at));
    return JsonResponse(kOk, EquipmentJson(view));
  }

  Result<Response> Register(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string id, body.String("equipment_id"));
    ALIQUOT_ASSIGN_OR_RETURN(const eq::Definition definition, DefinitionFrom(body));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.equipment.Register(context, id, definition));
    ALIQUOT_ASSIGN_OR_RETURN(const app::EquipmentView view,
                             api_.equipment.Get(context, id, std::nullopt));
    return JsonResponse(kCreated, EquipmentJson(view));
  }

  Result<Response> Redefine(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const eq::Definition definition, DefinitionFrom(body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "equipment");
    ALIQUOT_RETURN_IF_ERROR(api_.equipment.Redefine(context, id, definition, reason));
    ALIQUOT_ASSIGN_OR_RETURN(const app::EquipmentView view,
                             api_.equipment.Get(context, id, std::nullopt));
    return JsonResponse(kOk, EquipmentJson(view));
  }

  Result<Response> Logbook(const Request& request, const RequestContext& context) {
    const auto bound = [&](std::string_view name) -> Result<std::optional<int>> {
      if (!request.QueryParam(name)) return std::optional<int>();
      ALIQUOT_ASSIGN_OR_RETURN(const std::uint64_t value, QueryParamUnsigned(request, name, 0));
      if (value > 1'000'000'000) {
        return Unexpected(
            InvalidArgument(std::string(name) + " is an entry number", std::string(name)));
      }
      return std::optional<int>(static_cast<int>(value));
    };
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<int> after, bound("after"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<int> before, bound("before"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::uint64_t limit, QueryParamUnsigned(request, "limit", 100));
    const std::string order(request.QueryParam("order").value_or("newest"));
    if (order != "newest" && order != "oldest") {
      return Unexpected(InvalidArgument("order must be newest or oldest", "order"));
    }
    const std::string id = PathParam(request, "equipment");
    ALIQUOT_ASSIGN_OR_RETURN(
        const app::LogbookPage page,
        api_.equipment.Logbook(
            context, id, after, before, order == "oldest",
            static_cast<std::size_t>(std::min<std::uint64_t>(limit, 1'000'000))));
    Json entries = Json::MakeArray();
    for (const app::LogbookRow& row : page.entries) entries.Push(EntryJson(row));
    Json json = Json::MakeObject();
    json.Set("equipment_id", id);
    json.Set("total", page.total);
    json.Set("order", order);
    // The next page continues past the last entry shown.
    const int last = page.entries.empty() ? 0 : page.entries.back().entry.number;
    const bool more =
        page.entries.size() == limit && (order == "oldest" ? last < page.total : last > 1);
    if (more) {
      const std::string page_size = "&limit=" + std::to_string(limit);
      json.Set("next", order == "oldest" ? "?order=oldest&after=" + std::to_string(last) + page_size
                                         : "?before=" + std::to_string(last) + page_size);
    } else {
      json.Set("next", Json());
    }
    json.Set("entries", std::move(entries));
    return JsonResponse(kOk, json);
  }

  Result<Response> Entry(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::uint64_t number, PathParamUnsigned(request, "entry"));
    if (number < 1 || number > 1'000'000'000) {
      return Unexpected(NotFound("no logbook entry " + std::to_string(number), "entry"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(
        const app::LogbookRow row,
        api_.equipment.Entry(context, PathParam(request, "equipment"), static_cast<int>(number)));
    return JsonResponse(kOk, EntryJson(row));
  }

  Result<Response> Check(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    app::EquipmentCheckInput input;
    ALIQUOT_ASSIGN_OR_RETURN(
        input.required_class,
        OptionalEnumMember(body, "class", &eq::EquipmentClassFromName, kClasses));
    ALIQUOT_ASSIGN_OR_RETURN(input.required_grade,
                             OptionalEnumMember(body, "grade", &env::GradeFromName, kGrades));
    ALIQUOT_ASSIGN_OR_RETURN(input.batch, OptionalStringOr(body, "batch"));
    ALIQUOT_ASSIGN_OR_RETURN(input.product, OptionalStringOr(body, "product"));
    ALIQUOT_ASSIGN_OR_RETURN(input.patient_code, OptionalStringOr(body, "patient_code"));
    ALIQUOT_ASSIGN_OR_RETURN(input.at, OptionalTimeMember(body, "at"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_ASSIGN_OR_RETURN(const eq::UseCheck check,
                             api_.equipment.Check(context, PathParam(request, "equipment"), input));
    return JsonResponse(kOk, CheckJson(check));
  }

  // The response to a new entry: the entry, the equipment as it now stands, and any deviation.
  Result<Response> Recorded(const RequestContext& context, const std::string& id,
                            const app::EntryRecorded& recorded) {
    ALIQUOT_ASSIGN_OR_RETURN(const app::LogbookRow row,
                             api_.equipment.Entry(context, id, recorded.entry));
    ALIQUOT_ASSIGN_OR_RETURN(const app::EquipmentView view,
                             api_.equipment.Get(context, id, std::nullopt));
    Json json = Json::MakeObject();
    json.Set("entry", EntryJson(row));
    json.Set("equipment", EquipmentJson(view));
    json.Set("deviation", recorded.deviation ? DeviationJson(*recorded.deviation) : Json());
    return JsonResponse(kCreated, json);
  }

  Result<Response> StartUse(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_RETURN_IF_ERROR(RefuseClientTime(body));
    eq::UseInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.batch, body.String("batch"));
    ALIQUOT_ASSIGN_OR_RETURN(input.product, OptionalStringOr(body, "product"));
    ALIQUOT_ASSIGN_OR_RETURN(input.lot, OptionalStringOr(body, "lot"));
    ALIQUOT_ASSIGN_OR_RETURN(input.step, OptionalStringOr(body, "step"));
    ALIQUOT_ASSIGN_OR_RETURN(input.patient_code, OptionalStringOr(body, "patient_code"));
    ALIQUOT_ASSIGN_OR_RETURN(
        input.required_class,
        OptionalEnumMember(body, "class", &eq::EquipmentClassFromName, kClasses));
    ALIQUOT_ASSIGN_OR_RETURN(input.required_grade,
                             OptionalEnumMember(body, "grade", &env::GradeFromName, kGrades));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "equipment");
    ALIQUOT_ASSIGN_OR_RETURN(const app::EntryRecorded recorded,
                             api_.equipment.StartUse(context, id, input));
    return Recorded(context, id, recorded);
  }

  Result<Response> EndUse(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_RETURN_IF_ERROR(RefuseClientTime(body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string batch, body.String("batch"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string comment, OptionalStringOr(body, "comment"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "equipment");
    ALIQUOT_ASSIGN_OR_RETURN(const app::EntryRecorded recorded,
                             api_.equipment.EndUse(context, id, batch, comment));
    return Recorded(context, id, recorded);
  }

  Result<Response> Clean(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_RETURN_IF_ERROR(RefuseClientTime(body));
    eq::CleaningInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.agent, body.String("agent"));
    ALIQUOT_ASSIGN_OR_RETURN(input.method, body.String("method"));
    ALIQUOT_ASSIGN_OR_RETURN(input.comment, OptionalStringOr(body, "comment"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "equipment");
    ALIQUOT_ASSIGN_OR_RETURN(const app::EntryRecorded recorded,
                             api_.equipment.RecordCleaning(context, id, input));
    return Recorded(context, id, recorded);
  }

  Result<Response> Maintain(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_RETURN_IF_ERROR(RefuseClientTime(body));
    eq::MaintenanceInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.type, EnumMember(body, "type", &eq::MaintenanceTypeFromName,
                                                    "preventive, corrective"));
    ALIQUOT_ASSIGN_OR_RETURN(input.description, body.String("description"));
    ALIQUOT_ASSIGN_OR_RETURN(input.performed_on, OptionalTimeMember(body, "performed_on"));
    ALIQUOT_ASSIGN_OR_RETURN(input.report_sha256, body.OptionalString("report_sha256"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "equipment");
    ALIQUOT_ASSIGN_OR_RETURN(const app::EntryRecorded recorded,
                             api_.equipment.RecordMaintenance(context, id, input));
    return Recorded(context, id, recorded);
  }

  Result<Response> Calibrate(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_RETURN_IF_ERROR(RefuseClientTime(body));
    eq::CalibrationInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.performed_on, OptionalTimeMember(body, "performed_on"));
    ALIQUOT_ASSIGN_OR_RETURN(input.provider, body.String("provider"));
    ALIQUOT_ASSIGN_OR_RETURN(input.reference_standard, body.String("reference_standard"));
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<JsonBody> points, body.ObjectArray("points"));
    for (JsonBody& point : points) {
      ALIQUOT_ASSIGN_OR_RETURN(eq::CalibrationPoint read, PointFrom(point));
      input.points.push_back(std::move(read));
    }
    ALIQUOT_ASSIGN_OR_RETURN(input.certificate_sha256, body.OptionalString("certificate_sha256"));
    ALIQUOT_ASSIGN_OR_RETURN(input.comment, OptionalStringOr(body, "comment"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "equipment");
    ALIQUOT_ASSIGN_OR_RETURN(const app::EntryRecorded recorded,
                             api_.equipment.RecordCalibration(context, id, input));
    return Recorded(context, id, recorded);
  }

  Result<Response> Qualify(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_RETURN_IF_ERROR(RefuseClientTime(body));
    eq::QualificationInput input;
    ALIQUOT_ASSIGN_OR_RETURN(
        input.status,
        EnumMember(body, "status", &eq::QualificationStatusFromName, "qualified, not_qualified"));
    ALIQUOT_ASSIGN_OR_RETURN(input.reference, body.String("reference"));
    ALIQUOT_ASSIGN_OR_RETURN(input.report_sha256, body.OptionalString("report_sha256"));
    ALIQUOT_ASSIGN_OR_RETURN(input.comment, OptionalStringOr(body, "comment"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "equipment");
    ALIQUOT_ASSIGN_OR_RETURN(const app::EntryRecorded recorded,
                             api_.equipment.RecordQualification(context, id, input));
    return Recorded(context, id, recorded);
  }

  Result<Response> TakeOutOfService(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_RETURN_IF_ERROR(RefuseClientTime(body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, body.String("reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "equipment");
    ALIQUOT_ASSIGN_OR_RETURN(const app::EntryRecorded recorded,
                             api_.equipment.TakeOutOfService(context, id, reason));
    return Recorded(context, id, recorded);
  }

  Result<Response> ReturnToService(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_RETURN_IF_ERROR(RefuseClientTime(body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string comment, body.String("comment"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    const std::string id = PathParam(request, "equipment");
    ALIQUOT_ASSIGN_OR_RETURN(const app::EntryRecorded recorded,
                             api_.equipment.ReturnToService(context, id, comment));
    return Recorded(context, id, recorded);
  }

  // --- Environmental monitoring

  Result<Response> Limits(const Request& /*request*/, const RequestContext& context) {
    // Reading the limits needs what reading the results does.
    ALIQUOT_RETURN_IF_ERROR(api_.environment.Locations(context).transform([](auto&&) {}));
    Json rows = Json::MakeArray();
    for (const env::Grade grade :
         {env::Grade::kA, env::Grade::kB, env::Grade::kC, env::Grade::kD}) {
      for (const env::SampleType type :
           {env::SampleType::kParticles05, env::SampleType::kParticles5,
            env::SampleType::kActiveAir, env::SampleType::kSettlePlate,
            env::SampleType::kContactPlate, env::SampleType::kGlovePrint}) {
        Json row = Json::MakeObject();
        row.Set("grade", env::GradeName(grade));
        row.Set("type", env::SampleTypeName(type));
        row.Set("unit", env::ResultUnit(type));
        row.Set("at_rest", LimitJson(env::Annex1Limit(grade, type, env::Occupancy::kAtRest)));
        row.Set("in_operation",
                LimitJson(env::Annex1Limit(grade, type, env::Occupancy::kInOperation)));
        rows.Push(std::move(row));
      }
    }
    Json json = Json::MakeObject();
    json.Set("source", "EU GMP Annex 1 (2022), Tables 5 and 6");
    json.Set("limits", std::move(rows));
    return JsonResponse(kOk, json);
  }

  Result<Response> Locations(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<env::LocationState> locations,
                             api_.environment.Locations(context));
    const std::optional<std::string_view> room = request.QueryParam("room");
    Json list = Json::MakeArray();
    for (const env::LocationState& location : locations) {
      if (room && location.room != *room) continue;
      list.Push(LocationJson(location));
    }
    Json json = Json::MakeObject();
    json.Set("locations", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Location(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const env::LocationState location,
                             api_.environment.Location(context, PathParam(request, "location")));
    return JsonResponse(kOk, LocationJson(location));
  }

  Result<Response> DefineLocation(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    env::LocationCommand command;
    command.id = PathParam(request, "location");
    ALIQUOT_ASSIGN_OR_RETURN(command.room, body.String("room"));
    ALIQUOT_ASSIGN_OR_RETURN(command.grade,
                             EnumMember(body, "grade", &env::GradeFromName, kGrades));
    ALIQUOT_ASSIGN_OR_RETURN(command.description, body.String("description"));
    ALIQUOT_ASSIGN_OR_RETURN(command.monitored_since, OptionalTimeMember(body, "monitored_since"));
    ALIQUOT_ASSIGN_OR_RETURN(std::vector<JsonBody> samples, body.ObjectArray("samples"));
    for (JsonBody& sample : samples) {
      env::PlannedSample planned;
      ALIQUOT_ASSIGN_OR_RETURN(
          planned.type,
          EnumMember(sample, "type", &env::SampleTypeFromName,
                     "particles_0_5um, particles_5um, active_air, settle_plate, contact_plate, "
                     "glove_print"));
      ALIQUOT_ASSIGN_OR_RETURN(
          planned.occupancy,
          EnumMember(sample, "occupancy", &env::OccupancyFromName, "at_rest, in_operation"));
      ALIQUOT_ASSIGN_OR_RETURN(planned.alert_level, sample.OptionalNumber("alert_level"));
      ALIQUOT_ASSIGN_OR_RETURN(planned.frequency, OptionalStringOr(sample, "frequency"));
      ALIQUOT_RETURN_IF_ERROR(sample.CheckNoOtherMembers());
      command.samples.push_back(std::move(planned));
    }
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, OptionalStringOr(body, "reason"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.environment.DefineLocation(context, command, reason));
    ALIQUOT_ASSIGN_OR_RETURN(const env::LocationState location,
                             api_.environment.Location(context, command.id));
    return JsonResponse(location.revision == 1 ? kCreated : kOk, LocationJson(location));
  }

  Result<Response> Samples(const Request& request, const RequestContext& context) {
    app::SampleFilter filter;
    if (const auto location = request.QueryParam("location"))
      filter.location = std::string(*location);
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> from, TimeQuery(request, "from"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> to, TimeQuery(request, "to"));
    const Timestamp now = api_.environment.Now();
    // Default: the last 90 days, what a monthly trend review reads.
    filter.to = to.value_or(now);
    filter.from = from.value_or(Timestamp::FromMicros(filter.to.Micros() - 90 * kMicrosPerDay));
    ALIQUOT_ASSIGN_OR_RETURN(const std::uint64_t limit, QueryParamUnsigned(request, "limit", 1000));
    filter.limit = static_cast<std::size_t>(std::min<std::uint64_t>(limit, 1'000'000));
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<env::SampleState> samples,
                             api_.environment.Samples(context, filter));
    Json list = Json::MakeArray();
    std::array<int, 3> outcomes{};
    for (const env::SampleState& sample : samples) {
      ++outcomes[static_cast<std::size_t>(sample.outcome)];
      list.Push(SampleJson(sample));
    }
    Json json = Json::MakeObject();
    json.Set("from", filter.from.ToRfc3339());
    json.Set("to", filter.to.ToRfc3339());
    json.Set("within_limits", outcomes[0]);
    json.Set("alerts", outcomes[1]);
    json.Set("excursions", outcomes[2]);
    json.Set("samples", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Sample(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const env::SampleState sample,
                             api_.environment.Sample(context, PathParam(request, "sample")));
    return JsonResponse(kOk, SampleJson(sample));
  }

  Result<Response> RecordSample(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    env::SampleInput input;
    ALIQUOT_ASSIGN_OR_RETURN(input.id, body.String("sample_id"));
    ALIQUOT_ASSIGN_OR_RETURN(input.location, body.String("location"));
    ALIQUOT_ASSIGN_OR_RETURN(input.type,
                             EnumMember(body, "type", &env::SampleTypeFromName,
                                        "particles_0_5um, particles_5um, active_air, settle_plate, "
                                        "contact_plate, glove_print"));
    ALIQUOT_ASSIGN_OR_RETURN(input.occupancy, EnumMember(body, "occupancy", &env::OccupancyFromName,
                                                         "at_rest, in_operation"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> taken_at,
                             OptionalTimeMember(body, "taken_at"));
    if (!taken_at) return Unexpected(InvalidArgument("taken_at is required", "taken_at"));
    input.taken_at = *taken_at;
    ALIQUOT_ASSIGN_OR_RETURN(input.result, body.Number("result"));
    ALIQUOT_ASSIGN_OR_RETURN(input.unit, body.String("unit"));
    ALIQUOT_ASSIGN_OR_RETURN(input.exposure_minutes,
                             body.OptionalInteger("exposure_minutes", -1000000, 1000000));
    ALIQUOT_ASSIGN_OR_RETURN(input.person, body.OptionalString("person"));
    ALIQUOT_ASSIGN_OR_RETURN(input.comment, OptionalStringOr(body, "comment"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_ASSIGN_OR_RETURN(const app::SampleRecorded recorded,
                             api_.environment.RecordSample(context, input));
    Json json = SampleJson(recorded.sample);
    json.Set("deviation", recorded.deviation ? DeviationJson(*recorded.deviation) : Json());
    return JsonResponse(kCreated, json);
  }

  EquipmentApi api_;
};

}  // namespace

void AddEquipmentRoutes(Router& router, const EquipmentApi& api) {
  Routes::Add(router, std::make_shared<Routes>(api));
}

}  // namespace aliquot::http
