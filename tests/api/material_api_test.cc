// Materials through the HTTP API of a real server, as the people who handle them meet them: QA
// audits a supplier and qualifies it by a second person's e-signature; QC defines a material's
// specification and enters the supplier's certificate, each result checked in the criterion's unit;
// the warehouse receives lots and apheresis collections into quarantine; QA releases a lot only
// when nothing blocks it, and never one they worked on; operators consume lots through the
// point-of-use check, whose every refusal is recorded and moves no quantity; and genealogy answers,
// as of any instant, which lots, suppliers and donors went into a batch and which batches, product
// units and patients a lot reached. Every test runs on both engines (tests/api/site.h).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
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
#include "aliquot/domain/materials/lot.h"
#include "tests/api/site.h"
#include "tests/support/one_step_recipe.h"

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

constexpr const char* kSupplier = "SUP-VECTORBIO";
constexpr const char* kMediaSupplier = "SUP-MILTENYI";
constexpr const char* kVector = "MAT-LVV-CD19";
constexpr const char* kMedia = "MAT-TEXMACS";
constexpr const char* kApheresis = "MAT-LEUKOPAK";
constexpr const char* kActivatedCells = "MAT-ACT-TCELL";
constexpr const char* kProduct = "MAT-CART-CD19";
// The batches here: product CAR-MAT's master batch record MBR-MAT, whose one step, governed by
// SOP-MAT-001, consumes the activated cells and the apheresis.
constexpr const char* kSop = "SOP-MAT-001";
constexpr const char* kTherapy = "CAR-MAT";
constexpr const char* kRecipe = "MBR-MAT";
constexpr const char* kStep = "culture";
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

// A number member of `object`, or NaN when it is missing or no number.
double NumberMember(const Json& object, std::string_view name) {
  const Json& member = Member(object, name);
  return member.IsNumber() ? member.AsNumber() : std::numeric_limits<double>::quiet_NaN();
}

// The strings of an array member.
std::vector<std::string> StringsOf(const Json& object, std::string_view name) {
  std::vector<std::string> strings;
  for (const Json& item : Items(Member(object, name))) {
    strings.push_back(item.IsString() ? item.AsString() : CanonicalJson(item));
  }
  return strings;
}

