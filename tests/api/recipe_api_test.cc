// Master batch records through the HTTP API of a real server, as the people who keep them meet
// them: a document owner imports a definition file as a draft version and prepares it, a QA
// reviewer checks it and a QA approver approves it, each by e-signature, and it becomes effective,
// superseding the version before (G-01, S88-01); an effective version never changes (G-02); a file
// with a problem is refused with the problem at its line and column, and nothing is recorded; any
// version exports back to the file it came from, and two versions compare as data (CMP-01, A11-05).
// Every test runs on both engines (tests/api/site.h).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
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

constexpr const char* kRecord = "MBR-CAR19";
constexpr const char* kProduct = "CAR19";
constexpr const char* kSop = "SOP-CT-004";
constexpr const char* kMedium = "MAT-TEXMACS";
constexpr const char* kReason = "First version for the phase 1 trial";

// A small but realistic definition file: two unit procedures of two steps each, parameters with
// alert and action limits, a choice, an integer count, a bill of materials, calculations (one
// across steps, one dividing by a value bounded away from 0), a sample, a chain-of-identity
// identifier scanned at two steps and a hold time between steps.
constexpr std::string_view kDefinition = R"yaml(format: aliquot.mbr/1
master_batch_record: MBR-CAR19
product: CAR19
title: Autologous anti-CD19 CAR-T, closed bag process
batch_size: One patient dose from one apheresis collection (1 L culture)
phases: [phase_1]

identifiers:
  - id: patient_code
    name: Patient code (COI)
    format: coi_code

unit_procedures:
  - id: receipt
    name: Apheresis receipt and incoming count
    operations:
      - id: apheresis_receipt
        name: Receive and inspect the apheresis bag
        sop: SOP-CT-004
        instructions: |
          Compare the bag label with the manufacturing order and scan the COI ID.
          Inspect the bag for leaks and clots; record the volume on the label.
        equipment: [refrigerator]
        scan_identity: [patient_code]
        verification: second_person
        duration: {max: 1 h}
        parameters:
          - id: apheresis_volume
            name: Apheresis volume (bag label)
            kind: number
            unit: mL
            criticality: kpp
            alert: {low: 100, high: 300}
            action: {low: 50, high: 400}
          - id: bag_condition
            name: Bag condition
            kind: choice
            criticality: cpp
            options: [intact, clotted, leaking]
            acceptable: [intact]
      - id: incoming_count
        name: Count total nucleated cells and viability
        sop: SOP-CT-004
        equipment: [biosafety_cabinet, cell_counter]
        scan_identity: [patient_code]
        parameters:
          - id: tnc_concentration
            name: Total nucleated cell concentration
            kind: number
            unit: cells/mL
            criticality: cpp
            alert: {low: 1.0e+7}
            action: {low: 5.0e+6}
          - id: viability
            name: Viability
            kind: number
            unit: "%"
            criticality: cpp
            target: 95
            alert: {low: 80}
            action: {low: 70, high: 100}
        calculations:
          - id: total_nucleated_cells
            name: Total nucleated cells
            formula: tnc_concentration * apheresis_receipt.apheresis_volume
            unit: cells
            criticality: cpp
            action: {low: 2.0e+9}

  - id: expansion
    name: Activation and expansion
    operations:
      - id: activation
        name: Activate the T cells in the bioreactor
        sop: SOP-CT-004
        equipment: [bioreactor]
        materials:
          - material: MAT-TEXMACS
            quantity: 500 mL
            tolerance: 5 %
        parameters:
          - id: seeded_cells
            name: Viable cells seeded
            kind: number
            unit: cells
            criticality: cpp
            action: {low: 1.0e+8, high: 5.0e+9}
          - id: culture_temperature
            name: Culture temperature
            kind: number
            unit: C
            criticality: cpp
            target: 37
            alert: {low: 36.5, high: 37.5}
            action: {low: 36, high: 38}
          - id: bags_used
            name: Culture bags used
            kind: integer
            unit: bags
            criticality: informational
      - id: harvest
        name: Harvest and count the expanded cells
        sop: SOP-CT-004
        equipment: [cell_counter]
        duration: {min: 30 min, max: 4 h}
        parameters:
          - id: harvest_concentration
            name: Viable cell concentration at harvest
            kind: number
            unit: cells/mL
            criticality: cqa
            alert: {low: 2.0e+6}
            action: {low: 1.0e+6}
          - id: harvest_volume
            name: Harvest volume
            kind: number
            unit: mL
            criticality: kpp
            action: {low: 50, high: 1000}
        calculations:
          - id: total_viable_cells
            name: Total viable cells at harvest
            formula: harvest_concentration * harvest_volume
            unit: cells
            criticality: cqa
            action: {low: 1.0e+9}
          - id: fold_expansion
            name: Fold expansion
            formula: total_viable_cells / activation.seeded_cells
            unit: "1"
            criticality: kpp
            alert: {low: 10}
            action: {low: 5}
        samples:
          - id: harvest_count
            name: In-process count and viability
            quantity: 1 mL
            tests: Viable cell count and viability (SOP-CT-004)

time_rules:
  - id: receipt_to_activation
    name: Activation starts within 48 h of apheresis receipt
    from: {step: apheresis_receipt, at: end}
    to: {step: activation, at: start}
    max: 48 h
)yaml";

// A step appended to the last unit procedure of kDefinition (before its time rules).
constexpr std::string_view kFormulationStep = R"yaml(      - id: formulation
        name: Formulate the dose in cryopreservation medium
        sop: SOP-CT-004
        equipment: [biosafety_cabinet]
        scan_identity: [patient_code]
        verification: second_person
)yaml";

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

// Element `index` of the array `value`, or null with a test failure when it has none.
const Json& At(const Json& value, std::size_t index) {
  static const Json kNull;
  const Json::Array& items = Items(value);
  if (index >= items.size()) {
    ADD_FAILURE() << "no element " << index << " in " << CanonicalJson(value);
    return kNull;
  }
  return items[index];
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
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

// `text` percent-encoded for a query string (RFC 3986: all but the unreserved characters).
std::string QueryValue(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      encoded += c;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    encoded += '%';
    encoded += kHex[byte >> 4U];
    encoded += kHex[byte & 0xFU];
  }
  return encoded;
}

// `text` with the first occurrence of `from` at or after the first occurrence of `after` replaced
// by `to`. A test failure when there is none, so that a case never tests the unchanged file.
std::string Edited(std::string text, std::string_view from, std::string_view to,
                   std::string_view after = "") {
  const std::size_t start = after.empty() ? 0 : text.find(after);
  const std::size_t at = start == std::string::npos ? start : text.find(from, start);
  if (at == std::string::npos) {
    ADD_FAILURE() << "'" << from << "' (after '" << after << "') is not in the definition";
    return text;
  }
  text.replace(at, from.size(), to);
  return text;
}

