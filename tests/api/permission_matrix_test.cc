// The role x action matrix, generated from the permission table (P11-07, 21 CFR 11.10(g)): for
// every role in identity::kAllRoles and every action in identity::Actions(), a person holding that
// role alone performs the action through the HTTP API of a real server, and the request succeeds
// exactly when identity::Permits says so; otherwise it answers 403 permission_denied naming the
// action. Probes() maps each action to the request that performs it; an action without a probe,
// or a probe for an action the table does not have, fails the test, so that no action can be
// added without its check through the API.

#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "aliquot/core/base32.h"
#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/identity/permission.h"
#include "aliquot/domain/identity/role.h"
#include "aliquot/domain/identity/totp.h"
#include "aliquot/domain/materials/lot.h"
#include "tests/api/site.h"

namespace aliquot {
namespace {

using identity::Role;
using testing::Body;
using testing::Engine;
using testing::HttpResponse;
using testing::ParseOrFail;
using testing::StringMember;

// A person holding one role at the site, signed in.
struct Person {
  Role role = Role::kOperator;
  std::string user_id;
  std::string password;  // Their current password: a probe may change it.
  testing::Session session;
};

// The request a probe sends.
struct ProbeRequest {
  std::string method;
  std::string target;
  std::string body;
  // The person's session's credentials unless set.
  std::optional<testing::Headers> headers;
  // Run when the request succeeds (a changed password is remembered).
  std::function<void()> on_success;
};

// What the probes run against: the site's server, its administrator, and fresh names.
class Site {
 public:
  Site(const testing::Server& server, const testing::Bootstrapped& site, testing::Session admin)
      : server_(server), admin_(std::move(admin)), site_id_(site.site_id), admin_id_(site.admin) {}

  const testing::Server& Server() const { return server_; }
  const std::string& AdministratorId() const { return admin_id_; }
  const std::string& SiteId() const { return site_id_; }
  const std::string& TerminalToken() const { return admin_.terminal_token; }

  // `prefix` and a number no earlier call returned.
  std::string FreshName(const std::string& prefix) { return prefix + std::to_string(++names_); }
  int FreshNumber() { return ++names_; }

  // A password no account has had.
  std::string FreshPassword() { return "Probe-Password-" + std::to_string(++names_); }

  HttpResponse AsAdministrator(const std::string& method, const std::string& target,
                               const std::string& body = "") const {
    return server_.Request(method, target, admin_.Credentials(), body);
  }

  // An account holding `role`, its temporary password changed, signed in on the console.
  Person NewPerson(Role role) { return MakePerson(role, "role-"); }

  // A person of the site's own outside the matrix, holding `role`, created at first use: who makes
  // the targets of GMP actions (documents and their versions), which the administrator may not.
  Person& Fixture(Role role) {
    auto found = fixtures_.find(role);
    if (found == fixtures_.end())
      found = fixtures_.emplace(role, MakePerson(role, "fixture-")).first;
    return found->second;
  }

  // POST /api/v1/records/{type}/{id}/signatures as `person` with `meaning`, over the content the
  // administrator is shown, re-entering the person's password.
  ProbeRequest SignatureRequest(const Person& person, const std::string& type,
                                const std::string& id, const std::string& meaning) const {
    const std::string target = "/api/v1/records/" + type + "/" + id + "/signatures";
    const HttpResponse shown = AsAdministrator("GET", target);
    EXPECT_EQ(shown.status, 200) << target << ": " << shown.body;
    return {"POST",
            target,
            Body({{"meaning", meaning},
                  {"content_hash", StringMember(ParseOrFail(shown.body), "content_hash")},
                  {"password", person.password}}),
            std::nullopt,
            {}};
  }

  // The same request sent now, in the person's session.
  HttpResponse SignAs(const Person& person, const std::string& type, const std::string& id,
                      const std::string& meaning) const {
    const ProbeRequest request = SignatureRequest(person, type, id, meaning);
    return server_.Request(request.method, request.target, person.session.Credentials(),
                           request.body);
  }

  // The targets administration works on, each created by the administrator for the probe. A
  // user account: an operator who has never signed in.
  std::string NewUser() {
    std::string id = FreshName("target-");
    EXPECT_FALSE(
        testing::CreateUser(server_, admin_, id, "Target " + id, site_id_, {"operator"}).empty());
    return id;
  }

  std::string NewDeactivatedUser() {
    std::string id = NewUser();
    const HttpResponse response = AsAdministrator("POST", "/api/v1/users/" + id + "/deactivate",
                                                  Body({{"reason", "Left the company"}}));
    EXPECT_EQ(response.status, 200) << response.body;
    return id;
  }

  // An account locked by the policy's five wrong passwords in a row.
  std::string NewLockedUser() {
    std::string id = NewUser();
    for (int attempt = 1; attempt <= 5; ++attempt) {
      const HttpResponse response =
          server_.Request("POST", "/api/v1/session", testing::TerminalHeader(TerminalToken()),
                          Body({{"user_name", id}, {"password", "Not-the-password-1"}}));
      EXPECT_EQ(response.status, 401) << response.body;
    }
    const Json user = ParseOrFail(AsAdministrator("GET", "/api/v1/users/" + id).body);
    EXPECT_NE(user.Find("locked_at"), nullptr);
    EXPECT_TRUE(user.Find("locked_at") != nullptr && user.Find("locked_at")->IsString())
        << CanonicalJson(user);
    return id;
  }

  // An account with an authenticator app enrolled: it signs in, starts the enrolment, and
  // confirms it with the code for the time step of the server's latest event (its own sign-in,
  // a moment ago; the server accepts a step either side).
  std::string NewUserWithAuthenticator() {
    std::string id = FreshName("target-");
    const std::string temporary =
        testing::CreateUser(server_, admin_, id, "Target " + id, site_id_, {"operator"});
    const std::string password = FreshPassword();
    const testing::Session session =
        testing::FirstSignIn(server_, id, temporary, password, TerminalToken());
    const HttpResponse started = server_.Request(
        "POST", "/api/v1/session/totp", session.Credentials(), Body({{"password", password}}));
    EXPECT_EQ(started.status, 200) << started.body;
    const auto secret = Base32Decode(StringMember(ParseOrFail(started.body), "secret"));
    EXPECT_TRUE(secret) << started.body;
    const Json head = ParseOrFail(AsAdministrator("GET", "/api/v1/ledger/head").body);
    const auto now = Timestamp::ParseRfc3339(StringMember(head, "last_time"));
    EXPECT_TRUE(now) << CanonicalJson(head);
    if (!secret || !now) return id;
    const std::string code = identity::TotpCode(*secret, identity::TotpStep(*now));
    const HttpResponse confirmed = server_.Request("POST", "/api/v1/session/totp/confirm",
                                                   session.Credentials(), Body({{"code", code}}));
    EXPECT_EQ(confirmed.status, 200) << confirmed.body;
    return id;
  }