// The lot ids a genealogy report lists.
std::vector<std::string> LotIdsOf(const Json& report) {
  std::vector<std::string> ids;
  for (const Json& lot : Items(Member(report, "lots"))) ids.push_back(StringMember(lot, "lot_id"));
  return ids;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

Timestamp ParseTime(const std::string& text) {
  auto parsed = Timestamp::ParseRfc3339(text);
  EXPECT_TRUE(parsed) << "not a time: '" << text << "'";
  return parsed ? *parsed : Timestamp();
}

std::string Later(Timestamp time, std::int64_t micros) {
  return Timestamp::FromMicros(time.Micros() + micros).ToRfc3339();
}

std::int64_t Days(std::int64_t days) { return days * kMicrosPerDay; }

// The error body of `response`, which must have `status`, with `code` and `field`.
void ExpectError(const HttpResponse& response, int status, const std::string& code,
                 const std::string& field, const std::string& context) {
  EXPECT_EQ(response.status, status) << context << ": " << response.body;
  const Json body = ParseOrFail(response.body);
  EXPECT_EQ(StringMember(body, "code"), code) << context << ": " << response.body;
  EXPECT_EQ(StringMember(body, "field"), field) << context << ": " << response.body;
  EXPECT_FALSE(StringMember(body, "message").empty()) << context << ": " << response.body;
}

// A donor or patient identification code as a label printer makes it: DIN-, the body, and its
// ISO 7064 MOD 37-2 check character (T-02).
std::string DonorCode(const std::string& body) {
  return "DIN-" + body + "-" + std::string(1, materials::DonorCodeCheckCharacter(body));
}

// One result of a certificate of analysis as entered.
Json NumberResult(const std::string& test, double value, const std::string& unit) {
  return Json(Json::Object{{"test", test}, {"value", value}, {"unit", unit}});
}
Json PassFailResult(const std::string& test, bool passed) {
  return Json(Json::Object{{"test", test}, {"passed", passed}});
}
Json TextResult(const std::string& test, const std::string& text) {
  return Json(Json::Object{{"test", test}, {"text", text}});
}

// A range criterion's JSON: `min` and `max` when set.
Json Range(std::optional<double> min, std::optional<double> max, const std::string& unit,
           bool max_exclusive = false) {
  Json::Object criterion{{"kind", "range"}, {"unit", unit}};
  if (min) criterion.emplace_back("min", *min);
  if (max) criterion.emplace_back("max", *max);
  if (max_exclusive) criterion.emplace_back("max_exclusive", true);
  return Json(std::move(criterion));
}

Json SpecTest(const std::string& name, const std::string& method, Json criterion) {
  return Json(
      Json::Object{{"name", name}, {"method", method}, {"criterion", std::move(criterion)}});
}

// A person at the site, by user id in MaterialApiTest::people_: their password (signing re-enters
// it) and their session.
struct Person {
  std::string password;
  Session session;
};

class MaterialApiTest : public testing::ServedSiteTest {
 protected:
  // A new account holding `role` at LEI, created by the administrator, its temporary password
  // changed at the first sign-in.
  void Hire(const std::string& user_id, const std::string& printed_name, const std::string& role) {
    const std::string temporary =
        testing::CreateUser(*server_, admin_, user_id, printed_name, "LEI", {role});
    ASSERT_FALSE(temporary.empty());
    Person person;
    person.password = "Goods-Inwards-" + std::to_string(people_.size() + 1) + "x";
    person.session = testing::FirstSignIn(*server_, user_id, temporary, person.password, console_);
    ASSERT_FALSE(person.session.token.empty()) << user_id;
    people_[user_id] = std::move(person);
  }

  // QA (a reviewer and two approvers), a QC analyst, the warehouse and an operator.
  void HireMaterialsStaff() {
    ASSERT_NO_FATAL_FAILURE(Hire("rita", "Rita Reviewer", "qa_reviewer"));
    ASSERT_NO_FATAL_FAILURE(Hire("anna", "Anna Bakker", "qa_approver"));
    ASSERT_NO_FATAL_FAILURE(Hire("alex", "Alex Aalders", "qa_approver"));
    ASSERT_NO_FATAL_FAILURE(Hire("quinn", "Quinn de Graaf", "qc_analyst"));
    ASSERT_NO_FATAL_FAILURE(Hire("walt", "Walter Wouters", "warehouse"));
    ASSERT_NO_FATAL_FAILURE(Hire("otto", "Otto Okafor", "operator"));
  }

  // Stops the server and starts it again; everyone signs in again (sessions end with a server).
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

  // Suppliers -----------------------------------------------------------------------------------

  void CreateSupplier(const std::string& supplier, const std::string& user = "rita") const {
    const HttpResponse created = As(user, "POST", "/api/v1/suppliers",
                                    Body({{"supplier_id", supplier},
                                          {"name", "Supplier " + supplier},
                                          {"address", "Bio Science Park 12, 2333 CH Leiden, NL"}}));
    ASSERT_EQ(created.status, 201) << created.body;
  }

  HttpResponse Audit(const std::string& supplier, const std::string& outcome) const {
    return As("rita", "POST", "/api/v1/suppliers/" + supplier + "/audits",
              Body({{"performed_on", Later(ServerNow(), -Days(30))},
                    {"kind", "on_site"},
                    {"outcome", outcome},
                    {"auditor", "Rita Reviewer"},
                    {"summary", "GMP audit of the fill-finish and QC release of vector lots"}}));
  }

  // `user` proposes `status` for `materials`, qualified for `days` (requalification due a month
  // before the end).
  HttpResponse Propose(const std::string& user, const std::string& supplier,
                       const std::string& status, const std::vector<std::string>& materials,
                       std::int64_t days = 365, const std::string& conditions = "") const {
    const Timestamp now = ServerNow();
    Json::Array listed;
    for (const std::string& material : materials) listed.emplace_back(material);
    Json::Object body{{"status", status},
                      {"materials", std::move(listed)},
                      {"qualified_until", Later(now, Days(days))},
                      {"requalify_by", Later(now, Days(days - 30))},
                      {"reason", "Audit and three consecutive conforming lots"}};
    if (!conditions.empty()) body.emplace_back("conditions", conditions);
    return As(user, "POST", "/api/v1/suppliers/" + supplier + "/qualification",
              Body(std::move(body)));
  }

  // An audited supplier qualified for `materials` for `days`: rita proposes, anna signs.
  void QualifySupplier(const std::string& supplier, const std::vector<std::string>& materials,
                       std::int64_t days = 365) const {
    const HttpResponse audited = Audit(supplier, "satisfactory");
    ASSERT_EQ(audited.status, 201) << audited.body;
    const HttpResponse proposed = Propose("rita", supplier, "approved", materials, days);
    ASSERT_EQ(proposed.status, 201) << proposed.body;
    const HttpResponse approved = Sign("anna", "supplier", Pending(supplier), "approved");
    ASSERT_EQ(approved.status, 201) << approved.body;
  }

  // The record of `supplier`'s proposal awaiting signature: "<supplier>:<number>".
  std::string Pending(const std::string& supplier) const {
    const Json json = Supplier(supplier);
    const Json& proposed = Member(json, "proposed");
    EXPECT_FALSE(proposed.IsNull()) << "no proposal awaits signature for " << supplier;
    if (proposed.IsNull()) return supplier + ":0";
    return StringMember(Member(proposed, "record"), "id");
  }

  Json Supplier(const std::string& supplier) const {
    const HttpResponse response = AsAdmin("GET", "/api/v1/suppliers/" + supplier);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  // Materials -----------------------------------------------------------------------------------

  HttpResponse Define(const std::string& material, Json::Object body,
                      const std::string& user = "quinn") const {
    return As(user, "PUT", "/api/v1/materials/" + material, Body(std::move(body)));
  }

  // A CD19 CAR lentiviral vector, as its specification reads, in mL.
  static Json::Object VectorDefinition() {
    return {{"name", "CD19 CAR lentiviral vector"},
            {"category", "viral_vector"},
            {"unit", "mL"},
            {"storage_condition", "<= -65 C"},
            {"shelf_life", Json::Object{{"amount", 24}, {"unit", "months"}}},
            {"criticality", "critical"},
            {"identity_test_required", true},
            {"tests", Json::Array{
                          SpecTest("Infectious titre", "Transduction of HT1080, flow cytometry",
                                   Range(1e8, std::nullopt, "TU/mL")),
                          SpecTest("p24 capsid protein", "ELISA", Range(1, 50, "ug/mL")),
                          SpecTest("Residual host cells", "Haemocytometer count",
                                   Range(std::nullopt, 100, "cells/mL")),
                          SpecTest("Endotoxin", "USP <85> kinetic chromogenic LAL",
                                   Range(std::nullopt, 5, "EU/mL", true)),
                          SpecTest("Sterility", "USP <71> membrane filtration",
                                   Json(Json::Object{{"kind", "pass_fail"}})),
                          SpecTest("Appearance", "Visual inspection",
                                   Json(Json::Object{{"kind", "text"}, {"expected", "Conforms"}})),
                      }}};
  }

  // A certificate of the vector that meets every test, the p24 result in ng/mL.
  static Json::Array ConformingVectorResults() {
    return {NumberResult("Infectious titre", 4.2e8, "TU/mL"),
            NumberResult("p24 capsid protein", 12500, "ng/mL"),
            NumberResult("Residual host cells", 12, "cells/mL"),
            NumberResult("Endotoxin", 0.8, "EU/mL"),
            PassFailResult("Sterility", true),
            TextResult("Appearance", " conforms ")};
  }

  // A T-cell medium in mL, without an identity test on receipt.
  static Json::Object MediaDefinition() {
    return {{"name", "TexMACS GMP Medium"},
            {"category", "media"},
            {"unit", "mL"},
            {"storage_condition", "2-8 C, protected from light"},
            {"shelf_life", Json::Object{{"amount", 12}, {"unit", "months"}}},
            {"criticality", "major"},
            {"identity_test_required", false},
            {"tests", Json::Array{SpecTest("Endotoxin", "USP <85> kinetic chromogenic LAL",
                                           Range(std::nullopt, 0.5, "EU/mL", true)),
                                  SpecTest("Sterility", "USP <71> membrane filtration",
                                           Json(Json::Object{{"kind", "pass_fail"}}))}}};
  }

  static Json::Object InHouseDefinition(const std::string& name, const std::string& category,
                                        const std::string& unit, int amount,
                                        const std::string& shelf_unit) {
    return {{"name", name},
            {"category", category},
            {"unit", unit},
            {"storage_condition", "2-8 C"},
            {"shelf_life", Json::Object{{"amount", amount}, {"unit", shelf_unit}}},
            {"criticality", "critical"},
            {"identity_test_required", false},
            {"tests", Json::Array{}}};
  }

  void DefineAll() const {
    for (const auto& [material, definition] : std::vector<std::pair<std::string, Json::Object>>{
             {kVector, VectorDefinition()},
             {kMedia, MediaDefinition()},
             {kApheresis,
              InHouseDefinition("Leukapheresis, autologous", "starting_material", "mL", 72, "h")},
             {kActivatedCells,
              InHouseDefinition("Activated T cells", "intermediate", "mL", 7, "d")},
             {kProduct, InHouseDefinition("CD19 CAR-T cells, final product", "drug_product", "mL",
                                          12, "months")}}) {
      const HttpResponse defined = Define(material, definition);
      ASSERT_EQ(defined.status, 200) << material << ": " << defined.body;
    }
  }

  // Lots ----------------------------------------------------------------------------------------

  // walt receives `lot` of `material` from `supplier`.
  HttpResponse Receive(const std::string& lot, const std::string& material,
                       const std::string& supplier, const std::string& supplier_lot,
                       const Json& quantity, const std::string& unit,
                       const Json::Array& containers = {},
                       std::optional<std::string> expiry = std::nullopt) const {
    if (!expiry) expiry = Later(ServerNow(), Days(730));
    Json::Object body{{"lot_id", lot},
                      {"material", material},
                      {"supplier", supplier},
                      {"supplier_lot", supplier_lot},
                      {"receiving_code", "RC-" + lot},
                      {"storage_location", "Freezer F-03, shelf 2"},
                      {"quantity", quantity},
                      {"unit", unit},
                      {"expiry", *expiry}};
    if (!containers.empty()) body.emplace_back("containers", containers);
    return As("walt", "POST", "/api/v1/lots", Body(std::move(body)));
  }

  HttpResponse EnterCertificate(const std::string& lot, const Json::Array& results,
                                const std::string& number = "COA-2026-0412",
                                const std::string& reason = "") const {
    Json::Object body{{"certificate_number", number}, {"results", results}};
    if (!reason.empty()) body.emplace_back("reason", reason);
    return As("quinn", "POST", "/api/v1/lots/" + lot + "/certificates", Body(std::move(body)));
  }

  HttpResponse IdentityTest(const std::string& lot) const {
    return As("quinn", "POST", "/api/v1/lots/" + lot + "/identity-tests",
              Body({{"passed", true},
                    {"method", "qPCR of the CAR transgene"},
                    {"comment", "Sample from container 1"}}));
  }

  // A lot of media from the qualified media supplier, its certificate entered and released by
  // anna: ready for use.
  void ReleasedMediaLot(const std::string& lot, const std::string& supplier_lot, double quantity,
                        const Json::Array& containers = {}) const {
    const HttpResponse received =
        Receive(lot, kMedia, kMediaSupplier, supplier_lot, quantity, "mL", containers);
    ASSERT_EQ(received.status, 201) << received.body;
    const HttpResponse entered = EnterCertificate(
        lot, {NumberResult("Endotoxin", 0.1, "EU/mL"), PassFailResult("Sterility", true)},
        "COA-" + supplier_lot);
    ASSERT_EQ(entered.status, 201) << entered.body;
    const HttpResponse released = Sign("anna", "material_lot", lot, "released");
    ASSERT_EQ(released.status, 201) << released.body;
  }

  // walt receives 180 mL of apheresis collected at `collected_at` from `donor_code`.
  HttpResponse ReceiveCollection(const std::string& lot, const std::string& donor_code,
                                 const std::string& collected_at) const {
    return As("walt", "POST", "/api/v1/lots/collections",
              Body({{"lot_id", lot},
                    {"material", kApheresis},
                    {"donor_code", donor_code},
                    {"collection_facility", "Sanquin apheresis unit, Amsterdam"},
                    {"collected_at", collected_at},
                    {"quantity", 180},
                    {"unit", "mL"},
                    {"shipping_min_c", 3.1},
                    {"shipping_max_c", 6.4},
                    {"receiving_code", "RC-" + lot},
                    {"storage_location", "Cold room CR-1"}}));
  }

  // An eligible donor's collection, released by alex (anna determined the eligibility).
  void ReleasedCollection(const std::string& lot, const std::string& donor_code) const {
    const HttpResponse received =
        ReceiveCollection(lot, donor_code, Later(ServerNow(), -2 * kMicrosPerHour));
    ASSERT_EQ(received.status, 201) << received.body;
    const HttpResponse determined = As(
        "anna", "POST", "/api/v1/lots/" + lot + "/eligibility",
        Body({{"eligible", true},
              {"basis", "Donor screening questionnaire and infectious disease markers negative"}}));
    ASSERT_EQ(determined.status, 201) << determined.body;
    const HttpResponse released = Sign("alex", "material_lot", lot, "released");
    ASSERT_EQ(released.status, 201) << released.body;
  }

  // `user` records a lot made in house.
  HttpResponse Produce(const std::string& user, const std::string& lot, const std::string& material,
                       double quantity, const std::optional<std::string>& batch = std::nullopt,
                       const std::optional<std::string>& patient_code = std::nullopt) const {
    Json::Object body{{"lot_id", lot},
                      {"material", material},
                      {"quantity", quantity},
                      {"unit", "mL"},
                      {"expiry", Later(ServerNow(), Days(5))},
                      {"storage_location", "Incubator INC-2"}};
    if (batch) body.emplace_back("batch", *batch);
    if (patient_code) body.emplace_back("patient_code", *patient_code);
    return As(user, "POST", "/api/v1/lots/produced", Body(std::move(body)));
  }

  Json Lot(const std::string& lot) const {
    const HttpResponse response = AsAdmin("GET", "/api/v1/lots/" + lot);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  std::string LotsBody() const {
    const HttpResponse response = AsAdmin("GET", "/api/v1/lots");
    EXPECT_EQ(response.status, 200) << response.body;
    return response.body;
  }

  // Using lots ----------------------------------------------------------------------------------

  // POST /api/v1/lots/check-use as otto: the answer, which must be 200.
  Json CheckUse(const std::string& lot, const std::string& material, double quantity,
                const std::string& unit, const std::string& at = "") const {
    Json::Object body{{"lot", lot}, {"material", material}, {"quantity", quantity}, {"unit", unit}};
    if (!at.empty()) body.emplace_back("at", at);
    const HttpResponse response =
        As("otto", "POST", "/api/v1/lots/check-use", Body(std::move(body)));
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  HttpResponse Consume(const std::string& lot, const std::string& material, double quantity,
                       const std::string& unit, const std::string& into_kind,
                       const std::string& into) const {
    return As("otto", "POST", "/api/v1/lots/consume",
              Body({{"lot", lot},
                    {"material", material},
                    {"quantity", quantity},
                    {"unit", unit},
                    {"into", Json::Object{{"kind", into_kind}, {"id", into}}}}));
  }

  // The number of events in the ledger.
  std::int64_t LedgerSize() const {
    const HttpResponse response = AsAdmin("GET", "/api/v1/ledger/head");
    EXPECT_EQ(response.status, 200) << response.body;
    return IntegerMember(ParseOrFail(response.body), "tree_size");
  }

  // Batches ---------------------------------------------------------------------------------------

  // What batches are made from here, as recipe_api_test takes a version to effective: dora
  // (document owner) publishes SOP-MAT-001, rita reviews it, anna approves it, and otto reads it;
  // dora prepares version 1 of MBR-MAT, rita checks it and anna approves it. vera (verifier)
  // creates the batches. After SetUpMaterials, which defines what the step consumes.
  void ApproveRecipe() {
    ASSERT_NO_FATAL_FAILURE(Hire("dora", "Dora de Vries", "document_owner"));
    ASSERT_NO_FATAL_FAILURE(Hire("vera", "Vera Visser", "verifier"));
    const std::string file = std::string("%PDF-1.7\n") + kSop + ": seeding and feeding\n";
    const std::string sha256 = Sha256::Of(file).Hex();
    const HttpResponse uploaded =
        As("dora", "PUT", "/api/v1/files/" + sha256, file, {{"Content-Type", "application/pdf"}});
    ASSERT_EQ(uploaded.status, 201) << uploaded.body;
    const HttpResponse document = As("dora", "POST", "/api/v1/documents",
                                     Body({{"document_id", kSop},
                                           {"site", "LEI"},
                                           {"kind", "sop"},
                                           {"review_interval_months", 24}}));
    ASSERT_EQ(document.status, 201) << document.body;
    const HttpResponse drafted =
        As("dora", "POST", std::string("/api/v1/documents/") + kSop + "/versions",
           Body({{"title", "Seeding and feeding the culture"},
                 {"file_sha256", sha256},
                 {"file_name", std::string(kSop) + ".pdf"},
                 {"change_reason", "First issue"},
                 {"revision", "major"}}));
    ASSERT_EQ(drafted.status, 201) << drafted.body;
    const std::vector<std::pair<std::string, std::string>> three_people = {
        {"dora", "authored"}, {"rita", "reviewed"}, {"anna", "approved"}};
    for (const auto& [signer, meaning] : three_people) {
      const HttpResponse signed_sop =
          Sign(signer, "document_version", std::string(kSop) + ":1", meaning);
      ASSERT_EQ(signed_sop.status, 201) << signer << " " << meaning << ": " << signed_sop.body;
    }
    // G-11: the step's gate lets through only those trained on the version in force.
    const HttpResponse trained =
        Sign("otto", "training", std::string("otto:") + kSop + ":1", "performed");
    ASSERT_EQ(trained.status, 201) << trained.body;

    const HttpResponse product =
        As("dora", "PUT", std::string("/api/v1/products/") + kTherapy,
           Body({{"name", "Autologous anti-CD19 CAR-T"}, {"therapy", "autologous"}}));
    ASSERT_EQ(product.status, 201) << product.body;
    const HttpResponse record = As(
        "dora", "POST", "/api/v1/mbrs",
        Body({{"mbr_id", kRecipe}, {"product", kTherapy}, {"title", "One step of the process"}}));
    ASSERT_EQ(record.status, 201) << record.body;
    const HttpResponse imported = As(
        "dora", "POST", std::string("/api/v1/mbrs/") + kRecipe + "/versions?change_reason=First",
        testing::OneStepDefinition(kRecipe, kTherapy, kStep, kSop, {kApheresis, kActivatedCells}),
        {{"Content-Type", "application/yaml"}});
    ASSERT_EQ(imported.status, 201) << imported.body;
    for (const auto& [signer, meaning] : three_people) {
      const HttpResponse signed_record =
          Sign(signer, "mbr_version", std::string(kRecipe) + ":1", meaning);
      ASSERT_EQ(signed_record.status, 201)
          << signer << " " << meaning << ": " << signed_record.body;
    }
  }

  // vera creates a batch of MBR-MAT for `patient_code` from their collection `starting_material`
  // (T-01, T-02) and otto starts its step. Returns the batch's id ("" with a test failure).
  std::string StartBatch(const std::string& starting_material,
                         const std::string& patient_code) const {
    const HttpResponse created =
        As("vera", "POST", "/api/v1/batches",
           Body({{"master_batch_record", kRecipe},
                 {"identifiers", Json::Object{{"patient_code", patient_code}}},
                 {"starting_material", starting_material}}));
    EXPECT_EQ(created.status, 201) << created.body;
    std::string batch = StringMember(ParseOrFail(created.body), "batch_id");
    const HttpResponse started =
        As("otto", "POST", "/api/v1/batches/" + batch + "/steps/" + kStep + "/start", "{}");
    EXPECT_EQ(started.status, 201) << started.body;
    return batch;
  }

  // otto scans `lot` at the batch's step and consumes `quantity` mL of it (G-03).
  HttpResponse ConsumeInBatch(const std::string& batch, const std::string& lot,
                              double quantity) const {
    return As("otto", "POST", "/api/v1/batches/" + batch + "/steps/" + kStep + "/materials",
              Body({{"lot", lot}, {"quantity", quantity}, {"unit", "mL"}}));
  }

  // GET /api/v1/genealogy from `root` in `direction`, as of `as_of` ("" for now).
  HttpResponse Genealogy(const std::string& root, const std::string& direction,
                         const std::string& as_of = "") const {
    return As("anna", "GET",
              "/api/v1/genealogy?root=" + root + "&direction=" + direction +
                  (as_of.empty() ? "" : "&as_of=" + as_of));
  }

  // Every event of the ledger of `type`, read by the administrator.
  std::vector<Json> EventsOfType(const std::string& type) const {
    std::vector<Json> events;
    for (Json& event : testing::LedgerEvents(*server_, admin_.Credentials())) {
      if (StringMember(event, "event_type") == type) events.push_back(std::move(event));
    }
    return events;
  }

  // The suppliers and materials most tests start from: the vector's supplier pending, the media
  // supplier qualified for media.
  void SetUpMaterials() {
    ASSERT_NO_FATAL_FAILURE(HireMaterialsStaff());
    ASSERT_NO_FATAL_FAILURE(DefineAll());
    ASSERT_NO_FATAL_FAILURE(CreateSupplier(kSupplier));
    ASSERT_NO_FATAL_FAILURE(CreateSupplier(kMediaSupplier));
    ASSERT_NO_FATAL_FAILURE(QualifySupplier(kMediaSupplier, {kMedia}));
  }

  std::map<std::string, Person> people_;
};

INSTANTIATE_TEST_SUITE_P(, MaterialApiTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

// Suppliers --------------------------------------------------------------------------------------

// Verifies G-09 and A11-01: a QA reviewer records a satisfactory audit and proposes approval; a QA
// approver's signature puts it in force, and the supplier shows who approved it, until when, and
// the audit that established its reliability.
TEST_P(MaterialApiTest, ASupplierIsApprovedBySignatureOfAQaApproverAfterASatisfactoryAudit_G09) {
  ASSERT_NO_FATAL_FAILURE(HireMaterialsStaff());
  ASSERT_NO_FATAL_FAILURE(DefineAll());
  ASSERT_NO_FATAL_FAILURE(CreateSupplier(kSupplier));
  const Json created = Supplier(kSupplier);
  EXPECT_EQ(StringMember(Member(created, "qualification"), "status"), "pending")
      << CanonicalJson(created);
  EXPECT_EQ(Member(created, "qualified_now"), Json(false));

  const HttpResponse audited = Audit(kSupplier, "satisfactory");
  ASSERT_EQ(audited.status, 201) << audited.body;
  const HttpResponse proposed = Propose("rita", kSupplier, "approved", {kVector});
  ASSERT_EQ(proposed.status, 201) << proposed.body;
  const Json awaiting = ParseOrFail(proposed.body);
  EXPECT_EQ(StringMember(Member(awaiting, "proposed"), "proposed_by"), "rita") << proposed.body;
  EXPECT_EQ(StringMember(Member(Member(awaiting, "proposed"), "record"), "type"), "supplier");
  // A proposal changes nothing until it is signed.
  EXPECT_EQ(StringMember(Member(awaiting, "qualification"), "status"), "pending");
  // A second proposal waits for the first to be decided.
  ExpectError(Propose("rita", kSupplier, "approved", {kVector}), 409, "failed_precondition", "",
              "a second proposal while one awaits signature");

  const HttpResponse approved = Sign("anna", "supplier", Pending(kSupplier), "approved");
  ASSERT_EQ(approved.status, 201) << approved.body;
  EXPECT_EQ(StringMember(ParseOrFail(approved.body), "printed_name"), "Anna Bakker");
  const Json supplier = Supplier(kSupplier);
  const Json& qualification = Member(supplier, "qualification");
  EXPECT_EQ(StringMember(qualification, "status"), "approved") << CanonicalJson(supplier);
  EXPECT_EQ(StringMember(qualification, "approved_by"), "anna");
  EXPECT_EQ(StringsOf(qualification, "materials"), std::vector<std::string>{kVector});
  EXPECT_FALSE(StringMember(qualification, "qualified_until").empty());
  EXPECT_EQ(Member(supplier, "qualified_now"), Json(true));
  EXPECT_EQ(Member(supplier, "requalification_overdue"), Json(false));
  EXPECT_TRUE(Member(supplier, "proposed").IsNull());
  EXPECT_EQ(Items(Member(supplier, "history")).size(), 2U);
  ASSERT_EQ(Items(Member(supplier, "audits")).size(), 1U);
  EXPECT_EQ(StringMember(Items(Member(supplier, "audits"))[0], "outcome"), "satisfactory");
  EXPECT_EQ(StringMember(Items(Member(supplier, "audits"))[0], "recorded_by"), "rita");
}

// Verifies A11-01: the QA approver who proposed a change of qualification cannot approve it by
// their own signature; another QA approver can.
TEST_P(MaterialApiTest, TheQaApproverWhoProposedAQualificationCannotApproveIt_A11_01) {
  ASSERT_NO_FATAL_FAILURE(HireMaterialsStaff());
  ASSERT_NO_FATAL_FAILURE(DefineAll());
  ASSERT_NO_FATAL_FAILURE(CreateSupplier(kSupplier, "alex"));
  ASSERT_EQ(Audit(kSupplier, "minor_findings").status, 201);
  const HttpResponse proposed = Propose("alex", kSupplier, "approved", {kVector});
  ASSERT_EQ(proposed.status, 201) << proposed.body;

  const HttpResponse own = Sign("alex", "supplier", Pending(kSupplier), "approved");
  ExpectError(own, 403, "permission_denied", "", "the proposer approving their own proposal");
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(own.body), "message"), "proposed")) << own.body;
  EXPECT_EQ(StringMember(Member(Supplier(kSupplier), "qualification"), "status"), "pending");
  // A QC analyst may read the supplier but not approve it.
  ExpectError(Sign("quinn", "supplier", Pending(kSupplier), "approved"), 403, "permission_denied",
              "action", "a QC analyst approving a supplier");
  // Rejected, the proposal is discarded and a new one may be made.
  const HttpResponse rejected = Sign("anna", "supplier", Pending(kSupplier), "rejected",
                                     "Qualify for the vector only after the second audit");
  ASSERT_EQ(rejected.status, 201) << rejected.body;
  EXPECT_TRUE(Member(Supplier(kSupplier), "proposed").IsNull());
  EXPECT_EQ(StringMember(Member(Supplier(kSupplier), "qualification"), "status"), "pending");
  ASSERT_EQ(Propose("alex", kSupplier, "approved", {kVector}).status, 201);
  ExpectError(Sign("alex", "supplier", Pending(kSupplier), "approved"), 403, "permission_denied",
              "", "the proposer approving the second proposal");

  const HttpResponse approved = Sign("anna", "supplier", Pending(kSupplier), "approved");
  ASSERT_EQ(approved.status, 201) << approved.body;
  const Json qualification = Member(Supplier(kSupplier), "qualification");
  EXPECT_EQ(StringMember(qualification, "status"), "approved") << CanonicalJson(qualification);
  EXPECT_EQ(StringMember(qualification, "approved_by"), "anna");
}

// Verifies G-09: approval needs an audit whose outcome established the supplier's reliability (one
// with major findings does not); a conditional approval, with its conditions, does not.
TEST_P(MaterialApiTest, ApprovalWithoutASatisfactoryAuditIsRefusedButConditionalApprovalIsNot_G09) {
  ASSERT_NO_FATAL_FAILURE(HireMaterialsStaff());
  ASSERT_NO_FATAL_FAILURE(DefineAll());
  ASSERT_NO_FATAL_FAILURE(CreateSupplier(kSupplier));

  ExpectError(Propose("rita", kSupplier, "approved", {kVector}), 409, "failed_precondition", "",
              "approval with no audit on record");
  ASSERT_EQ(Audit(kSupplier, "major_findings").status, 201);
  const HttpResponse refused = Propose("rita", kSupplier, "approved", {kVector});
  ExpectError(refused, 409, "failed_precondition", "",
              "approval after an audit with major findings");
  EXPECT_TRUE(Contains(refused.body, "G-09")) << refused.body;
  EXPECT_TRUE(Member(Supplier(kSupplier), "proposed").IsNull());
  ExpectError(Propose("rita", kSupplier, "approved", {kApheresis}), 404, "not_found",
              "materials[0]", "qualifying a supplier for starting material");

  ExpectError(Propose("rita", kSupplier, "conditional", {kVector}), 400, "invalid_argument",
              "conditions", "a conditional approval without its conditions");
  const std::string conditions =
      "Full testing of every lot until the CAPA for the major findings is closed";
  const HttpResponse proposed =
      Propose("rita", kSupplier, "conditional", {kVector}, 180, conditions);
  ASSERT_EQ(proposed.status, 201) << proposed.body;
  const HttpResponse approved = Sign("anna", "supplier", Pending(kSupplier), "approved");
  ASSERT_EQ(approved.status, 201) << approved.body;
  const Json supplier = Supplier(kSupplier);
  EXPECT_EQ(StringMember(Member(supplier, "qualification"), "status"), "conditional")
      << CanonicalJson(supplier);
  EXPECT_EQ(StringMember(Member(supplier, "qualification"), "conditions"), conditions);
  EXPECT_EQ(Member(supplier, "qualified_now"), Json(true));
}

// Materials --------------------------------------------------------------------------------------

// Verifies S95-01 and P11-05: a material is defined with its specification, each test with its
// method and criterion as written; a revision needs a reason and adds a version; a criterion in an
// unknown unit is refused naming the field.
TEST_P(MaterialApiTest, AMaterialIsDefinedWithItsSpecificationAndRevisedOnlyWithAReason_S95_01) {
  ASSERT_NO_FATAL_FAILURE(HireMaterialsStaff());
  const HttpResponse defined = Define(kVector, VectorDefinition());
  ASSERT_EQ(defined.status, 200) << defined.body;
  const Json material = ParseOrFail(defined.body);
  EXPECT_EQ(StringMember(material, "material_id"), kVector);
  EXPECT_EQ(StringMember(material, "category"), "viral_vector");
  EXPECT_EQ(StringMember(material, "unit"), "mL");
  EXPECT_EQ(StringMember(material, "shelf_life"), "24 months");
  EXPECT_EQ(IntegerMember(material, "spec_version"), 1);
  EXPECT_EQ(StringMember(material, "revised_by"), "quinn");
  const Json::Array& tests = Items(Member(material, "tests"));
  ASSERT_EQ(tests.size(), 6U) << defined.body;
  EXPECT_EQ(StringMember(tests[1], "name"), "p24 capsid protein");
  EXPECT_EQ(StringMember(tests[1], "method"), "ELISA");
  EXPECT_EQ(StringMember(Member(tests[1], "criterion"), "unit"), "ug/mL");
  EXPECT_EQ(NumberMember(Member(tests[1], "criterion"), "min"), 1);
  EXPECT_EQ(NumberMember(Member(tests[1], "criterion"), "max"), 50);
  EXPECT_EQ(Member(Member(tests[3], "criterion"), "max_exclusive"), Json(true));
  EXPECT_EQ(StringMember(Member(tests[5], "criterion"), "expected"), "Conforms");
  EXPECT_EQ(ParseOrFail(AsAdmin("GET", std::string("/api/v1/materials/") + kVector).body),
            material);

  Json::Object revised = VectorDefinition();
  ExpectError(Define(kVector, revised), 400, "invalid_argument", "reason",
              "a revision without a reason");
  revised.emplace_back("reason", "Endotoxin limit aligned with Ph. Eur. 2.6.14 per CC-2026-017");
  const HttpResponse second = Define(kVector, revised, "anna");
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(IntegerMember(ParseOrFail(second.body), "spec_version"), 2);
  EXPECT_EQ(StringMember(ParseOrFail(second.body), "revised_by"), "anna");

  Json::Object unknown = MediaDefinition();
  for (auto& [name, value] : unknown) {
    if (name == "tests") value = Json::Array{SpecTest("Endotoxin", "LAL", Range(0, 5, "EU/mls"))};
  }
  ExpectError(Define(kMedia, unknown), 400, "invalid_argument", "tests[0].criterion.unit",
              "a criterion in an unknown unit");
  ExpectError(As("quinn", "GET", std::string("/api/v1/materials/") + kMedia), 404, "not_found",
              "material_id", "the refused material");
  ExpectError(Define(kMedia, MediaDefinition(), "walt"), 403, "permission_denied", "action",
              "the warehouse defining a material");
}

// Receiving --------------------------------------------------------------------------------------

// Verifies G-08 and S95-01: a lot is received into quarantine with its supplier, the supplier's lot
// number, its receiving code, its containers (sublots) and its balance.
TEST_P(MaterialApiTest, ALotIsReceivedIntoQuarantineWithItsSupplierLotAndContainers_G08) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  const HttpResponse received =
      Receive("L-0001", kVector, kSupplier, "VB-22-0917", 250, "mL", {100, 100, 50});
  ASSERT_EQ(received.status, 201) << received.body;
  const Json lot = ParseOrFail(received.body);
  EXPECT_EQ(lot, Lot("L-0001"));
  EXPECT_EQ(StringMember(lot, "status"), "quarantine");
  EXPECT_EQ(StringMember(lot, "kind"), "received");
  EXPECT_EQ(StringMember(lot, "material"), kVector);
  EXPECT_EQ(StringMember(lot, "supplier"), kSupplier);
  EXPECT_EQ(StringMember(lot, "supplier_lot"), "VB-22-0917");
  EXPECT_EQ(StringMember(lot, "receiving_code"), "RC-L-0001");
  EXPECT_EQ(StringMember(lot, "received_by"), "walt");
  EXPECT_EQ(StringMember(lot, "unit"), "mL");
  EXPECT_EQ(NumberMember(lot, "quantity"), 250);
  EXPECT_EQ(NumberMember(lot, "balance"), 250);
  const Json::Array& containers = Items(Member(lot, "containers"));
  ASSERT_EQ(containers.size(), 3U) << received.body;
  EXPECT_EQ(StringMember(containers[0], "container_id"), "L-0001/1");
  EXPECT_EQ(StringMember(containers[2], "container_id"), "L-0001/3");
  EXPECT_EQ(NumberMember(containers[2], "balance"), 50);
  EXPECT_FALSE(Items(Member(lot, "release_blockers")).empty());
  EXPECT_EQ(StringMember(Member(lot, "record"), "type"), "material_lot");

  // A quantity in another unit of volume is counted in the material's unit.
  const HttpResponse litres = Receive("L-0002", kVector, kSupplier, "VB-22-0918", 0.5, "L");
  ASSERT_EQ(litres.status, 201) << litres.body;
  EXPECT_EQ(NumberMember(ParseOrFail(litres.body), "quantity"), 500);
  EXPECT_EQ(StringMember(ParseOrFail(litres.body), "unit"), "mL");
}

// Verifies G-08 and A11-01: a supplier's lot number received before is refused naming the lot it
// was received as, and nothing is stored; the same number from another supplier is another lot.
TEST_P(MaterialApiTest, ASecondReceiptOfASuppliersLotIsRefusedNamingTheEarlierLot_G08) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_EQ(Receive("L-0001", kVector, kSupplier, "VB-22-0917", 250, "mL").status, 201);
  const std::string before = LotsBody();

  const HttpResponse again = Receive("L-0002", kVector, kSupplier, "VB-22-0917", 250, "mL");
  ExpectError(again, 409, "already_exists", "supplier_lot", "the same supplier lot again");
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(again.body), "message"), "L-0001")) << again.body;
  EXPECT_EQ(LotsBody(), before);
  ExpectError(AsAdmin("GET", "/api/v1/lots/L-0002"), 404, "not_found", "lot_id", "the refused lot");
  ExpectError(Receive("L-0001", kVector, kSupplier, "VB-22-0920", 250, "mL"), 409, "already_exists",
              "lot_id", "a lot id in use");
  EXPECT_EQ(LotsBody(), before);

  const HttpResponse other = Receive("L-0002", kMedia, kMediaSupplier, "VB-22-0917", 1000, "mL");
  EXPECT_EQ(other.status, 201) << other.body;
}

