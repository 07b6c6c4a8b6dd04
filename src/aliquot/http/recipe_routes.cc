#include "aliquot/http/recipe_routes.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/http/json_body.h"
#include "aliquot/http/response.h"
#include "aliquot/http/route_support.h"

namespace aliquot::http {
namespace {

using app::RequestContext;

constexpr std::string_view kTherapies = "autologous, allogeneic";
constexpr std::string_view kYamlType = "application/yaml";

Json ProductJson(const recipes::ProductState& product) {
  Json json = Json::MakeObject();
  json.Set("product_id", product.id);
  json.Set("name", product.name);
  json.Set("therapy", recipes::TherapyKindName(product.therapy));
  json.Set("description", product.description);
  json.Set("defined_by", product.defined_by);
  json.Set("defined_at", product.defined_at.ToRfc3339());
  return json;
}

Json PhasesJson(const std::vector<recipes::ClinicalPhase>& phases) {
  Json list = Json::MakeArray();
  for (recipes::ClinicalPhase phase : phases) list.Push(recipes::ClinicalPhaseName(phase));
  return list;
}

Json OptionalText(const std::optional<std::string>& text) { return text ? Json(*text) : Json(); }

Json VersionJson(const std::string& record_id, const recipes::VersionState& version,
                 recipes::VersionStatus status) {
  Json json = Json::MakeObject();
  json.Set("mbr_id", record_id);
  json.Set("version", version.number);
  json.Set("status", recipes::VersionStatusName(status));
  json.Set("phases", PhasesJson(version.phases));
  json.Set("change_reason", version.change_reason);
  json.Set("content_sha256", version.content_sha256);
  json.Set("drafted_by", version.drafted_by);
  json.Set("drafted_at", version.drafted_at.ToRfc3339());
  Json contributors = Json::MakeArray();
  for (const std::string& who : version.contributors) contributors.Push(who);
  json.Set("contributors", std::move(contributors));
  json.Set("prepared_by", OptionalText(version.prepared_by));
  json.Set("checked_by", OptionalText(version.checked_by));
  json.Set("approved_by", OptionalText(version.approved_by));
  json.Set("approved_at", TimeJson(version.approved_at));
  json.Set("requested_effective", TimeJson(version.requested_effective));
  json.Set("effective_from", TimeJson(version.effective_from));
  json.Set("effective_until", TimeJson(version.effective_until));
  json.Set("record", RecordJson("mbr_version", app::MbrVersionId(record_id, version.number)));
  return json;
}

Json VersionViewJson(const std::string& record_id, const app::RecipeVersionView& view,
                     bool with_definition) {
  Json json = VersionJson(record_id, view.version, view.status);
  json.Set("signatures", SignaturesJson(view.signatures));
  if (with_definition) json.Set("definition", recipes::DefinitionToJson(view.definition));
  return json;
}

Json RecordSummaryJson(const recipes::MasterBatchRecordState& record, Timestamp at) {
  Json json = Json::MakeObject();
  json.Set("mbr_id", record.id);
  json.Set("product", record.product);
  json.Set("title", record.title);
  json.Set("created_by", record.created_by);
  json.Set("created_at", record.created_at.ToRfc3339());
  const recipes::VersionState* effective = record.EffectiveAt(at);
  json.Set("effective_version", effective != nullptr ? Json(effective->number) : Json());
  json.Set("latest_version", record.Latest() != nullptr ? Json(record.Latest()->number) : Json());
  json.Set("retirement_reason", OptionalText(record.retirement_reason));
  json.Set("retirement_effective", TimeJson(record.retirement_effective));
  json.Set("retired_from", TimeJson(record.retired_from));
  json.Set("record", RecordJson("master_batch_record", record.id));
  return json;
}

// The body's format from its Content-Type: a definition file is YAML; the JSON the API shows is
// accepted too. Anything else is refused rather than guessed.
Result<app::DefinitionFormat> BodyFormat(const Request& request) {
  std::string type(request.Header("Content-Type").value_or(kYamlType));
  for (char& c : type) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const std::string media = type.substr(0, type.find(';'));
  if (media == "application/yaml" || media == "application/x-yaml" || media == "text/yaml" ||
      media == "text/x-yaml") {
    return app::DefinitionFormat::kYaml;
  }
  if (media == "application/json") return app::DefinitionFormat::kJson;
  return Unexpected(
      InvalidArgument("a definition is sent as application/yaml (the definition "
                      "file) or application/json, not '" +
                          media.substr(0, 60) + "'",
                      "Content-Type"));
}

Result<app::ImportInput> ImportFrom(const Request& request) {
  app::ImportInput input;
  ALIQUOT_ASSIGN_OR_RETURN(input.format, BodyFormat(request));
  ALIQUOT_ASSIGN_OR_RETURN(input.change_reason, RequiredQuery(request, "change_reason"));
  ALIQUOT_ASSIGN_OR_RETURN(input.effective_from, TimeQuery(request, "effective_from"));
  input.text = request.body;
  return input;
}

Result<int> VersionParam(const Request& request, std::string_view name) {
  const std::string text = PathParam(request, name);
  int version = 0;
  if (text.empty() || text.size() > 6 ||
      text.find_first_not_of("0123456789") != std::string::npos ||
      (version = std::stoi(text)) < 1) {
    return Unexpected(
        NotFound("'" + text.substr(0, 20) + "' is not a version number", std::string(name)));
  }
  return version;
}

Result<int> VersionQuery(const Request& request, std::string_view name) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::string text, RequiredQuery(request, name));
  if (text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(text) < 1) {
    return Unexpected(InvalidArgument(
        std::string(name) + " must be a version number, not '" + text.substr(0, 20) + "'",
        std::string(name)));
  }
  return std::stoi(text);
}

