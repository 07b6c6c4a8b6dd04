// Deviations through the HTTP API of a real server, as QA meets them: a balance found out of
// tolerance at calibration raises a deviation listing the batches weighed on it; a QA reviewer
// assesses it (classification, impact on product, root cause, whether it needs an investigation)
// and extends it to another batch; a QA approver closes it by signing it approved with the
// justification as the signature's comment. Every refusal (closing before the assessment, without
// a justification, with a wrong password, by a role that may not, reassessing a closed deviation,
// a bad assessment) says why and changes nothing, and all of it survives a restart. Every test
// runs on both engines (tests/api/site.h).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "aliquot/core/json.h"
#include "aliquot/core/timestamp.h"
#include "tests/api/site.h"

namespace aliquot {
namespace {

using testing::Body;
using testing::Engine;
using testing::HttpResponse;
using testing::ParseOrFail;
using testing::Session;
using testing::StringMember;

constexpr const char* kSite = "LEI";
constexpr const char* kRoom = "CAR-T-B101";
constexpr const char* kBalance = "BAL-02";

// The member `name` of `object`, or null when it is missing or `object` is no object.
const Json& Member(const Json& object, std::string_view name) {
  static const Json kNull;
  const Json* found = object.IsObject() ? object.Find(name) : nullptr;
  return found != nullptr ? *found : kNull;
}

// The elements of `value`, or none when it is no array.
const Json::Array& Items(const Json& value) {
  static const Json::Array kNone;
  return value.IsArray() ? value.AsArray() : kNone;
}

// The strings of an array member.
std::vector<std::string> StringsOf(const Json& object, std::string_view name) {
  std::vector<std::string> strings;
  for (const Json& item : Items(Member(object, name))) {
    strings.push_back(item.IsString() ? item.AsString() : CanonicalJson(item));
  }
  return strings;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The error body of `response`, which must have `status`, with `code` and `field`.
void ExpectError(const HttpResponse& response, int status, const std::string& code,
                 const std::string& field, const std::string& context) {
  EXPECT_EQ(response.status, status) << context << ": " << response.body;
  const Json body = ParseOrFail(response.body);
  EXPECT_EQ(StringMember(body, "code"), code) << context << ": " << response.body;
  EXPECT_EQ(StringMember(body, "field"), field) << context << ": " << response.body;
  EXPECT_FALSE(StringMember(body, "message").empty()) << context << ": " << response.body;
}

// One calibration point as entered.
Json Point(double nominal, double as_found) {
  return Json(Json::Object{
      {"nominal", nominal}, {"as_found", as_found}, {"tolerance", 0.001}, {"unit", "g"}});
}

// The record id of a recorded logbook entry's response ("BAL-02:3").
std::string RecordOf(const HttpResponse& response) {
  return StringMember(Member(Member(ParseOrFail(response.body), "entry"), "record"), "id");
}

// An assessment's body.
std::string AssessmentBody(const std::string& classification, const std::string& impact,
                           bool investigation_required,
                           const std::vector<std::string>& batches_affected = {},
                           const std::string& root_cause = "") {
  Json::Object body{{"classification", classification},
                    {"impact", impact},
                    {"investigation_required", investigation_required}};
  if (!root_cause.empty()) body.emplace_back("root_cause", root_cause);
  if (!batches_affected.empty()) {
    Json::Array batches;
    for (const std::string& batch : batches_affected) batches.emplace_back(batch);
    body.emplace_back("batches_affected", std::move(batches));
  }
  return Body(std::move(body));
}

// A person at the site: their password (signing re-enters it) and their session.
struct Person {
  std::string password;
  Session session;
};

class DeviationApiTest : public testing::ServedSiteTest {
 protected:
  // A new account holding `role` at LEI, its temporary password changed at the first sign-in.
  void Hire(const std::string& user_id, const std::string& printed_name, const std::string& role) {
    const std::string temporary =
        testing::CreateUser(*server_, admin_, user_id, printed_name, kSite, {role});
    ASSERT_FALSE(temporary.empty());
    Person person;
    person.password = "Quality-Unit-" + std::to_string(people_.size() + 1) + "x";
    person.session = testing::FirstSignIn(*server_, user_id, temporary, person.password, console_);
    ASSERT_FALSE(person.session.token.empty()) << user_id;
    people_[user_id] = std::move(person);
  }

  // The equipment owner, a verifier, an operator, a QA reviewer and a QA approver; a grade B room
  // and a balance in it, qualified and calibrated; batches B-2026-0001 and B-2026-0002 weighed on
  // it; then a calibration found out of tolerance, which raises the deviation deviation_.
  void SetUpDeviation() {
    ASSERT_NO_FATAL_FAILURE(Hire("eddie", "Eddie Eekhof", "equipment_owner"));
    ASSERT_NO_FATAL_FAILURE(Hire("vera", "Vera Visser", "verifier"));
    ASSERT_NO_FATAL_FAILURE(Hire("otto", "Otto Okafor", "operator"));
    ASSERT_NO_FATAL_FAILURE(Hire("quinn", "Quinn de Graaf", "qa_reviewer"));
    ASSERT_NO_FATAL_FAILURE(Hire("anna", "Anna Bakker", "qa_approver"));
    HttpResponse response =
        As("eddie", "PUT", std::string("/api/v1/rooms/") + kRoom,
           Body({{"site", kSite}, {"name", "Suite 1 processing room"}, {"grade", "B"}}));
    ASSERT_EQ(response.status, 201) << response.body;
    response = As("eddie", "POST", "/api/v1/equipment",
                  Body({{"equipment_id", kBalance},
                        {"name", "Analytical balance, suite 1"},
                        {"class", "balance"},
                        {"room", kRoom},
                        {"calibration_interval_days", 365},
                        {"measures", "g"},
                        {"cleaning_rule", "none"}}));
    ASSERT_EQ(response.status, 201) << response.body;
    response = Record("qualification", {{"status", "qualified"}, {"reference", "IQOQ-BAL-02"}});
    ASSERT_EQ(response.status, 201) << response.body;
    ASSERT_NO_FATAL_FAILURE(SignOff(RecordOf(response), /*verify=*/true));
    response = Calibrate(100.0004);
    ASSERT_EQ(response.status, 201) << response.body;
    ASSERT_NO_FATAL_FAILURE(SignOff(RecordOf(response), /*verify=*/false));
    for (const char* batch : {"B-2026-0001", "B-2026-0002"}) {
      response = Record("uses", {{"batch", batch}, {"step", "Weigh cytokines"}}, "otto");
      ASSERT_EQ(response.status, 201) << response.body;
      response = Record("uses/end", {{"batch", batch}}, "otto");
      ASSERT_EQ(response.status, 201) << response.body;
    }
    response = Calibrate(100.0042);
    ASSERT_EQ(response.status, 201) << response.body;
    const Json recorded = ParseOrFail(response.body);
    const Json& deviation = Member(recorded, "deviation");
    deviation_ = StringMember(deviation, "deviation_id");
    ASSERT_FALSE(deviation_.empty()) << response.body;
    ASSERT_EQ(StringMember(deviation, "status"), "open") << response.body;
  }

  HttpResponse As(const std::string& user, const std::string& method, const std::string& target,
                  const std::string& body = "") const {
    const auto found = people_.find(user);
    if (found == people_.end()) {
      ADD_FAILURE() << user << " was never hired";
      return {};
    }
    return server_->Request(method, target, found->second.session.Credentials(), body);
  }

  // POST /api/v1/equipment/BAL-02/{action} as `user`.
  HttpResponse Record(const std::string& action, Json::Object body,
                      const std::string& user = "eddie") const {
    return As(user, "POST", std::string("/api/v1/equipment/") + kBalance + "/" + action,
              Body(std::move(body)));
  }

  HttpResponse Calibrate(double as_found) const {
    return Record("calibrations", {{"provider", "Mettler-Toledo service"},
                                   {"reference_standard", "Weight set WS-0042"},
                                   {"points", Json::Array{Point(100, as_found)}}});
  }

  // eddie signs logbook entry `record` as performed and, when asked, vera verifies it.
  void SignOff(const std::string& record, bool verify) const {
    const HttpResponse performed = Sign("eddie", "logbook_entry", record, "performed");
    ASSERT_EQ(performed.status, 201) << performed.body;
    if (!verify) return;
    const HttpResponse verified = Sign("vera", "logbook_entry", record, "verified");
    ASSERT_EQ(verified.status, 201) << verified.body;
  }

  // POST /api/v1/records/{type}/{id}/signatures as `user`, over the content hash they are shown
  // first, with `comment` when not empty, re-entering `password` (theirs when empty).
  HttpResponse Sign(const std::string& user, const std::string& type, const std::string& id,
                    const std::string& meaning, const std::string& comment = "",
                    const std::string& password = "") const {
    const std::string target = "/api/v1/records/" + type + "/" + id + "/signatures";
    const HttpResponse shown = As(user, "GET", target);
    EXPECT_EQ(shown.status, 200) << user << " reading " << target << ": " << shown.body;
    Json::Object body{{"meaning", meaning},
                      {"content_hash", StringMember(ParseOrFail(shown.body), "content_hash")},
                      {"password", !password.empty()          ? password
                                   : people_.count(user) != 0 ? people_.at(user).password
                                                              : ""}};
    if (!comment.empty()) body.emplace_back("comment", comment);
    return As(user, "POST", target, Body(std::move(body)));
  }

  // anna closes the deviation, signing it approved with `justification`.
  HttpResponse Close(const std::string& justification, const std::string& user = "anna",
                     const std::string& password = "") const {
    return Sign(user, "deviation", deviation_, "approved", justification, password);
  }

  HttpResponse Assess(const std::string& body, const std::string& user = "quinn") const {
    return As(user, "POST", "/api/v1/deviations/" + deviation_ + "/assessment", body);
  }

  // The deviation as GET /api/v1/deviations/{id} shows it.
  Json Deviation() const {
    const HttpResponse response = As("otto", "GET", "/api/v1/deviations/" + deviation_);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  // The ids of GET /api/v1/deviations?batch=`batch`.
  std::vector<std::string> ListedFor(const std::string& batch) const {
    const HttpResponse response = As("otto", "GET", "/api/v1/deviations?batch=" + batch);
    EXPECT_EQ(response.status, 200) << response.body;
    std::vector<std::string> ids;
    const Json listed = ParseOrFail(response.body);
    for (const Json& item : Items(Member(listed, "deviations"))) {
      ids.push_back(StringMember(item, "deviation_id"));
    }
    return ids;
  }

  // The number of events of `type` in the ledger.
  std::size_t EventsOfType(const std::string& type) const {
    std::size_t count = 0;
    for (const Json& event : testing::LedgerEvents(*server_, admin_.Credentials())) {
      if (StringMember(event, "event_type") == type) ++count;
    }
    return count;
  }

  // Stops the server and starts it again; everyone signs in again.
  void Restart() {
    const auto [status, out] = server_->Stop(SIGTERM);
    ASSERT_TRUE(status.Succeeded()) << status.Describe() << "\n" << out;
    server_.reset();
    ASSERT_NO_FATAL_FAILURE(StartServer());
    admin_ = AdminSession(*server_);
    ASSERT_FALSE(admin_.token.empty());
    for (auto& [user, person] : people_) {
      person.session = {testing::SignIn(*server_, user, person.password, console_), console_};
      ASSERT_FALSE(person.session.token.empty()) << user;
    }
  }

  std::map<std::string, Person> people_;
  std::string deviation_;
};

INSTANTIATE_TEST_SUITE_P(, DeviationApiTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

// Verifies G-04, G-05, 21 CFR 211.192, P11-11 and P11-05: a deviation raised by a calibration out
// of tolerance is assessed by a QA reviewer, who extends it to a third batch, and assessed again;
// both assessments are shown, the latest standing; a QA approver closes it by signing it approved
// with the justification; the signature stays valid for the closed deviation, which is never
// assessed again; all of it reads the same after a restart.
TEST_P(DeviationApiTest, IsAssessedThenClosedByQaSignatureWithItsJustification_G04_G05) {
  ASSERT_NO_FATAL_FAILURE(SetUpDeviation());
  Json raised = Deviation();
  EXPECT_EQ(StringMember(raised, "status"), "open");
  EXPECT_EQ(StringsOf(raised, "batches"), (std::vector<std::string>{"B-2026-0001", "B-2026-0002"}));
  EXPECT_EQ(StringsOf(raised, "batches_affected"), StringsOf(raised, "batches"));
  EXPECT_TRUE(Items(Member(raised, "assessments")).empty()) << CanonicalJson(raised);
  EXPECT_TRUE(Member(raised, "closed_at").IsNull());
  EXPECT_EQ(StringMember(Member(raised, "record"), "type"), "deviation");
  EXPECT_EQ(StringMember(Member(raised, "record"), "id"), deviation_);

  // The first assessment extends it to batch 3 (211.192), its root cause not yet known.
  HttpResponse response =
      Assess(AssessmentBody("major", "Cytokine doses of the batches weighed since may be 4 mg high",
                            false, {"B-2026-0003"}));
  ASSERT_EQ(response.status, 201) << response.body;
  Json assessed = ParseOrFail(response.body);
  EXPECT_EQ(StringMember(assessed, "status"), "assessed");
  EXPECT_EQ(StringsOf(assessed, "batches_affected"),
            (std::vector<std::string>{"B-2026-0001", "B-2026-0002", "B-2026-0003"}));
  ASSERT_EQ(Items(Member(assessed, "assessments")).size(), 1U) << response.body;
  const Json& first = Items(Member(assessed, "assessments"))[0];
  EXPECT_EQ(StringMember(first, "classification"), "major");
  EXPECT_EQ(StringMember(first, "assessed_by"), "quinn");
  EXPECT_TRUE(Member(first, "root_cause").IsNull()) << response.body;
  EXPECT_EQ(Member(first, "investigation_required"), Json(false));
  EXPECT_EQ(CanonicalJson(Deviation()), CanonicalJson(assessed));
  EXPECT_EQ(ListedFor("B-2026-0003"), (std::vector<std::string>{deviation_}));

  // Assessed again with the root cause: the latest stands, both are kept.
  response = Assess(AssessmentBody("minor", "Within the dose range validated for the process",
                                   false, {}, "Load cell drift"),
                    "anna");
  ASSERT_EQ(response.status, 201) << response.body;
  assessed = ParseOrFail(response.body);
  ASSERT_EQ(Items(Member(assessed, "assessments")).size(), 2U) << response.body;
  const Json& second = Items(Member(assessed, "assessments"))[1];
  EXPECT_EQ(StringMember(second, "classification"), "minor");
  EXPECT_EQ(StringMember(second, "root_cause"), "Load cell drift");
  EXPECT_EQ(StringMember(second, "assessed_by"), "anna");
  EXPECT_EQ(StringsOf(assessed, "batches_affected"),
            (std::vector<std::string>{"B-2026-0001", "B-2026-0002"}));
  EXPECT_TRUE(ListedFor("B-2026-0003").empty());

  // anna closes it: the signature with its justification, and the deviation closed.
  const std::string justification = "Drift within the validated dose range; no product impact";
  response = Close(justification);
  ASSERT_EQ(response.status, 201) << response.body;
  const Json signature = ParseOrFail(response.body);
  EXPECT_EQ(StringMember(signature, "meaning"), "approved");
  EXPECT_EQ(StringMember(signature, "signer_id"), "anna");
  EXPECT_EQ(StringMember(signature, "comment"), justification);
  const Json closed = Deviation();
  EXPECT_EQ(StringMember(closed, "status"), "closed");
  EXPECT_EQ(StringMember(closed, "closed_by"), "anna");
  // Closed in the signature's transaction, at the server's time: the same instant or just after.
  const auto signed_at = Timestamp::ParseRfc3339(StringMember(signature, "signed_at"));
  const auto closed_at = Timestamp::ParseRfc3339(StringMember(closed, "closed_at"));
  ASSERT_TRUE(signed_at && closed_at) << CanonicalJson(closed);
  EXPECT_GE(closed_at->Micros(), signed_at->Micros());
  EXPECT_LT(closed_at->Micros() - signed_at->Micros(), kMicrosPerSecond);
  EXPECT_EQ(StringMember(closed, "closing_justification"), justification);
  EXPECT_EQ(Items(Member(closed, "assessments")).size(), 2U);
  EXPECT_EQ(EventsOfType("quality.deviation_assessed"), 2U);
  EXPECT_EQ(EventsOfType("quality.deviation_closed"), 1U);
  // 11.70: the signature stays valid for what it was made over: the closure changed no content.
  const HttpResponse signatures =
      As("otto", "GET", "/api/v1/records/deviation/" + deviation_ + "/signatures");
  ASSERT_EQ(signatures.status, 200) << signatures.body;
  const Json shown = ParseOrFail(signatures.body);
  ASSERT_EQ(Items(Member(shown, "signatures")).size(), 1U) << signatures.body;
  EXPECT_EQ(Member(Items(Member(shown, "signatures"))[0], "valid"), Json(true)) << signatures.body;

  // Closed is final.
  ExpectError(Assess(AssessmentBody("minor", "Reconsidered", false)), 409, "failed_precondition",
              "status", "reassessing a closed deviation");
  ExpectError(Close("Again"), 409, "failed_precondition", "status", "closing it twice");
  EXPECT_EQ(CanonicalJson(Deviation()), CanonicalJson(closed));

  const std::string list = As("otto", "GET", "/api/v1/deviations").body;
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(CanonicalJson(Deviation()), CanonicalJson(closed));
  EXPECT_EQ(As("otto", "GET", "/api/v1/deviations").body, list);
  EXPECT_EQ(As("otto", "GET", "/api/v1/records/deviation/" + deviation_ + "/signatures").body,
            signatures.body);
}

// Verifies G-04, G-05, P11-06 and P11-14: closing is refused, naming why and changing nothing,
// before the deviation is assessed (whatever the password), without a justification, while its
// assessment asks for an investigation, and with a wrong password.
TEST_P(DeviationApiTest, ClosingIsRefusedUntilItsRulesAreMetAndARefusalChangesNothing_G05) {
  ASSERT_NO_FATAL_FAILURE(SetUpDeviation());
  const auto unchanged = [&](const Json& before, const std::string& context) {
    EXPECT_EQ(CanonicalJson(Deviation()), CanonicalJson(before)) << context;
    EXPECT_EQ(EventsOfType("quality.deviation_closed"), 0U) << context;
    const HttpResponse signatures =
        As("otto", "GET", "/api/v1/records/deviation/" + deviation_ + "/signatures");
    EXPECT_TRUE(Items(Member(ParseOrFail(signatures.body), "signatures")).empty())
        << context << ": " << signatures.body;
  };
  const Json open = Deviation();
  // Open: refused for its state before the password is looked at.
  HttpResponse response = Close("No impact");
  ExpectError(response, 409, "failed_precondition", "status", "closing an open deviation");
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(response.body), "message"), "assess"))
      << response.body;
  ExpectError(Close("No impact", "anna", "Not-the-password-1"), 409, "failed_precondition",
              "status", "closing an open deviation with a wrong password");
  unchanged(open, "open");

  // Assessed as needing an investigation: not closed with this means.
  response = Assess(AssessmentBody("critical", "Potency of two batches at risk", true));
  ASSERT_EQ(response.status, 201) << response.body;
  const Json investigating = ParseOrFail(response.body);
  response = Close("No impact");
  ExpectError(response, 409, "failed_precondition", "investigation_required",
              "closing a deviation that needs an investigation");
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(response.body), "message"), "investigation"))
      << response.body;
  unchanged(investigating, "investigation required");

  response = Assess(AssessmentBody("minor", "No impact on product quality", false));
  ASSERT_EQ(response.status, 201) << response.body;
  const Json assessed = ParseOrFail(response.body);
  ExpectError(Close(""), 400, "invalid_argument", "comment", "closing without a justification");
  unchanged(assessed, "no justification");
  ExpectError(Close("No impact", "anna", "Not-the-password-1"), 401, "unauthenticated", "password",
              "closing with a wrong password");
  unchanged(assessed, "wrong password");
  EXPECT_EQ(StringMember(Deviation(), "status"), "assessed");

  ASSERT_EQ(Close("No impact").status, 201);
  EXPECT_EQ(StringMember(Deviation(), "status"), "closed");
}