// Verifies A11-01 and AL-01: a receipt is refused, naming the field, for an expiry before the
// receipt, a unit Aliquot does not know or of another dimension than the material's, a number
// sent as text, or containers that do not hold the quantity; none of them stores anything.
TEST_P(MaterialApiTest, AReceiptIsRefusedNamingTheFieldForAnExpiryUnitOrNumberThatIsWrong_A11_01) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  const std::string before = LotsBody();
  const Timestamp now = ServerNow();

  ExpectError(Receive("L-0001", kVector, kSupplier, "VB-1", 250, "mL", {}, Later(now, -Days(1))),
              400, "invalid_argument", "expiry", "an expiry before receipt");
  ExpectError(Receive("L-0001", kVector, kSupplier, "VB-1", 250, "mL", {}, "next spring"), 400,
              "invalid_argument", "expiry", "an expiry that is no instant");
  ExpectError(Receive("L-0001", kVector, kSupplier, "VB-1", 250, "mls"), 400, "invalid_argument",
              "unit", "an unknown unit");
  const HttpResponse grams = Receive("L-0001", kVector, kSupplier, "VB-1", 250, "g");
  ExpectError(grams, 400, "invalid_argument", "unit", "a unit of mass for a lot counted in mL");
  EXPECT_TRUE(Contains(grams.body, "mL")) << grams.body;
  ExpectError(Receive("L-0001", kVector, kSupplier, "VB-1", Json("250"), "mL"), 400,
              "invalid_argument", "quantity", "a quantity sent as text");
  ExpectError(Receive("L-0001", kVector, kSupplier, "VB-1", 250, "mL", {Json(100), Json("150")}),
              400, "invalid_argument", "containers[1]", "a container's quantity sent as text");
  ExpectError(Receive("L-0001", kVector, kSupplier, "VB-1", 250, "mL", {100, 100}), 400,
              "invalid_argument", "containers", "containers that do not hold the quantity");
  ExpectError(Receive("L-0001", kVector, kSupplier, "VB-1", -5, "mL"), 400, "invalid_argument",
              "quantity", "a negative quantity");
  ExpectError(Receive("L-0001", "MAT-UNKNOWN", kSupplier, "VB-1", 250, "mL"), 404, "not_found",
              "material", "an unknown material");
  ExpectError(Receive("L-0001", kApheresis, kSupplier, "VB-1", 250, "mL"), 400, "invalid_argument",
              "material", "starting material received as a purchased lot");
  EXPECT_EQ(LotsBody(), before);
  EXPECT_TRUE(EventsOfType("materials.lot_received").empty());
}