// "line L, column C" of the first occurrence of `needle` at or after the first occurrence of
// `after` in `text`: where its reader finds it (both from 1; the files here are ASCII).
std::string PositionOf(const std::string& text, std::string_view needle,
                       std::string_view after = "") {
  const std::size_t start = after.empty() ? 0 : text.find(after);
  const std::size_t at = start == std::string::npos ? start : text.find(needle, start);
  if (at == std::string::npos) {
    ADD_FAILURE() << "'" << needle << "' (after '" << after << "') is not in the file";
    return "(nowhere)";
  }
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(at - line_start + 1);
}

// kDefinition with `step` appended to its last unit procedure.
std::string WithStep(const std::string& text, std::string_view step) {
  return Edited(text, "\ntime_rules:", std::string(step) + "\ntime_rules:");
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

// The step ids of a definition as JSON, in file order.
std::vector<std::string> StepIds(const Json& definition) {
  std::vector<std::string> ids;
  for (const Json& unit_procedure : Items(Member(definition, "unit_procedures"))) {
    for (const Json& step : Items(Member(unit_procedure, "operations"))) {
      ids.push_back(StringMember(step, "id"));
    }
  }
  return ids;
}

// A person at the site, by user id in RecipeApiTest::people_: their password (signing re-enters
// it) and their session.
struct Person {
  std::string password;
  Session session;
};

class RecipeApiTest : public testing::ServedSiteTest {
 protected:
  // A new account holding `role` at LEI, created by the administrator, its temporary password
  // changed at the first sign-in.
  void Hire(const std::string& user_id, const std::string& printed_name, const std::string& role) {
    const std::string temporary =
        testing::CreateUser(*server_, admin_, user_id, printed_name, "LEI", {role});
    ASSERT_FALSE(temporary.empty());
    Person person;
    person.password = "Master-Record-" + std::to_string(people_.size() + 1) + "x";
    person.session = testing::FirstSignIn(*server_, user_id, temporary, person.password, console_);
    ASSERT_FALSE(person.session.token.empty()) << user_id;
    people_[user_id] = std::move(person);
  }

  // What every test starts from: dora (document owner: prepares master batch records), rita (QA
  // reviewer: checks them), anna (QA approver: approves them) and quinn (QC analyst: defines
  // materials); the SOP every step cites, effective; the medium the definition consumes; the
  // product CAR19 and its master batch record MBR-CAR19, with no version yet.
  void SetUpSite() {
    ASSERT_NO_FATAL_FAILURE(Hire("dora", "Dora de Vries", "document_owner"));
    ASSERT_NO_FATAL_FAILURE(Hire("rita", "Rita Reviewer", "qa_reviewer"));
    ASSERT_NO_FATAL_FAILURE(Hire("anna", "Anna Bakker", "qa_approver"));
    ASSERT_NO_FATAL_FAILURE(Hire("quinn", "Quinn de Graaf", "qc_analyst"));
    ASSERT_NO_FATAL_FAILURE(PublishSop());
    ASSERT_NO_FATAL_FAILURE(DefineMedium());

    const HttpResponse product =
        As("dora", "PUT", std::string("/api/v1/products/") + kProduct,
           Body({{"name", "Autologous anti-CD19 CAR-T"}, {"therapy", "autologous"}}));
    ASSERT_EQ(product.status, 201) << product.body;
    EXPECT_EQ(StringMember(ParseOrFail(product.body), "therapy"), "autologous") << product.body;
    const HttpResponse record =
        As("dora", "POST", "/api/v1/mbrs",
           Body({{"mbr_id", kRecord},
                 {"product", kProduct},
                 {"title", "Autologous anti-CD19 CAR-T, closed bag process"}}));
    ASSERT_EQ(record.status, 201) << record.body;
    EXPECT_TRUE(Items(Member(ParseOrFail(record.body), "versions")).empty()) << record.body;
  }

  // SOP `id` (SOP-CT-004 unless said) with an effective version 1: dora uploads its file, creates
  // the document, drafts and submits the version; rita reviews it and anna approves it (as
  // document_api_test does). With `approve` false the version stays a draft.
  void PublishSop(const std::string& id = kSop, bool approve = true) const {
    const std::string bytes = "%PDF-1.7\n" + id + ": apheresis receipt, counting and culture\n";
    const HttpResponse uploaded = As("dora", "PUT", "/api/v1/files/" + Sha256Hex(bytes), bytes,
                                     {{"Content-Type", "application/pdf"}});
    ASSERT_EQ(uploaded.status, 201) << uploaded.body;
    const HttpResponse created = As("dora", "POST", "/api/v1/documents",
                                    Body({{"document_id", id},
                                          {"site", "LEI"},
                                          {"kind", "sop"},
                                          {"review_interval_months", 24}}));
    ASSERT_EQ(created.status, 201) << created.body;
    const HttpResponse drafted = As("dora", "POST", "/api/v1/documents/" + id + "/versions",
                                    Body({{"title", "Apheresis receipt, cell counting and culture"},
                                          {"file_sha256", Sha256Hex(bytes)},
                                          {"file_name", id + ".pdf"},
                                          {"change_reason", "First issue"},
                                          {"revision", "major"}}));
    ASSERT_EQ(drafted.status, 201) << drafted.body;
    if (!approve) return;
    for (const auto& [signer, meaning] : std::vector<std::pair<std::string, std::string>>{
             {"dora", "authored"}, {"rita", "reviewed"}, {"anna", "approved"}}) {
      const HttpResponse signed_response = Sign(signer, "document_version", id + ":1", meaning);
      ASSERT_EQ(signed_response.status, 201)
          << signer << " " << meaning << ": " << signed_response.body;
    }
  }

  // MAT-TEXMACS, a T-cell medium counted in mL, as quinn defines it (as material_api_test does).
  void DefineMedium() const {
    const HttpResponse defined =
        As("quinn", "PUT", std::string("/api/v1/materials/") + kMedium,
           Body({{"name", "TexMACS GMP Medium"},
                 {"category", "media"},
                 {"unit", "mL"},
                 {"storage_condition", "2-8 C, protected from light"},
                 {"shelf_life", Json::Object{{"amount", 12}, {"unit", "months"}}},
                 {"criticality", "major"},
                 {"identity_test_required", false},
                 {"tests", Json::Array{Json(Json::Object{
                               {"name", "Sterility"},
                               {"method", "USP <71> membrane filtration"},
                               {"criterion", Json(Json::Object{{"kind", "pass_fail"}})}})}}}));
    ASSERT_EQ(defined.status, 200) << defined.body;
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

  // The number of events in the ledger.
  std::int64_t LedgerSize() const {
    const HttpResponse response = AsAdmin("GET", "/api/v1/ledger/head");
    EXPECT_EQ(response.status, 200) << response.body;
    return IntegerMember(ParseOrFail(response.body), "tree_size");
  }

  // POST /api/v1/records/{type}/{id}/signatures as `user`, over the content hash they are shown
  // first, re-entering their password.
  HttpResponse Sign(const std::string& user, const std::string& type, const std::string& id,
                    const std::string& meaning) const {
    const std::string target = "/api/v1/records/" + type + "/" + id + "/signatures";
    const HttpResponse shown = As(user, "GET", target);
    EXPECT_EQ(shown.status, 200) << user << " reading " << target << ": " << shown.body;
    Json::Object body{{"meaning", meaning},
                      {"content_hash", StringMember(ParseOrFail(shown.body), "content_hash")},
                      {"password", people_.count(user) != 0 ? people_.at(user).password : ""}};
    return As(user, "POST", target, Body(std::move(body)));
  }

  // `user`'s signature with `meaning` on `version` of MBR-CAR19 (record type mbr_version).
  HttpResponse SignVersion(const std::string& user, int version, const std::string& meaning) const {
    return Sign(user, "mbr_version", std::string(kRecord) + ":" + std::to_string(version), meaning);
  }

  // POST /api/v1/mbrs/MBR-CAR19/versions: `text` imported as the next version by `user`.
  HttpResponse Import(const std::string& text, const std::string& user = "dora",
                      const std::string& reason = kReason,
                      const std::string& content_type = "application/yaml") const {
    const std::string query = reason.empty() ? "" : "?change_reason=" + QueryValue(reason);
    return As(user, "POST", std::string("/api/v1/mbrs/") + kRecord + "/versions" + query, text,
              {{"Content-Type", content_type}});
  }

  // PUT /api/v1/mbrs/MBR-CAR19/versions/{version}/definition: `text` replaces a draft's.
  HttpResponse ReplaceDraft(int version, const std::string& text) const {
    return As("dora", "PUT",
              VersionPath(version) + "/definition?change_reason=" +
                  QueryValue("Corrected the culture temperature limits"),
              text, {{"Content-Type", "application/yaml"}});
  }

  static std::string VersionPath(int version) {
    return std::string("/api/v1/mbrs/") + kRecord + "/versions/" + std::to_string(version);
  }

  // Imports `text` as `version` and takes it to approved: dora prepares it, rita checks it, anna
  // approves it.
  void Approve(const std::string& text, int version, const std::string& reason = kReason) const {
    const HttpResponse imported = Import(text, "dora", reason);
    ASSERT_EQ(imported.status, 201) << imported.body;
    ASSERT_EQ(IntegerMember(ParseOrFail(imported.body), "version"), version) << imported.body;
    for (const auto& [signer, meaning] : std::vector<std::pair<std::string, std::string>>{
             {"dora", "authored"}, {"rita", "reviewed"}, {"anna", "approved"}}) {
      const HttpResponse signed_response = SignVersion(signer, version, meaning);
      ASSERT_EQ(signed_response.status, 201)
          << signer << " " << meaning << ": " << signed_response.body;
    }
  }

  // GET /api/v1/mbrs/MBR-CAR19/versions/{version}: the version with its signatures and definition.
  Json Version(int version) const {
    const HttpResponse response = AsAdmin("GET", VersionPath(version));
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  // GET /api/v1/mbrs/MBR-CAR19: the record with every version's lifecycle and signatures.
  Json History() const {
    const HttpResponse response = AsAdmin("GET", std::string("/api/v1/mbrs/") + kRecord);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  // The definition file of `version`, exactly as exported.
  std::string Export(int version) const {
    const HttpResponse response = AsAdmin("GET", VersionPath(version) + "/definition");
    EXPECT_EQ(response.status, 200) << response.body;
    return response.body;
  }

  // The definition of `version` as JSON (GET .../definition?format=json).
  Json DefinitionJson(int version) const {
    const HttpResponse response = AsAdmin("GET", VersionPath(version) + "/definition?format=json");
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  // GET /api/v1/mbrs/MBR-CAR19/differences?from=&to=: the list of differences.
  Json::Array Differences(int from, int to) const {
    const HttpResponse response = AsAdmin("GET", std::string("/api/v1/mbrs/") + kRecord +
                                                     "/differences?from=" + std::to_string(from) +
                                                     "&to=" + std::to_string(to));
    EXPECT_EQ(response.status, 200) << response.body;
    return Items(Member(ParseOrFail(response.body), "differences"));
  }

  // GET /api/v1/mbrs/MBR-CAR19/effective, at `at` when given.
  HttpResponse Effective(const std::string& at = "") const {
    return AsAdmin("GET", std::string("/api/v1/mbrs/") + kRecord + "/effective" +
                              (at.empty() ? "" : "?at=" + QueryValue(at)));
  }

  std::map<std::string, Person> people_;
};

INSTANTIATE_TEST_SUITE_P(, RecipeApiTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

// The lifecycle ------------------------------------------------------------------------------

// Verifies G-01, S88-01 and P11-11: a definition file is imported as a draft, prepared by its
// document owner, independently checked by a QA reviewer and approved by a QA approver, each by
// e-signature; it is then effective, shows who prepared, checked and approved it, and each
// signature with the signer's printed name, its meaning and time, valid for the version's content.
TEST_P(RecipeApiTest, AVersionIsPreparedCheckedAndApprovedByThreePeopleAndBecomesEffective_G01) {
  ASSERT_NO_FATAL_FAILURE(SetUpSite());
  const HttpResponse imported = Import(std::string(kDefinition));
  ASSERT_EQ(imported.status, 201) << imported.body;
  const Json draft = ParseOrFail(imported.body);
  EXPECT_EQ(IntegerMember(draft, "version"), 1);
  EXPECT_EQ(StringMember(draft, "status"), "draft");
  EXPECT_EQ(StringMember(draft, "drafted_by"), "dora");
  EXPECT_EQ(StringMember(draft, "change_reason"), kReason);
  EXPECT_EQ(StringMember(Member(draft, "record"), "type"), "mbr_version");
  EXPECT_EQ(StringMember(Member(draft, "record"), "id"), "MBR-CAR19:1");
  EXPECT_EQ(StringMember(draft, "content_sha256").size(), 64U) << imported.body;
  EXPECT_TRUE(Items(Member(draft, "signatures")).empty()) << imported.body;
  EXPECT_EQ(Member(draft, "phases"), Json(Json::Array{Json("phase_1")})) << imported.body;

  // S88-01: the definition is kept as ISA-88 unit procedures of operations, as written.
  const Json& definition = Member(draft, "definition");
  EXPECT_EQ(StringMember(definition, "format"), "aliquot.mbr/1");
  EXPECT_EQ(StringMember(definition, "master_batch_record"), kRecord);
  EXPECT_EQ(Items(Member(definition, "unit_procedures")).size(), 2U);
  EXPECT_EQ(StepIds(definition), (std::vector<std::string>{"apheresis_receipt", "incoming_count",
                                                           "activation", "harvest"}));
  const Json& activation =
      At(Member(At(Member(definition, "unit_procedures"), 1), "operations"), 0);
  const Json& temperature = At(Member(activation, "parameters"), 1);
  EXPECT_EQ(StringMember(temperature, "id"), "culture_temperature");
  EXPECT_EQ(Member(temperature, "action"), Json(Json::Object{{"low", 36}, {"high", 38}}));
  EXPECT_EQ(Member(temperature, "alert"), Json(Json::Object{{"low", 36.5}, {"high", 37.5}}));
  EXPECT_EQ(StringMember(At(Member(definition, "time_rules"), 0), "max"), "48 h");
  EXPECT_EQ(StringMember(At(Member(definition, "identifiers"), 0), "format"), "coi_code");

  const auto status = [&] { return StringMember(Version(1), "status"); };
  ASSERT_EQ(SignVersion("dora", 1, "authored").status, 201);
  EXPECT_EQ(status(), "in_review");
  EXPECT_EQ(StringMember(Version(1), "prepared_by"), "dora");
  ASSERT_EQ(SignVersion("rita", 1, "reviewed").status, 201);
  EXPECT_EQ(status(), "in_review");
  EXPECT_EQ(StringMember(Version(1), "checked_by"), "rita");
  EXPECT_EQ(Effective().status, 404) << "nothing is effective before the approval";
  ASSERT_EQ(SignVersion("anna", 1, "approved").status, 201);

  const Json version = Version(1);
  EXPECT_EQ(StringMember(version, "status"), "effective") << CanonicalJson(version);
  EXPECT_EQ(StringMember(version, "prepared_by"), "dora");
  EXPECT_EQ(StringMember(version, "checked_by"), "rita");
  EXPECT_EQ(StringMember(version, "approved_by"), "anna");
  EXPECT_FALSE(StringMember(version, "approved_at").empty()) << CanonicalJson(version);
  EXPECT_EQ(StringMember(version, "effective_from"), StringMember(version, "approved_at"));
  EXPECT_TRUE(Member(version, "effective_until").IsNull()) << CanonicalJson(version);
  EXPECT_EQ(Member(version, "definition"), definition) << "the approved definition is the draft's";
  EXPECT_EQ(StringMember(version, "content_sha256"), StringMember(draft, "content_sha256"));

  // P11-11: each signature shows the signer's printed name, its meaning and when it was made,
  // and all three stand on the same content (ADR 0006: hashes bind to content, not workflow).
  const Json::Array& signatures = Items(Member(version, "signatures"));
  ASSERT_EQ(signatures.size(), 3U) << CanonicalJson(version);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"authored", "Dora de Vries"}, {"reviewed", "Rita Reviewer"}, {"approved", "Anna Bakker"}};
  const std::vector<std::string> signers = {"dora", "rita", "anna"};
  std::int64_t previous = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(StringMember(signatures[i], "meaning"), expected[i].first);
    EXPECT_EQ(StringMember(signatures[i], "printed_name"), expected[i].second);
    EXPECT_EQ(StringMember(signatures[i], "signer_id"), signers[i]);
    const std::string signed_at = StringMember(signatures[i], "signed_at");
    EXPECT_FALSE(signed_at.empty()) << CanonicalJson(signatures[i]);
    const std::int64_t signed_micros = ParseTime(signed_at).Micros();
    EXPECT_LE(previous, signed_micros) << "signatures are listed in the order they were made";
    previous = signed_micros;
    EXPECT_EQ(Member(signatures[i], "valid"), Json(true)) << CanonicalJson(signatures[i]);
    EXPECT_EQ(StringMember(signatures[i], "content_hash"),
              StringMember(signatures[0], "content_hash"));
  }

  // The record and the list show version 1 in effect; the effective version is this one.
  const Json history = History();
  EXPECT_EQ(IntegerMember(history, "effective_version"), 1) << CanonicalJson(history);
  EXPECT_EQ(IntegerMember(history, "latest_version"), 1);
  EXPECT_EQ(StringMember(history, "product"), kProduct);
  const HttpResponse effective = Effective();
  ASSERT_EQ(effective.status, 200) << effective.body;
  EXPECT_EQ(IntegerMember(ParseOrFail(effective.body), "version"), 1);
  const HttpResponse list = AsAdmin("GET", "/api/v1/mbrs");
  ASSERT_EQ(list.status, 200) << list.body;
  const Json listed = ParseOrFail(list.body);
  const Json::Array& records = Items(Member(listed, "master_batch_records"));
  ASSERT_EQ(records.size(), 1U) << list.body;
  EXPECT_EQ(StringMember(records[0], "mbr_id"), kRecord);
  EXPECT_EQ(IntegerMember(records[0], "effective_version"), 1);
}

// Verifies G-01 and A11-01 (21 CFR 211.186: prepared by one person, independently checked by a
// second): whoever prepared a version neither checks nor approves it, whoever checked it does not
// approve it, nobody approves before the check, and a QA reviewer does not approve at all. Each
// refusal leaves the version exactly as it was.
TEST_P(RecipeApiTest, NobodyChecksOrApprovesAVersionTheyPreparedOrChecked_G01_A11_01) {
  ASSERT_NO_FATAL_FAILURE(SetUpSite());
  ASSERT_NO_FATAL_FAILURE(Hire("alex", "Alex Aalders", "qa_approver"));
  ASSERT_EQ(Import(std::string(kDefinition)).status, 201);
  std::string before = AsAdmin("GET", VersionPath(1)).body;
  const auto unchanged = [&](const std::string& what) {
    EXPECT_EQ(AsAdmin("GET", VersionPath(1)).body, before) << what;
  };

  ExpectError(SignVersion("anna", 1, "approved"), 409, "failed_precondition", "meaning",
              "approving a draft");
  unchanged("after approving a draft");

  ASSERT_EQ(SignVersion("dora", 1, "authored").status, 201);
  before = AsAdmin("GET", VersionPath(1)).body;
  ExpectError(SignVersion("dora", 1, "reviewed"), 403, "permission_denied", "meaning",
              "the preparer checking her own version");
  unchanged("after the preparer's check");
  ExpectError(SignVersion("dora", 1, "approved"), 403, "permission_denied", "action",
              "the preparer approving");
  unchanged("after the preparer's approval");
  ExpectError(SignVersion("anna", 1, "approved"), 409, "failed_precondition", "meaning",
              "approving before the independent check");
  unchanged("after an approval before the check");
  EXPECT_EQ(StringMember(Version(1), "status"), "in_review");
  EXPECT_TRUE(Member(Version(1), "checked_by").IsNull());

  // A QA approver may check; having checked, she does not approve too, and a QA reviewer never
  // approves.
  ASSERT_EQ(SignVersion("anna", 1, "reviewed").status, 201);
  before = AsAdmin("GET", VersionPath(1)).body;
  ExpectError(SignVersion("anna", 1, "approved"), 403, "permission_denied", "meaning",
              "the checker approving");
  unchanged("after the checker's approval");
  ExpectError(SignVersion("rita", 1, "approved"), 403, "permission_denied", "action",
              "a QA reviewer approving");
  unchanged("after a QA reviewer's approval");
  ExpectError(SignVersion("rita", 1, "reviewed"), 409, "failed_precondition", "meaning",
              "a second check");
  unchanged("after a second check");
  EXPECT_EQ(StringMember(Version(1), "status"), "in_review");
  EXPECT_EQ(Effective().status, 404);

  // A third person approves it.
  ASSERT_EQ(SignVersion("alex", 1, "approved").status, 201);
  const Json version = Version(1);
  EXPECT_EQ(StringMember(version, "status"), "effective") << CanonicalJson(version);
  EXPECT_EQ(StringMember(version, "prepared_by"), "dora");
  EXPECT_EQ(StringMember(version, "checked_by"), "anna");
  EXPECT_EQ(StringMember(version, "approved_by"), "alex");
  const Json::Array& signatures = Items(Member(version, "signatures"));
  ASSERT_EQ(signatures.size(), 3U) << "the refusals left no signature: " << CanonicalJson(version);
  EXPECT_EQ(StringMember(signatures[0], "signer_id"), "dora");
  EXPECT_EQ(StringMember(signatures[1], "signer_id"), "anna");
  EXPECT_EQ(StringMember(signatures[2], "signer_id"), "alex");
}

// Verifies G-02: an effective version is what every batch copies, so its definition never
// changes: replacing it is refused and its export stays the same byte for byte; a draft may be
// replaced until it is submitted; and no new version starts while one is in review.
TEST_P(RecipeApiTest, AnEffectiveVersionNeverChangesAndNoVersionStartsWhileOneIsInReview_G02) {
  ASSERT_NO_FATAL_FAILURE(SetUpSite());
  ASSERT_NO_FATAL_FAILURE(Approve(std::string(kDefinition), 1));
  const std::string exported = Export(1);
  const Json definition = DefinitionJson(1);
  const std::string sha256 = StringMember(Version(1), "content_sha256");
  const std::string changed = Edited(std::string(kDefinition), "action: {low: 36, high: 38}",
                                     "action: {low: 35, high: 39}");

  const HttpResponse replaced = ReplaceDraft(1, changed);
  ExpectError(replaced, 409, "failed_precondition", "version", "replacing the effective version");
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(replaced.body), "message"), "new version"))
      << replaced.body;
  ExpectError(ReplaceDraft(1, std::string(kDefinition)), 409, "failed_precondition", "version",
              "replacing the effective version with the same text");
  EXPECT_EQ(Export(1), exported) << "the export of an effective version never changes";
  EXPECT_EQ(DefinitionJson(1), definition);
  EXPECT_EQ(StringMember(Version(1), "content_sha256"), sha256);
  EXPECT_EQ(StringMember(Version(1), "status"), "effective");

  // A change is a new version; while a draft, it may be replaced.
  const HttpResponse imported = Import(std::string(kDefinition), "dora", "Wider culture limits");
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(IntegerMember(ParseOrFail(imported.body), "version"), 2);
  const HttpResponse corrected = ReplaceDraft(2, changed);
  ASSERT_EQ(corrected.status, 200) << corrected.body;
  EXPECT_EQ(StringMember(ParseOrFail(corrected.body), "status"), "draft");
  const Json::Array differences = Differences(1, 2);
  ASSERT_EQ(differences.size(), 1U) << CanonicalJson(Json(differences));
  EXPECT_EQ(StringMember(differences[0], "path"), "activation/culture_temperature/action");

  // Submitted for review, it is fixed too, and nothing new starts until it is decided.
  ASSERT_EQ(SignVersion("dora", 2, "authored").status, 201);
  const std::string in_review = Export(2);
  const std::string history = CanonicalJson(History());
  const std::int64_t size = LedgerSize();
  ExpectError(Import(std::string(kDefinition)), 409, "failed_precondition", "master_batch_record",
              "a new version while version 2 is in review");
  ExpectError(ReplaceDraft(2, std::string(kDefinition)), 409, "failed_precondition", "version",
              "replacing a version in review");
  EXPECT_EQ(CanonicalJson(History()), history);
  EXPECT_EQ(LedgerSize(), size) << "a refused import recorded something";
  EXPECT_EQ(Export(2), in_review);
  EXPECT_EQ(Export(1), exported);
}