// Verifies P11-07 and G-04: only QA assesses (reviewers and approvers), and only a QA approver
// closes; anyone else is refused 403 naming the action, the refusal recorded, nothing changed.
TEST_P(DeviationApiTest, OnlyQaAssessesAndOnlyAQaApproverCloses_P11_07) {
  ASSERT_NO_FATAL_FAILURE(SetUpDeviation());
  const Json open = Deviation();
  const std::string body = AssessmentBody("minor", "No impact on product quality", false);
  for (const char* user : {"otto", "eddie", "vera"}) {
    const HttpResponse response = Assess(body, user);
    ExpectError(response, 403, "permission_denied", "action", std::string(user) + " assessing");
    EXPECT_EQ(StringMember(ParseOrFail(response.body), "message").rfind("deviation.assess (", 0),
              0U)
        << response.body;
  }
  EXPECT_EQ(CanonicalJson(Deviation()), CanonicalJson(open));
  ASSERT_EQ(Assess(body, "quinn").status, 201);
  const Json assessed = Deviation();
  for (const char* user : {"quinn", "otto", "eddie"}) {
    const HttpResponse response = Close("No impact", user);
    ExpectError(response, 403, "permission_denied", "action", std::string(user) + " closing");
    EXPECT_EQ(StringMember(ParseOrFail(response.body), "message").rfind("deviation.close (", 0), 0U)
        << response.body;
  }
  EXPECT_EQ(CanonicalJson(Deviation()), CanonicalJson(assessed));
  EXPECT_GE(EventsOfType("identity.permission_denied"), 6U);
  EXPECT_EQ(EventsOfType("quality.deviation_closed"), 0U);
}