// Certificates -----------------------------------------------------------------------------------

// Verifies A11-01: a certificate's result in ng/mL is converted to the specification's ug/mL and
// conforms; a result in mg/mL against a limit in cells/mL, or a number sent as text, is refused
// naming the result, and nothing is stored.
TEST_P(MaterialApiTest,
       ACertificateIsCheckedInTheSpecificationsUnitAndAnIncomparableOneRefused_A11_01) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_EQ(Receive("L-0001", kVector, kSupplier, "VB-22-0917", 250, "mL").status, 201);
  const Json before = Lot("L-0001");

  Json::Array incomparable = ConformingVectorResults();
  incomparable[2] = NumberResult("Residual host cells", 0.01, "mg/mL");
  const HttpResponse refused = EnterCertificate("L-0001", incomparable);
  ExpectError(refused, 400, "invalid_argument", "results[2].unit",
              "a value in mg/mL against a limit in cells/mL");
  EXPECT_TRUE(Contains(refused.body, "cells/mL")) << refused.body;
  Json::Array as_text = ConformingVectorResults();
  as_text[1] =
      Json(Json::Object{{"test", "p24 capsid protein"}, {"value", "12.5"}, {"unit", "ug/mL"}});
  ExpectError(EnterCertificate("L-0001", as_text), 400, "invalid_argument", "results[1].value",
              "a result sent as text");
  Json::Array unknown_test = ConformingVectorResults();
  unknown_test.push_back(NumberResult("Osmolality", 290, "mOsm/kg"));
  ExpectError(EnterCertificate("L-0001", unknown_test), 400, "invalid_argument", "results[6].test",
              "a test the specification does not have");
  EXPECT_EQ(Lot("L-0001"), before);
  EXPECT_TRUE(EventsOfType("materials.coa_entered").empty());

  const HttpResponse entered = EnterCertificate("L-0001", ConformingVectorResults());
  ASSERT_EQ(entered.status, 201) << entered.body;
  const Json lot = ParseOrFail(entered.body);
  const Json::Array& certificates = Items(Member(lot, "certificates"));
  ASSERT_EQ(certificates.size(), 1U) << entered.body;
  EXPECT_EQ(StringMember(certificates[0], "entered_by"), "quinn");
  EXPECT_EQ(IntegerMember(certificates[0], "spec_version"), 1);
  EXPECT_EQ(IntegerMember(certificates[0], "out_of_specification"), 0);
  const Json::Array& results = Items(Member(certificates[0], "results"));
  ASSERT_EQ(results.size(), 6U);
  EXPECT_EQ(StringMember(results[1], "unit"), "ng/mL");
  EXPECT_EQ(NumberMember(results[1], "value"), 12500);
  EXPECT_EQ(Member(results[1], "conforms"), Json(true)) << CanonicalJson(results[1]);
  EXPECT_EQ(StringMember(results[1], "criterion"), "1-50 ug/mL");
  EXPECT_EQ(Member(results[5], "conforms"), Json(true)) << CanonicalJson(results[5]);
}