  std::string NewTerminal() {
    std::string id = FreshName("TARGET-TAB-");
    const HttpResponse response = AsAdministrator("POST", "/api/v1/terminals", TerminalBody(id));
    EXPECT_EQ(response.status, 201) << response.body;
    return id;
  }

  std::string TerminalBody(const std::string& id) const {
    return Body({{"terminal_id", id},
                 {"site", site_id_},
                 {"name", "Tablet " + id},
                 {"location", "Grade B suite 1"},
                 {"kind", "tablet"}});
  }

  // The targets of document control, made by the fixture people. A document with no version yet.
  std::string NewDocument() {
    std::string id = FreshName("DOC-");
    const HttpResponse response = server_.Request(
        "POST", "/api/v1/documents", Fixture(Role::kDocumentOwner).session.Credentials(),
        Body({{"document_id", id}, {"site", site_id_}, {"kind", "sop"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    return id;
  }

  // Version 1 of a new document, drafted with a file of its own: its record id ("DOC-7:1").
  std::string NewDraftVersion() {
    const std::string document = NewDocument();
    const Person& owner = Fixture(Role::kDocumentOwner);
    const std::string bytes = "%PDF-1.7\nPermission matrix probe " + document + "\n";
    const std::string sha256 = Sha256::Of(bytes).Hex();
    testing::Headers headers = owner.session.Credentials();
    headers.emplace_back("Content-Type", "application/pdf");
    const HttpResponse uploaded = server_.Request("PUT", "/api/v1/files/" + sha256, headers, bytes);
    EXPECT_EQ(uploaded.status, 201) << uploaded.body;
    const HttpResponse drafted = server_.Request(
        "POST", "/api/v1/documents/" + document + "/versions", owner.session.Credentials(),
        Body({{"title", "Probe procedure " + document},
              {"file_sha256", sha256},
              {"file_name", document + ".pdf"},
              {"change_reason", "Permission matrix probe"},
              {"revision", "major"}}));
    EXPECT_EQ(drafted.status, 201) << drafted.body;
    return document + ":1";
  }

  // The same, submitted by its author.
  std::string NewVersionInReview() {
    std::string version = NewDraftVersion();
    const HttpResponse response =
        SignAs(Fixture(Role::kDocumentOwner), "document_version", version, "authored");
    EXPECT_EQ(response.status, 201) << response.body;
    return version;
  }

  // The same, reviewed by a QA reviewer.
  std::string NewReviewedVersion() {
    std::string version = NewVersionInReview();
    const HttpResponse response =
        SignAs(Fixture(Role::kQaReviewer), "document_version", version, "reviewed");
    EXPECT_EQ(response.status, 201) << response.body;
    return version;
  }

  // A new document whose version 1 a QA approver approved, effective now: its id.
  std::string NewApprovedDocument() {
    const std::string version = NewReviewedVersion();
    const HttpResponse response =
        SignAs(Fixture(Role::kQaApprover), "document_version", version, "approved");
    EXPECT_EQ(response.status, 201) << response.body;
    return version.substr(0, version.rfind(':'));
  }

  // One approved document that every person trains on (training.complete) and then works to
  // (training.gate).
  std::string TrainingDocument() {
    if (training_document_.empty()) training_document_ = NewApprovedDocument();
    return training_document_;
  }

  // The targets of the materials area, made by the fixture people. The materials the probes use,
  // defined by a fixture QC analyst at first use: a medium bought in mL with one pass/fail test,
  // an intermediate made in house, and apheresis starting material.
  void DefineProbeMaterials() {
    if (materials_defined_) return;
    materials_defined_ = true;
    const Json sterility(Json::Object{{"name", "Sterility"},
                                      {"method", "USP <71> membrane filtration"},
                                      {"criterion", Json::Object{{"kind", "pass_fail"}}}});
    for (const auto& [id, category, tests] :
         std::vector<std::tuple<std::string, std::string, Json::Array>>{
             {kProbeMedia, "media", {sterility}},
             {kProbeIntermediate, "intermediate", {}},
             {kProbeApheresis, "starting_material", {}}}) {
      const HttpResponse response = server_.Request(
          "PUT", "/api/v1/materials/" + id, Fixture(Role::kQcAnalyst).session.Credentials(),
          MaterialBody("Probe " + category, category, tests));
      EXPECT_EQ(response.status, 200) << response.body;
    }
  }

  static std::string MaterialBody(const std::string& name, const std::string& category,
                                  const Json::Array& tests) {
    return Body({{"name", name},
                 {"category", category},
                 {"unit", "mL"},
                 {"storage_condition", "2-8 C"},
                 {"shelf_life", Json::Object{{"amount", 72}, {"unit", "h"}}},
                 {"criticality", "major"},
                 {"identity_test_required", false},
                 {"tests", tests}});
  }

  // A new supplier, pending, created by a fixture QA reviewer once the probe materials exist.
  std::string NewSupplier() {
    DefineProbeMaterials();
    std::string id = FreshName("SUP-");
    const HttpResponse response = server_.Request(
        "POST", "/api/v1/suppliers", Fixture(Role::kQaReviewer).session.Credentials(),
        Body({{"supplier_id", id},
              {"name", "Probe supplier " + id},
              {"address", "Bio Science Park 12, Leiden"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    return id;
  }

  // A new supplier with a conditional approval for the probe medium awaiting QA's signature,
  // proposed by the fixture QA reviewer: the proposal's record id.
  std::string NewProposedSupplier() {
    std::string id = NewSupplier();
    const Timestamp now = ServerNow();
    const HttpResponse response = server_.Request(
        "POST", "/api/v1/suppliers/" + id + "/qualification",
        Fixture(Role::kQaReviewer).session.Credentials(),
        Body({{"status", "conditional"},
              {"materials", Json::Array{Json(kProbeMedia)}},
              {"qualified_until",
               Timestamp::FromMicros(now.Micros() + 365 * kMicrosPerDay).ToRfc3339()},
              {"requalify_by",
               Timestamp::FromMicros(now.Micros() + 300 * kMicrosPerDay).ToRfc3339()},
              {"conditions", "Every lot fully tested until the audit"},
              {"reason", "Permission matrix probe"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    return id + ":1";
  }

  // The supplier every probe lot is received from.
  std::string ProbeSupplier() {
    if (probe_supplier_.empty()) probe_supplier_ = NewSupplier();
    return probe_supplier_;
  }

  // The body of a receipt of a new lot of the probe medium from the probe supplier.
  std::string ReceiptBody() {
    const std::string lot = FreshName("L-");
    return Body(
        {{"lot_id", lot},
         {"material", kProbeMedia},
         {"supplier", ProbeSupplier()},
         {"supplier_lot", "SL-" + lot},
         {"receiving_code", "RC-" + lot},
         {"storage_location", "Cold room CR-1"},
         {"quantity", 100},
         {"unit", "mL"},
         {"expiry", Timestamp::FromMicros(ServerNow().Micros() + 30 * kMicrosPerDay).ToRfc3339()}});
  }

  // A lot of the probe medium in quarantine, received by a fixture warehouse person.
  std::string NewReceivedLot() {
    const std::string body = ReceiptBody();
    const HttpResponse response = server_.Request(
        "POST", "/api/v1/lots", Fixture(Role::kWarehouse).session.Credentials(), body);
    EXPECT_EQ(response.status, 201) << response.body;
    return StringMember(ParseOrFail(response.body), "lot_id");
  }

  // The body of a new lot of the probe intermediate.
  std::string ProducedBody() {
    DefineProbeMaterials();
    return Body(
        {{"lot_id", FreshName("INT-")},
         {"material", kProbeIntermediate},
         {"quantity", 10},
         {"unit", "mL"},
         {"expiry", Timestamp::FromMicros(ServerNow().Micros() + 2 * kMicrosPerDay).ToRfc3339()},
         {"storage_location", "Incubator INC-2"}});
  }

  // A lot of the probe intermediate in quarantine, made by a fixture operator.
  std::string NewProducedLot() {
    const HttpResponse response =
        server_.Request("POST", "/api/v1/lots/produced",
                        Fixture(Role::kOperator).session.Credentials(), ProducedBody());
    EXPECT_EQ(response.status, 201) << response.body;
    return StringMember(ParseOrFail(response.body), "lot_id");
  }

  // The same, released by a fixture QA approver.
  std::string NewReleasedLot() {
    std::string lot = NewProducedLot();
    const HttpResponse response =
        SignAs(Fixture(Role::kQaApprover), "material_lot", lot, "released");
    EXPECT_EQ(response.status, 201) << response.body;
    return lot;
  }

  // An apheresis collection awaiting its donor's eligibility, received by a fixture warehouse
  // person an hour after it was collected.
  std::string NewCollection() {
    DefineProbeMaterials();
    std::string lot = FreshName("APH-");
    const std::string donor = "PROBE" + std::to_string(FreshNumber());
    const HttpResponse response = server_.Request(
        "POST", "/api/v1/lots/collections", Fixture(Role::kWarehouse).session.Credentials(),
        Body({{"lot_id", lot},
              {"material", kProbeApheresis},
              {"donor_code",
               "DIN-" + donor + "-" + std::string(1, materials::DonorCodeCheckCharacter(donor))},
              {"collection_facility", "Apheresis unit"},
              {"collected_at",
               Timestamp::FromMicros(ServerNow().Micros() - 3600 * kMicrosPerSecond).ToRfc3339()},
              {"quantity", 180},
              {"unit", "mL"},
              {"shipping_min_c", 4},
              {"shipping_max_c", 6},
              {"receiving_code", "RC-" + lot},
              {"storage_location", "Cold room CR-1"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    return lot;
  }

  // The targets of the equipment and environment areas, made by the fixture people. The room the
  // probes' equipment and sampling locations are in, defined by a fixture equipment owner at first
  // use.
  std::string ProbeRoom() {
    if (!probe_room_.empty()) return probe_room_;
    probe_room_ = "ROOM-PROBE";
    const HttpResponse response = server_.Request(
        "PUT", "/api/v1/rooms/" + probe_room_, Fixture(Role::kEquipmentOwner).session.Credentials(),
        Body({{"site", site_id_}, {"name", "Permission matrix probe room"}, {"grade", "B"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    return probe_room_;
  }

  // The body of a registration of a new biosafety cabinet in the probe room, cleaned between
  // patients, each cleaning verified by a second person.
  std::string EquipmentBody() {
    return Body({{"equipment_id", FreshName("EQ-")},
                 {"name", "Probe biosafety cabinet"},
                 {"class", "biosafety_cabinet"},
                 {"room", ProbeRoom()},
                 {"cleaning_rule", "between_patients"},
                 {"second_person_checks", Json::Array{Json("cleaning")}}});
  }

  // A new biosafety cabinet, registered by a fixture equipment owner: its id.
  std::string NewEquipment() {
    const HttpResponse response =
        server_.Request("POST", "/api/v1/equipment",
                        Fixture(Role::kEquipmentOwner).session.Credentials(), EquipmentBody());
    EXPECT_EQ(response.status, 201) << response.body;
    return StringMember(ParseOrFail(response.body), "equipment_id");
  }

  // A cleaning of a new cabinet by a fixture operator, signed by them as performed and awaiting a
  // second person's verification: its record id ("EQ-7:2").
  std::string NewSignedCleaning() {
    const std::string equipment = NewEquipment();
    const Person& performer = Fixture(Role::kOperator);
    const HttpResponse cleaned = server_.Request(
        "POST", "/api/v1/equipment/" + equipment + "/cleanings", performer.session.Credentials(),
        Body({{"agent", "70% IPA"}, {"method", "Wipe-down per SOP-CLN-004"}}));
    EXPECT_EQ(cleaned.status, 201) << cleaned.body;
    const Json answer = ParseOrFail(cleaned.body);
    const Json* entry = answer.Find("entry");
    const Json* shown = entry != nullptr ? entry->Find("record") : nullptr;
    std::string record = shown != nullptr ? StringMember(*shown, "id") : "";
    EXPECT_EQ(record, equipment + ":2") << cleaned.body;
    const HttpResponse signed_off = SignAs(performer, "logbook_entry", record, "performed");
    EXPECT_EQ(signed_off.status, 201) << signed_off.body;
    return record;
  }

  // The body of a new sampling location in the probe room: grade B active air in operation.
  std::string LocationBody() {
    return Body({{"room", ProbeRoom()},
                 {"grade", "B"},
                 {"description", "Probe location, room centre"},
                 {"samples", Json::Array{Json(Json::Object{{"type", "active_air"},
                                                           {"occupancy", "in_operation"},
                                                           {"alert_level", 5},
                                                           {"frequency", "each session"}})}}});
  }

  // The sampling location every probe sample is taken at, defined by a fixture QC analyst.
  std::string ProbeLocation() {
    if (!probe_location_.empty()) return probe_location_;
    probe_location_ = "LOC-PROBE";
    const HttpResponse response =
        server_.Request("PUT", "/api/v1/environment/locations/" + probe_location_,
                        Fixture(Role::kQcAnalyst).session.Credentials(), LocationBody());
    EXPECT_EQ(response.status, 201) << response.body;
    return probe_location_;
  }

  // The targets of deviations. A balance of its own, registered by a fixture equipment owner and
  // found out of tolerance at its first calibration: the deviation that raised, open.
  std::string NewDeviation() {
    const Person& owner = Fixture(Role::kEquipmentOwner);
    const std::string balance = FreshName("BAL-");
    HttpResponse response =
        server_.Request("POST", "/api/v1/equipment", owner.session.Credentials(),
                        Body({{"equipment_id", balance},
                              {"name", "Probe balance"},
                              {"class", "balance"},
                              {"room", ProbeRoom()},
                              {"calibration_interval_days", 365},
                              {"measures", "g"},
                              {"cleaning_rule", "none"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    const Json point(Json::Object{
        {"nominal", 100}, {"as_found", 100.0042}, {"tolerance", 0.001}, {"unit", "g"}});
    response = server_.Request("POST", "/api/v1/equipment/" + balance + "/calibrations",
                               owner.session.Credentials(),
                               Body({{"provider", "Probe metrology"},
                                     {"reference_standard", "Weight set WS-0042"},
                                     {"points", Json::Array{point}}}));
    EXPECT_EQ(response.status, 201) << response.body;
    const Json recorded = ParseOrFail(response.body);
    const Json* deviation = recorded.Find("deviation");
    std::string id = deviation != nullptr ? StringMember(*deviation, "deviation_id") : "";
    EXPECT_FALSE(id.empty()) << response.body;
    return id;
  }

  // The same, assessed by a fixture QA reviewer as needing no investigation.
  std::string NewAssessedDeviation() {
    std::string id = NewDeviation();
    const HttpResponse response =
        server_.Request("POST", "/api/v1/deviations/" + id + "/assessment",
                        Fixture(Role::kQaReviewer).session.Credentials(), AssessmentBody());
    EXPECT_EQ(response.status, 201) << response.body;
    return id;
  }

  static std::string AssessmentBody() {
    return Body({{"classification", "minor"},
                 {"impact", "None: the balance weighed no batch"},
                 {"investigation_required", false}});
  }

  // The targets of master batch records, made by the fixture people: a product and record of
  // their own, whose version 1 (one step under the training document) a fixture document owner
  // imported: its signable record id ("MBR-7:1").
  std::string NewMbrDraft() {
    const std::string sop = TrainingDocument();
    const Person& owner = Fixture(Role::kDocumentOwner);
    const std::string product = FreshName("PRD-");
    const std::string record = FreshName("MBR-");
    HttpResponse response =
        server_.Request("PUT", "/api/v1/products/" + product, owner.session.Credentials(),
                        Body({{"name", "Probe product"}, {"therapy", "allogeneic"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    response = server_.Request(
        "POST", "/api/v1/mbrs", owner.session.Credentials(),
        Body({{"mbr_id", record}, {"product", product}, {"title", "Probe process"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    const std::string definition = "format: aliquot.mbr/1\nmaster_batch_record: " + record +
                                   "\nproduct: " + product +
                                   "\ntitle: Probe process\nbatch_size: One probe\n"
                                   "phases: [phase_1]\nunit_procedures:\n"
                                   "  - id: probing\n    name: Probing\n    operations:\n"
                                   "      - id: probe\n        name: Probe step\n"
                                   "        sop: " +
                                   sop + "\n";
    testing::Headers headers = owner.session.Credentials();
    headers.emplace_back("Content-Type", "application/yaml");
    response = server_.Request(
        "POST", "/api/v1/mbrs/" + record + "/versions?change_reason=Permission%20matrix%20probe",
        headers, definition);
    EXPECT_EQ(response.status, 201) << response.body;
    return record + ":1";
  }

  // The same, submitted by its preparer.
  std::string NewMbrVersionInReview() {
    std::string version = NewMbrDraft();
    const HttpResponse response =
        SignAs(Fixture(Role::kDocumentOwner), "mbr_version", version, "authored");
    EXPECT_EQ(response.status, 201) << response.body;
    return version;
  }

  // The same, checked by a QA reviewer.
  std::string NewCheckedMbrVersion() {
    std::string version = NewMbrVersionInReview();
    const HttpResponse response =
        SignAs(Fixture(Role::kQaReviewer), "mbr_version", version, "reviewed");
    EXPECT_EQ(response.status, 201) << response.body;
    return version;
  }

  // `person` trained on the training document (read and understood), once.
  void Train(const Person& person) {
    if (!trained_.insert(person.user_id).second) return;
    const HttpResponse response =
        SignAs(person, "training", person.user_id + ":" + TrainingDocument() + ":1", "performed");
    EXPECT_TRUE(response.status == 201 || response.status == 409) << response.body;
  }

  // The targets of batch execution, made by the fixture people. A master batch record of their
  // own, effective now: one step, "probe", under the training document and verified by a second
  // person, whose bill of materials is the probe apheresis, 1 mL with a tolerance of 100 % (a
  // batch's starting material is a material its record uses; this one completes without a
  // consumption).
  std::string ProbeBatchRecord() {
    if (!probe_batch_record_.empty()) return probe_batch_record_;
    DefineProbeMaterials();
    const std::string sop = TrainingDocument();
    const Person& owner = Fixture(Role::kDocumentOwner);
    const std::string product = FreshName("PRD-");
    const std::string record = FreshName("MBR-");
    HttpResponse response =
        server_.Request("PUT", "/api/v1/products/" + product, owner.session.Credentials(),
                        Body({{"name", "Probe batch product"}, {"therapy", "allogeneic"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    response = server_.Request(
        "POST", "/api/v1/mbrs", owner.session.Credentials(),
        Body({{"mbr_id", record}, {"product", product}, {"title", "Probe batch process"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    const std::string definition =
        "format: aliquot.mbr/1\nmaster_batch_record: " + record + "\nproduct: " + product +
        "\ntitle: Probe batch process\nbatch_size: One probe batch\nphases: [phase_1]\n"
        "unit_procedures:\n"
        "  - id: probing\n    name: Probing\n    operations:\n"
        "      - id: probe\n        name: Probe step\n        sop: " +
        sop +
        "\n        verification: second_person\n        materials:\n"
        "          - material: " +
        std::string(kProbeApheresis) +
        "\n            quantity: 1 mL\n            tolerance: 100 %\n";
    testing::Headers headers = owner.session.Credentials();
    headers.emplace_back("Content-Type", "application/yaml");
    response = server_.Request(
        "POST", "/api/v1/mbrs/" + record + "/versions?change_reason=Permission%20matrix%20probe",
        headers, definition);
    EXPECT_EQ(response.status, 201) << response.body;
    const std::string version = record + ":1";
    for (const auto& [role, meaning] :
         std::vector<std::pair<Role, std::string>>{{Role::kDocumentOwner, "authored"},
                                                   {Role::kQaReviewer, "reviewed"},
                                                   {Role::kQaApprover, "approved"}}) {
      response = SignAs(Fixture(role), "mbr_version", version, meaning);
      EXPECT_EQ(response.status, 201) << meaning << ": " << response.body;
    }
    probe_batch_record_ = record;
    return probe_batch_record_;
  }

  // The body of a new batch of the probe record, from one apheresis collection of the probes'.
  std::string BatchBody() {
    if (probe_collection_.empty()) probe_collection_ = NewCollection();
    return Body(
        {{"master_batch_record", ProbeBatchRecord()}, {"starting_material", probe_collection_}});
  }

  // A planned batch, created by a fixture verifier: its id.
  std::string NewBatch() {
    const std::string body = BatchBody();
    const HttpResponse response = server_.Request(
        "POST", "/api/v1/batches", Fixture(Role::kVerifier).session.Credentials(), body);
    EXPECT_EQ(response.status, 201) << response.body;
    return StringMember(ParseOrFail(response.body), "batch_id");
  }

  // The step of a new batch started and completed by a fixture operator, awaiting a second
  // person's verification: its record id ("B-2026-0007:probe").
  std::string NewStepAwaitingVerification() {
    const std::string batch = NewBatch();
    const Person& performer = Fixture(Role::kOperator);
    Train(performer);
    for (const char* action : {"start", "complete"}) {
      const HttpResponse response =
          server_.Request("POST", "/api/v1/batches/" + batch + "/steps/probe/" + action,
                          performer.session.Credentials(), "");
      EXPECT_EQ(response.status, 201) << action << ": " << response.body;
    }
    return batch + ":probe";
  }

  // The same, verified by a fixture verifier: the batch, completed.
  std::string NewCompletedBatch() {
    const std::string step = NewStepAwaitingVerification();
    const HttpResponse response = SignAs(Fixture(Role::kVerifier), "batch_step", step, "verified");
    EXPECT_EQ(response.status, 201) << response.body;
    return step.substr(0, step.find(':'));
  }

  // The same, its review started by a fixture QA reviewer: nothing to review, ready for release.
  std::string NewBatchUnderReview() {
    std::string batch = NewCompletedBatch();
    const HttpResponse response =
        server_.Request("POST", "/api/v1/batches/" + batch + "/review",
                        Fixture(Role::kQaReviewer).session.Credentials(), "");
    EXPECT_EQ(response.status, 201) << response.body;
    return batch;
  }

  // The server's clock: the time of its latest event.
  Timestamp ServerNow() const {
    const Json head = ParseOrFail(AsAdministrator("GET", "/api/v1/ledger/head").body);
    const auto now = Timestamp::ParseRfc3339(StringMember(head, "last_time"));
    EXPECT_TRUE(now) << CanonicalJson(head);
    return now ? *now : Timestamp();
  }

  static constexpr const char* kProbeMedia = "MAT-PROBE-MEDIA";
  static constexpr const char* kProbeIntermediate = "MAT-PROBE-INT";
  static constexpr const char* kProbeApheresis = "MAT-PROBE-APH";

 private:
  Person MakePerson(Role role, const std::string& prefix) {
    Person person;
    person.role = role;
    person.user_id = prefix + std::string(identity::RoleName(role));
    const std::string temporary =
        testing::CreateUser(server_, admin_, person.user_id, "Holder of " + person.user_id,
                            site_id_, {std::string(identity::RoleName(role))});
    person.password = FreshPassword();
    person.session =
        testing::FirstSignIn(server_, person.user_id, temporary, person.password, TerminalToken());
    return person;
  }

  const testing::Server& server_;
  testing::Session admin_;
  std::string site_id_;
  std::string admin_id_;
  int names_ = 0;
  std::map<Role, Person> fixtures_;
  std::string training_document_;
  bool materials_defined_ = false;
  std::string probe_supplier_;
  std::string probe_room_;
  std::string probe_location_;
  std::set<std::string> trained_;
  std::string probe_batch_record_;
  std::string probe_collection_;
};

Json::Array RolesAt(const std::string& site, const std::string& role) {
  return {Json(Json::Object{{"site", site}, {"role", role}})};
}

// The request that performs one action. `prepare`, when set, creates what the action is performed
// on (as the administrator, or for a GMP record as the site's fixture people) and returns its id;
// `request` is what the person sends. A request that performs further actions on the way names them
// in `also`: it succeeds exactly when the role permits all of them, and is otherwise refused naming
// the first it does not.
struct Probe {
  std::string_view action;
  std::function<std::string(Site&)> prepare;
  std::function<ProbeRequest(Site&, Person&, const std::string& target)> request;
  std::vector<std::string_view> also = {};
};

ProbeRequest Get(std::string target) { return {"GET", std::move(target), "", std::nullopt, {}}; }

ProbeRequest Send(std::string method, std::string target, std::string body) {
  return {std::move(method), std::move(target), std::move(body), std::nullopt, {}};
}

const std::string kReason = Body({{"reason", "Permission matrix probe"}});

// One probe per action of identity::Actions(), by its stable name.
const std::vector<Probe>& Probes() {
  static const std::vector<Probe> kProbes = {
      {"session.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/session"); }},
      // Signs out a second session of the person's, so that theirs stays open for the probes
      // after it.
      {"session.logout", nullptr,
       [](Site& site, Person& person, const std::string&) {
         ProbeRequest request = Send("DELETE", "/api/v1/session", "");
         request.headers = testing::Session{testing::SignIn(site.Server(), person.user_id,
                                                            person.password, site.TerminalToken()),
                                            site.TerminalToken()}
                               .Credentials();
         return request;
       }},
      {"account.change_password", nullptr,
       [](Site& site, Person& person, const std::string&) {
         const std::string next = site.FreshPassword();
         ProbeRequest request =
             Send("POST", "/api/v1/session/password",
                  Body({{"current_password", person.password}, {"new_password", next}}));
         request.on_success = [&person, next] { person.password = next; };
         return request;
       }},
      {"account.enrol_totp", nullptr,
       [](Site&, Person& person, const std::string&) {
         return Send("POST", "/api/v1/session/totp", Body({{"password", person.password}}));
       }},
      {"roles.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/roles"); }},
      {"site.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/sites"); }},
      {"user.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/users"); }},
      {"terminal.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/terminals"); }},
      {"audit_trail.read", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/ledger/events?limit=10"); }},
      // The one signable record is a user's access, whose content is an account's: reading its
      // signatures needs user.view too.
      {"signature.view",
       nullptr,
       [](Site& site, Person&, const std::string&) {
         return Get("/api/v1/records/user/" + site.AdministratorId() + "/signatures");
       },
       {"user.view"}},
      {"user.create", nullptr,
       [](Site& site, Person&, const std::string&) {
         const std::string id = site.FreshName("created-");
         return Send("POST", "/api/v1/users",
                     Body({{"user_id", id},
                           {"printed_name", "Created " + id},
                           {"roles", RolesAt(site.SiteId(), "operator")}}));
       }},
      {"user.rename", &Site::NewUser,
       [](Site&, Person&, const std::string& user) {
         return Send("PUT", "/api/v1/users/" + user + "/name",
                     Body({{"printed_name", "Renamed " + user}, {"reason", "Married"}}));
       }},
      {"user.assign_roles", &Site::NewUser,
       [](Site& site, Person&, const std::string& user) {
         return Send("PUT", "/api/v1/users/" + user + "/roles",
                     Body({{"roles", RolesAt(site.SiteId(), "verifier")},
                           {"reason", "Promoted to supervisor"}}));
       }},
      {"user.deactivate", &Site::NewUser,
       [](Site&, Person&, const std::string& user) {
         return Send("POST", "/api/v1/users/" + user + "/deactivate", kReason);
       }},
      {"user.reactivate", &Site::NewDeactivatedUser,
       [](Site&, Person&, const std::string& user) {
         return Send("POST", "/api/v1/users/" + user + "/reactivate", kReason);
       }},
      {"user.reset_password", &Site::NewUser,
       [](Site&, Person&, const std::string& user) {
         return Send("POST", "/api/v1/users/" + user + "/password-reset", kReason);
       }},
      {"user.unlock", &Site::NewLockedUser,
       [](Site&, Person&, const std::string& user) {
         return Send("POST", "/api/v1/users/" + user + "/unlock", kReason);
       }},
      {"user.reset_totp", &Site::NewUserWithAuthenticator,
       [](Site&, Person&, const std::string& user) {
         return Send("POST", "/api/v1/users/" + user + "/totp-reset", kReason);
       }},
      {"terminal.register", nullptr,
       [](Site& site, Person&, const std::string&) {
         return Send("POST", "/api/v1/terminals", site.TerminalBody(site.FreshName("NEW-TAB-")));
       }},
      {"terminal.restrict", &Site::NewTerminal,
       [](Site&, Person&, const std::string& terminal) {
         return Send("PUT", "/api/v1/terminals/" + terminal + "/restriction",
                     Body({{"restricted", true},
                           {"allowed_actions", Json::Array{Json("session.view")}},
                           {"reason", "Permission matrix probe"}}));
       }},
      {"terminal.retire", &Site::NewTerminal,
       [](Site&, Person&, const std::string& terminal) {
         return Send("POST", "/api/v1/terminals/" + terminal + "/retire", kReason);
       }},
      {"site.create", nullptr,
       [](Site& site, Person&, const std::string&) {
         const std::string id = site.FreshName("NEW-");
         return Send("POST", "/api/v1/sites", Body({{"site_id", id}, {"name", "Site " + id}}));
       }},
      // A site is configured from its own terminals: the probe sets the site's default policy but
      // for an idle timeout no earlier probe set, so that every permitted one changes something.
      {"site.configure", nullptr,
       [](Site& site, Person&, const std::string&) {
         const Json policy(Json::Object{{"password_min_length", 12},
                                        {"password_history", 5},
                                        {"password_max_age_days", 90},
                                        {"lockout_threshold", 5},
                                        {"lockout_minutes", 30},
                                        {"session_idle_minutes", 15 + site.FreshNumber()},
                                        {"session_max_hours", 12},
                                        {"totp_required_for_signing", false}});
         return Send("PUT", "/api/v1/sites/" + site.SiteId() + "/policy",
                     Body({{"policy", policy}, {"reason", "Idle timeout agreed with QA"}}));
       }},
      // A QA approver's approval of another person's access, over the content the administrator
      // is shown, re-entering the signer's password.
      {"user.approve_access", &Site::NewUser,
       [](Site& site, Person& person, const std::string& user) {
         const std::string target = "/api/v1/records/user/" + user + "/signatures";
         const HttpResponse shown = site.AsAdministrator("GET", target);
         EXPECT_EQ(shown.status, 200) << shown.body;
         return Send("POST", target,
                     Body({{"meaning", "approved"},
                           {"content_hash", StringMember(ParseOrFail(shown.body), "content_hash")},
                           {"password", person.password}}));
       }},
      {"document.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/documents"); }},
      {"training.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/training/curricula"); }},
      // A file no one uploaded before, named by its SHA-256.
      {"file.upload", nullptr,
       [](Site& site, Person& person, const std::string&) {
         const std::string bytes = "Permission matrix probe file " + site.FreshName("#");
         ProbeRequest request = Send("PUT", "/api/v1/files/" + Sha256::Of(bytes).Hex(), bytes);
         testing::Headers headers = person.session.Credentials();
         headers.emplace_back("Content-Type", "text/plain");
         request.headers = std::move(headers);
         return request;
       }},
      {"document.create", nullptr,
       [](Site& site, Person&, const std::string&) {
         return Send("POST", "/api/v1/documents",
                     Body({{"document_id", site.FreshName("NEW-DOC-")},
                           {"site", site.SiteId()},
                           {"kind", "sop"}}));
       }},
      // A fixture document owner's draft, submitted by another document owner.
      {"document.author", &Site::NewDraftVersion,
       [](Site& site, Person& person, const std::string& version) {
         return site.SignatureRequest(person, "document_version", version, "authored");
       }},
      {"document.review", &Site::NewVersionInReview,
       [](Site& site, Person& person, const std::string& version) {
         return site.SignatureRequest(person, "document_version", version, "reviewed");
       }},
      {"document.approve", &Site::NewReviewedVersion,
       [](Site& site, Person& person, const std::string& version) {
         return site.SignatureRequest(person, "document_version", version, "approved");
       }},
      // A new curriculum requiring an existing document of every operator.
      {"training.manage", &Site::NewDocument,
       [](Site& site, Person&, const std::string& document) {
         return Send("PUT", "/api/v1/training/curricula/" + site.FreshName("CUR-"),
                     Body({{"site", site.SiteId()},
                           {"title", "Permission matrix probe curriculum"},
                           {"roles", Json::Array{Json("operator")}},
                           {"documents", Json::Array{Json(document)}}}));
       }},
      // An instructor-led session with a fixture operator on an approved version.
      {"training.record_session", &Site::NewApprovedDocument,
       [](Site& site, Person&, const std::string& document) {
         return Send("POST", "/api/v1/training/sessions",
                     Body({{"user_id", site.Fixture(Role::kOperator).user_id},
                           {"document_id", document},
                           {"version", 1},
                           {"assessment", "passed"}}));
       }},
      // The person's own read-and-understood signature on the training document.
      {"training.complete", &Site::TrainingDocument,
       [](Site& site, Person& person, const std::string& document) {
         return site.SignatureRequest(person, "training", person.user_id + ":" + document + ":1",
                                      "performed");
       }},
      // Work governed by the training document, which needs training on it: the probe for
      // training.complete, just before this one in Actions(), trained everyone it permits; should
      // the order change, they are trained here first (signing again is refused as done, 409).
      {"training.gate", &Site::TrainingDocument,
       [](Site& site, Person& person, const std::string& document) {
         if (identity::Permits(identity::RoleSet{person.role},
                               identity::Action::kCompleteTraining)) {
           const HttpResponse trained =
               site.SignAs(person, "training", person.user_id + ":" + document + ":1", "performed");
           EXPECT_TRUE(trained.status == 201 || trained.status == 409) << trained.body;
         }
         return Send("POST", "/api/v1/training/gate", Body({{"document_id", document}}));
       }},
      {"material.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/lots"); }},
      {"supplier.manage", nullptr,
       [](Site& site, Person&, const std::string&) {
         return Send("POST", "/api/v1/suppliers",
                     Body({{"supplier_id", site.FreshName("NEW-SUP-")},
                           {"name", "New supplier"},
                           {"address", "Bio Science Park 12, Leiden"}}));
       }},
      // A fixture QA reviewer's proposal, signed by another person.
      {"supplier.approve", &Site::NewProposedSupplier,
       [](Site& site, Person& person, const std::string& supplier) {
         return site.SignatureRequest(person, "supplier", supplier, "approved");
       }},
      {"material.define", nullptr,
       [](Site& site, Person&, const std::string&) {
         return Send("PUT", "/api/v1/materials/" + site.FreshName("MAT-NEW-"),
                     Site::MaterialBody("New reagent", "reagent", {}));
       }},
      {"lot.receive", nullptr,
       [](Site& site, Person&, const std::string&) {
         return Send("POST", "/api/v1/lots", site.ReceiptBody());
       }},
      {"lot.produce", nullptr,
       [](Site& site, Person&, const std::string&) {
         return Send("POST", "/api/v1/lots/produced", site.ProducedBody());
       }},
      // A fixture warehouse person's receipt, its certificate entered.
      {"lot.test", &Site::NewReceivedLot,
       [](Site&, Person&, const std::string& lot) {
         return Send("POST", "/api/v1/lots/" + lot + "/certificates",
                     Body({{"certificate_number", "COA-" + lot},
                           {"results", Json::Array{Json(Json::Object{{"test", "Sterility"},
                                                                     {"passed", true}})}}}));
       }},
      {"donor.determine_eligibility", &Site::NewCollection,
       [](Site&, Person&, const std::string& lot) {
         return Send("POST", "/api/v1/lots/" + lot + "/eligibility",
                     Body({{"eligible", true}, {"basis", "Screening and markers negative"}}));
       }},
      // A fixture operator's intermediate, released by another person.
      {"lot.release", &Site::NewProducedLot,
       [](Site& site, Person& person, const std::string& lot) {
         return site.SignatureRequest(person, "material_lot", lot, "released");
       }},
      // Into another of the fixture operator's intermediates (into a batch, material goes
      // through the batch's step).
      {"lot.consume", &Site::NewReleasedLot,
       [](Site& site, Person&, const std::string& lot) {
         return Send("POST", "/api/v1/lots/consume",
                     Body({{"lot", lot},
                           {"material", Site::kProbeIntermediate},
                           {"quantity", 1},
                           {"unit", "mL"},
                           {"into", Json::Object{{"kind", "lot"}, {"id", site.NewProducedLot()}}}}));
       }},
      {"equipment.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/equipment"); }},
      {"environment.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/environment/locations"); }},
      {"deviation.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/deviations"); }},
      {"equipment.manage", nullptr,
       [](Site& site, Person&, const std::string&) {
         return Send("PUT", "/api/v1/rooms/" + site.FreshName("ROOM-NEW-"),
                     Body({{"site", site.SiteId()}, {"name", "New room"}, {"grade", "C"}}));
       }},
      // A cleaning of a fixture equipment owner's cabinet.
      {"equipment.use", &Site::NewEquipment,
       [](Site&, Person&, const std::string& equipment) {
         return Send("POST", "/api/v1/equipment/" + equipment + "/cleanings",
                     Body({{"agent", "70% IPA"}, {"method", "Wipe-down per SOP-CLN-004"}}));
       }},
      {"equipment.maintain", &Site::NewEquipment,
       [](Site&, Person&, const std::string& equipment) {
         return Send("POST", "/api/v1/equipment/" + equipment + "/maintenance",
                     Body({{"type", "corrective"}, {"description", "Replaced the sash seal"}}));
       }},
      // A fixture operator's signed cleaning, verified by another person.
      {"equipment.verify", &Site::NewSignedCleaning,
       [](Site& site, Person& person, const std::string& entry) {
         return site.SignatureRequest(person, "logbook_entry", entry, "verified");
       }},
      {"environment.plan", nullptr,
       [](Site& site, Person&, const std::string&) {
         return Send("PUT", "/api/v1/environment/locations/" + site.FreshName("LOC-NEW-"),
                     site.LocationBody());
       }},
      // A result within limits at the fixture QC analyst's location, taken a moment ago.
      {"environment.record", nullptr,
       [](Site& site, Person&, const std::string&) {
         const std::string location = site.ProbeLocation();
         return Send("POST", "/api/v1/environment/samples",
                     Body({{"sample_id", site.FreshName("EM-")},
                           {"location", location},
                           {"type", "active_air"},
                           {"occupancy", "in_operation"},
                           {"taken_at", site.ServerNow().ToRfc3339()},
                           {"result", 1},
                           {"unit", "CFU/m3"}}));
       }},
      {"recipe.view", nullptr, [](Site&, Person&, const std::string&) { return Get("/api/v1/mbrs"); }},
      {"recipe.author", nullptr,
       [](Site& site, Person&, const std::string&) {
         return Send("PUT", "/api/v1/products/" + site.FreshName("PRD-"),
                     Body({{"name", "Probe product"}, {"therapy", "allogeneic"}}));
       }},
      {"recipe.check", &Site::NewMbrVersionInReview,
       [](Site& site, Person& person, const std::string& version) {
         return site.SignatureRequest(person, "mbr_version", version, "reviewed");
       }},
      {"recipe.approve", &Site::NewCheckedMbrVersion,
       [](Site& site, Person& person, const std::string& version) {
         return site.SignatureRequest(person, "mbr_version", version, "approved");
       }},
      // A fixture equipment owner's balance found out of tolerance: its deviation, assessed (again
      // when assessed before).
      {"deviation.assess", &Site::NewDeviation,
       [](Site&, Person&, const std::string& deviation) {
         return Send("POST", "/api/v1/deviations/" + deviation + "/assessment",
                     Site::AssessmentBody());
       }},
      // The same, assessed by a fixture QA reviewer, closed by signing it approved with the
      // justification as the comment.
      {"deviation.close", &Site::NewAssessedDeviation,
       [](Site& site, Person& person, const std::string& deviation) {
         ProbeRequest request = site.SignatureRequest(person, "deviation", deviation, "approved");
         Json body = ParseOrFail(request.body);
         body.Set("comment", "No product impact: the balance weighed no batch");
         request.body = CanonicalJson(body);
         return request;
       }},
      {"batch.view", nullptr,
       [](Site&, Person&, const std::string&) { return Get("/api/v1/batches"); }},
      // A batch of the fixture people's effective record, from the probes' apheresis collection.
      {"batch.create", nullptr,
       [](Site& site, Person&, const std::string&) {
         return Send("POST", "/api/v1/batches", site.BatchBody());
       }},
      // The step of a fixture verifier's new batch started, with no body, by a person trained on
      // its SOP: the probe for training.complete trained everyone it permits; should the order
      // change, they are trained here first.
      {"batch.execute", &Site::NewBatch,
       [](Site& site, Person& person, const std::string& batch) {
         if (identity::Permits(identity::RoleSet{person.role},
                               identity::Action::kCompleteTraining)) {
           site.Train(person);
         }
         return Send("POST", "/api/v1/batches/" + batch + "/steps/probe/start", "");
       }},
      // A fixture operator's step, verified by another person.
      {"batch.verify", &Site::NewStepAwaitingVerification,
       [](Site& site, Person& person, const std::string& step) {
         return site.SignatureRequest(person, "batch_step", step, "verified");
       }},
      {"batch.supervise", &Site::NewBatch,
       [](Site&, Person&, const std::string& batch) {
         return Send("POST", "/api/v1/batches/" + batch + "/hold", kReason);
       }},
      {"batch.review", &Site::NewCompletedBatch,
       [](Site&, Person&, const std::string& batch) {
         return Send("POST", "/api/v1/batches/" + batch + "/review", "");
       }},
      // A batch under review with nothing left to review, released by a QA approver.
      {"batch.release", &Site::NewBatchUnderReview,
       [](Site& site, Person& person, const std::string& batch) {
         return site.SignatureRequest(person, "batch", batch, "released");
       }},
  };
  return kProbes;
}

const Probe* ProbeFor(std::string_view action) {
  for (const Probe& probe : Probes()) {
    if (probe.action == action) return &probe;
  }
  return nullptr;
}

// Without a server: the table and the permission table name the same actions.
TEST(PermissionMatrix, EveryActionHasAProbeAndEveryProbeAnAction) {
  for (const identity::ActionDefinition& definition : identity::Actions()) {
    EXPECT_NE(ProbeFor(definition.name), nullptr)
        << "action " << definition.name << " has no probe in Probes(): add the request that "
        << "performs it";
  }
  std::set<std::string_view> seen;
  for (const Probe& probe : Probes()) {
    EXPECT_TRUE(identity::ActionFromName(probe.action).has_value())
        << "probe for " << probe.action << ", which identity::Actions() does not have";
    EXPECT_TRUE(seen.insert(probe.action).second) << "two probes for " << probe.action;
    for (std::string_view also : probe.also) {
      EXPECT_TRUE(identity::ActionFromName(also).has_value())
          << "the probe for " << probe.action << " names " << also << ", which "
          << "identity::Actions() does not have";
    }
  }
}

class PermissionMatrixTest : public testing::SiteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SiteTest::SetUp());
    const testing::RunResult init =
        Aliquot({"init", "--data", data_.string(), "--site", "Permission Matrix Site"});
    ASSERT_TRUE(init.status.Succeeded()) << testing::Describe(init);
    ASSERT_FALSE(Bootstrap().terminal_token.empty());
    server_ = testing::Server::Start(data_, DatabaseUrl(), dir_ / "server.err");
    ASSERT_NE(server_, nullptr);
  }

  void TearDown() override {
    if (server_) (void)server_->Stop(SIGTERM);
    if (HasFailure()) {
      std::cerr << "--- server stderr (access log):\n"
                << testing::ReadFileBytes(dir_ / "server.err") << "\n";
    }
  }

  std::unique_ptr<testing::Server> server_;
};

INSTANTIATE_TEST_SUITE_P(, PermissionMatrixTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

// Verifies P11-07: every role may perform exactly the actions the permission table gives it,
// through the API, and is refused every other with 403 permission_denied naming the action.
TEST_P(PermissionMatrixTest, EachRoleMayPerformExactlyTheActionsThePermissionTableGivesIt) {
  const testing::Session admin = AdminSession(*server_);
  ASSERT_FALSE(admin.token.empty());
  Site site(*server_, *bootstrapped_, admin);

  // One person per role. The system administrator's role is the bootstrap administrator's: it is
  // never held with a GMP role (segregation of duties), so no other account needs it. They come
  // last, so that the targets of the administration they perform serve every other role first.
  std::vector<Person> people;
  for (Role role : identity::kAllRoles) {
    if (role == Role::kSystemAdministrator) continue;
    people.push_back(site.NewPerson(role));
    ASSERT_FALSE(people.back().session.token.empty()) << identity::RoleName(role);
  }
  people.push_back({Role::kSystemAdministrator, bootstrapped_->admin, kAdminPassword, admin});
  ASSERT_EQ(people.size(), identity::kAllRoles.size());

  // A probe's target is used until a request may have changed it: every probe meets its target
  // as created, and one that is refused leaves it for the next.
  std::map<std::string_view, std::string> targets;
  int allowed = 0;
  int refused = 0;
  for (Person& person : people) {
    for (const identity::ActionDefinition& definition : identity::Actions()) {
      const std::string cell =
          std::string(identity::RoleName(person.role)) + " x " + std::string(definition.name);
      const Probe* probe = ProbeFor(definition.name);
      if (probe == nullptr) {
        ADD_FAILURE() << cell << ": no probe performs " << definition.name;
        continue;
      }
      std::string target;
      if (probe->prepare) {
        if (!targets.contains(definition.name)) targets[definition.name] = probe->prepare(site);
        target = targets[definition.name];
      }
      const ProbeRequest request = probe->request(site, person, target);
      const HttpResponse response =
          server_->Request(request.method, request.target,
                           request.headers.value_or(person.session.Credentials()), request.body);
      const bool succeeded = response.status >= 200 && response.status < 300;
      if (response.status != 403) targets.erase(definition.name);
      // The first action of the request the role may not perform, if any.
      std::optional<std::string_view> refused_action;
      std::vector<std::string_view> performed = {definition.name};
      performed.insert(performed.end(), probe->also.begin(), probe->also.end());
      for (std::string_view name : performed) {
        const auto action = identity::ActionFromName(name);
        if (action && !identity::Permits(identity::RoleSet{person.role}, *action)) {
          refused_action = name;
          break;
        }
      }
      if (!refused_action) {
        ++allowed;
        EXPECT_TRUE(succeeded) << cell << " is permitted, but " << request.method << " "
                               << request.target << " answered " << response.status << ": "
                               << response.body;
        if (succeeded && request.on_success) request.on_success();
      } else {
        ++refused;
        EXPECT_EQ(response.status, 403)
            << cell << " is not permitted, but " << request.method << " " << request.target
            << " answered " << response.status << ": " << response.body;
        const Json body = ParseOrFail(response.body);
        EXPECT_EQ(StringMember(body, "code"), "permission_denied") << cell << ": " << response.body;
        EXPECT_EQ(StringMember(body, "field"), "action") << cell << ": " << response.body;
        // The refusal names the action refused: "user.create (Create a user account ...) is not
        // permitted to your roles at site LEI (operator)".
        EXPECT_EQ(StringMember(body, "message").rfind(std::string(*refused_action) + " (", 0), 0U)
            << cell << ": " << response.body;
      }
    }
  }
  const std::size_t cells = identity::kAllRoles.size() * identity::Actions().size();
  EXPECT_EQ(static_cast<std::size_t>(allowed + refused), cells);
  EXPECT_GT(allowed, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace aliquot
