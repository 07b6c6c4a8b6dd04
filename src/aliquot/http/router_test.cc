#include "aliquot/http/router.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/json.h"
#include "aliquot/http/response.h"

namespace aliquot::http {
namespace {

Handler Named(std::string name) {
  return [name = std::move(name)](const Request&) { return TextResponse(200, "text/plain", name); };
}

// Which handler a match selected, by the body it writes.
std::string Served(const RouteMatch& match) {
  if (match.handler == nullptr) return "<none>";
  return (*match.handler)(Request{}).body;
}

Router LedgerLikeRouter() {
  Router router;
  router.Add("GET", "/api/v1/ledger/head", Named("head"));
  router.Add("GET", "/api/v1/ledger/events/{seq}", Named("event"));
  router.Add("GET", "/api/v1/ledger/events/{seq}/proof", Named("proof"));
  router.Add("GET", "/api/v1/ledger/checkpoints/{size}", Named("checkpoint"));
  router.Add("GET", "/api/v1/ledger/checkpoints/latest", Named("latest"));
  router.Add("POST", "/api/v1/ledger/checkpoints", Named("sign"));
  router.Add("GET", "/", Named("root"));
  return router;
}

TEST(Router, MatchesLiteralPathAndReportsItsPattern) {
  const Router router = LedgerLikeRouter();
  const RouteMatch match = router.Match("GET", "/api/v1/ledger/head");
  EXPECT_EQ(match.outcome, RouteMatch::Outcome::kFound);
  EXPECT_EQ(Served(match), "head");
  EXPECT_EQ(match.pattern, "/api/v1/ledger/head");
  EXPECT_TRUE(match.params.empty());
}

TEST(Router, ExtractsPathParametersByName) {
  const Router router = LedgerLikeRouter();
  const RouteMatch match = router.Match("GET", "/api/v1/ledger/events/17/proof");
  ASSERT_EQ(match.outcome, RouteMatch::Outcome::kFound);
  EXPECT_EQ(Served(match), "proof");
  EXPECT_EQ(match.pattern, "/api/v1/ledger/events/{seq}/proof");
  EXPECT_EQ(match.params, (Fields{{"seq", "17"}}));
}

TEST(Router, PrefersLiteralSegmentOverParameterWhateverTheOrderAdded) {
  const Router router = LedgerLikeRouter();
  EXPECT_EQ(Served(router.Match("GET", "/api/v1/ledger/checkpoints/latest")), "latest");
  EXPECT_EQ(Served(router.Match("GET", "/api/v1/ledger/checkpoints/12")), "checkpoint");
}

TEST(Router, ReportsNotFoundForUnknownPath) {
  const Router router = LedgerLikeRouter();
  for (const char* path : {"/api/v1/ledger", "/api/v1/ledger/head/", "/api/v1/ledger/events/",
                           "/api/v1/ledger/events//proof", "/nothing", "", "no-slash"}) {
    const RouteMatch match = router.Match("GET", path);
    EXPECT_EQ(match.outcome, RouteMatch::Outcome::kNotFound) << path;
    EXPECT_EQ(match.handler, nullptr) << path;
    EXPECT_EQ(match.pattern, "") << path;
  }
}

TEST(Router, ReportsMethodNotAllowedWithTheMethodsThePathHas) {
  const Router router = LedgerLikeRouter();
  const RouteMatch match = router.Match("DELETE", "/api/v1/ledger/head");
  EXPECT_EQ(match.outcome, RouteMatch::Outcome::kMethodNotAllowed);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.pattern, "/api/v1/ledger/head");
  EXPECT_EQ(match.allowed, (std::vector<std::string>{"GET", "HEAD"}));