// Verifies G-09 and P11-05: an out-of-specification result is recorded, flagged with the criterion
// it breaches, and blocks release; a corrected certificate supersedes it only with a reason, and
// the first entry stays in the record.
TEST_P(MaterialApiTest, AnOutOfSpecificationResultIsFlaggedWithTheCriterionItBreaches_G09) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_EQ(Receive("L-0001", kVector, kSupplier, "VB-22-0917", 250, "mL").status, 201);
  Json::Array results = ConformingVectorResults();
  results[3] = NumberResult("Endotoxin", 7.2, "EU/mL");
  const HttpResponse entered = EnterCertificate("L-0001", results);
  ASSERT_EQ(entered.status, 201) << entered.body;
  const Json lot = ParseOrFail(entered.body);
  const Json& certificate = Items(Member(lot, "certificates")).at(0);
  EXPECT_EQ(IntegerMember(certificate, "out_of_specification"), 1);
  const Json& endotoxin = Items(Member(certificate, "results")).at(3);
  EXPECT_EQ(Member(endotoxin, "conforms"), Json(false)) << CanonicalJson(endotoxin);
  EXPECT_EQ(StringMember(endotoxin, "criterion"), "< 5 EU/mL");
  EXPECT_EQ(StringMember(endotoxin, "finding"),
            "Endotoxin 7.2 EU/mL is above the maximum: < 5 EU/mL");
  bool blocked = false;
  for (const std::string& blocker : StringsOf(lot, "release_blockers")) {
    blocked = blocked || Contains(blocker, "Endotoxin 7.2 EU/mL");
  }
  EXPECT_TRUE(blocked) << entered.body;
  const std::vector<Json> events = EventsOfType("materials.coa_entered");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(Member(Member(events[0], "payload"), "alert"), Json(true)) << CanonicalJson(events[0]);

  ExpectError(EnterCertificate("L-0001", ConformingVectorResults(), "COA-2026-0412-R1"), 400,
              "invalid_argument", "reason", "a second certificate without a reason");
  const HttpResponse corrected =
      EnterCertificate("L-0001", ConformingVectorResults(), "COA-2026-0412-R1",
                       "Supplier reissued the certificate: endotoxin was transcribed from lot "
                       "VB-22-0916 (supplier deviation SD-2026-044)");
  ASSERT_EQ(corrected.status, 201) << corrected.body;
  const Json lot_now = ParseOrFail(corrected.body);
  const Json::Array& both = Items(Member(lot_now, "certificates"));
  ASSERT_EQ(both.size(), 2U);
  EXPECT_EQ(IntegerMember(both[0], "out_of_specification"), 1);
  EXPECT_EQ(IntegerMember(both[1], "out_of_specification"), 0);
  EXPECT_EQ(StringMember(both[1], "certificate_number"), "COA-2026-0412-R1");
}

// Release ----------------------------------------------------------------------------------------

// Verifies G-09, A11-01 and P11-07: QA's release is refused while anything blocks it, the refusal
// naming every blocker (no identity test, a supplier not qualified, a result out of
// specification); the analyst who entered the certificate may not release; once each blocker is
// resolved a QA approver releases it.
TEST_P(MaterialApiTest, ReleaseIsRefusedNamingEveryBlockerUntilEachIsResolved_G09_A11_01) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_EQ(Receive("L-0001", kVector, kSupplier, "VB-22-0917", 250, "mL").status, 201);
  const HttpResponse nothing = Sign("anna", "material_lot", "L-0001", "released");
  ExpectError(nothing, 409, "failed_precondition", "", "release with no certificate");
  EXPECT_TRUE(Contains(nothing.body, "no certificate of analysis")) << nothing.body;

  Json::Array results = ConformingVectorResults();
  results[3] = NumberResult("Endotoxin", 7.2, "EU/mL");
  ASSERT_EQ(EnterCertificate("L-0001", results).status, 201);
  const HttpResponse refused = Sign("anna", "material_lot", "L-0001", "released");
  ExpectError(refused, 409, "failed_precondition", "", "release with three blockers");
  const std::string message = StringMember(ParseOrFail(refused.body), "message");
  EXPECT_TRUE(Contains(message, "no identity test is recorded")) << message;
  EXPECT_TRUE(Contains(message, std::string("supplier ") + kSupplier)) << message;
  EXPECT_TRUE(Contains(message, "out of specification: Endotoxin 7.2 EU/mL")) << message;
  EXPECT_EQ(StringsOf(Lot("L-0001"), "release_blockers").size(), 3U)
      << CanonicalJson(Lot("L-0001"));
  EXPECT_EQ(StringMember(Lot("L-0001"), "status"), "quarantine");

  // The analyst has no release permission (P11-07), and entered the certificate besides.
  ExpectError(Sign("quinn", "material_lot", "L-0001", "released"), 403, "permission_denied",
              "action", "the QC analyst releasing the lot");

  ASSERT_EQ(IdentityTest("L-0001").status, 201);
  ASSERT_EQ(EnterCertificate("L-0001", ConformingVectorResults(), "COA-2026-0412-R1",
                             "Supplier reissued the certificate with the corrected endotoxin")
                .status,
            201);
  const HttpResponse still = Sign("anna", "material_lot", "L-0001", "released");
  ExpectError(still, 409, "failed_precondition", "", "release from a supplier not qualified");
  EXPECT_TRUE(Contains(still.body, "G-09")) << still.body;
  EXPECT_FALSE(Contains(still.body, "identity test")) << still.body;
  EXPECT_FALSE(Contains(still.body, "out of specification")) << still.body;

  ASSERT_NO_FATAL_FAILURE(QualifySupplier(kSupplier, {kVector}));
  EXPECT_TRUE(Items(Member(Lot("L-0001"), "release_blockers")).empty());
  const HttpResponse released =
      Sign("anna", "material_lot", "L-0001", "released", "CoA, identity and supplier verified");
  ASSERT_EQ(released.status, 201) << released.body;
  const Json lot = Lot("L-0001");
  EXPECT_EQ(StringMember(lot, "status"), "released") << CanonicalJson(lot);
  const Json::Array& statuses = Items(Member(lot, "statuses"));
  ASSERT_EQ(statuses.size(), 2U);
  EXPECT_EQ(StringMember(statuses[1], "by"), "anna");
  EXPECT_EQ(StringMember(statuses[1], "comment"), "CoA, identity and supplier verified");
  ExpectError(Sign("alex", "material_lot", "L-0001", "released"), 409, "failed_precondition", "",
              "releasing a released lot");
}

// Collections ------------------------------------------------------------------------------------

// Verifies T-04 and A11-01: an apheresis collection stays in quarantine, unusable, until QA
// determines its donor eligible; the QA approver who determined it does not also release it.
TEST_P(MaterialApiTest, ACollectionStaysInQuarantineUntilItsDonorIsDeterminedEligible_T04) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  const std::string donor = DonorCode("A7Q29K44");
  const HttpResponse received =
      ReceiveCollection("Aph-1", donor, Later(ServerNow(), -2 * kMicrosPerHour));
  ExpectError(received, 400, "invalid_argument", "lot_id", "a lot id in lower case");
  const HttpResponse collection =
      ReceiveCollection("APH-0001", donor, Later(ServerNow(), -2 * kMicrosPerHour));
  ASSERT_EQ(collection.status, 201) << collection.body;
  const Json lot = ParseOrFail(collection.body);
  EXPECT_EQ(StringMember(lot, "status"), "quarantine");
  EXPECT_EQ(StringMember(lot, "kind"), "collection");
  EXPECT_EQ(StringMember(Member(lot, "collection"), "donor_code"), donor);
  EXPECT_EQ(StringMember(Member(lot, "collection"), "eligibility"), "pending");
  // It keeps 72 h from collection, not from receipt.
  EXPECT_EQ(ParseTime(StringMember(lot, "expiry")).Micros() -
                ParseTime(StringMember(Member(lot, "collection"), "collected_at")).Micros(),
            72 * kMicrosPerHour);

  const HttpResponse refused = Sign("anna", "material_lot", "APH-0001", "released");
  ExpectError(refused, 409, "failed_precondition", "", "release before eligibility");
  EXPECT_TRUE(Contains(refused.body, "T-04")) << refused.body;
  EXPECT_EQ(StringMember(CheckUse("APH-0001", kApheresis, 50, "mL"), "reason"), "not_released");

  ExpectError(As("walt", "POST", "/api/v1/lots/APH-0001/eligibility",
                 Body({{"eligible", true}, {"basis", "Screening negative"}})),
              403, "permission_denied", "action", "the warehouse determining eligibility");
  const HttpResponse determined = As(
      "anna", "POST", "/api/v1/lots/APH-0001/eligibility",
      Body({{"eligible", true},
            {"basis", "Donor screening questionnaire and infectious disease markers negative"}}));
  ASSERT_EQ(determined.status, 201) << determined.body;
  EXPECT_EQ(StringMember(Member(ParseOrFail(determined.body), "collection"), "determined_by"),
            "anna");
  EXPECT_TRUE(Items(Member(ParseOrFail(determined.body), "release_blockers")).empty());
  ExpectError(As("alex", "POST", "/api/v1/lots/APH-0001/eligibility",
                 Body({{"eligible", false}, {"basis", "Second opinion"}})),
              409, "failed_precondition", "", "a second determination");

  // The QA approver who determined eligibility checked the collection's record: another releases.
  ExpectError(Sign("anna", "material_lot", "APH-0001", "released"), 403, "permission_denied",
              "meaning", "release by the approver who determined eligibility");
  const HttpResponse released = Sign("alex", "material_lot", "APH-0001", "released");
  ASSERT_EQ(released.status, 201) << released.body;
  EXPECT_EQ(StringMember(Lot("APH-0001"), "status"), "released");
  EXPECT_EQ(Member(CheckUse("APH-0001", kApheresis, 50, "mL"), "allowed"), Json(true));
}