class Routes {
 public:
  explicit Routes(const RecipeApi& api) : api_(api) {}

  static void Add(Router& router, const std::shared_ptr<Routes>& self) {
    app::SessionService& sessions = self->api_.sessions;
    using Handler = Result<Response> (Routes::*)(const Request&, const RequestContext&);
    const auto bind = [&](std::string_view method, std::string_view pattern, Handler handler) {
      BindAuthenticated(router, self, sessions, method, pattern, handler);
    };
    bind("GET", "/api/v1/products", &Routes::Products);
    bind("GET", "/api/v1/products/{product}", &Routes::Product);
    bind("PUT", "/api/v1/products/{product}", &Routes::DefineProduct);
    bind("GET", "/api/v1/mbrs", &Routes::Records);
    bind("POST", "/api/v1/mbrs", &Routes::Create);
    bind("GET", "/api/v1/mbrs/{mbr}", &Routes::History);
    bind("POST", "/api/v1/mbrs/{mbr}/versions", &Routes::Import);
    bind("GET", "/api/v1/mbrs/{mbr}/versions/{version}", &Routes::Version);
    bind("GET", "/api/v1/mbrs/{mbr}/versions/{version}/definition", &Routes::Export);
    bind("PUT", "/api/v1/mbrs/{mbr}/versions/{version}/definition", &Routes::Replace);
    bind("GET", "/api/v1/mbrs/{mbr}/effective", &Routes::Effective);
    bind("GET", "/api/v1/mbrs/{mbr}/differences", &Routes::Differences);
    bind("POST", "/api/v1/mbrs/{mbr}/retirement", &Routes::ProposeRetirement);
  }

 private:
  Result<Response> Products(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<recipes::ProductState> products,
                             api_.recipes.Products(context));
    Json list = Json::MakeArray();
    for (const recipes::ProductState& product : products) list.Push(ProductJson(product));
    Json json = Json::MakeObject();
    json.Set("products", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Product(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const recipes::ProductState product,
                             api_.recipes.Product(context, PathParam(request, "product")));
    return JsonResponse(kOk, ProductJson(product));
  }

  Result<Response> DefineProduct(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    recipes::ProductCommand command;
    command.id = PathParam(request, "product");
    ALIQUOT_ASSIGN_OR_RETURN(command.name, body.String("name"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string therapy, body.String("therapy"));
    const std::optional<recipes::TherapyKind> kind = recipes::TherapyKindFromName(therapy);
    if (!kind) {
      return Unexpected(InvalidArgument("therapy must be one of " + std::string(kTherapies) +
                                            ", not '" + therapy.substr(0, 40) + "'",
                                        "therapy"));
    }
    command.therapy = *kind;
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<std::string> description,
                             body.OptionalString("description"));
    command.description = description.value_or("");
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_ASSIGN_OR_RETURN(const bool created, api_.recipes.DefineProduct(context, command));
    ALIQUOT_ASSIGN_OR_RETURN(const recipes::ProductState product,
                             api_.recipes.Product(context, command.id));
    return JsonResponse(created ? kCreated : kOk, ProductJson(product));
  }