// Verifies CMP-01 and A11-05: any version exports as its definition file, which imports back as
// an equal definition with no difference; a change of one action limit and one added step show
// as exactly those two differences, by kind, subject and path, with the values before and after.
TEST_P(RecipeApiTest, AnExportImportsBackEqualAndDifferencesShowExactlyWhatChanged_CMP01_A11_05) {
  ASSERT_NO_FATAL_FAILURE(SetUpSite());
  ASSERT_NO_FATAL_FAILURE(Approve(std::string(kDefinition), 1));

  const HttpResponse exported = AsAdmin("GET", VersionPath(1) + "/definition");
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_TRUE(StartsWith(exported.Header("content-type"), "application/yaml"))
      << exported.Header("content-type");
  EXPECT_TRUE(Contains(exported.Header("content-disposition"), "MBR-CAR19-v1.yaml"))
      << exported.Header("content-disposition");
  EXPECT_TRUE(StartsWith(exported.body, "format: aliquot.mbr/1\n")) << exported.body;

  const HttpResponse again = Import(exported.body, "dora", "Round trip of version 1");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(IntegerMember(ParseOrFail(again.body), "version"), 2);
  EXPECT_EQ(DefinitionJson(2), DefinitionJson(1));
  EXPECT_EQ(StringMember(Version(2), "content_sha256"), StringMember(Version(1), "content_sha256"));
  EXPECT_EQ(Export(2), exported.body) << "the export of an import of an export is the same file";
  EXPECT_TRUE(Differences(1, 2).empty()) << CanonicalJson(Json(Differences(1, 2)));
  ASSERT_EQ(SignVersion("dora", 2, "authored").status, 201);
  ASSERT_EQ(SignVersion("rita", 2, "reviewed").status, 201);
  ASSERT_EQ(SignVersion("anna", 2, "approved").status, 201);

  const std::string changed =
      WithStep(Edited(std::string(kDefinition), "action: {low: 36, high: 38}",
                      "action: {low: 36, high: 38.5}"),
               kFormulationStep);
  const HttpResponse third = Import(changed, "dora", "Culture limit widened; formulation added");
  ASSERT_EQ(third.status, 201) << third.body;
  EXPECT_EQ(IntegerMember(ParseOrFail(third.body), "version"), 3);

  const Json::Array differences = Differences(2, 3);
  ASSERT_EQ(differences.size(), 2U) << CanonicalJson(Json(differences));
  EXPECT_EQ(StringMember(differences[0], "kind"), "changed");
  EXPECT_EQ(StringMember(differences[0], "subject"), "limit");
  EXPECT_EQ(StringMember(differences[0], "path"), "activation/culture_temperature/action");
  EXPECT_EQ(Member(differences[0], "before"), Json(Json::Object{{"low", 36}, {"high", 38}}))
      << CanonicalJson(differences[0]);
  EXPECT_EQ(Member(differences[0], "after"), Json(Json::Object{{"low", 36}, {"high", 38.5}}))
      << CanonicalJson(differences[0]);
  EXPECT_EQ(StringMember(differences[1], "kind"), "added");
  EXPECT_EQ(StringMember(differences[1], "subject"), "step");
  EXPECT_EQ(StringMember(differences[1], "path"), "formulation");
  EXPECT_TRUE(Member(differences[1], "before").IsNull()) << CanonicalJson(differences[1]);
  EXPECT_EQ(StringMember(Member(differences[1], "after"), "id"), "formulation")
      << CanonicalJson(differences[1]);
  EXPECT_EQ(CanonicalJson(Json(Differences(1, 3))), CanonicalJson(Json(differences)))
      << "versions 1 and 2 are equal";

  // A version that does not exist has no differences to show.
  ExpectError(AsAdmin("GET", std::string("/api/v1/mbrs/") + kRecord + "/differences?from=1&to=9"),
              404, "not_found", "to", "differences to a version that does not exist");
}