// Verifies T-02: a donor code is a distinct identification code with its check character; a name,
// a medical record number or a mistyped code is refused, and nothing is stored.
TEST_P(MaterialApiTest, ADonorCodeThatIsANameOrFailsItsCheckCharacterIsRefused_T02) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  const std::string before = LotsBody();
  const std::string collected = Later(ServerNow(), -2 * kMicrosPerHour);
  std::string mistyped = DonorCode("A7Q29K44");
  mistyped[6] = '8';  // DIN-A7Q... read as DIN-A78...: the check character no longer matches.
  for (const std::string& code : {std::string("John Smith"), std::string("MRN-00123456"),
                                  std::string("DIN-A7Q29K44"), mistyped, DonorCode("a7q29k44")}) {
    ExpectError(ReceiveCollection("APH-0001", code, collected), 400, "invalid_argument",
                "donor_code", "the donor code '" + code + "'");
  }
  EXPECT_EQ(LotsBody(), before);
  ExpectError(ReceiveCollection("APH-0001", DonorCode("A7Q29K44"), Later(ServerNow(), Days(1))),
              400, "invalid_argument", "collected_at", "a collection in the future");
  ExpectError(ReceiveCollection("APH-0001", DonorCode("A7Q29K44"), Later(ServerNow(), -Days(4))),
              400, "invalid_argument", "collected_at", "a collection past its 72 h stability");
  EXPECT_EQ(LotsBody(), before);
  EXPECT_EQ(ReceiveCollection("APH-0001", DonorCode("A7Q29K44"), collected).status, 201);
}

// The point of use -------------------------------------------------------------------------------

// Verifies G-08, G-09 and T-04: the point-of-use check answers each reason a lot may not be used,
// in order: another material, not released, expired, its supplier's qualification lapsed, too
// little left (in the lot or the container scanned); otherwise it may be used.
TEST_P(MaterialApiTest, ThePointOfUseCheckRefusesEachReasonALotMayNotBeUsed_G08_G09) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  const Timestamp now = ServerNow();
  // The media supplier is qualified for a year, the lot keeps two.
  ASSERT_NO_FATAL_FAILURE(ReleasedMediaLot("L-0001", "TX-5301", 1000, {500, 500}));
  ASSERT_EQ(Receive("L-0002", kMedia, kMediaSupplier, "TX-5302", 1000, "mL").status, 201);
  const Json qualification = Member(Supplier(kMediaSupplier), "qualification");
  const Timestamp until = ParseTime(StringMember(qualification, "qualified_until"));
  const Timestamp expiry = ParseTime(StringMember(Lot("L-0001"), "expiry"));
  ASSERT_LT(until.Micros(), expiry.Micros());

  const auto expect = [&](const Json& check, const std::string& reason, const std::string& part) {
    EXPECT_EQ(StringMember(check, "reason"), reason) << CanonicalJson(check);
    EXPECT_EQ(Member(check, "allowed"), Json(reason == "allowed")) << CanonicalJson(check);
    EXPECT_TRUE(Contains(StringMember(check, "message"), part)) << CanonicalJson(check);
  };
  expect(CheckUse("L-0001", kMedia, 100, "mL"), "allowed", "may be used");
  expect(CheckUse("L-0001", kVector, 100, "mL"), "wrong_material", kVector);
  // The wrong lot is the answer whatever unit the step counts its own material in (ug against a
  // medium lot counted in mL).
  expect(CheckUse("L-0001", kVector, 5, "ug"), "wrong_material", kVector);
  ExpectError(
      As("otto", "POST", "/api/v1/lots/check-use",
         Body({{"lot", "L-0001"}, {"material", "MAT-NOPE"}, {"quantity", 1}, {"unit", "mL"}})),
      404, "not_found", "material", "a material that does not exist");
  // AL-01: a consumption happens at the server's now; a client's instant is refused as such.
  ExpectError(As("otto", "POST", "/api/v1/lots/consume",
                 Body({{"lot", "L-0001"},
                       {"material", kMedia},
                       {"quantity", 1},
                       {"unit", "mL"},
                       {"into", Json::Object{{"kind", "lot"}, {"id", "L-0002"}}},
                       {"at", Later(now, -kMicrosPerHour)}})),
              400, "invalid_argument", "at", "a consumption dated by the client");
  ExpectError(AsAdmin("GET", "/api/v1/lots?status=quarantined"), 400, "invalid_argument", "status",
              "a status no lot has");
  expect(CheckUse("L-0002", kMedia, 100, "mL"), "not_released", "quarantine");
  expect(CheckUse("L-0001", kMedia, 100, "mL", Later(expiry, kMicrosPerHour)), "expired",
         "expired");
  expect(CheckUse("L-0001", kMedia, 100, "mL", Later(until, kMicrosPerHour)),
         "supplier_not_qualified", "lapsed");
  expect(CheckUse("L-0001", kMedia, 100, "mL", Later(until, -kMicrosPerHour)), "allowed", "");
  expect(CheckUse("L-0001", kMedia, 1000.5, "mL"), "insufficient_quantity", "holds 1000 mL");
  expect(CheckUse("L-0001/2", kMedia, 600, "mL"), "insufficient_quantity", "container L-0001/2");
  const Json container = CheckUse("L-0001/2", kMedia, 0.5, "L");
  expect(container, "allowed", "");
  EXPECT_EQ(StringMember(container, "container"), "L-0001/2");
  EXPECT_EQ(NumberMember(container, "requested"), 500);
  EXPECT_EQ(NumberMember(container, "available"), 500);
  // Before the lot was received it was not released either.
  expect(CheckUse("L-0001", kMedia, 100, "mL", Later(now, -Days(1))), "not_released", "");

  ExpectError(
      As("otto", "POST", "/api/v1/lots/check-use",
         Body({{"lot", "L-0001"}, {"material", kMedia}, {"quantity", "100"}, {"unit", "mL"}})),
      400, "invalid_argument", "quantity", "a quantity sent as text");
  ExpectError(As("otto", "POST", "/api/v1/lots/check-use",
                 Body({{"lot", "L-0001"}, {"material", kMedia}, {"quantity", 100}, {"unit", "g"}})),
              400, "invalid_argument", "unit", "a unit of mass for a lot in mL");
  ExpectError(
      As("otto", "POST", "/api/v1/lots/check-use",
         Body({{"lot", "L-0009"}, {"material", kMedia}, {"quantity", 100}, {"unit", "mL"}})),
      404, "not_found", "lot", "an unknown lot");
  ExpectError(
      As("otto", "POST", "/api/v1/lots/check-use",
         Body({{"lot", "L-0001/7"}, {"material", kMedia}, {"quantity", 1}, {"unit", "mL"}})),
      404, "not_found", "container", "an unknown container");
  // Asking records nothing.
  EXPECT_TRUE(EventsOfType("materials.use_refused").empty());
}

// Verifies G-08, G-09 and P11-05: a consumption the check refuses is answered with its reason,
// recorded as a materials.use_refused event naming it, and moves nothing: the balance is as before.
TEST_P(MaterialApiTest, ARefusedConsumptionIsRecordedAndLeavesTheBalanceUnchanged_G08_G09) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_NO_FATAL_FAILURE(ReleasedMediaLot("L-0001", "TX-5301", 1000));
  ASSERT_EQ(Receive("L-0002", kMedia, kMediaSupplier, "TX-5302", 1000, "mL").status, 201);
  ASSERT_EQ(Produce("otto", "INT-0001", kActivatedCells, 120).status, 201);
  const std::string before = LotsBody();
  const Json released = Lot("L-0001");

  const auto refused = [&](const HttpResponse& response, const std::string& part,
                           const std::string& context) {
    ExpectError(response, 409, "failed_precondition", "lot", context);
    EXPECT_TRUE(Contains(StringMember(ParseOrFail(response.body), "message"), part))
        << context << ": " << response.body;
  };
  refused(Consume("L-0001", kVector, 10, "mL", "lot", "INT-0001"), kVector, "another material");
  refused(Consume("L-0002", kMedia, 10, "mL", "lot", "INT-0001"), "quarantine",
          "a lot in quarantine");
  refused(Consume("L-0001", kMedia, 1001, "mL", "lot", "INT-0001"), "holds 1000 mL",
          "more than the lot holds");
  EXPECT_EQ(LotsBody(), before);
  // A destination that is no lot id is refused before anything is checked or recorded.
  ExpectError(Consume("L-0001", kMedia, 10, "mL", "lot", "lot 1"), 400, "invalid_argument",
              "into.id", "a lot id with a space");
  ExpectError(Consume("L-0001", kMedia, 10, "mL", "lot", "L-0404"), 404, "not_found", "into.id",
              "an unknown destination lot");
  ExpectError(Consume("L-0001", kMedia, 10, "mL", "lot", "L-0001"), 400, "invalid_argument",
              "into.id", "a lot consumed into itself");
  ExpectError(Consume("L-0001", kMedia, 10, "mL", "tank", "T-1"), 400, "invalid_argument",
              "into.kind", "a destination of no known kind");

  // QA disqualifies the supplier after an unsatisfactory audit: its released lot stops being
  // usable.
  ASSERT_EQ(Audit(kMediaSupplier, "unsatisfactory").status, 201);
  const HttpResponse proposed =
      As("rita", "POST", std::string("/api/v1/suppliers/") + kMediaSupplier + "/qualification",
         Body({{"status", "disqualified"}, {"reason", "Unsatisfactory audit AUD-2026-031"}}));
  ASSERT_EQ(proposed.status, 201) << proposed.body;
  ASSERT_EQ(Sign("alex", "supplier", Pending(kMediaSupplier), "approved").status, 201);
  refused(Consume("L-0001", kMedia, 10, "mL", "lot", "INT-0001"), "disqualified",
          "a lot from a disqualified supplier");
  EXPECT_EQ(Lot("L-0001"), released);
  EXPECT_EQ(NumberMember(released, "balance"), 1000);

  const std::vector<Json> events = EventsOfType("materials.use_refused");
  ASSERT_EQ(events.size(), 4U);
  const std::vector<std::string> reasons = {"wrong_material", "not_released",
                                            "insufficient_quantity", "supplier_not_qualified"};
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Json& payload = Member(events[i], "payload");
    EXPECT_EQ(StringMember(payload, "refusal"), reasons[i]) << CanonicalJson(events[i]);
    EXPECT_EQ(StringMember(payload, "into"), "INT-0001");
    EXPECT_EQ(Member(payload, "alert"), Json(true));
    EXPECT_EQ(StringMember(Member(events[i], "actor"), "id"), "otto");
    EXPECT_EQ(StringMember(Member(events[i], "stream"), "type"), "lot");
  }
  EXPECT_TRUE(EventsOfType("materials.lot_consumed").empty());

  // Checking is everyone's, consuming is not.
  ExpectError(As("quinn", "POST", "/api/v1/lots/consume",
                 Body({{"lot", "L-0001"},
                       {"material", kMedia},
                       {"quantity", 1},
                       {"unit", "mL"},
                       {"into", Json::Object{{"kind", "lot"}, {"id", "INT-0001"}}}})),
              403, "permission_denied", "action", "a QC analyst consuming");
}