// Verifies A11-01: an assessment with a classification not in the list, no impact, a member of
// the wrong type or unknown, or a batch that is no id is refused 400 naming the member; an
// unknown deviation is 404. Nothing is recorded.
TEST_P(DeviationApiTest, ABadAssessmentIsRefusedNamingTheField_A11_01) {
  ASSERT_NO_FATAL_FAILURE(SetUpDeviation());
  const Json open = Deviation();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {AssessmentBody("serious", "Impact", false), "classification"},
      {AssessmentBody("minor", "", false), "impact"},
      {AssessmentBody("minor", std::string(4001, 'x'), false), "impact"},
      {AssessmentBody("minor", "Impact", false, {"B-2026-0001", ""}), "batches_affected[1]"},
      {Body({{"classification", "minor"}, {"impact", "Impact"}}), "investigation_required"},
      {Body({{"classification", "minor"}, {"impact", "Impact"}, {"investigation_required", "no"}}),
       "investigation_required"},
      {Body({{"classification", "minor"},
             {"impact", "Impact"},
             {"investigation_required", false},
             {"batches_affected", "B-2026-0001"}}),
       "batches_affected"},
      {Body({{"classification", "minor"},
             {"impact", "Impact"},
             {"investigation_required", false},
             {"status", "closed"}}),
       "status"},
  };
  for (const auto& [body, field] : bad) {
    ExpectError(Assess(body), 400, "invalid_argument", field, body);
  }
  ExpectError(As("quinn", "POST", "/api/v1/deviations/DEV-2099-0001/assessment",
                 AssessmentBody("minor", "Impact", false)),
              404, "not_found", "deviation_id", "an unknown deviation");
  EXPECT_EQ(CanonicalJson(Deviation()), CanonicalJson(open));
  EXPECT_EQ(EventsOfType("quality.deviation_assessed"), 0U);
}

}  // namespace
}  // namespace aliquot
