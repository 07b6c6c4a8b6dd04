#include "aliquot/http/quality_routes.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aliquot/http/json_body.h"
#include "aliquot/http/response.h"
#include "aliquot/http/route_support.h"

namespace aliquot::http {
namespace {

using app::RequestContext;

Json Positive(int number) { return number > 0 ? Json(number) : Json(); }

Json AssessmentJson(const quality::RecordedAssessment& recorded) {
  const quality::DeviationAssessment& assessment = recorded.assessment;
  Json json = Json::MakeObject();
  json.Set("classification", quality::ClassificationName(assessment.classification));
  json.Set("impact", assessment.impact);
  json.Set("root_cause", NonEmpty(assessment.root_cause));
  json.Set("investigation_required", assessment.investigation_required);
  json.Set("batches_affected", JsonStrings(assessment.batches_affected));
  json.Set("assessed_at", recorded.assessed_at.ToRfc3339());
  json.Set("assessed_by", recorded.assessed_by);
  return json;
}

// The body of POST /api/v1/deviations/{deviation}/assessment.
Result<quality::DeviationAssessment> AssessmentFrom(JsonBody& body) {
  quality::DeviationAssessment assessment;
  ALIQUOT_ASSIGN_OR_RETURN(const std::string classification, body.String("classification"));
  const auto parsed = quality::ClassificationFromName(classification);
  if (!parsed) {
    return Unexpected(
        InvalidArgument("classification must be one of minor, major, critical; got '" +
                            classification.substr(0, 40) + "'",
                        "classification"));
  }
  assessment.classification = *parsed;
  ALIQUOT_ASSIGN_OR_RETURN(assessment.impact, body.String("impact"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> root_cause,
                           body.OptionalString("root_cause"));
  assessment.root_cause = root_cause.value_or("");
  ALIQUOT_ASSIGN_OR_RETURN(assessment.investigation_required, body.Bool("investigation_required"));
  if (body.OptionalMember("batches_affected") != nullptr) {
    ALIQUOT_ASSIGN_OR_RETURN(assessment.batches_affected, body.StringArray("batches_affected"));
  }
  ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
  return assessment;
}

class Routes {
 public:
  explicit Routes(const QualityApi& api) : api_(api) {}

  static void Add(Router& router, const std::shared_ptr<Routes>& self) {
    app::SessionService& sessions = self->api_.sessions;
    using Handler = Result<Response> (Routes::*)(const Request&, const RequestContext&);
    const auto bind = [&](std::string_view method, std::string_view pattern, Handler handler) {
      BindAuthenticated(router, self, sessions, method, pattern, handler);
    };
    bind("GET", "/api/v1/deviations", &Routes::Deviations);
    bind("GET", "/api/v1/deviations/{deviation}", &Routes::Deviation);
    bind("POST", "/api/v1/deviations/{deviation}/assessment", &Routes::Assess);
  }

 private:
  Result<Response> Deviations(const Request& request, const RequestContext& context) {
    std::optional<std::string> batch;
    if (const auto value = request.QueryParam("batch")) batch = std::string(*value);
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<quality::DeviationState> deviations,
                             api_.quality.Deviations(context, batch));
    Json list = Json::MakeArray();
    for (const quality::DeviationState& deviation : deviations) list.Push(DeviationJson(deviation));
    Json json = Json::MakeObject();
    json.Set("deviations", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Deviation(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const quality::DeviationState deviation,
                             api_.quality.Deviation(context, PathParam(request, "deviation")));
    return JsonResponse(kOk, DeviationJson(deviation));
  }

  Result<Response> Assess(const Request& request, const RequestContext& context) {
    const std::string id = PathParam(request, "deviation");
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const quality::DeviationAssessment assessment, AssessmentFrom(body));
    ALIQUOT_RETURN_IF_ERROR(api_.quality.Assess(context, id, assessment));
    ALIQUOT_ASSIGN_OR_RETURN(const quality::DeviationState deviation,
                             api_.quality.Deviation(context, id));
    return JsonResponse(kCreated, DeviationJson(deviation));
  }

  QualityApi api_;
};

}  // namespace

Json DeviationJson(const quality::DeviationState& deviation) {
  const quality::DeviationInput& details = deviation.details;
  Json json = Json::MakeObject();
  json.Set("deviation_id", deviation.id);
  json.Set("status", quality::DeviationStatusName(deviation.status));
  json.Set("source", quality::DeviationSourceName(details.source));
  json.Set("title", details.title);
  json.Set("description", details.description);
  json.Set("equipment", NonEmpty(details.equipment));
  json.Set("equipment_entry", Positive(details.equipment_entry));
  json.Set("room", NonEmpty(details.room));
  json.Set("location", NonEmpty(details.location));
  json.Set("sample", NonEmpty(details.sample));
  json.Set("step", NonEmpty(details.step));
  json.Set("subject", NonEmpty(details.subject));
  json.Set("value", NonEmpty(details.value));
  json.Set("limit", NonEmpty(details.limit));
  json.Set("batch_entry", Positive(details.batch_entry));
  json.Set("window_start", TimeJson(details.window_start));
  json.Set("window_end", TimeJson(details.window_end));
  json.Set("batches", JsonStrings(details.batches));
  json.Set("batches_affected", JsonStrings(deviation.BatchesAffected()));
  json.Set("raised_at", deviation.raised_at.ToRfc3339());
  json.Set("raised_by", deviation.raised_by);
  Json assessments = Json::MakeArray();
  for (const quality::RecordedAssessment& recorded : deviation.assessments) {
    assessments.Push(AssessmentJson(recorded));
  }
  json.Set("assessments", std::move(assessments));
  json.Set("closed_at", TimeJson(deviation.closed_at));
  json.Set("closed_by", NonEmpty(deviation.closed_by));
  json.Set("closing_justification", NonEmpty(deviation.closing_justification));
  json.Set("record", RecordJson("deviation", deviation.id));
  return json;
}

void AddQualityRoutes(Router& router, const QualityApi& api) {
  Routes::Add(router, std::make_shared<Routes>(api));
}

}  // namespace aliquot::http