// Verifies T-04 and AL-01: a collection past its stability, by the server's clock at the moment
// of use, is refused and the attempt recorded, though it was released.
TEST_P(MaterialApiTest, ACollectionPastItsStabilityIsRefusedAtTheMomentOfUse_T04_AL01) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  const Json::Object short_lived =
      InHouseDefinition("Leukapheresis, fresh", "starting_material", "mL", 1, "h");
  ASSERT_EQ(Define("MAT-LEUKO-FRESH", short_lived).status, 200);
  // What the cells are washed into.
  ASSERT_EQ(Produce("otto", "INT-0001", kActivatedCells, 120).status, 201);
  // Collected almost an hour ago: it keeps for a few seconds more.
  const Timestamp expiry = Timestamp::FromMicros(ServerNow().Micros() + 6 * kMicrosPerSecond);
  const HttpResponse received =
      As("walt", "POST", "/api/v1/lots/collections",
         Body({{"lot_id", "APH-0001"},
               {"material", "MAT-LEUKO-FRESH"},
               {"donor_code", DonorCode("B3K7720QX")},
               {"collection_facility", "Sanquin apheresis unit, Amsterdam"},
               {"collected_at", Later(expiry, -kMicrosPerHour)},
               {"quantity", 180},
               {"unit", "mL"},
               {"shipping_min_c", 3.1},
               {"shipping_max_c", 6.4},
               {"receiving_code", "RC-APH-0001"},
               {"storage_location", "Cold room CR-1"}}));
  ASSERT_EQ(received.status, 201) << received.body;
  ASSERT_EQ(As("anna", "POST", "/api/v1/lots/APH-0001/eligibility",
               Body({{"eligible", true}, {"basis", "Screening and markers negative"}}))
                .status,
            201);
  ASSERT_EQ(Sign("alex", "material_lot", "APH-0001", "released").status, 201);
  const HttpResponse used = Consume("APH-0001", "MAT-LEUKO-FRESH", 10, "mL", "lot", "INT-0001");
  ASSERT_EQ(used.status, 201) << "the test's few seconds ran out: " << used.body;

  std::this_thread::sleep_for(
      std::chrono::microseconds(expiry.Micros() - ServerNow().Micros() + 500'000));
  const HttpResponse refused = Consume("APH-0001", "MAT-LEUKO-FRESH", 10, "mL", "lot", "INT-0001");
  ExpectError(refused, 409, "failed_precondition", "lot", "a collection past its stability");
  EXPECT_TRUE(Contains(refused.body, "expired")) << refused.body;
  EXPECT_EQ(NumberMember(Lot("APH-0001"), "balance"), 170);
  const std::vector<Json> events = EventsOfType("materials.use_refused");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(StringMember(Member(events[0], "payload"), "refusal"), "expired");
}

// Verifies G-08 and S95-01: 2000 uL drawn from a lot counted in mL takes 2 mL, from its containers
// in order or from the container scanned; the lot's quantity always equals its balance plus what
// was consumed and withdrawn.
TEST_P(MaterialApiTest, AConsumptionInMicrolitresDrawsMillilitresAndTheBalanceReconciles_G08) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_NO_FATAL_FAILURE(ReleasedMediaLot("L-0001", "TX-5301", 10, {1, 4, 5}));
  ASSERT_EQ(Produce("otto", "INT-0001", kActivatedCells, 120).status, 201);

  const HttpResponse consumed = Consume("L-0001", kMedia, 2000, "uL", "lot", "INT-0001");
  ASSERT_EQ(consumed.status, 201) << consumed.body;
  const Json check = ParseOrFail(consumed.body);
  EXPECT_EQ(Member(check, "allowed"), Json(true));
  EXPECT_EQ(NumberMember(check, "requested"), 2);
  EXPECT_EQ(NumberMember(check, "available"), 10);
  Json lot = Lot("L-0001");
  EXPECT_EQ(NumberMember(lot, "balance"), 8) << CanonicalJson(lot);
  EXPECT_EQ(NumberMember(lot, "consumed"), 2);
  // Drawn from the containers in order: all of the first, 1 mL of the second.
  const Json::Array& containers = Items(Member(lot, "containers"));
  ASSERT_EQ(containers.size(), 3U);
  EXPECT_EQ(NumberMember(containers[0], "balance"), 0);
  EXPECT_EQ(NumberMember(containers[1], "balance"), 3);
  EXPECT_EQ(NumberMember(containers[2], "balance"), 5);

  ASSERT_EQ(Consume("L-0001/3", kMedia, 0.0015, "L", "lot", "INT-0001").status, 201);
  const HttpResponse sampled = As("otto", "POST", "/api/v1/lots/withdraw",
                                  Body({{"lot", "L-0001/2"},
                                        {"quantity", 250},
                                        {"unit", "uL"},
                                        {"purpose", "sample"},
                                        {"reason", "Retain sample for the batch record"}}));
  ASSERT_EQ(sampled.status, 201) << sampled.body;
  lot = Lot("L-0001");
  EXPECT_EQ(NumberMember(lot, "consumed"), 3.5) << CanonicalJson(lot);
  EXPECT_EQ(NumberMember(lot, "withdrawn"), 0.25);
  EXPECT_EQ(NumberMember(lot, "balance"), 6.25);
  EXPECT_EQ(NumberMember(lot, "quantity"), NumberMember(lot, "balance") +
                                               NumberMember(lot, "consumed") +
                                               NumberMember(lot, "withdrawn"));
  double in_containers = 0;
  for (const Json& container : Items(Member(lot, "containers"))) {
    in_containers += NumberMember(container, "balance");
  }
  EXPECT_EQ(in_containers, NumberMember(lot, "balance"));

  // The last drop: exactly the balance may be used, not a microlitre more.
  ExpectError(Consume("L-0001", kMedia, 6251, "uL", "lot", "INT-0001"), 409, "failed_precondition",
              "lot", "a microlitre more than the balance");
  ASSERT_EQ(Consume("L-0001", kMedia, 6250, "uL", "lot", "INT-0001").status, 201);
  EXPECT_EQ(NumberMember(Lot("L-0001"), "balance"), 0);
  EXPECT_EQ(EventsOfType("materials.lot_consumed").size(), 3U);
  // QA's release is of the lot as tested, not of its balance: using the lot leaves it valid.
  const HttpResponse signatures = AsAdmin("GET", "/api/v1/records/material_lot/L-0001/signatures");
  ASSERT_EQ(signatures.status, 200) << signatures.body;
  const Json record = ParseOrFail(signatures.body);
  ASSERT_EQ(Items(Member(record, "signatures")).size(), 1U) << signatures.body;
  EXPECT_EQ(StringMember(Items(Member(record, "signatures"))[0], "meaning"), "released");
  EXPECT_EQ(Member(Items(Member(record, "signatures"))[0], "valid"), Json(true)) << signatures.body;
  // A consumption happens now: the client gives no instant (AL-01).
  ExpectError(As("otto", "POST", "/api/v1/lots/consume",
                 Body({{"lot", "L-0001"},
                       {"material", kMedia},
                       {"quantity", 1},
                       {"unit", "mL"},
                       {"at", Later(ServerNow(), -Days(1))},
                       {"into", Json::Object{{"kind", "lot"}, {"id", "INT-0001"}}}})),
              400, "invalid_argument", "at", "a back-dated consumption");
}

// Verifies G-08: consumptions racing for one lot never draw more than it holds; each either draws
// its quantity or is refused, and the balance is what was received less what was drawn.
TEST_P(MaterialApiTest, ConsumptionsRacingForOneLotNeverDrawMoreThanItHolds_G08) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_NO_FATAL_FAILURE(ReleasedMediaLot("L-0001", "TX-5301", 10));
  ASSERT_EQ(Produce("otto", "INT-0001", kActivatedCells, 120).status, 201);
  constexpr int kRacers = 8;
  std::vector<HttpResponse> responses(kRacers);
  std::vector<std::thread> racers;
  racers.reserve(kRacers);
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&, i] {
      responses[static_cast<std::size_t>(i)] =
          Consume("L-0001", kMedia, 2, "mL", "lot", "INT-0001");
    });
  }
  for (std::thread& racer : racers) racer.join();
  int drawn = 0;
  for (const HttpResponse& response : responses) {
    if (response.status == 201) {
      ++drawn;
      continue;
    }
    EXPECT_EQ(response.status, 409) << response.body;
    const std::string code = StringMember(ParseOrFail(response.body), "code");
    EXPECT_TRUE(code == "failed_precondition" || code == "aborted") << response.body;
  }
  EXPECT_GE(drawn, 1);
  EXPECT_LE(drawn, 5);
  const Json lot = Lot("L-0001");
  EXPECT_EQ(NumberMember(lot, "consumed"), 2.0 * drawn) << CanonicalJson(lot);
  EXPECT_EQ(NumberMember(lot, "balance"), 10 - 2.0 * drawn) << CanonicalJson(lot);
  EXPECT_EQ(EventsOfType("materials.lot_consumed").size(), static_cast<std::size_t>(drawn));
}

// Genealogy --------------------------------------------------------------------------------------

