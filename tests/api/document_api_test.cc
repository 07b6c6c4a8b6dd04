// Document control and training through the HTTP API of a real server, as their users meet them:
// a document owner uploads a file, drafts a version and submits it; a QA reviewer and a QA
// approver sign it; it becomes effective on its date, and the version effective at a past instant
// never changes afterwards. Refusals name the field at fault and change nothing. Training follows
// the documents: a major revision assigns retraining to the roles whose curriculum lists the
// document, and the gate refuses work to anyone not qualified on the version in effect, recording
// every refused attempt in the ledger. Every test runs on both engines (tests/api/site.h).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/timestamp.h"
#include "tests/api/site.h"

namespace aliquot {
namespace {

using testing::Body;
using testing::Engine;
using testing::Headers;
using testing::HttpResponse;
using testing::IntegerMember;
using testing::ParseOrFail;
using testing::Session;
using testing::StringMember;

constexpr const char* kDocument = "SOP-CT-004";
constexpr std::int64_t kMicrosPerHour = 3600 * kMicrosPerSecond;

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

std::string Sha256Hex(std::string_view bytes) { return Sha256::Of(bytes).Hex(); }

Timestamp ParseTime(const std::string& text) {
  auto parsed = Timestamp::ParseRfc3339(text);
  EXPECT_TRUE(parsed) << "not a time: '" << text << "'";
  return parsed ? *parsed : Timestamp();
}

std::string Later(Timestamp time, std::int64_t micros) {
  return Timestamp::FromMicros(time.Micros() + micros).ToRfc3339();
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

// A body's JSON without its member "at" (the instant the server answered, which differs between
// any two requests), to compare what a reader sees before and after a refusal.
Json WithoutAt(const std::string& body) {
  Json json = ParseOrFail(body);
  if (!json.IsObject()) return json;
  Json::Object kept;
  for (auto& [name, value] : json.AsObject()) {
    if (name != "at") kept.emplace_back(name, value);
  }
  return Json(std::move(kept));
}

// An answer of GET /api/v1/documents/{id}/effective?at= without its version's effective_until:
// the day a version stops being effective is recorded when the next one is approved, which may be
// after the instant asked about; which version it was, and all it says, never changes.
std::string WithoutEffectiveUntil(const std::string& body) {
  Json json = ParseOrFail(body);
  if (!json.IsObject()) return body;
  for (auto& [name, version] : json.AsObject()) {
    if (name != "version" || !version.IsObject()) continue;
    for (auto& [member, value] : version.AsObject()) {
      if (member == "effective_until") value = Json();
    }
  }
  return CanonicalJson(json);
}

// A person at the site, by user id in DocumentApiTest::people_: their password (signing re-enters
// it) and their session.
struct Person {
  std::string password;
  Session session;
};

class DocumentApiTest : public testing::ServedSiteTest {
 protected:
  // Stops the server and starts it again with `extra` arguments; the administrator signs in
  // again (sessions end with a server). Only before anyone else is hired.
  void RestartWith(const std::vector<std::string>& extra) {
    ASSERT_TRUE(people_.empty());
    const auto [status, out] = server_->Stop(SIGTERM);
    ASSERT_TRUE(status.Succeeded()) << status.Describe() << "\n" << out;
    server_.reset();
    ASSERT_NO_FATAL_FAILURE(StartServer(extra));
    admin_ = AdminSession(*server_);
    ASSERT_FALSE(admin_.token.empty());
  }

  // A new account holding `role` at LEI, created by the administrator, its temporary password
  // changed at the first sign-in.
  void Hire(const std::string& user_id, const std::string& printed_name, const std::string& role) {
    const std::string temporary =
        testing::CreateUser(*server_, admin_, user_id, printed_name, "LEI", {role});
    ASSERT_FALSE(temporary.empty());
    Person person;
    person.password = "Controlled-Copy-" + std::to_string(people_.size() + 1) + "x";
    person.session = testing::FirstSignIn(*server_, user_id, temporary, person.password, console_);
    ASSERT_FALSE(person.session.token.empty()) << user_id;
    people_[user_id] = std::move(person);
  }

  // The document owner, the QA reviewer and the QA approver who take a version to effective.
  void HireDocumentStaff() {
    ASSERT_NO_FATAL_FAILURE(Hire("dora", "Dora de Vries", "document_owner"));
    ASSERT_NO_FATAL_FAILURE(Hire("rita", "Rita Reviewer", "qa_reviewer"));
    ASSERT_NO_FATAL_FAILURE(Hire("anna", "Anna Bakker", "qa_approver"));
  }

  // The training coordinator and an operator, besides the document staff.
  void HireTrainingStaff() {
    ASSERT_NO_FATAL_FAILURE(HireDocumentStaff());
    ASSERT_NO_FATAL_FAILURE(Hire("tom", "Tom Trainer", "training_coordinator"));
    ASSERT_NO_FATAL_FAILURE(Hire("oliver", "Oliver Okafor", "operator"));
  }

  HttpResponse As(const std::string& user, const std::string& method, const std::string& target,
                  const std::string& body = "", const Headers& extra = {}) const {
    const auto found = people_.find(user);
    if (found == people_.end()) {
      ADD_FAILURE() << user << " was never hired";
      return {};
    }
    Headers headers = found->second.session.Credentials();
    headers.insert(headers.end(), extra.begin(), extra.end());
    return server_->Request(method, target, headers, body);
  }

  HttpResponse AsAdmin(const std::string& method, const std::string& target) const {
    return server_->Request(method, target, admin_.Credentials());
  }

  // What the server's clock reads now (GET /api/v1/documents answers with it).
  Timestamp ServerNow() const {
    const HttpResponse response = AsAdmin("GET", "/api/v1/documents");
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseTime(StringMember(ParseOrFail(response.body), "at"));
  }

  // POST /api/v1/records/{type}/{id}/signatures as `user`, over the content hash they are shown
  // first, re-entering their password.
  HttpResponse Sign(const std::string& user, const std::string& type, const std::string& id,
                    const std::string& meaning,
                    const std::optional<std::string>& comment = std::nullopt) const {
    const std::string target = "/api/v1/records/" + type + "/" + id + "/signatures";
    const HttpResponse shown = As(user, "GET", target);
    EXPECT_EQ(shown.status, 200) << user << " reading " << target << ": " << shown.body;
    Json::Object body{{"meaning", meaning},
                      {"content_hash", StringMember(ParseOrFail(shown.body), "content_hash")},
                      {"password", people_.count(user) != 0 ? people_.at(user).password : ""}};
    if (comment) body.emplace_back("comment", *comment);
    return As(user, "POST", target, Body(std::move(body)));
  }

  HttpResponse SignVersion(const std::string& user, int version, const std::string& meaning,
                           const std::optional<std::string>& comment = std::nullopt,
                           const std::string& document = kDocument) const {
    return Sign(user, "document_version", document + ":" + std::to_string(version), meaning,
                comment);
  }

  // `user`'s read-and-understood signature on `version` of `document`.
  HttpResponse ReadAndUnderstood(const std::string& user, int version,
                                 const std::string& document = kDocument) const {
    return Sign(user, "training", user + ":" + document + ":" + std::to_string(version),
                "performed");
  }

  // PUT /api/v1/files/{sha256} as `user`, declaring the bytes' own SHA-256 unless `declared`.
  HttpResponse Upload(const std::string& user, const std::string& bytes,
                      const std::string& media_type = "application/pdf",
                      const std::string& declared = "") const {
    return As(user, "PUT", "/api/v1/files/" + (declared.empty() ? Sha256Hex(bytes) : declared),
              bytes, {{"Content-Type", media_type}});
  }

  // dora creates `document` (an SOP at LEI).
  void CreateDocument(const std::string& document, int review_interval_months = 24) const {
    const HttpResponse created = As("dora", "POST", "/api/v1/documents",
                                    Body({{"document_id", document},
                                          {"site", "LEI"},
                                          {"kind", "sop"},
                                          {"review_interval_months", review_interval_months}}));
    ASSERT_EQ(created.status, 201) << created.body;
  }

  // A draft's body, citing a file uploaded before.
  static Json::Object DraftBody(const std::string& title, const std::string& sha256,
                                const std::string& revision = "major",
                                const std::string& effective_from = "") {
    Json::Object body{{"title", title},
                      {"file_sha256", sha256},
                      {"file_name", "SOP-CT-004.pdf"},
                      {"change_reason", "Aligned with the new cell counter's procedure"},
                      {"revision", revision}};
    if (!effective_from.empty()) body.emplace_back("effective_from", effective_from);
    return body;
  }

  HttpResponse Draft(const Json::Object& body, const std::string& document = kDocument) const {
    return As("dora", "POST", "/api/v1/documents/" + document + "/versions", Body(body));
  }

  // Takes the next version of `document` to approved: dora uploads its file, drafts and submits
  // it, rita reviews it and anna approves it. Effective on approval unless `effective_from`.
  void Publish(int version, const std::string& revision = "major",
               const std::string& effective_from = "",
               const std::string& document = kDocument) const {
    const std::string bytes = "%PDF-1.7\n" + document + " version " + std::to_string(version) +
                              ": thaw, wash and count the cells\n";
    const HttpResponse uploaded = Upload("dora", bytes);
    ASSERT_EQ(uploaded.status, 201) << uploaded.body;
    const HttpResponse drafted =
        Draft(DraftBody("Thawing and washing of cell product, v" + std::to_string(version),
                        Sha256Hex(bytes), revision, effective_from),
              document);
    ASSERT_EQ(drafted.status, 201) << drafted.body;
    ASSERT_EQ(IntegerMember(ParseOrFail(drafted.body), "version"), version) << drafted.body;
    for (const auto& [signer, meaning] : std::vector<std::pair<std::string, std::string>>{
             {"dora", "authored"}, {"rita", "reviewed"}, {"anna", "approved"}}) {
      const HttpResponse signed_response =
          SignVersion(signer, version, meaning, std::nullopt, document);
      ASSERT_EQ(signed_response.status, 201)
          << signer << " " << meaning << ": " << signed_response.body;
    }
  }

  // GET /api/v1/documents/{id}: the document's history with every version's signatures.
  Json History(const std::string& document = kDocument) const {
    const HttpResponse response = AsAdmin("GET", "/api/v1/documents/" + document);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  static const Json& VersionOf(const Json& history, int number) {
    static const Json kNull;
    const Json::Array& versions = Items(Member(history, "versions"));
    const auto index = static_cast<std::size_t>(number - 1);
    if (number < 1 || index >= versions.size()) {
      ADD_FAILURE() << "no version " << number << " in " << CanonicalJson(history);
      return kNull;
    }
    return versions[index];
  }

  // The number of the version effective at `at` ("" for now), or -1 when none is.
  std::int64_t EffectiveVersion(const std::string& at = "",
                                const std::string& document = kDocument) const {
    const HttpResponse response = AsAdmin(
        "GET", "/api/v1/documents/" + document + "/effective" + (at.empty() ? "" : "?at=" + at));
    EXPECT_EQ(response.status, 200) << response.body;
    return IntegerMember(Member(ParseOrFail(response.body), "version"), "version");
  }

  // A curriculum of tom's requiring `documents` of every operator at LEI.
  void SetOperatorCurriculum(const std::vector<std::string>& documents,
                             std::optional<int> requalification_months = std::nullopt) const {
    Json::Array list;
    for (const std::string& document : documents) list.emplace_back(document);
    Json::Object body{{"site", "LEI"},
                      {"title", "Operators of the cell processing suite"},
                      {"roles", Json::Array{Json("operator")}},
                      {"documents", std::move(list)}};
    if (requalification_months) {
      body.emplace_back("requalification_months", *requalification_months);
    }
    const HttpResponse set =
        As("tom", "PUT", "/api/v1/training/curricula/CUR-OPERATOR", Body(std::move(body)));
    ASSERT_EQ(set.status, 200) << set.body;
  }

  // GET /api/v1/training/qualification of `user` on `document` at `at` ("" for now), asked by
  // `asker` (the user themselves unless given).
  Json Qualification(const std::string& user, const std::string& at = "",
                     const std::string& document = kDocument, std::string asker = "") const {
    if (asker.empty()) asker = user;
    const HttpResponse response = As(asker, "GET",
                                     "/api/v1/training/qualification?user=" + user +
                                         "&document=" + document + (at.empty() ? "" : "&at=" + at));
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  // POST /api/v1/training/gate as `user`: may they now do work governed by `document`?
  HttpResponse Gate(const std::string& user, const std::string& document = kDocument) const {
    return As(user, "POST", "/api/v1/training/gate",
              Body({{"document_id", document}, {"purpose", "Batch B-17 step 4: wash the cells"}}));
  }

  // The row of `user` in GET /api/v1/training/matrix?role=operator, asked by tom.
  Json MatrixRow(const std::string& user) const {
    const HttpResponse response = As("tom", "GET", "/api/v1/training/matrix?role=operator");
    EXPECT_EQ(response.status, 200) << response.body;
    const Json matrix = ParseOrFail(response.body);
    for (const Json& row : Items(Member(matrix, "users"))) {
      if (StringMember(row, "user_id") == user) return row;
    }
    ADD_FAILURE() << "no row for " << user << " in " << response.body;
    return Json();
  }

  // The cell of `document` in a matrix row.
  static Json CellOf(const Json& row, const std::string& document = kDocument) {
    for (const Json& cell : Items(Member(row, "cells"))) {
      if (StringMember(cell, "document_id") == document) return cell;
    }
    ADD_FAILURE() << "no cell for " << document << " in " << CanonicalJson(row);
    return Json();
  }

  // Every event of the ledger of `type`, read by anna (QA reviews the audit trail, DI-01).
  std::vector<Json> EventsOfType(const std::string& type) const {
    const auto found = people_.find("anna");
    if (found == people_.end()) {
      ADD_FAILURE() << "anna was never hired";
      return {};
    }
    std::vector<Json> events;
    for (Json& event : testing::LedgerEvents(*server_, found->second.session.Credentials())) {
      if (StringMember(event, "event_type") == type) events.push_back(std::move(event));
    }
    return events;
  }

  std::map<std::string, Person> people_;
};

INSTANTIATE_TEST_SUITE_P(, DocumentApiTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

// Document control -------------------------------------------------------------------------------

// Verifies P11-10 and P11-11: a version goes from draft through its author's, a reviewer's and an
// approver's signatures to effective; its history shows each signature with the signer's printed
// name, meaning and time, valid for the version's content; its file is the one uploaded.
TEST_P(DocumentApiTest, AVersionBecomesEffectiveThroughItsAuthorReviewerAndApprover_P11_10) {
  ASSERT_NO_FATAL_FAILURE(HireDocumentStaff());
  const std::string bytes = "%PDF-1.7\nSOP-CT-004: thaw, wash and count the cells\n";
  const HttpResponse uploaded = Upload("dora", bytes);
  ASSERT_EQ(uploaded.status, 201) << uploaded.body;
  EXPECT_EQ(StringMember(ParseOrFail(uploaded.body), "sha256"), Sha256Hex(bytes));
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  EXPECT_TRUE(Items(Member(History(), "versions")).empty());
  EXPECT_EQ(EffectiveVersion(), -1);

  const HttpResponse drafted = Draft(DraftBody("Thawing and washing", Sha256Hex(bytes)));
  ASSERT_EQ(drafted.status, 201) << drafted.body;
  EXPECT_EQ(StringMember(Member(ParseOrFail(drafted.body), "record"), "id"), "SOP-CT-004:1");
  const auto status = [&] { return StringMember(VersionOf(History(), 1), "status"); };
  EXPECT_EQ(status(), "draft");

  ASSERT_EQ(SignVersion("dora", 1, "authored").status, 201);
  EXPECT_EQ(status(), "in_review");
  ASSERT_EQ(SignVersion("rita", 1, "reviewed").status, 201);
  EXPECT_EQ(status(), "in_review");
  EXPECT_EQ(EffectiveVersion(), -1);
  ASSERT_EQ(SignVersion("anna", 1, "approved").status, 201);

  const Json history = History();
  const Json& version = VersionOf(history, 1);
  EXPECT_EQ(StringMember(version, "status"), "effective") << CanonicalJson(version);
  EXPECT_EQ(StringMember(version, "author"), "dora");
  EXPECT_EQ(StringMember(version, "reviewer"), "rita");
  EXPECT_EQ(StringMember(version, "approver"), "anna");
  EXPECT_EQ(StringMember(version, "change_reason"),
            "Aligned with the new cell counter's procedure");
  EXPECT_EQ(StringMember(version, "effective_from"), StringMember(version, "approved_at"));
  EXPECT_EQ(StringMember(Member(version, "file"), "sha256"), Sha256Hex(bytes));
  EXPECT_EQ(IntegerMember(history, "effective_version"), 1);
  EXPECT_EQ(EffectiveVersion(), 1);

  const Json::Array& signatures = Items(Member(version, "signatures"));
  ASSERT_EQ(signatures.size(), 3U) << CanonicalJson(version);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"authored", "Dora de Vries"}, {"reviewed", "Rita Reviewer"}, {"approved", "Anna Bakker"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(StringMember(signatures[i], "meaning"), expected[i].first);
    EXPECT_EQ(StringMember(signatures[i], "printed_name"), expected[i].second);
    EXPECT_FALSE(StringMember(signatures[i], "signed_at").empty());
    EXPECT_EQ(Member(signatures[i], "valid"), Json(true)) << CanonicalJson(signatures[i]);
    EXPECT_EQ(StringMember(signatures[i], "content_hash"), StringMember(version, "content_hash"));
  }

  // Anyone at the site reads the effective version's file, byte for byte.
  ASSERT_NO_FATAL_FAILURE(Hire("oliver", "Oliver Okafor", "operator"));
  const HttpResponse file = As("oliver", "GET", "/api/v1/documents/SOP-CT-004/versions/1/file");
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(file.body, bytes);
  EXPECT_EQ(file.Header("content-type"), "application/pdf");
  EXPECT_NE(file.Header("content-disposition").find("SOP-CT-004.pdf"), std::string::npos)
      << file.Header("content-disposition");
}

// Verifies P11-10: a version approved for a later date is approved, not effective, until that
// date; which version is effective at an instant before and after it answers the old and the new.
TEST_P(DocumentApiTest, AVersionApprovedForALaterDateTakesEffectOnlyThen_P11_10) {
  ASSERT_NO_FATAL_FAILURE(HireDocumentStaff());
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  ASSERT_NO_FATAL_FAILURE(Publish(1));
  const Timestamp v1_from = ParseTime(StringMember(VersionOf(History(), 1), "effective_from"));
  const Timestamp tomorrow = Timestamp::FromMicros(ServerNow().Micros() + kMicrosPerDay);
  ASSERT_NO_FATAL_FAILURE(Publish(2, "major", tomorrow.ToRfc3339()));

  const Json history = History();
  const Json& v2 = VersionOf(history, 2);
  EXPECT_EQ(StringMember(v2, "status"), "approved") << CanonicalJson(v2);
  EXPECT_EQ(StringMember(v2, "effective_from"), tomorrow.ToRfc3339());
  EXPECT_EQ(StringMember(VersionOf(history, 1), "status"), "effective");
  EXPECT_EQ(StringMember(VersionOf(history, 1), "effective_until"), tomorrow.ToRfc3339());
  EXPECT_EQ(IntegerMember(history, "effective_version"), 1);
  EXPECT_EQ(IntegerMember(Member(history, "pending_version"), "version"), 2)
      << CanonicalJson(history);

  EXPECT_EQ(EffectiveVersion(), 1);
  EXPECT_EQ(EffectiveVersion(Later(v1_from, -kMicrosPerSecond)), -1);
  EXPECT_EQ(EffectiveVersion(v1_from.ToRfc3339()), 1);
  EXPECT_EQ(EffectiveVersion(Later(tomorrow, -1)), 1);
  EXPECT_EQ(EffectiveVersion(tomorrow.ToRfc3339()), 2);
  EXPECT_EQ(EffectiveVersion(Later(tomorrow, 30 * kMicrosPerDay)), 2);

  // Nothing new starts while a version waits for its date.
  const std::string bytes = "%PDF-1.7\nversion 3\n";
  ASSERT_EQ(Upload("dora", bytes).status, 201);
  ExpectError(Draft(DraftBody("Version three", Sha256Hex(bytes))), 409, "failed_precondition",
              "document_id", "a draft while version 2 waits for its date");
  EXPECT_EQ(Items(Member(History(), "versions")).size(), 2U);
}

// Verifies P11-06: a version moves only in the permitted order (submitted, reviewed, approved),
// and a rejection says why; each refusal names the field and leaves the history as it was.
TEST_P(DocumentApiTest, SignaturesOutOfOrderAreRefusedNamingTheFieldAndChangeNothing_P11_06) {
  ASSERT_NO_FATAL_FAILURE(HireDocumentStaff());
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  const std::string bytes = "%PDF-1.7\ndraft\n";
  ASSERT_EQ(Upload("dora", bytes).status, 201);
  ASSERT_EQ(Draft(DraftBody("Thawing and washing", Sha256Hex(bytes))).status, 201);

  Json before = WithoutAt(AsAdmin("GET", "/api/v1/documents/SOP-CT-004").body);
  const auto unchanged = [&](const std::string& what) {
    EXPECT_EQ(WithoutAt(AsAdmin("GET", "/api/v1/documents/SOP-CT-004").body), before) << what;
  };
  ExpectError(SignVersion("anna", 1, "approved"), 409, "failed_precondition", "meaning",
              "approving a draft");
  unchanged("after approving a draft");
  ExpectError(SignVersion("rita", 1, "reviewed"), 409, "failed_precondition", "meaning",
              "reviewing a draft before its submission");
  unchanged("after reviewing a draft");
  ExpectError(SignVersion("rita", 1, "rejected", "Step 3 is unclear"), 409, "failed_precondition",
              "meaning", "rejecting a draft");
  unchanged("after rejecting a draft");

  ASSERT_EQ(SignVersion("dora", 1, "authored").status, 201);
  before = WithoutAt(AsAdmin("GET", "/api/v1/documents/SOP-CT-004").body);
  ExpectError(SignVersion("anna", 1, "approved"), 409, "failed_precondition", "meaning",
              "approving before the review");
  unchanged("after approving before the review");
  ExpectError(SignVersion("rita", 1, "rejected"), 400, "invalid_argument", "comment",
              "a rejection without a comment");
  ExpectError(SignVersion("rita", 1, "rejected", ""), 400, "invalid_argument", "comment",
              "a rejection with an empty comment");
  unchanged("after rejections without a reason");
  EXPECT_EQ(StringMember(VersionOf(History(), 1), "status"), "in_review");

  // With its reason, the rejection returns the version to its author as a draft.
  ASSERT_EQ(SignVersion("rita", 1, "rejected", "Step 3 does not say which buffer").status, 201);
  const Json history = History();
  const Json& version = VersionOf(history, 1);
  EXPECT_EQ(StringMember(version, "status"), "draft") << CanonicalJson(version);
  const Json::Array& signatures = Items(Member(version, "signatures"));
  ASSERT_EQ(signatures.size(), 2U) << CanonicalJson(version);
  EXPECT_EQ(StringMember(signatures[1], "meaning"), "rejected");
  EXPECT_EQ(StringMember(signatures[1], "comment"), "Step 3 does not say which buffer");
}

// Verifies P11-07 and A11-01: only a QA approver approves, and nobody reviews or approves a
// version they wrote or checked already; the refusals leave the version as it was.
TEST_P(DocumentApiTest, SigningOutsideOnesRoleOrOnOnesOwnWorkIsRefused_P11_07_A11_01) {
  ASSERT_NO_FATAL_FAILURE(HireDocumentStaff());
  ASSERT_NO_FATAL_FAILURE(Hire("oliver", "Oliver Okafor", "operator"));
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  const std::string bytes = "%PDF-1.7\nsubmitted\n";
  ASSERT_EQ(Upload("dora", bytes).status, 201);
  ASSERT_EQ(Draft(DraftBody("Thawing and washing", Sha256Hex(bytes))).status, 201);
  ASSERT_EQ(SignVersion("dora", 1, "authored").status, 201);
  const Json before = WithoutAt(AsAdmin("GET", "/api/v1/documents/SOP-CT-004").body);

  ExpectError(SignVersion("oliver", 1, "approved"), 403, "permission_denied", "action",
              "an operator approving");
  ExpectError(SignVersion("oliver", 1, "reviewed"), 403, "permission_denied", "action",
              "an operator reviewing");
  ExpectError(SignVersion("dora", 1, "reviewed"), 403, "permission_denied", "meaning",
              "the author reviewing her own version");
  EXPECT_EQ(WithoutAt(AsAdmin("GET", "/api/v1/documents/SOP-CT-004").body), before);

  // A QA approver who reviewed it does not approve it too; a QA reviewer may not approve.
  ASSERT_EQ(SignVersion("anna", 1, "reviewed").status, 201);
  const Json reviewed = WithoutAt(AsAdmin("GET", "/api/v1/documents/SOP-CT-004").body);
  ExpectError(SignVersion("anna", 1, "approved"), 403, "permission_denied", "meaning",
              "the reviewer approving");
  ExpectError(SignVersion("rita", 1, "approved"), 403, "permission_denied", "action",
              "a QA reviewer approving");
  EXPECT_EQ(WithoutAt(AsAdmin("GET", "/api/v1/documents/SOP-CT-004").body), reviewed);
  EXPECT_EQ(StringMember(VersionOf(History(), 1), "status"), "in_review");
}

// Verifies P11-10 and A11-01: a draft carries its reason for change, a date not in the past and a
// file that was uploaded; a draft without them is refused naming the field, and none is made.
TEST_P(DocumentApiTest, ADraftWithoutReasonWithAPastDateOrAnUnknownFileIsRefused_P11_10) {
  ASSERT_NO_FATAL_FAILURE(HireDocumentStaff());
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  const std::string bytes = "%PDF-1.7\nuploaded\n";
  ASSERT_EQ(Upload("dora", bytes).status, 201);
  const std::string sha = Sha256Hex(bytes);
  const Json before = WithoutAt(AsAdmin("GET", "/api/v1/documents/SOP-CT-004").body);

  Json::Object no_reason = DraftBody("Thawing and washing", sha);
  std::erase_if(no_reason, [](const auto& member) { return member.first == "change_reason"; });
  Json::Object blank_reason = DraftBody("Thawing and washing", sha);
  for (auto& [name, value] : blank_reason) {
    if (name == "change_reason") value = Json("   ");
  }
  const std::string yesterday = Later(ServerNow(), -kMicrosPerDay);
  const std::string never_uploaded = Sha256Hex("a file nobody uploaded");
  const struct {
    const char* what;
    Json::Object body;
    int status;
    std::string code;
    std::string field;
  } cases[] = {
      {"no change reason", no_reason, 400, "invalid_argument", "change_reason"},
      {"a blank change reason", blank_reason, 400, "invalid_argument", "change_reason"},
      {"an effective date in the past", DraftBody("Thawing and washing", sha, "major", yesterday),
       400, "invalid_argument", "effective_from"},
      {"a file never uploaded", DraftBody("Thawing and washing", never_uploaded), 409,
       "failed_precondition", "file_sha256"},
      {"version 1 as a minor revision", DraftBody("Thawing and washing", sha, "minor"), 400,
       "invalid_argument", "revision"},
  };
  for (const auto& test : cases) {
    ExpectError(Draft(test.body), test.status, test.code, test.field, test.what);
    EXPECT_EQ(WithoutAt(AsAdmin("GET", "/api/v1/documents/SOP-CT-004").body), before) << test.what;
  }
  EXPECT_TRUE(Items(Member(History(), "versions")).empty());
}

// Uploads -----------------------------------------------------------------------------------------

// Verifies G-10 and P11-02: the file store checks what it is given (not empty, the SHA-256 the
// client declared) and stores nothing it refuses; what it returns is the exact bytes stored, with
// their media type and their hash as the ETag.
TEST_P(DocumentApiTest, UploadsAreCheckedAgainstTheirDeclaredHashAndReturnedByteForByte_G_10) {
  ASSERT_NO_FATAL_FAILURE(Hire("dora", "Dora de Vries", "document_owner"));
  ASSERT_NO_FATAL_FAILURE(Hire("oliver", "Oliver Okafor", "operator"));
  std::string bytes = "%PDF-1.7\n";
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += "\r\n%%EOF";
  const std::string sha = Sha256Hex(bytes);

  const HttpResponse uploaded = Upload("dora", bytes);
  ASSERT_EQ(uploaded.status, 201) << uploaded.body;
  const Json info = ParseOrFail(uploaded.body);
  EXPECT_EQ(StringMember(info, "sha256"), sha);
  EXPECT_EQ(IntegerMember(info, "size"), static_cast<std::int64_t>(bytes.size()));
  EXPECT_EQ(StringMember(info, "media_type"), "application/pdf");
  const HttpResponse file = As("oliver", "GET", "/api/v1/files/" + sha);
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(file.body, bytes);
  EXPECT_EQ(file.Header("content-type"), "application/pdf");
  EXPECT_EQ(file.Header("etag"), "\"" + sha + "\"");

  const std::string empty_sha = Sha256Hex("");
  ExpectError(Upload("dora", "", "application/pdf", empty_sha), 400, "invalid_argument", "file",
              "an empty file");
  EXPECT_EQ(As("oliver", "GET", "/api/v1/files/" + empty_sha).status, 404);

  const std::string sent = "%PDF-1.7\nversion 2, as sent\n";
  const std::string meant = "%PDF-1.7\nversion 2, as meant\n";
  ExpectError(Upload("dora", sent, "application/pdf", Sha256Hex(meant)), 400, "invalid_argument",
              "sha256", "a file whose hash is not the declared one");
  ExpectError(As("oliver", "GET", "/api/v1/files/" + Sha256Hex(meant)), 404, "not_found", "sha256",
              "the declared hash after the refusal");
  ExpectError(As("oliver", "GET", "/api/v1/files/" + Sha256Hex(sent)), 404, "not_found", "sha256",
              "the file's own hash after the refusal");
  ExpectError(Upload("dora", sent, "application/pdf", "ABC"), 400, "invalid_argument", "sha256",
              "a malformed hash");
}

// Verifies G-10: a server started with --max-upload-mib 1 takes a file of 1 MiB and refuses a
// larger one, storing nothing of it.
TEST_P(DocumentApiTest, AServerWithAOneMebibyteLimitRefusesLargerFilesAndStoresNothing_G_10) {
  ASSERT_NO_FATAL_FAILURE(RestartWith({"--max-upload-mib", "1"}));
  ASSERT_NO_FATAL_FAILURE(Hire("dora", "Dora de Vries", "document_owner"));
  constexpr std::size_t kMebibyte = std::size_t{1} << 20;

  const std::string at_limit(kMebibyte, 'a');
  const HttpResponse accepted = Upload("dora", at_limit, "application/octet-stream");
  EXPECT_EQ(accepted.status, 201) << accepted.body;
  EXPECT_EQ(As("dora", "GET", "/api/v1/files/" + Sha256Hex(at_limit)).body, at_limit);

  const std::string one_over(kMebibyte + 1, 'b');
  // The server refuses the body itself (413), before the upload reaches the file store.
  ExpectError(Upload("dora", one_over, "application/octet-stream"), 413, "invalid_argument", "body",
              "one byte over the limit");
  EXPECT_EQ(As("dora", "GET", "/api/v1/files/" + Sha256Hex(one_over)).status, 404);

  const std::string twice(2 * kMebibyte, 'c');
  ExpectError(Upload("dora", twice, "application/octet-stream"), 413, "invalid_argument", "body",
              "twice the limit");
  EXPECT_EQ(As("dora", "GET", "/api/v1/files/" + Sha256Hex(twice)).status, 404);
}

// Training ----------------------------------------------------------------------------------------

// Verifies G-11: approving a major revision assigns it to everyone whose curriculum lists the
// document, due on its effective date; the coordinator sees it in the training matrix and the
// operator in their own training, and nobody outside the curriculum is assigned.
TEST_P(DocumentApiTest, AMajorRevisionAssignsRetrainingDueOnItsEffectiveDate_G_11) {
  ASSERT_NO_FATAL_FAILURE(HireTrainingStaff());
  ASSERT_NO_FATAL_FAILURE(Hire("vera", "Vera Visser", "verifier"));
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  ASSERT_NO_FATAL_FAILURE(SetOperatorCurriculum({kDocument}));
  ASSERT_NO_FATAL_FAILURE(Publish(1));
  ASSERT_EQ(ReadAndUnderstood("oliver", 1).status, 201);
  EXPECT_TRUE(Member(CellOf(MatrixRow("oliver")), "open_assignment").IsNull());

  const std::string next_week = Later(ServerNow(), 7 * kMicrosPerDay);
  ASSERT_NO_FATAL_FAILURE(Publish(2, "major", next_week));
  const Json cell = CellOf(MatrixRow("oliver"));
  const Json& assignment = Member(cell, "open_assignment");
  EXPECT_EQ(IntegerMember(assignment, "version"), 2) << CanonicalJson(cell);
  EXPECT_EQ(StringMember(assignment, "due"), next_week);
  EXPECT_NE(StringMember(assignment, "reason").find("SOP-CT-004 version 2"), std::string::npos)
      << CanonicalJson(assignment);
  // Until version 2 takes effect, version 1's training qualifies.
  EXPECT_EQ(StringMember(cell, "status"), "qualified") << CanonicalJson(cell);
  EXPECT_EQ(IntegerMember(cell, "effective_version"), 1);

  const HttpResponse own = As("oliver", "GET", "/api/v1/session/training");
  ASSERT_EQ(own.status, 200) << own.body;
  const Json own_cell = CellOf(ParseOrFail(own.body));
  EXPECT_EQ(IntegerMember(Member(own_cell, "open_assignment"), "version"), 2) << own.body;
  EXPECT_EQ(StringMember(Member(own_cell, "open_assignment"), "due"), next_week);

  // A verifier's curriculum does not list the document: nothing is assigned to them.
  const HttpResponse verifier = As("vera", "GET", "/api/v1/session/training");
  ASSERT_EQ(verifier.status, 200) << verifier.body;
  EXPECT_TRUE(Items(Member(ParseOrFail(verifier.body), "cells")).empty()) << verifier.body;
  int assigned_to_vera = 0;
  for (const Json& event : EventsOfType("training.assigned")) {
    assigned_to_vera += StringMember(Member(event, "stream"), "id") == "vera" ? 1 : 0;
  }
  EXPECT_EQ(assigned_to_vera, 0);
}

// Verifies G-11: a minor revision assigns no training and keeps everyone's qualification.
TEST_P(DocumentApiTest, AMinorRevisionAssignsNoTrainingAndKeepsTheQualification_G_11) {
  ASSERT_NO_FATAL_FAILURE(HireTrainingStaff());
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  ASSERT_NO_FATAL_FAILURE(SetOperatorCurriculum({kDocument}));
  ASSERT_NO_FATAL_FAILURE(Publish(1));
  ASSERT_EQ(ReadAndUnderstood("oliver", 1).status, 201);
  const std::size_t assignments = EventsOfType("training.assigned").size();

  ASSERT_NO_FATAL_FAILURE(Publish(2, "minor"));
  EXPECT_EQ(Member(VersionOf(History(), 2), "retraining_required"), Json(false));
  EXPECT_EQ(EffectiveVersion(), 2);
  EXPECT_EQ(EventsOfType("training.assigned").size(), assignments);
  const Json cell = CellOf(MatrixRow("oliver"));
  EXPECT_TRUE(Member(cell, "open_assignment").IsNull()) << CanonicalJson(cell);
  EXPECT_EQ(StringMember(cell, "status"), "qualified") << CanonicalJson(cell);
  EXPECT_EQ(IntegerMember(cell, "effective_version"), 2);
  EXPECT_EQ(IntegerMember(cell, "trained_version"), 1);
  const HttpResponse gate = Gate("oliver");
  EXPECT_EQ(gate.status, 200) << gate.body;
}

// Verifies G-11 and P11-09: the gate refuses work to an operator never trained on the document,
// naming the version in effect, until they sign that they have read and understood it; each
// refused attempt is an event in the ledger.
TEST_P(DocumentApiTest, TheGateRefusesAnUntrainedOperatorUntilTheyReadAndUnderstand_G_11) {
  ASSERT_NO_FATAL_FAILURE(HireTrainingStaff());
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  ASSERT_NO_FATAL_FAILURE(Publish(1));

  for (int attempt = 1; attempt <= 2; ++attempt) {
    const HttpResponse refused = Gate("oliver");
    ExpectError(refused, 403, "permission_denied", "document", "a never-trained operator");
    EXPECT_NE(StringMember(ParseOrFail(refused.body), "message").find("SOP-CT-004 version 1"),
              std::string::npos)
        << refused.body;
  }
  EXPECT_EQ(StringMember(Qualification("oliver"), "status"), "never_trained");
  const std::vector<Json> refusals = EventsOfType("training.gate_refused");
  ASSERT_EQ(refusals.size(), 2U);
  for (const Json& event : refusals) {
    EXPECT_EQ(StringMember(Member(event, "actor"), "id"), "oliver") << CanonicalJson(event);
    const Json& payload = Member(event, "payload");
    EXPECT_EQ(StringMember(payload, "document"), kDocument) << CanonicalJson(event);
    EXPECT_EQ(IntegerMember(payload, "effective_version"), 1);
    EXPECT_EQ(StringMember(payload, "reason"), "never_trained");
    EXPECT_EQ(StringMember(payload, "purpose"), "Batch B-17 step 4: wash the cells");
  }

  ASSERT_EQ(ReadAndUnderstood("oliver", 1).status, 201);
  const HttpResponse passed = Gate("oliver");
  ASSERT_EQ(passed.status, 200) << passed.body;
  const Json qualification = ParseOrFail(passed.body);
  EXPECT_EQ(StringMember(qualification, "status"), "qualified");
  EXPECT_EQ(IntegerMember(qualification, "trained_version"), 1);
  EXPECT_EQ(EventsOfType("training.gate_refused").size(), 2U);
}

// Verifies G-11 and P11-09: once a major revision is effective, training on the version before
// it no longer qualifies; the operator is refused until trained on the new version.
TEST_P(DocumentApiTest, TrainingOnAnEarlierVersionStopsQualifyingAtAMajorRevision_G_11) {
  ASSERT_NO_FATAL_FAILURE(HireTrainingStaff());
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  ASSERT_NO_FATAL_FAILURE(SetOperatorCurriculum({kDocument}));
  ASSERT_NO_FATAL_FAILURE(Publish(1));
  ASSERT_EQ(ReadAndUnderstood("oliver", 1).status, 201);
  ASSERT_EQ(Gate("oliver").status, 200);

  ASSERT_NO_FATAL_FAILURE(Publish(2, "major"));
  const HttpResponse refused = Gate("oliver");
  ExpectError(refused, 403, "permission_denied", "document", "trained on version 1 only");
  EXPECT_NE(StringMember(ParseOrFail(refused.body), "message").find("SOP-CT-004 version 2"),
            std::string::npos)
      << refused.body;
  const Json qualification = Qualification("oliver");
  EXPECT_EQ(StringMember(qualification, "status"), "trained_on_earlier_version")
      << CanonicalJson(qualification);
  EXPECT_EQ(IntegerMember(qualification, "trained_version"), 1);
  EXPECT_EQ(IntegerMember(qualification, "effective_version"), 2);
  const std::vector<Json> refusals = EventsOfType("training.gate_refused");
  ASSERT_EQ(refusals.size(), 1U);
  EXPECT_EQ(StringMember(Member(refusals[0], "payload"), "reason"), "trained_on_earlier_version");

  ASSERT_EQ(ReadAndUnderstood("oliver", 2).status, 201);
  EXPECT_EQ(Gate("oliver").status, 200);
  EXPECT_TRUE(Member(CellOf(MatrixRow("oliver")), "open_assignment").IsNull());
}

// Verifies G-11: a qualification lasts as long as the curriculum's requalification interval; at
// an instant after that it is expired.
TEST_P(DocumentApiTest, AQualificationExpiresAfterTheCurriculumsRequalificationInterval_G_11) {
  ASSERT_NO_FATAL_FAILURE(HireTrainingStaff());
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  ASSERT_NO_FATAL_FAILURE(SetOperatorCurriculum({kDocument}, 12));
  ASSERT_NO_FATAL_FAILURE(Publish(1));
  ASSERT_EQ(ReadAndUnderstood("oliver", 1).status, 201);
  ASSERT_EQ(Gate("oliver").status, 200);

  const Json now = Qualification("oliver", "", kDocument, "tom");
  EXPECT_EQ(StringMember(now, "status"), "qualified") << CanonicalJson(now);
  const Timestamp trained_at = ParseTime(StringMember(now, "trained_at"));
  const Timestamp expires = trained_at.PlusCalendarMonths(12);
  EXPECT_EQ(StringMember(Qualification("oliver", Later(expires, -kMicrosPerHour)), "status"),
            "qualified");
  const Json expired = Qualification("oliver", Later(expires, kMicrosPerHour), kDocument, "tom");
  EXPECT_EQ(StringMember(expired, "status"), "expired") << CanonicalJson(expired);
  // The interval runs from the completion as recorded (trained_at).
  EXPECT_EQ(StringMember(expired, "expired_at"), expires.ToRfc3339());
  EXPECT_NE(StringMember(expired, "message").find("expired"), std::string::npos);
}

// Verifies G-11 and P11-09: training assigned with a due date that passes unfinished closes the
// gate, and the assignment appears in the overdue list, until it is done.
TEST_P(DocumentApiTest, AnOverdueAssignmentClosesTheGateAndIsListedAsOverdue_G_11) {
  ASSERT_NO_FATAL_FAILURE(HireTrainingStaff());
  ASSERT_NO_FATAL_FAILURE(Hire("vera", "Vera Visser", "verifier"));
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  ASSERT_NO_FATAL_FAILURE(Publish(1));
  ASSERT_EQ(ReadAndUnderstood("oliver", 1).status, 201);

  const std::string due = Later(ServerNow(), 2 * kMicrosPerSecond);
  const HttpResponse assigned = As("tom", "POST", "/api/v1/training/assignments",
                                   Body({{"user_id", "oliver"},
                                         {"document_id", kDocument},
                                         {"due", due},
                                         {"reason", "Refresher after deviation DEV-2026-031"}}));
  ASSERT_EQ(assigned.status, 201) << assigned.body;
  EXPECT_EQ(Gate("oliver").status, 200) << "before the due date";
  const auto overdue = [&] {
    const HttpResponse response = As("tom", "GET", "/api/v1/training/overdue");
    EXPECT_EQ(response.status, 200) << response.body;
    return Items(Member(ParseOrFail(response.body), "overdue"));
  };
  EXPECT_TRUE(overdue().empty());

  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const HttpResponse refused = Gate("oliver");
  ExpectError(refused, 403, "permission_denied", "document", "an overdue assignment");
  const Json qualification = Qualification("oliver");
  EXPECT_EQ(StringMember(qualification, "status"), "overdue") << CanonicalJson(qualification);
  EXPECT_EQ(StringMember(qualification, "overdue_since"), due);
  const Json::Array listed = overdue();
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(StringMember(listed[0], "user_id"), "oliver");
  EXPECT_EQ(StringMember(listed[0], "printed_name"), "Oliver Okafor");
  EXPECT_EQ(StringMember(listed[0], "document_id"), kDocument);
  EXPECT_EQ(StringMember(listed[0], "due"), due);
  const std::vector<Json> refusals = EventsOfType("training.gate_refused");
  ASSERT_EQ(refusals.size(), 1U);
  EXPECT_EQ(StringMember(Member(refusals[0], "payload"), "reason"), "overdue");

  // The refresher, given by a verifier, closes the assignment and opens the gate again.
  ASSERT_EQ(As("vera", "POST", "/api/v1/training/sessions",
               Body({{"user_id", "oliver"},
                     {"document_id", kDocument},
                     {"version", 1},
                     {"assessment", "passed"}}))
                .status,
            201);
  ASSERT_EQ(Sign("vera", "training", "oliver:SOP-CT-004:1", "performed").status, 201);
  EXPECT_EQ(Gate("oliver").status, 200);
  EXPECT_TRUE(overdue().empty());
}

// Verifies P11-09 and P11-11: a verifier records an instructor-led session with its assessment
// and signs it as performed; a passed assessment qualifies, a failed one does not, and nobody but
// the trainer signs the session's record.
TEST_P(DocumentApiTest, AnInstructorLedSessionQualifiesOnlyWhenPassedAndSignedByItsTrainer_P11_09) {
  ASSERT_NO_FATAL_FAILURE(HireTrainingStaff());
  ASSERT_NO_FATAL_FAILURE(Hire("vera", "Vera Visser", "verifier"));
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  ASSERT_NO_FATAL_FAILURE(Publish(1));
  const std::string record = "oliver:SOP-CT-004:1";
  const auto session = [&](const std::string& assessment, const std::string& score) {
    return As("vera", "POST", "/api/v1/training/sessions",
              Body({{"user_id", "oliver"},
                    {"document_id", kDocument},
                    {"version", 1},
                    {"assessment", assessment},
                    {"score", score},
                    {"comment", "Practical in suite 2"}}));
  };

  const HttpResponse failed = session("failed", "9/20");
  ASSERT_EQ(failed.status, 201) << failed.body;
  EXPECT_EQ(StringMember(Member(ParseOrFail(failed.body), "record"), "id"), record);
  ASSERT_EQ(Sign("vera", "training", record, "performed").status, 201);
  EXPECT_EQ(StringMember(Qualification("oliver"), "status"), "never_trained");
  ExpectError(Gate("oliver"), 403, "permission_denied", "document", "after a failed assessment");

  ASSERT_EQ(session("passed", "18/20").status, 201);
  const HttpResponse shown =
      As("vera", "GET", "/api/v1/records/training/" + record + "/signatures");
  const Json content = Member(ParseOrFail(shown.body), "content");
  EXPECT_EQ(StringMember(content, "method"), "instructor_led") << shown.body;
  EXPECT_EQ(StringMember(content, "trainer"), "vera") << shown.body;
  EXPECT_EQ(StringMember(content, "assessment"), "passed") << shown.body;
  // Another person with a GMP role may not sign the trainer's record.
  ExpectError(Sign("rita", "training", record, "performed"), 403, "permission_denied", "meaning",
              "a third person signing the session");
  EXPECT_EQ(StringMember(Qualification("oliver"), "status"), "never_trained");

  const HttpResponse signed_response = Sign("vera", "training", record, "performed");
  ASSERT_EQ(signed_response.status, 201) << signed_response.body;
  EXPECT_EQ(StringMember(ParseOrFail(signed_response.body), "printed_name"), "Vera Visser");
  const Json qualification = Qualification("oliver");
  EXPECT_EQ(StringMember(qualification, "status"), "qualified") << CanonicalJson(qualification);
  EXPECT_EQ(IntegerMember(qualification, "trained_version"), 1);
  EXPECT_EQ(Gate("oliver").status, 200);

  // The completion in the audit trail says how the training was given and by whom.
  const std::vector<Json> completions = EventsOfType("training.completed");
  ASSERT_EQ(completions.size(), 2U);
  const Json& last = Member(completions[1], "payload");
  EXPECT_EQ(StringMember(last, "method"), "instructor_led") << CanonicalJson(completions[1]);
  EXPECT_EQ(StringMember(last, "trainer"), "vera");
  EXPECT_EQ(Member(last, "passed"), Json(true));
  EXPECT_EQ(StringMember(last, "assessment"), "passed (18/20)");
  EXPECT_EQ(Member(Member(completions[0], "payload"), "passed"), Json(false));

  // The record keeps the trainer's signatures, each valid for what she signed.
  const HttpResponse after = As("tom", "GET", "/api/v1/records/training/" + record + "/signatures");
  ASSERT_EQ(after.status, 200) << after.body;
  const Json::Array signatures = Items(Member(ParseOrFail(after.body), "signatures"));
  ASSERT_EQ(signatures.size(), 2U) << after.body;
  EXPECT_EQ(StringMember(signatures[1], "printed_name"), "Vera Visser");
  EXPECT_EQ(StringMember(signatures[1], "meaning"), "performed");
  EXPECT_EQ(Member(signatures[1], "valid"), Json(true)) << after.body;
}

// Reports -----------------------------------------------------------------------------------------

// Verifies G-11: the training matrix has one row per operator and one cell per document their
// curriculum requires, each with its status and open assignment.
TEST_P(DocumentApiTest, TheTrainingMatrixShowsEveryOperatorAgainstEveryRequiredDocument_G_11) {
  ASSERT_NO_FATAL_FAILURE(HireTrainingStaff());
  ASSERT_NO_FATAL_FAILURE(Hire("olga", "Olga Okafor", "operator"));
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  ASSERT_NO_FATAL_FAILURE(CreateDocument("SOP-CT-005"));
  ASSERT_NO_FATAL_FAILURE(SetOperatorCurriculum({kDocument, "SOP-CT-005"}));
  ASSERT_NO_FATAL_FAILURE(Publish(1));
  ASSERT_NO_FATAL_FAILURE(Publish(1, "major", "", "SOP-CT-005"));
  ASSERT_EQ(ReadAndUnderstood("oliver", 1).status, 201);

  const HttpResponse response = As("tom", "GET", "/api/v1/training/matrix?site=LEI&role=operator");
  ASSERT_EQ(response.status, 200) << response.body;
  const Json matrix = ParseOrFail(response.body);
  EXPECT_EQ(Member(matrix, "documents"), Json(Json::Array{Json(kDocument), Json("SOP-CT-005")}));
  const Json::Array& rows = Items(Member(matrix, "users"));
  ASSERT_EQ(rows.size(), 2U) << response.body;
  std::map<std::pair<std::string, std::string>, std::string> statuses;
  for (const Json& row : rows) {
    EXPECT_EQ(Items(Member(row, "cells")).size(), 2U) << CanonicalJson(row);
    for (const Json& cell : Items(Member(row, "cells"))) {
      statuses[{StringMember(row, "user_id"), StringMember(cell, "document_id")}] =
          StringMember(cell, "status");
    }
  }
  const std::map<std::pair<std::string, std::string>, std::string> expected = {
      {{"oliver", kDocument}, "qualified"},
      {{"oliver", "SOP-CT-005"}, "never_trained"},
      {{"olga", kDocument}, "never_trained"},
      {{"olga", "SOP-CT-005"}, "never_trained"}};
  EXPECT_EQ(statuses, expected);
  const Json olga = MatrixRow("olga");
  EXPECT_EQ(StringMember(olga, "printed_name"), "Olga Okafor");
  const Json open = Member(CellOf(olga, "SOP-CT-005"), "open_assignment");
  EXPECT_EQ(IntegerMember(open, "version"), 1) << CanonicalJson(olga);
  // Retraining is due on the day the version takes effect: here, its approval.
  EXPECT_EQ(StringMember(open, "due"),
            StringMember(VersionOf(History("SOP-CT-005"), 1), "effective_from"))
      << CanonicalJson(olga);
  EXPECT_TRUE(Member(CellOf(MatrixRow("oliver")), "open_assignment").IsNull());
}

// Verifies A11-05: documents whose periodic review falls due within the window asked about are
// listed with their due date; those due later are not.
TEST_P(DocumentApiTest, ReviewsDueListsDocumentsWhosePeriodicReviewFallsInTheWindow_A11_05) {
  ASSERT_NO_FATAL_FAILURE(HireDocumentStaff());
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument, 1));
  ASSERT_NO_FATAL_FAILURE(CreateDocument("SOP-CT-005", 24));
  ASSERT_NO_FATAL_FAILURE(Publish(1));
  ASSERT_NO_FATAL_FAILURE(Publish(1, "major", "", "SOP-CT-005"));
  const Timestamp effective = ParseTime(StringMember(VersionOf(History(), 1), "effective_from"));

  const auto due_within = [&](int days) {
    const HttpResponse response =
        As("dora", "GET", "/api/v1/documents/reviews-due?within_days=" + std::to_string(days));
    EXPECT_EQ(response.status, 200) << response.body;
    return Items(Member(ParseOrFail(response.body), "documents"));
  };
  const Json::Array listed = due_within(40);
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(StringMember(listed[0], "document_id"), kDocument);
  EXPECT_EQ(StringMember(listed[0], "owner"), "dora");
  EXPECT_EQ(IntegerMember(listed[0], "effective_version"), 1);
  EXPECT_EQ(StringMember(listed[0], "review_due"), effective.PlusCalendarMonths(1).ToRfc3339());
  EXPECT_EQ(Member(listed[0], "overdue"), Json(false));
  EXPECT_TRUE(due_within(20).empty());
  ExpectError(As("dora", "GET", "/api/v1/documents/reviews-due?within_days=soon"), 400,
              "invalid_argument", "within_days", "a window that is not a number");
}

// As of an instant --------------------------------------------------------------------------------

// Verifies P11-05 and P11-10: what was effective, and who was qualified, at a past instant is
// answered the same after later events (a new major revision, further training).
TEST_P(DocumentApiTest, AnswersAboutAPastInstantDoNotChangeAfterLaterEvents_P11_05_P11_10) {
  ASSERT_NO_FATAL_FAILURE(HireTrainingStaff());
  ASSERT_NO_FATAL_FAILURE(CreateDocument(kDocument));
  ASSERT_NO_FATAL_FAILURE(SetOperatorCurriculum({kDocument}));
  ASSERT_NO_FATAL_FAILURE(Publish(1));
  const std::string untrained = ServerNow().ToRfc3339();
  ASSERT_EQ(ReadAndUnderstood("oliver", 1).status, 201);
  const std::string trained = ServerNow().ToRfc3339();

  const auto answers = [&] {
    std::vector<std::string> bodies;
    for (const std::string& at : {untrained, trained}) {
      bodies.push_back(As("tom", "GET",
                          "/api/v1/training/qualification?user=oliver&document=SOP-CT-004&at=" + at)
                           .body);
      bodies.push_back(WithoutEffectiveUntil(
          As("tom", "GET", "/api/v1/documents/SOP-CT-004/effective?at=" + at).body));
    }
    return bodies;
  };
  const std::vector<std::string> before = answers();
  EXPECT_EQ(StringMember(ParseOrFail(before[0]), "status"), "never_trained") << before[0];
  EXPECT_EQ(StringMember(ParseOrFail(before[2]), "status"), "qualified") << before[2];
  EXPECT_EQ(IntegerMember(Member(ParseOrFail(before[3]), "version"), "version"), 1) << before[3];

  ASSERT_NO_FATAL_FAILURE(Publish(2, "major"));
  ASSERT_EQ(ReadAndUnderstood("oliver", 2).status, 201);
  EXPECT_EQ(EffectiveVersion(), 2);
  EXPECT_EQ(IntegerMember(Qualification("oliver"), "trained_version"), 2);

  const std::vector<std::string> after = answers();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i], before[i]) << "answer " << i;
  }
  // The history keeps version 1, superseded from version 2's date.
  const Json history = History();
  EXPECT_EQ(StringMember(VersionOf(history, 1), "status"), "superseded");
  EXPECT_EQ(StringMember(VersionOf(history, 1), "effective_until"),
            StringMember(VersionOf(history, 2), "effective_from"));
}

}  // namespace
}  // namespace aliquot