// Bad input ----------------------------------------------------------------------------------

// One way a definition file can be wrong: the file, the field the refusal names (the JSON pointer
// of the first problem, or "definition" for the file's syntax), where the problem is in the file,
// what the message says there, and whether it is the only problem.
struct BadFile {
  std::string what;
  std::string text;
  std::string field;
  std::string position;
  std::vector<std::string> says;
  bool alone = true;
};

std::vector<BadFile> BadFiles() {
  const std::string base(kDefinition);
  std::vector<BadFile> files;
  const auto add = [&files](std::string what, std::string text, std::string field,
                            std::string position, std::vector<std::string> says,
                            bool alone = true) {
    files.push_back({std::move(what), std::move(text), std::move(field), std::move(position),
                     std::move(says), alone});
  };
  // An unknown member is shown where its name is.
  {
    const std::string text =
        Edited(base, "            name: Apheresis volume (bag label)\n",
               "            name: Apheresis volume (bag label)\n            colour: red\n");
    add("an unknown field", text, "/unit_procedures/0/operations/0/parameters/0/colour",
        PositionOf(text, "colour: red"), {"colour", "is not a field of"});
  }
  // Every other problem where its value is (RecipeService's ReadDefinition: "an unknown member
  // is shown where its name is; anything else where its value is").
  {
    const std::string text = Edited(base, "equipment: [biosafety_cabinet, cell_counter]",
                                    "after: [apheresis_receipt, activation]\n"
                                    "        equipment: [biosafety_cabinet, cell_counter]");
    add("a cycle in the step ordering", text, "/unit_procedures/0/operations/1/after",
        PositionOf(text, "[apheresis_receipt, activation]"),
        {"incoming_count -> activation -> incoming_count"}, /*alone=*/false);
  }
  {
    const std::string text = Edited(base, "alert: {low: 80}", "alert: {low: 60}");
    add("alert limits outside the action limits", text,
        "/unit_procedures/0/operations/1/parameters/1/alert", PositionOf(text, "{low: 60}"),
        {"outside the action limits"});
  }
  {
    const std::string text = Edited(base, "unit: bags", "unit: mL");
    add("an integer with the unit mL", text, "/unit_procedures/1/operations/0/parameters/2/unit",
        PositionOf(text, "mL", "id: bags_used"), {"'mL'", "not a count"});
  }
  {
    const std::string text =
        Edited(base, "apheresis_receipt.apheresis_volume", "apheresis_receipt.bag_volume");
    add("a formula with an unknown name", text,
        "/unit_procedures/0/operations/1/calculations/0/formula",
        PositionOf(text, "tnc_concentration * apheresis_receipt.bag_volume"),
        {"apheresis_receipt.bag_volume"});
  }
  {
    const std::string text =
        Edited(base, "action: {low: 1.0e+8, high: 5.0e+9}", "action: {high: 5.0e+9}");
    add("a formula dividing by a value that may be 0", text,
        "/unit_procedures/1/operations/1/calculations/1/formula",
        PositionOf(text, "total_viable_cells / activation.seeded_cells"),
        {"activation.seeded_cells", "may be 0"});
  }
  {
    const std::string text = Edited(base, "sop: SOP-CT-004", "sop: SOP-CT-999", "id: harvest");
    add("a document that does not exist", text, "/unit_procedures/1/operations/1/sop",
        PositionOf(text, "SOP-CT-999"), {"SOP-CT-999 is not a document"});
  }
  {
    const std::string text = Edited(base, "material: MAT-TEXMACS", "material: MAT-TEXMAKS");
    add("a material that does not exist", text,
        "/unit_procedures/1/operations/0/materials/0/material", PositionOf(text, "MAT-TEXMAKS"),
        {"MAT-TEXMAKS is not a material"});
  }
  {
    const std::string text =
        Edited(base, "[biosafety_cabinet, cell_counter]", "[biosafety_cabinet, cell_sorter]");
    add("an equipment class that does not exist", text,
        "/unit_procedures/0/operations/1/equipment/1", PositionOf(text, "cell_sorter"),
        {"cell_sorter", "not a class of equipment"});
  }
  // The file's own syntax, at the character that breaks it.
  {
    const std::string text =
        Edited(base, "\n        duration: {max: 1 h}", "\n\tduration: {max: 1 h}");
    add("a tab indenting a line", text, "definition", PositionOf(text, "\tduration"), {"tab"});
  }
  {
    const std::string text = Edited(base, "options: [intact, clotted, leaking]",
                                    "options: &conditions [intact, clotted, leaking]");
    add("an anchor", text, "definition", PositionOf(text, "&conditions"), {});
  }
  return files;
}