// Verifies T-01 and G-08: a medium is consumed into an intermediate lot, the intermediate and the
// patient's own collection into their batch at its step, and the batch makes the patient's product
// unit. Backward from the batch lists every lot, supplier and donor; forward from the medium lists
// the intermediate, the batch, the product unit and the patient; as of an instant before a
// consumption, it is not there.
TEST_P(MaterialApiTest, GenealogyTracesFromDonorAndSupplierToPatientAndBackAsOfAnyInstant_T01) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_NO_FATAL_FAILURE(ApproveRecipe());
  // Autologous: the donor is the patient.
  const std::string patient = DonorCode("A7Q29K44");
  ASSERT_NO_FATAL_FAILURE(ReleasedMediaLot("L-0001", "TX-5301", 1000));
  ASSERT_NO_FATAL_FAILURE(ReleasedCollection("APH-0001", patient));
  const std::string batch = StartBatch("APH-0001", patient);
  ASSERT_FALSE(batch.empty());
  const HttpResponse intermediate = Produce("otto", "INT-0001", kActivatedCells, 120);
  ASSERT_EQ(intermediate.status, 201) << intermediate.body;

  const std::string before_media = StringMember(CheckUse("L-0001", kMedia, 1, "mL"), "at");
  ASSERT_EQ(Consume("L-0001", kMedia, 100, "mL", "lot", "INT-0001").status, 201);
  ASSERT_EQ(Sign("anna", "material_lot", "INT-0001", "released").status, 201);
  const std::string before_batch = StringMember(CheckUse("L-0001", kMedia, 1, "mL"), "at");
  ASSERT_EQ(ConsumeInBatch(batch, "INT-0001", 120).status, 201);
  ASSERT_EQ(ConsumeInBatch(batch, "APH-0001", 180).status, 201);
  const HttpResponse product = Produce("walt", "DP-0001", kProduct, 68, batch, patient);
  ASSERT_EQ(product.status, 201) << product.body;
  EXPECT_EQ(StringMember(ParseOrFail(product.body), "made_by_batch"), batch);
  EXPECT_EQ(StringMember(ParseOrFail(product.body), "patient_code"), patient);

  const HttpResponse backward = Genealogy("batch:" + batch, "backward");
  ASSERT_EQ(backward.status, 200) << backward.body;
  const Json back = ParseOrFail(backward.body);
  std::vector<std::string> lots = LotIdsOf(back);
  std::sort(lots.begin(), lots.end());
  EXPECT_EQ(lots, (std::vector<std::string>{"APH-0001", "INT-0001", "L-0001"})) << backward.body;
  EXPECT_EQ(StringsOf(back, "suppliers"), std::vector<std::string>{kMediaSupplier});
  EXPECT_EQ(StringsOf(back, "donors"), std::vector<std::string>{patient});
  EXPECT_TRUE(StringsOf(back, "patients").empty()) << backward.body;
  for (const Json& lot : Items(Member(back, "lots"))) {
    if (StringMember(lot, "lot_id") != "L-0001") continue;
    EXPECT_EQ(StringMember(lot, "supplier_lot"), "TX-5301") << CanonicalJson(lot);
    EXPECT_EQ(StringMember(lot, "certificate"), "COA-TX-5301") << CanonicalJson(lot);
  }

  const HttpResponse forward = Genealogy("lot:L-0001", "forward");
  ASSERT_EQ(forward.status, 200) << forward.body;
  const Json ahead = ParseOrFail(forward.body);
  EXPECT_EQ(LotIdsOf(ahead), (std::vector<std::string>{"INT-0001", "DP-0001"})) << forward.body;
  EXPECT_EQ(StringsOf(ahead, "batches"), std::vector<std::string>{batch});
  EXPECT_EQ(StringsOf(ahead, "patients"), std::vector<std::string>{patient});
  EXPECT_TRUE(StringsOf(ahead, "donors").empty()) << forward.body;
  const HttpResponse from_donor = Genealogy("lot:APH-0001", "forward");
  EXPECT_EQ(StringsOf(ParseOrFail(from_donor.body), "patients"), std::vector<std::string>{patient})
      << from_donor.body;

  // As of an instant before a consumption, the consumption is not in the trace.
  const Json between = ParseOrFail(Genealogy("lot:L-0001", "forward", before_batch).body);
  EXPECT_EQ(LotIdsOf(between), std::vector<std::string>{"INT-0001"}) << CanonicalJson(between);
  EXPECT_TRUE(StringsOf(between, "batches").empty());
  EXPECT_TRUE(StringsOf(between, "patients").empty());
  const Json earlier = ParseOrFail(Genealogy("lot:L-0001", "forward", before_media).body);
  EXPECT_TRUE(LotIdsOf(earlier).empty()) << CanonicalJson(earlier);
  EXPECT_EQ(StringMember(earlier, "as_of"), before_media);
  ExpectError(Genealogy("batch:" + batch, "backward", before_batch), 404, "not_found", "root",
              "a batch before anything went into it");
  // The answer about a past instant does not change with later events.
  EXPECT_EQ(Genealogy("lot:L-0001", "forward", before_batch).body,
            Genealogy("lot:L-0001", "forward", before_batch).body);

  ExpectError(Genealogy("B-2026-0001", "backward"), 400, "invalid_argument", "root",
              "a root that is no node");
  ExpectError(Genealogy("lot:L-0001", "sideways"), 400, "invalid_argument", "direction",
              "an unknown direction");
  ExpectError(Genealogy("lot:L-0009", "forward"), 404, "not_found", "root", "an unknown lot");
}

// Batches and lots ---------------------------------------------------------------------------

// Verifies G-03 and T-01: what goes into a batch is recorded at the batch's step, where the master
// batch record's bill of materials, training and the point-of-use check are enforced. The lots
// route refuses a batch as the destination as bad input (400, into.kind), naming the step's
// route, before the check, whether the lot would pass it or not, and records nothing: no
// consumption, no refused use.
TEST_P(MaterialApiTest, AConsumptionIntoABatchOnTheLotsRouteIsRefusedAndNothingRecorded_G03_T01) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_NO_FATAL_FAILURE(ReleasedMediaLot("L-0001", "TX-5301", 1000));
  ASSERT_EQ(Receive("L-0002", kMedia, kMediaSupplier, "TX-5302", 1000, "mL").status, 201);
  const std::string lots = LotsBody();
  const std::int64_t before = LedgerSize();

  for (const std::string& lot : std::vector<std::string>{"L-0001", "L-0002"}) {
    const HttpResponse refused = Consume(lot, kMedia, 10, "mL", "batch", "B-2026-0001");
    ExpectError(refused, 400, "invalid_argument", "into.kind", lot + " into a batch");
    EXPECT_TRUE(Contains(StringMember(ParseOrFail(refused.body), "message"),
                         "POST /api/v1/batches/{batch}/steps/{step}/materials"))
        << refused.body;
  }
  EXPECT_EQ(LedgerSize(), before);
  EXPECT_EQ(LotsBody(), lots);
  EXPECT_TRUE(EventsOfType("materials.use_refused").empty());
  EXPECT_TRUE(EventsOfType("materials.lot_consumed").empty());
}

// Verifies T-01, T-02 and G-04: a produced lot names a batch that exists (404 batch otherwise),
// whose record is still open (409 batch once QA rejected it), and a product unit's patient code is
// the batch's (409 patient_code otherwise). Each refusal names what was wrong and records nothing.
TEST_P(MaterialApiTest, AProducedLotNamesAnOpenBatchThatExistsAndItsPatient_T01_T02_G04) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_NO_FATAL_FAILURE(ApproveRecipe());
  const std::string patient = DonorCode("A7Q29K44");
  ASSERT_NO_FATAL_FAILURE(ReleasedCollection("APH-0001", patient));
  const std::string batch = StartBatch("APH-0001", patient);
  ASSERT_FALSE(batch.empty());
  std::int64_t before = LedgerSize();

  const HttpResponse unknown = Produce("otto", "DP-0001", kProduct, 68, "B-2026-0404", patient);
  ExpectError(unknown, 404, "not_found", "batch", "a batch that does not exist");
  EXPECT_TRUE(Contains(unknown.body, "B-2026-0404")) << unknown.body;
  const std::string other = DonorCode("B3X81M20");
  const HttpResponse mislabelled = Produce("otto", "DP-0001", kProduct, 68, batch, other);
  ExpectError(mislabelled, 409, "failed_precondition", "patient_code", "another patient's code");
  EXPECT_TRUE(Contains(mislabelled.body, other) && Contains(mislabelled.body, patient))
      << mislabelled.body;
  EXPECT_EQ(LedgerSize(), before);
  EXPECT_EQ(AsAdmin("GET", "/api/v1/lots/DP-0001").status, 404);

  const HttpResponse made = Produce("otto", "DP-0001", kProduct, 68, batch, patient);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(StringMember(ParseOrFail(made.body), "made_by_batch"), batch);

  // The run is abandoned: vera holds the batch and anna rejects it, with its product unit.
  const HttpResponse held =
      As("vera", "POST", "/api/v1/batches/" + batch + "/hold",
         Body({{"reason", "Culture bag leaking at the weld; the run is abandoned"}}));
  ASSERT_EQ(held.status, 201) << held.body;
  const HttpResponse rejected =
      Sign("anna", "batch", batch, "rejected", "The culture bag leaked: sterility not assured");
  ASSERT_EQ(rejected.status, 201) << rejected.body;
  EXPECT_EQ(StringMember(Lot("DP-0001"), "status"), "rejected");
  before = LedgerSize();
  const HttpResponse closed = Produce("otto", "DP-0002", kProduct, 68, batch, patient);
  ExpectError(closed, 409, "failed_precondition", "batch", "a lot of a rejected batch");
  EXPECT_TRUE(Contains(closed.body, "is rejected")) << closed.body;
  EXPECT_EQ(LedgerSize(), before);
  EXPECT_EQ(AsAdmin("GET", "/api/v1/lots/DP-0002").status, 404);
}

// Durability -------------------------------------------------------------------------------------

// Verifies P11-05: after a restart every lot's balance, containers, status and certificates, and
// every supplier's qualification, are as they were, and work goes on from them.
TEST_P(MaterialApiTest, LotBalancesAndStatusesSurviveARestart_P11_05) {
  ASSERT_NO_FATAL_FAILURE(SetUpMaterials());
  ASSERT_NO_FATAL_FAILURE(ReleasedMediaLot("L-0001", "TX-5301", 1000, {400, 600}));
  ASSERT_EQ(Produce("otto", "INT-0001", kActivatedCells, 120).status, 201);
  ASSERT_EQ(Sign("anna", "material_lot", "INT-0001", "released").status, 201);
  ASSERT_EQ(Consume("L-0001", kMedia, 450, "mL", "lot", "INT-0001").status, 201);
  ASSERT_EQ(Consume("L-0001", kMedia, 1, "L", "lot", "INT-0001").status, 409);
  ASSERT_EQ(Receive("L-0002", kVector, kSupplier, "VB-22-0917", 250, "mL", {125, 125}).status, 201);
  ASSERT_EQ(EnterCertificate("L-0002", ConformingVectorResults()).status, 201);
  ASSERT_NO_FATAL_FAILURE(ReleasedCollection("APH-0001", DonorCode("A7Q29K44")));
  const std::string lots = LotsBody();
  const std::string suppliers = AsAdmin("GET", "/api/v1/suppliers").body;
  const std::string as_of = ServerNow().ToRfc3339();
  const std::string genealogy = Genealogy("lot:INT-0001", "backward", as_of).body;

  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(LotsBody(), lots);
  EXPECT_EQ(AsAdmin("GET", "/api/v1/suppliers").body, suppliers);
  EXPECT_EQ(Genealogy("lot:INT-0001", "backward", as_of).body, genealogy);
  const Json quarantined = ParseOrFail(AsAdmin("GET", "/api/v1/lots?status=quarantine").body);
  ASSERT_EQ(Items(Member(quarantined, "lots")).size(), 1U) << CanonicalJson(quarantined);
  EXPECT_EQ(StringMember(Items(Member(quarantined, "lots"))[0], "lot_id"), "L-0002");
  const Json media =
      ParseOrFail(AsAdmin("GET", std::string("/api/v1/lots?material=") + kMedia).body);
  ASSERT_EQ(Items(Member(media, "lots")).size(), 1U) << CanonicalJson(media);
  const Json lot = Lot("L-0001");
  EXPECT_EQ(StringMember(lot, "status"), "released");
  EXPECT_EQ(NumberMember(lot, "balance"), 550);
  EXPECT_EQ(NumberMember(Items(Member(lot, "containers")).at(1), "balance"), 550);
  EXPECT_EQ(StringMember(Lot("L-0002"), "status"), "quarantine");

  ASSERT_EQ(Consume("L-0001", kMedia, 550, "mL", "lot", "INT-0001").status, 201);
  EXPECT_EQ(NumberMember(Lot("L-0001"), "balance"), 0);
  EXPECT_EQ(EventsOfType("materials.use_refused").size(), 1U);
}

}  // namespace
}  // namespace aliquot
