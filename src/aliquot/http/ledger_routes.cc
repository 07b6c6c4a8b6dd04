#include "aliquot/http/ledger_routes.h"

#include <string>
#include <utility>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/http/identity_routes.h"
#include "aliquot/http/response.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"

namespace aliquot::http {
namespace {

constexpr int kServiceUnavailable = 503;

// The event as the canonical object of its export line, hash included.
void AppendEvent(const ledger::Event& event, std::string& out) {
  ledger::AppendEventJson(event, &event.hash, out);
}

// A sequence number from the path: an unsigned integer from 1 on.
Result<std::uint64_t> SeqParam(const Request& request) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::uint64_t seq, PathParamUnsigned(request, "seq"));
  if (seq == 0) return Unexpected(InvalidArgument("seq starts at 1", "seq"));
  return seq;
}

Response Head(app::LedgerService& ledger, const Request& request) {
  const Result<app::LedgerHead> head = ledger.Head();
  if (!head) return ErrorResponse(head.error(), request.request_id);
  // The key as public_key.json has it, so a client compares one object with the export's.
  Result<Json> key = ParseJson(ledger::PublicKeyJson(ledger.PublicKey()));
  if (!key) {
    return ErrorResponse(key.error().WithContext("public key document"), request.request_id);
  }
  Json body = Json::MakeObject();
  body.Set("tree_size", Json(head->size));
  body.Set("head_hash", Json(head->head_hash.Hex()));
  body.Set("root_hash", Json(head->root_hash.Hex()));
  body.Set("last_time", head->size == 0 ? Json() : Json(head->last_time.ToRfc3339()));
  body.Set("public_key", std::move(*key));
  return JsonResponse(kOk, body);
}

Response Events(app::LedgerService& ledger, const Request& request) {
  const Result<std::uint64_t> from = QueryParamUnsigned(request, "from", 1);
  if (!from) return ErrorResponse(from.error(), request.request_id);
  if (*from == 0) {
    return ErrorResponse(InvalidArgument("from starts at 1", "from"), request.request_id);
  }
  const Result<std::uint64_t> limit = QueryParamUnsigned(request, "limit", kDefaultEventPage);
  if (!limit) return ErrorResponse(limit.error(), request.request_id);
  if (*limit == 0 || *limit > kMaxEventPage) {
    return ErrorResponse(
        InvalidArgument("limit must be from 1 to " + std::to_string(kMaxEventPage), "limit"),
        request.request_id);
  }
  const Result<std::vector<ledger::Event>> events = ledger.Events(*from, *limit);
  if (!events) return ErrorResponse(events.error(), request.request_id);
  // The head read after the page says whether anything follows it.
  const Result<app::LedgerHead> head = ledger.Head();
  if (!head) return ErrorResponse(head.error(), request.request_id);

  // Assembled as text: each event is already canonical, and "events" < "next" keeps the whole
  // body canonical too.
  std::string body = "{\"events\":[";
  for (std::size_t i = 0; i < events->size(); ++i) {
    if (i > 0) body += ',';
    AppendEvent((*events)[i], body);
  }
  body += "],\"next\":";
  if (!events->empty() && events->back().seq < head->size) {
    body += std::to_string(events->back().seq + 1);
  } else {
    body += "null";
  }
  body += '}';
  return JsonTextResponse(kOk, std::move(body));
}

Response EventAt(app::LedgerService& ledger, const Request& request) {
  const Result<std::uint64_t> seq = SeqParam(request);
  if (!seq) return ErrorResponse(seq.error(), request.request_id);
  const Result<ledger::Event> event = ledger.EventAt(*seq);
  if (!event) return ErrorResponse(event.error(), request.request_id);
  std::string body;
  AppendEvent(*event, body);
  return JsonTextResponse(kOk, std::move(body));
}

Response Proof(app::LedgerService& ledger, const Request& request) {
  const Result<std::uint64_t> seq = SeqParam(request);
  if (!seq) return ErrorResponse(seq.error(), request.request_id);
  Result<std::string> proof = ledger.InclusionProofJson(*seq);
  if (!proof) return ErrorResponse(proof.error(), request.request_id);
  return JsonTextResponse(kOk, std::move(*proof));
}

Response Checkpoints(app::LedgerService& ledger, const Request& request) {
  const Result<std::vector<ledger::Checkpoint>> checkpoints = ledger.Checkpoints();
  if (!checkpoints) return ErrorResponse(checkpoints.error(), request.request_id);
  std::string body = "{\"checkpoints\":[";
  for (std::size_t i = 0; i < checkpoints->size(); ++i) {
    if (i > 0) body += ',';
    body += ledger::CheckpointJson((*checkpoints)[i]);
  }
  body += "]}";
  return JsonTextResponse(kOk, std::move(body));
}

Response LatestCheckpoint(app::LedgerService& ledger, const Request& request) {
  const Result<std::optional<ledger::Checkpoint>> latest = ledger.LatestCheckpoint();
  if (!latest) return ErrorResponse(latest.error(), request.request_id);
  if (!latest->has_value()) {
    return ErrorResponse(NotFound("the ledger has no checkpoint yet"), request.request_id);
  }
  return JsonTextResponse(kOk, ledger::CheckpointJson(**latest));
}

}  // namespace

void AddLedgerRoutes(Router& router, app::LedgerService& ledger, app::SessionService& sessions) {
  const auto bind = [&ledger, &sessions](Response (*handler)(app::LedgerService&, const Request&)) {
    return [&ledger, &sessions, handler](const Request& request) {
      const Status allowed =
          AuthenticateRequest(sessions, request).and_then([&](const app::RequestContext& context) {
            return sessions.Authorize(context, identity::Action::kReadAuditTrail);
          });
      if (!allowed) return ErrorResponse(allowed.error(), request.request_id);
      return handler(ledger, request);
    };
  };
  router.Add("GET", "/api/v1/ledger/head", bind(&Head));
  router.Add("GET", "/api/v1/ledger/events", bind(&Events));
  router.Add("GET", "/api/v1/ledger/events/{seq}", bind(&EventAt));
  router.Add("GET", "/api/v1/ledger/events/{seq}/proof", bind(&Proof));
  router.Add("GET", "/api/v1/ledger/checkpoints", bind(&Checkpoints));
  router.Add("GET", "/api/v1/ledger/checkpoints/latest", bind(&LatestCheckpoint));
}

void AddHealthRoutes(Router& router, std::function<Status()> health, Metrics& metrics) {
  router.Add("GET", "/healthz", [health = std::move(health)](const Request& /*request*/) {
    const Status status = health ? health() : Status{};
    Json body = Json::MakeObject();
    Response response;
    if (status) {
      body.Set("status", Json("ok"));
      response = JsonResponse(kOk, body);
    } else {
      body.Set("status", Json("unavailable"));
      body.Set("message", Json(ToValidUtf8(status.error().Message())));
      response = JsonResponse(kServiceUnavailable, body);
    }
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
  });
  router.Add("GET", "/metrics", [&metrics](const Request& /*request*/) {
    Response response = TextResponse(kOk, kPrometheusContentType, metrics.Render());
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
  });
}

}  // namespace aliquot::http