// Verifies G-01 (import checks everything approval checks) and A11-01: every problem of a
// definition file is refused with 400 invalid_argument, the field at fault and the problem at its
// line and column, so that a process engineer finds it in their editor; and nothing is recorded.
TEST_P(RecipeApiTest, EveryProblemOfADefinitionFileIsRefusedAtItsLineAndColumn_G01_A11_01) {
  ASSERT_NO_FATAL_FAILURE(SetUpSite());
  const std::string history = CanonicalJson(History());
  const std::int64_t size = LedgerSize();

  for (const BadFile& bad : BadFiles()) {
    SCOPED_TRACE(bad.what);
    ASSERT_NE(bad.text, std::string(kDefinition));
    const HttpResponse response = Import(bad.text);
    ExpectError(response, 400, "invalid_argument", bad.field, bad.what);
    const std::string message = StringMember(ParseOrFail(response.body), "message");
    if (bad.field == "definition") {
      // The reader's own refusal: one problem, where it stopped.
      EXPECT_TRUE(StartsWith(message, bad.position + ": ")) << bad.position << "\n" << message;
    } else if (bad.alone) {
      EXPECT_TRUE(StartsWith(message, "the definition has 1 problem:\n" + bad.position + ": "))
          << bad.position << "\n"
          << message;
    } else {
      EXPECT_TRUE(StartsWith(message, "the definition has ")) << bad.position << "\n" << message;
      EXPECT_TRUE(Contains(message, "\n" + bad.position + ": ")) << bad.position << "\n" << message;
    }
    for (const std::string& part : bad.says) {
      EXPECT_TRUE(Contains(message, part)) << "'" << part << "' in:\n" << message;
    }
  }

  // G-11: a step is governed only by an approved procedure, not by a document still in draft.
  ASSERT_NO_FATAL_FAILURE(PublishSop("SOP-CT-050", false));
  const HttpResponse draft_sop =
      Import(Edited(std::string(kDefinition), "sop: SOP-CT-004", "sop: SOP-CT-050"));
  EXPECT_EQ(draft_sop.status, 400) << draft_sop.body;
  EXPECT_TRUE(StringMember(ParseOrFail(draft_sop.body), "field").ends_with("/sop"))
      << draft_sop.body;
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(draft_sop.body), "message"),
                       "SOP-CT-050 has no approved version yet"))
      << draft_sop.body;
  const std::int64_t size_with_sop = LedgerSize();

  // The request itself: a body that is neither YAML nor JSON, and a version without its reason.
  ExpectError(Import(std::string(kDefinition), "dora", kReason, "text/plain"), 400,
              "invalid_argument", "Content-Type", "a definition sent as text/plain");
  ExpectError(Import(std::string(kDefinition), "dora", ""), 400, "invalid_argument",
              "change_reason", "a version without a change reason");
  ExpectError(Import(std::string(kDefinition), "dora", "   "), 400, "invalid_argument",
              "change_reason", "a version with a blank change reason");

  EXPECT_EQ(CanonicalJson(History()), history) << "a refused import recorded a version";
  EXPECT_EQ(LedgerSize(), size_with_sop) << "a refused import recorded something";
  EXPECT_GT(size_with_sop, size);

  // The file every case was made from is itself correct.
  const HttpResponse imported = Import(std::string(kDefinition));
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(IntegerMember(ParseOrFail(imported.body), "version"), 1);
}