  Result<Response> Records(const Request& /*request*/, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<recipes::MasterBatchRecordState> records,
                             api_.recipes.MasterBatchRecords(context));
    const Timestamp now = api_.recipes.Now();
    Json list = Json::MakeArray();
    for (const recipes::MasterBatchRecordState& record : records) {
      list.Push(RecordSummaryJson(record, now));
    }
    Json json = Json::MakeObject();
    json.Set("master_batch_records", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> Create(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    recipes::CreateCommand command;
    ALIQUOT_ASSIGN_OR_RETURN(command.id, body.String("mbr_id"));
    ALIQUOT_ASSIGN_OR_RETURN(command.product, body.String("product"));
    ALIQUOT_ASSIGN_OR_RETURN(command.title, body.String("title"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.recipes.CreateMasterBatchRecord(context, command));
    return HistoryResponse(kCreated, context, command.id);
  }

  Result<Response> History(const Request& request, const RequestContext& context) {
    return HistoryResponse(kOk, context, PathParam(request, "mbr"));
  }

  Result<Response> HistoryResponse(int status, const RequestContext& context,
                                   const std::string& id) {
    ALIQUOT_ASSIGN_OR_RETURN(const app::RecipeHistory history, api_.recipes.History(context, id));
    Json json = RecordSummaryJson(history.record, history.at);
    Json versions = Json::MakeArray();
    for (const app::RecipeVersionView& view : history.versions) {
      versions.Push(VersionViewJson(history.record.id, view, false));
    }
    json.Set("versions", std::move(versions));
    return JsonResponse(status, json);
  }

  Result<Response> Import(const Request& request, const RequestContext& context) {
    const std::string id = PathParam(request, "mbr");
    ALIQUOT_ASSIGN_OR_RETURN(const app::ImportInput input, ImportFrom(request));
    ALIQUOT_ASSIGN_OR_RETURN(const int version, api_.recipes.ImportVersion(context, id, input));
    return VersionResponse(kCreated, context, id, version);
  }

  Result<Response> Replace(const Request& request, const RequestContext& context) {
    const std::string id = PathParam(request, "mbr");
    ALIQUOT_ASSIGN_OR_RETURN(const int version, VersionParam(request, "version"));
    ALIQUOT_ASSIGN_OR_RETURN(const app::ImportInput input, ImportFrom(request));
    ALIQUOT_RETURN_IF_ERROR(api_.recipes.ReplaceDraft(context, id, version, input));
    return VersionResponse(kOk, context, id, version);
  }

  Result<Response> Version(const Request& request, const RequestContext& context) {
    ALIQUOT_ASSIGN_OR_RETURN(const int version, VersionParam(request, "version"));
    return VersionResponse(kOk, context, PathParam(request, "mbr"), version);
  }

  Result<Response> VersionResponse(int status, const RequestContext& context, const std::string& id,
                                   int version) {
    ALIQUOT_ASSIGN_OR_RETURN(const app::RecipeVersionView view,
                             api_.recipes.Version(context, id, version));
    return JsonResponse(status, VersionViewJson(id, view, true));
  }

  // The definition file of a version: what a process engineer commits, diffs and imports back.
  Result<Response> Export(const Request& request, const RequestContext& context) {
    const std::string id = PathParam(request, "mbr");
    ALIQUOT_ASSIGN_OR_RETURN(const int version, VersionParam(request, "version"));
    const std::optional<std::string_view> format = request.QueryParam("format");
    if (format && *format == "json") {
      ALIQUOT_ASSIGN_OR_RETURN(const app::RecipeVersionView view,
                               api_.recipes.Version(context, id, version));
      return JsonResponse(kOk, recipes::DefinitionToJson(view.definition));
    }
    if (format && *format != "yaml") {
      return Unexpected(InvalidArgument(
          "format must be yaml or json, not '" + std::string(format->substr(0, 20)) + "'",
          "format"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(std::string text, api_.recipes.ExportVersion(context, id, version));
    Response response;
    response.content_type = std::string(kYamlType) + "; charset=utf-8";
    response.body = std::move(text);
    response.headers.emplace_back("Content-Disposition", "inline; filename=\"" + id + "-v" +
                                                             std::to_string(version) + ".yaml\"");
    return response;
  }

  Result<Response> Effective(const Request& request, const RequestContext& context) {
    const std::string id = PathParam(request, "mbr");
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> at, AtQuery(request));
    const Timestamp when = at.value_or(api_.recipes.Now());
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<app::RecipeVersionView> view,
                             api_.recipes.EffectiveAt(context, id, when));
    if (!view) {
      return Unexpected(NotFound(id + " had no effective version at " + when.ToRfc3339(), "at"));
    }
    Json json = VersionViewJson(id, *view, true);
    json.Set("at", when.ToRfc3339());
    return JsonResponse(kOk, json);
  }

  Result<Response> Differences(const Request& request, const RequestContext& context) {
    const std::string id = PathParam(request, "mbr");
    ALIQUOT_ASSIGN_OR_RETURN(const int from, VersionQuery(request, "from"));
    ALIQUOT_ASSIGN_OR_RETURN(const int to, VersionQuery(request, "to"));
    ALIQUOT_ASSIGN_OR_RETURN(const app::VersionDifferences differences,
                             api_.recipes.Differences(context, id, from, to));
    Json list = Json::MakeArray();
    for (const recipes::Difference& difference : differences.differences) {
      list.Push(recipes::DifferenceToJson(difference));
    }
    Json json = Json::MakeObject();
    json.Set("mbr_id", id);
    json.Set("from", from);
    json.Set("to", to);
    json.Set("differences", std::move(list));
    return JsonResponse(kOk, json);
  }

  Result<Response> ProposeRetirement(const Request& request, const RequestContext& context) {
    const std::string id = PathParam(request, "mbr");
    ALIQUOT_ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(request.body));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string reason, body.String("reason"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Timestamp> effective,
                             OptionalTimeMember(body, "effective_from"));
    ALIQUOT_RETURN_IF_ERROR(body.CheckNoOtherMembers());
    ALIQUOT_RETURN_IF_ERROR(api_.recipes.ProposeRetirement(context, id, reason, effective));
    return HistoryResponse(kOk, context, id);
  }

  RecipeApi api_;
};

}  // namespace

void AddRecipeRoutes(Router& router, const RecipeApi& api) {
  Routes::Add(router, std::make_shared<Routes>(api));
}

}  // namespace aliquot::http