  EXPECT_EQ(router.Match("POST", "/api/v1/ledger/checkpoints").outcome,
            RouteMatch::Outcome::kFound);
  EXPECT_EQ(router.Match("GET", "/api/v1/ledger/checkpoints").allowed,
            (std::vector<std::string>{"POST"}));
}

TEST(Router, FallsBackToAParameterRouteWithTheMethodWhenTheLiteralLacksIt) {
  Router router;
  router.Add("POST", "/items/import", Named("import"));
  router.Add("GET", "/items/{id}", Named("item"));
  EXPECT_EQ(Served(router.Match("GET", "/items/import")), "item");
  EXPECT_EQ(Served(router.Match("POST", "/items/import")), "import");
  const RouteMatch refused = router.Match("PUT", "/items/import");
  EXPECT_EQ(refused.outcome, RouteMatch::Outcome::kMethodNotAllowed);
  EXPECT_EQ(refused.pattern, "/items/import");
  EXPECT_EQ(refused.allowed, (std::vector<std::string>{"GET", "HEAD", "POST"}));
}

TEST(Router, AnswersHeadWithTheGetRoute) {
  const Router router = LedgerLikeRouter();
  const RouteMatch match = router.Match("HEAD", "/api/v1/ledger/events/3");
  ASSERT_EQ(match.outcome, RouteMatch::Outcome::kFound);
  EXPECT_EQ(Served(match), "event");
  EXPECT_EQ(match.params, (Fields{{"seq", "3"}}));
}

TEST(Router, MatchesTheRootPath) {
  const Router router = LedgerLikeRouter();
  EXPECT_EQ(Served(router.Match("GET", "/")), "root");
}

TEST(Router, MethodsAreCaseSensitiveTokens) {
  const Router router = LedgerLikeRouter();
  EXPECT_EQ(router.Match("get", "/api/v1/ledger/head").outcome,
            RouteMatch::Outcome::kMethodNotAllowed);
}

TEST(RouterRequest, LooksUpHeadersCaseInsensitivelyAndParamsExactly) {
  Request request;
  request.headers = {{"Content-Type", "application/json"}, {"X-Request-Id", "abc"}};
  request.query_params = {{"limit", "10"}, {"flag", ""}, {"limit", "20"}};
  request.path_params = {{"seq", "5"}};
  EXPECT_EQ(request.Header("content-type"), "application/json");
  EXPECT_EQ(request.Header("X-REQUEST-ID"), "abc");
  EXPECT_EQ(request.Header("Accept"), std::nullopt);
  EXPECT_EQ(request.QueryParam("limit"), "10");
  EXPECT_EQ(request.QueryParam("flag"), "");
  EXPECT_EQ(request.QueryParam("Limit"), std::nullopt);
  EXPECT_EQ(request.PathParam("seq"), "5");
  EXPECT_EQ(request.PathParam("id"), std::nullopt);
}

TEST(RouterParams, ParsesUnsignedIntegersUpToTheLargest) {
  EXPECT_EQ(ParseUnsigned("0", "n"), 0u);
  EXPECT_EQ(ParseUnsigned("0017", "n"), 17u);
  EXPECT_EQ(ParseUnsigned("18446744073709551615", "n"), 18446744073709551615u);
}

TEST(RouterParams, RefusesWhatIsNotAnUnsignedIntegerNamingTheParameter) {
  for (const char* text : {"", "-1", "+1", " 1", "1 ", "1.0", "0x10", "ten", "18446744073709551616",
                           "99999999999999999999999"}) {
    const Result<std::uint64_t> parsed = ParseUnsigned(text, "limit");
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().Code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_EQ(parsed.error().Field(), "limit") << text;
  }
  EXPECT_EQ(ParseUnsigned("ten", "limit").error().Message(),
            "limit must be an unsigned integer, got \"ten\"");
}

TEST(RouterParams, ReadsPathAndQueryParametersWithDefaults) {
  Request request;
  request.path_params = {{"seq", "42"}};
  request.query_params = {{"from", "x"}, {"limit", "7"}};
  EXPECT_EQ(PathParamUnsigned(request, "seq"), 42u);
  EXPECT_EQ(QueryParamUnsigned(request, "limit", 100), 7u);
  EXPECT_EQ(QueryParamUnsigned(request, "absent", 100), 100u);
  const Result<std::uint64_t> from = QueryParamUnsigned(request, "from", 1);
  ASSERT_FALSE(from);
  EXPECT_EQ(from.error().Field(), "from");
  const Result<std::uint64_t> missing = PathParamUnsigned(request, "size");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().Field(), "size");
}

TEST(HttpResponse, MapsEveryErrorCodeToItsStatus) {
  EXPECT_EQ(HttpStatus(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatus(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatus(ErrorCode::kAborted), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatus(ErrorCode::kDataLoss), 500);
  EXPECT_EQ(HttpStatus(ErrorCode::kInternal), 500);
}

TEST(HttpResponse, WritesErrorBodyAsCanonicalJsonWithFieldAndRequestId) {
  const Response response =
      ErrorResponse(FailedPrecondition("batch B-17 has an open deviation", "batch"), "req-1");
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"code":"failed_precondition","field":"batch",)"
                           R"("message":"batch B-17 has an open deviation","request_id":"req-1"})");
}

TEST(HttpResponse, OmitsFieldWhenTheErrorNamesNone) {
  const Response response = ErrorResponse(Unavailable("disk full"), "r");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, R"({"code":"unavailable","message":"disk full","request_id":"r"})");
}

TEST(HttpResponse, ReplacesInvalidUtf8FromClientInputInErrorBodies) {
  const Response response = ErrorResponse(NotFound("no resource at /\xFF\xC3\x28x"), "r");
  ASSERT_TRUE(ParseJson(response.body));
  EXPECT_EQ(ParseJson(response.body)->Find("message")->AsString(),
            "no resource at /\xEF\xBF\xBD\xEF\xBF\xBD(x");
}

TEST(HttpResponse, KeepsValidUtf8AndReplacesEachInvalidByte) {
  EXPECT_EQ(ToValidUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(ToValidUtf8("Zellzahl \xC2\xB5L \xE2\x82\xAC \xF0\x9F\xA7\xAA"),
            "Zellzahl \xC2\xB5L \xE2\x82\xAC \xF0\x9F\xA7\xAA");
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // Overlong '/'.
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // A surrogate.
  EXPECT_EQ(ToValidUtf8("\xF4\x90\x80\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");     // Above U+10FFFF.
  EXPECT_EQ(ToValidUtf8("a\xE2\x82"), "a\xEF\xBF\xBD\xEF\xBF\xBD");  // Truncated.
}

TEST(HttpResponse, Answers405WithAllowHeaderAndJsonError) {
  const std::vector<std::string> allowed = {"GET", "HEAD"};
  const Response response = MethodNotAllowedResponse("PUT", "/healthz", allowed, "r");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers, (Fields{{"Allow", "GET, HEAD"}}));
  EXPECT_EQ(response.body,
            R"({"code":"invalid_argument","field":"method",)"
            R"("message":"method PUT is not allowed on /healthz; allowed: GET, HEAD",)"
            R"("request_id":"r"})");
}

TEST(HttpResponse, Answers413NamingTheLimit) {
  const Response response = PayloadTooLargeResponse(1024, "r");
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.body,
            R"({"code":"invalid_argument","field":"body",)"
            R"("message":"request body exceeds the limit of 1024 bytes","request_id":"r"})");
}

TEST(HttpResponse, WritesJsonBodiesCanonically) {
  Json body = Json::MakeObject();
  body.Set("zeta", Json(1));
  body.Set("alpha", Json("x"));
  const Response response = JsonResponse(201, body);
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, R"({"alpha":"x","zeta":1})");
}

}  // namespace
}  // namespace aliquot::http