// Supersession and durability ----------------------------------------------------------------

// Verifies G-02 and CMP-01: approving version 2 makes it effective from its approval and
// supersedes version 1 then; which version was effective at any instant stays answerable, so a
// batch is always traced to the version it was made under.
TEST_P(RecipeApiTest, AnApprovedVersionSupersedesTheOneBeforeFromItsApprovalOnward_G02_CMP01) {
  ASSERT_NO_FATAL_FAILURE(SetUpSite());
  ASSERT_NO_FATAL_FAILURE(Approve(std::string(kDefinition), 1));
  const Timestamp v1_from = ParseTime(StringMember(Version(1), "effective_from"));
  const std::string changed = Edited(std::string(kDefinition), "action: {low: 36, high: 38}",
                                     "action: {low: 36, high: 38.5}");
  ASSERT_NO_FATAL_FAILURE(Approve(changed, 2, "Culture temperature limit widened"));
  const Json v2 = Version(2);
  const Timestamp v2_from = ParseTime(StringMember(v2, "effective_from"));
  EXPECT_EQ(StringMember(v2, "status"), "effective") << CanonicalJson(v2);
  EXPECT_EQ(StringMember(v2, "approved_at"), StringMember(v2, "effective_from"));
  ASSERT_LT(v1_from.Micros(), v2_from.Micros());

  const Json v1 = Version(1);
  EXPECT_EQ(StringMember(v1, "status"), "superseded") << CanonicalJson(v1);
  EXPECT_EQ(StringMember(v1, "effective_until"), v2_from.ToRfc3339()) << CanonicalJson(v1);
  EXPECT_EQ(Items(Member(v1, "signatures")).size(), 3U) << "supersession is no new signature";
  const Json history = History();
  EXPECT_EQ(IntegerMember(history, "effective_version"), 2) << CanonicalJson(history);
  EXPECT_EQ(IntegerMember(history, "latest_version"), 2);

  const auto effective_at = [&](const std::string& at) -> std::int64_t {
    const HttpResponse response = Effective(at);
    if (response.status == 404) return -1;
    EXPECT_EQ(response.status, 200) << at << ": " << response.body;
    return IntegerMember(ParseOrFail(response.body), "version");
  };
  EXPECT_EQ(effective_at(""), 2);
  const std::int64_t between = v1_from.Micros() + (v2_from.Micros() - v1_from.Micros()) / 2;
  EXPECT_EQ(effective_at(Timestamp::FromMicros(between).ToRfc3339()), 1);
  EXPECT_EQ(effective_at(v1_from.ToRfc3339()), 1);
  EXPECT_EQ(effective_at(Later(v2_from, -1)), 1);
  EXPECT_EQ(effective_at(v2_from.ToRfc3339()), 2);
  EXPECT_EQ(effective_at(Later(v1_from, -1)), -1) << "nothing was effective before version 1";
  ExpectError(Effective(Later(v1_from, -1)), 404, "not_found", "at",
              "the effective version before the first approval");

  // The version effective then comes with its own definition.
  const HttpResponse then = Effective(Timestamp::FromMicros(between).ToRfc3339());
  ASSERT_EQ(then.status, 200) << then.body;
  EXPECT_EQ(Member(ParseOrFail(then.body), "definition"), DefinitionJson(1));
}

// Verifies P11-05 and G-02: after a restart every version, its status, its definition file and its
// signatures read as before; work goes on from there, and the ledger still verifies.
TEST_P(RecipeApiTest, VersionsStatusesAndSignaturesSurviveARestartAndTheLedgerVerifies_P11_05) {
  ASSERT_NO_FATAL_FAILURE(SetUpSite());
  ASSERT_NO_FATAL_FAILURE(Approve(std::string(kDefinition), 1));
  const std::string version = AsAdmin("GET", VersionPath(1)).body;
  const std::string history = CanonicalJson(History());
  const std::string exported = Export(1);
  const std::string json = CanonicalJson(DefinitionJson(1));

  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(AsAdmin("GET", VersionPath(1)).body, version);
  EXPECT_EQ(CanonicalJson(History()), history);
  EXPECT_EQ(Export(1), exported);
  EXPECT_EQ(CanonicalJson(DefinitionJson(1)), json);
  const Json after = Version(1);
  EXPECT_EQ(StringMember(after, "status"), "effective");
  const Json::Array& signatures = Items(Member(after, "signatures"));
  ASSERT_EQ(signatures.size(), 3U) << CanonicalJson(after);
  for (const Json& signature : signatures) {
    EXPECT_EQ(Member(signature, "valid"), Json(true)) << CanonicalJson(signature);
  }

  // Work goes on: the next version is 2, and the rules still hold for it.
  ASSERT_EQ(Import(std::string(kDefinition), "dora", "Second version after the restart").status,
            201);
  ASSERT_EQ(SignVersion("dora", 2, "authored").status, 201);
  ExpectError(SignVersion("dora", 2, "reviewed"), 403, "permission_denied", "meaning",
              "the preparer checking her own version after a restart");

  const testing::RunResult verified = Aliquot({"verify", "--data", data_.string()});
  EXPECT_EQ(verified.status.code, 0) << testing::Describe(verified);
  EXPECT_TRUE(StartsWith(verified.out, "OK: ")) << testing::Describe(verified);
}

// Permissions --------------------------------------------------------------------------------

// Verifies P11-07: every role reads master batch records, but only a document owner imports a
// definition, defines a product or creates a record, and an operator signs no version.
TEST_P(RecipeApiTest, AnOperatorReadsMasterBatchRecordsButCannotImportOne_P11_07) {
  ASSERT_NO_FATAL_FAILURE(SetUpSite());
  ASSERT_NO_FATAL_FAILURE(Hire("oliver", "Oliver Okafor", "operator"));
  ASSERT_EQ(Import(std::string(kDefinition)).status, 201);

  ExpectError(Import(std::string(kDefinition), "oliver"), 403, "permission_denied", "action",
              "an operator importing");
  ExpectError(As("oliver", "PUT", "/api/v1/products/CAR22",
                 Body({{"name", "Allogeneic CAR-T"}, {"therapy", "allogeneic"}})),
              403, "permission_denied", "action", "an operator defining a product");
  ExpectError(As("oliver", "POST", "/api/v1/mbrs",
                 Body({{"mbr_id", "MBR-CAR22"}, {"product", kProduct}, {"title", "Another"}})),
              403, "permission_denied", "action", "an operator creating a record");
  ExpectError(SignVersion("oliver", 1, "authored"), 403, "permission_denied", "action",
              "an operator preparing");

  for (const std::string& target :
       {std::string("/api/v1/mbrs"), std::string("/api/v1/mbrs/") + kRecord, VersionPath(1),
        VersionPath(1) + "/definition", VersionPath(1) + "/definition?format=json",
        std::string("/api/v1/products/") + kProduct, std::string("/api/v1/products")}) {
    const HttpResponse read = As("oliver", "GET", target);
    EXPECT_EQ(read.status, 200) << target << ": " << read.body;
  }
  const Json history = History();
  EXPECT_EQ(Items(Member(history, "versions")).size(), 1U) << CanonicalJson(history);
  EXPECT_EQ(StringMember(Version(1), "status"), "draft");
}

// Verifies G-01 and A11-05: a master batch record is retired by a document owner's proposal and
// QA's approval by e-signature; from then no version is effective and none can be drafted, and the
// versions it had stay readable with their signatures.
TEST_P(RecipeApiTest, ARetirementProposedAndApprovedByQaEndsTheRecord_G01_A11_05) {
  ASSERT_NO_FATAL_FAILURE(SetUpSite());
  ASSERT_NO_FATAL_FAILURE(Approve(std::string(kDefinition), 1));
  const std::string retirement = std::string("/api/v1/mbrs/") + kRecord + "/retirement";

  // Nothing to approve before a proposal; a QA reviewer may not propose one.
  EXPECT_EQ(Sign("anna", "master_batch_record", kRecord, "approved").status, 409);
  ExpectError(As("rita", "POST", retirement,
                 Body({{"reason", "Process transferred to the Amsterdam site"}})),
              403, "permission_denied", "action", "a QA reviewer proposing a retirement");

  const HttpResponse proposed = As("dora", "POST", retirement,
                                   Body({{"reason", "Process transferred to the Amsterdam site"}}));
  ASSERT_EQ(proposed.status, 200) << proposed.body;
  EXPECT_EQ(StringMember(ParseOrFail(proposed.body), "retirement_reason"),
            "Process transferred to the Amsterdam site");
  EXPECT_EQ(StringMember(Version(1), "status"), "effective") << "a proposal retires nothing";

  // Only QA approves it; the proposer's own signature is refused by her role as well.
  ExpectError(Sign("rita", "master_batch_record", kRecord, "approved"), 403, "permission_denied",
              "action", "a QA reviewer approving a retirement");
  ExpectError(Sign("dora", "master_batch_record", kRecord, "approved"), 403, "permission_denied",
              "action", "the proposer approving her own retirement");
  const HttpResponse approved = Sign("anna", "master_batch_record", kRecord, "approved");
  ASSERT_EQ(approved.status, 201) << approved.body;

  const Json history = History();
  EXPECT_FALSE(StringMember(history, "retired_from").empty()) << CanonicalJson(history);
  EXPECT_TRUE(Member(history, "effective_version").IsNull()) << CanonicalJson(history);
  const Json v1 = Version(1);
  EXPECT_EQ(StringMember(v1, "status"), "retired") << CanonicalJson(v1);
  EXPECT_EQ(Items(Member(v1, "signatures")).size(), 3U);
  EXPECT_EQ(Effective().status, 404);
  ExpectError(Import(std::string(kDefinition)), 409, "failed_precondition", "master_batch_record",
              "a new version of a retired record");
}

}  // namespace
}  // namespace aliquot
