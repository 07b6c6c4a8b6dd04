// Equipment, logbooks, environmental monitoring and deviations through the HTTP API of a real
// server, as the people who work with them meet them: the equipment owner defines a grade B room
// and registers a biosafety cabinet and a balance; a qualification, a cleaning or a calibration
// permits use only once its performer has signed it and, where the equipment's rules ask, a second
// person has verified it; operators pass the equipment check, whose every refusal names the
// equipment and why; a calibration found out of tolerance, and an environmental result above its
// Annex 1 action limit, raise a deviation listing every batch that may be affected; the equipment's
// status reads as it stood at any instant, and all of it survives a restart. Every test runs on
// both engines (tests/api/site.h).

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "aliquot/core/json.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/materials/lot.h"
#include "tests/api/site.h"

namespace aliquot {
namespace {

using testing::Body;
using testing::Engine;
using testing::HttpResponse;
using testing::IntegerMember;
using testing::ParseOrFail;
using testing::Session;
using testing::StringMember;

constexpr const char* kSite = "LEI";
constexpr const char* kRoom = "CAR-T-B101";
constexpr const char* kCabinet = "BSC-01";
constexpr const char* kBalance = "BAL-02";
constexpr const char* kIncubator = "INC-03";
constexpr const char* kZone = "B101-BSC1-ZONE";
constexpr const char* kBackground = "B101-BKG";
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

// A patient's distinct identification code as a label printer makes it (T-02).
std::string PatientCode(const std::string& body) {
  return "DIN-" + body + "-" + std::string(1, materials::DonorCodeCheckCharacter(body));
}

// One calibration point as entered.
Json Point(double nominal, double as_found, double tolerance, const std::string& unit) {
  return Json(Json::Object{
      {"nominal", nominal}, {"as_found", as_found}, {"tolerance", tolerance}, {"unit", unit}});
}

// A balance calibration within tolerance at both points, one of them entered in mg.
Json::Array PassingPoints() {
  return {Point(100, 100.0004, 0.001, "g"), Point(500, 500.3, 0.5, "mg")};
}

// The same, the 100 g point found 4.2 mg heavy and not adjusted: out of tolerance as found and as
// left.
Json::Array FailingPoints() {
  return {Point(100, 100.0042, 0.001, "g"), Point(500, 500.3, 0.5, "mg")};
}

// The logbook entry of a recorded entry's response, and its record id ("BSC-01:5").
const Json& EntryOf(const Json& recorded) { return Member(recorded, "entry"); }
std::string RecordOf(const HttpResponse& response) {
  const Json recorded = ParseOrFail(response.body);
  return StringMember(Member(EntryOf(recorded), "record"), "id");
}

// `equipment` as shown, its status's instant of reading removed: what stays the same over time.
Json WithoutReadingTime(Json equipment) {
  if (!equipment.IsObject()) return equipment;
  for (auto& [name, value] : equipment.AsObject()) {
    if (name == "status" && value.IsObject()) value.Set("at", Json());
  }
  return equipment;
}

// A person at the site, by user id in EquipmentApiTest::people_: their password (signing re-enters
// it) and their session.
struct Person {
  std::string password;
  Session session;
};

class EquipmentApiTest : public testing::ServedSiteTest {
 protected:
  // A new account holding `role` at LEI, created by the administrator, its temporary password
  // changed at the first sign-in.
  void Hire(const std::string& user_id, const std::string& printed_name, const std::string& role) {
    const std::string temporary =
        testing::CreateUser(*server_, admin_, user_id, printed_name, kSite, {role});
    ASSERT_FALSE(temporary.empty());
    Person person;
    person.password = "Clean-Room-" + std::to_string(people_.size() + 1) + "x";
    person.session = testing::FirstSignIn(*server_, user_id, temporary, person.password, console_);
    ASSERT_FALSE(person.session.token.empty()) << user_id;
    people_[user_id] = std::move(person);
  }

  // The equipment owner, a supervisor who verifies, two operators and a QC analyst; and the grade
  // B room the equipment stands in.
  void SetUpSuite() {
    ASSERT_NO_FATAL_FAILURE(Hire("eddie", "Eddie Eekhof", "equipment_owner"));
    ASSERT_NO_FATAL_FAILURE(Hire("vera", "Vera Visser", "verifier"));
    ASSERT_NO_FATAL_FAILURE(Hire("otto", "Otto Okafor", "operator"));
    ASSERT_NO_FATAL_FAILURE(Hire("olga", "Olga Ozturk", "operator"));
    ASSERT_NO_FATAL_FAILURE(Hire("quinn", "Quinn de Graaf", "qc_analyst"));
    const HttpResponse room = DefineRoom(kRoom, "B");
    ASSERT_EQ(room.status, 201) << room.body;
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
                  const std::string& body = "") const {
    const auto found = people_.find(user);
    if (found == people_.end()) {
      ADD_FAILURE() << user << " was never hired";
      return {};
    }
    return server_->Request(method, target, found->second.session.Credentials(), body);
  }

  HttpResponse AsAdmin(const std::string& method, const std::string& target) const {
    return server_->Request(method, target, admin_.Credentials());
  }

  // What the server's clock reads now: the end of the default window of the sample list.
  Timestamp ServerNow() const {
    const HttpResponse response = AsAdmin("GET", "/api/v1/environment/samples?limit=1");
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseTime(StringMember(ParseOrFail(response.body), "to"));
  }

  // The number of events in the ledger.
  std::int64_t LedgerSize() const {
    const HttpResponse response = AsAdmin("GET", "/api/v1/ledger/head");
    EXPECT_EQ(response.status, 200) << response.body;
    return IntegerMember(ParseOrFail(response.body), "tree_size");
  }

  // Every event of the ledger of `type`, read by the administrator.
  std::vector<Json> EventsOfType(const std::string& type) const {
    std::vector<Json> events;
    for (Json& event : testing::LedgerEvents(*server_, admin_.Credentials())) {
      if (StringMember(event, "event_type") == type) events.push_back(std::move(event));
    }
    return events;
  }

  // POST /api/v1/records/{type}/{id}/signatures as `user`, over the content hash they are shown
  // first, re-entering their password.
  HttpResponse Sign(const std::string& user, const std::string& type, const std::string& id,
                    const std::string& meaning) const {
    const std::string target = "/api/v1/records/" + type + "/" + id + "/signatures";
    const HttpResponse shown = As(user, "GET", target);
    EXPECT_EQ(shown.status, 200) << user << " reading " << target << ": " << shown.body;
    return As(user, "POST", target,
              Body({{"meaning", meaning},
                    {"content_hash", StringMember(ParseOrFail(shown.body), "content_hash")},
                    {"password", people_.count(user) != 0 ? people_.at(user).password : ""}}));
  }

  HttpResponse SignEntry(const std::string& user, const std::string& record,
                         const std::string& meaning) const {
    return Sign(user, "logbook_entry", record, meaning);
  }

  // Rooms and equipment -------------------------------------------------------------------------

  HttpResponse DefineRoom(const std::string& room, const std::string& grade) const {
    return As("eddie", "PUT", "/api/v1/rooms/" + room,
              Body({{"site", kSite}, {"name", "Suite 1 processing room"}, {"grade", grade}}));
  }

  // A class II cabinet cleaned between patients, clean for 72 h unused, each cleaning verified by
  // a second person.
  static Json::Object CabinetDefinition() {
    return {{"equipment_id", kCabinet},
            {"name", "Class II biosafety cabinet, suite 1"},
            {"class", "biosafety_cabinet"},
            {"manufacturer", "Thermo Fisher"},
            {"model", "1300 Series A2"},
            {"serial_number", "TF-1300-44812"},
            {"room", kRoom},
            {"cleaning_rule", "between_patients"},
            {"clean_hold_hours", 72},
            {"second_person_checks", Json::Array{Json("cleaning")}}};
  }

  // A balance calibrated yearly in grams, each calibration verified by a second person.
  static Json::Object BalanceDefinition() {
    return {{"equipment_id", kBalance},
            {"name", "Analytical balance, suite 1"},
            {"class", "balance"},
            {"manufacturer", "Mettler-Toledo"},
            {"model", "XPR205"},
            {"serial_number", "MT-B448120"},
            {"room", kRoom},
            {"calibration_interval_days", 365},
            {"measures", "g"},
            {"cleaning_rule", "none"},
            {"second_person_checks", Json::Array{Json("calibration")}}};
  }

  // An incubator with preventive maintenance every 30 days.
  static Json::Object IncubatorDefinition() {
    return {{"equipment_id", kIncubator},
            {"name", "CO2 incubator, suite 1"},
            {"class", "incubator"},
            {"room", kRoom},
            {"maintenance_interval_days", 30},
            {"cleaning_rule", "none"}};
  }

  HttpResponse Register(Json::Object definition, const std::string& user = "eddie") const {
    return As(user, "POST", "/api/v1/equipment", Body(std::move(definition)));
  }

  // POST /api/v1/equipment/{equipment}/{action} as `user`.
  HttpResponse Record(const std::string& user, const std::string& equipment,
                      const std::string& action, Json::Object body) const {
    return As(user, "POST", "/api/v1/equipment/" + equipment + "/" + action, Body(std::move(body)));
  }

  // eddie records the qualification and signs it; vera verifies it.
  void Qualify(const std::string& equipment) const {
    const HttpResponse recorded =
        Record("eddie", equipment, "qualification",
               {{"status", "qualified"}, {"reference", "IQOQ-" + equipment + "-2026"}});
    ASSERT_EQ(recorded.status, 201) << recorded.body;
    const std::string record = RecordOf(recorded);
    const HttpResponse performed = SignEntry("eddie", record, "performed");
    ASSERT_EQ(performed.status, 201) << performed.body;
    const HttpResponse verified = SignEntry("vera", record, "verified");
    ASSERT_EQ(verified.status, 201) << verified.body;
  }

  HttpResponse RecordCleaning(const std::string& equipment, const std::string& user) const {
    return Record(user, equipment, "cleanings",
                  {{"agent", "70% IPA, then sporicidal (Klercide)"},
                   {"method", "Wipe-down per SOP-CLN-004"}});
  }

  // `performer` cleans and signs; `verifier` verifies.
  void Clean(const std::string& equipment, const std::string& performer = "otto",
             const std::string& verifier = "vera") const {
    const HttpResponse cleaned = RecordCleaning(equipment, performer);
    ASSERT_EQ(cleaned.status, 201) << cleaned.body;
    const std::string record = RecordOf(cleaned);
    const HttpResponse performed = SignEntry(performer, record, "performed");
    ASSERT_EQ(performed.status, 201) << performed.body;
    const HttpResponse verified = SignEntry(verifier, record, "verified");
    ASSERT_EQ(verified.status, 201) << verified.body;
  }

  // eddie records a calibration, performed now or, as its certificate dates it, `performed_on`.
  HttpResponse Calibrate(const std::string& equipment, const Json::Array& points,
                         const std::string& performed_on = "") const {
    Json::Object body{{"provider", "Mettler-Toledo service"},
                      {"reference_standard", "Weight set WS-0042 (cert. 2026-118)"},
                      {"points", points}};
    if (!performed_on.empty()) body.emplace_back("performed_on", performed_on);
    return Record("eddie", equipment, "calibrations", std::move(body));
  }

  // eddie calibrates within tolerance and signs; vera verifies.
  void PassCalibration(const std::string& equipment) const {
    const HttpResponse calibrated = Calibrate(equipment, PassingPoints());
    ASSERT_EQ(calibrated.status, 201) << calibrated.body;
    const std::string record = RecordOf(calibrated);
    const HttpResponse performed = SignEntry("eddie", record, "performed");
    ASSERT_EQ(performed.status, 201) << performed.body;
    const HttpResponse verified = SignEntry("vera", record, "verified");
    ASSERT_EQ(verified.status, 201) << verified.body;
  }

  HttpResponse StartUse(const std::string& equipment, const std::string& batch,
                        const std::string& patient_code = "") const {
    Json::Object body{{"batch", batch}, {"step", "Wash and concentrate"}, {"lot", "APH-0001"}};
    if (!patient_code.empty()) body.emplace_back("patient_code", patient_code);
    return Record("otto", equipment, "uses", std::move(body));
  }

  HttpResponse EndUse(const std::string& equipment, const std::string& batch) const {
    return Record("otto", equipment, "uses/end", {{"batch", batch}});
  }

  // A use by `batch` started and ended.
  void Use(const std::string& equipment, const std::string& batch,
           const std::string& patient_code = "") const {
    const HttpResponse started = StartUse(equipment, batch, patient_code);
    ASSERT_EQ(started.status, 201) << started.body;
    const HttpResponse ended = EndUse(equipment, batch);
    ASSERT_EQ(ended.status, 201) << ended.body;
  }

  // POST /api/v1/equipment/{equipment}/check as otto: the answer, which must be 200.
  Json Check(const std::string& equipment, Json::Object body) const {
    const HttpResponse response = Record("otto", equipment, "check", std::move(body));
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  // The reason a check gives: "allowed" or the refusal, after checking it names the equipment.
  std::string Refusal(const std::string& equipment, Json::Object body) const {
    const Json check = Check(equipment, std::move(body));
    EXPECT_EQ(StringMember(check, "equipment"), equipment) << CanonicalJson(check);
    EXPECT_TRUE(Contains(StringMember(check, "message"), equipment)) << CanonicalJson(check);
    std::string reason = StringMember(check, "reason");
    EXPECT_EQ(Member(check, "allowed"), Json(reason == "allowed")) << CanonicalJson(check);
    return reason;
  }

  // GET /api/v1/equipment/{equipment}, as of `at` when given.
  HttpResponse Get(const std::string& equipment, const std::string& at = "") const {
    return As("otto", "GET", "/api/v1/equipment/" + equipment + (at.empty() ? "" : "?at=" + at));
  }

  Json Equipment(const std::string& equipment, const std::string& at = "") const {
    const HttpResponse response = Get(equipment, at);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  Json Status(const std::string& equipment, const std::string& at = "") const {
    return Member(Equipment(equipment, at), "status");
  }

  // GET /api/v1/equipment/{equipment}/logbook with `query` ("?limit=4").
  Json Logbook(const std::string& equipment, const std::string& query = "") const {
    const HttpResponse response =
        As("otto", "GET", "/api/v1/equipment/" + equipment + "/logbook" + query);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  // The cabinet registered, qualified and cleaned: ready for a patient's batch.
  void ReadyCabinet() const {
    const HttpResponse registered = Register(CabinetDefinition());
    ASSERT_EQ(registered.status, 201) << registered.body;
    ASSERT_NO_FATAL_FAILURE(Qualify(kCabinet));
    ASSERT_NO_FATAL_FAILURE(Clean(kCabinet));
  }

  // The balance registered, qualified and calibrated.
  void ReadyBalance() const {
    const HttpResponse registered = Register(BalanceDefinition());
    ASSERT_EQ(registered.status, 201) << registered.body;
    ASSERT_NO_FATAL_FAILURE(Qualify(kBalance));
    ASSERT_NO_FATAL_FAILURE(PassCalibration(kBalance));
  }

  // Environmental monitoring ----------------------------------------------------------------------

  HttpResponse DefineLocation(const std::string& location, const std::string& grade,
                              const Json::Array& samples) const {
    return As("quinn", "PUT", "/api/v1/environment/locations/" + location,
              Body({{"room", kRoom},
                    {"grade", grade},
                    {"description", "Sampling point " + location},
                    {"samples", samples}}));
  }

  static Json Planned(const std::string& type, std::optional<double> alert_level,
                      const std::string& frequency = "each session") {
    Json::Object planned{{"type", type}, {"occupancy", "in_operation"}, {"frequency", frequency}};
    if (alert_level) planned.emplace_back("alert_level", *alert_level);
    return Json(std::move(planned));
  }

  // The background of room B101 (grade B): active air with an alert level of 5 CFU/m3, and contact
  // plates.
  void DefineBackground() const {
    const HttpResponse defined = DefineLocation(
        kBackground, "B",
        {Planned("active_air", 5), Planned("contact_plate", std::nullopt, "weekly")});
    ASSERT_EQ(defined.status, 201) << defined.body;
  }

  // quinn records a sample's result.
  HttpResponse RecordSample(const std::string& sample, const std::string& location,
                            const std::string& type, const Json& result, const std::string& unit,
                            const std::string& taken_at) const {
    return As("quinn", "POST", "/api/v1/environment/samples",
              Body({{"sample_id", sample},
                    {"location", location},
                    {"type", type},
                    {"occupancy", "in_operation"},
                    {"taken_at", taken_at},
                    {"result", result},
                    {"unit", unit}}));
  }

  Json Deviation(const std::string& id) const {
    const HttpResponse response = As("otto", "GET", "/api/v1/deviations/" + id);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  std::map<std::string, Person> people_;
};

INSTANTIATE_TEST_SUITE_P(, EquipmentApiTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

// Rooms, equipment and the logbook ---------------------------------------------------------------

// Verifies G-06, G-07, A11-01 and P11-11: a biosafety cabinet and a balance are registered in a
// grade B room; a qualification and a cleaning permit use only once their performer has signed
// them and a second person has verified them; the check then allows the use, which is recorded;
// the logbook lists every entry newest first, each signed entry with who signed it performed and
// who verified it, page by page.
TEST_P(EquipmentApiTest, EntriesPermitUseOnceSignedAndVerifiedAndTheLogbookShowsEveryEntry_G07) {
  ASSERT_NO_FATAL_FAILURE(SetUpSuite());
  const Json room = ParseOrFail(As("otto", "GET", std::string("/api/v1/rooms/") + kRoom).body);
  EXPECT_EQ(StringMember(room, "grade"), "B") << CanonicalJson(room);
  EXPECT_EQ(StringMember(room, "site"), kSite);
  EXPECT_EQ(IntegerMember(room, "revision"), 1);
  EXPECT_EQ(StringMember(room, "defined_by"), "eddie");

  const HttpResponse cabinet = Register(CabinetDefinition());
  ASSERT_EQ(cabinet.status, 201) << cabinet.body;
  const Json registered = ParseOrFail(cabinet.body);
  EXPECT_EQ(StringMember(registered, "equipment_id"), kCabinet);
  EXPECT_EQ(StringMember(registered, "class"), "biosafety_cabinet");
  EXPECT_EQ(StringMember(registered, "cleaning_rule"), "between_patients");
  EXPECT_EQ(IntegerMember(registered, "clean_hold_hours"), 72);
  EXPECT_EQ(StringsOf(registered, "second_person_checks"), std::vector<std::string>{"cleaning"});
  EXPECT_EQ(StringMember(Member(registered, "room"), "grade"), "B");
  EXPECT_EQ(StringMember(Member(registered, "status"), "qualification"), "not_qualified");
  EXPECT_EQ(StringMember(Member(registered, "status"), "clean"), "never_cleaned");
  const HttpResponse balance = Register(BalanceDefinition());
  ASSERT_EQ(balance.status, 201) << balance.body;
  EXPECT_EQ(StringMember(ParseOrFail(balance.body), "measures"), "g");
  EXPECT_EQ(IntegerMember(ParseOrFail(balance.body), "calibration_interval_days"), 365);
  EXPECT_EQ(Member(Member(ParseOrFail(balance.body), "status"), "calibration_overdue"), Json(true));

  const std::string patient = PatientCode("P0004417");
  const Json::Object step{{"class", "biosafety_cabinet"},
                          {"grade", "B"},
                          {"batch", "B-2026-0001"},
                          {"patient_code", patient}};
  // The qualification: recorded, signed performed, verified; in effect only at the end.
  const HttpResponse qualification =
      Record("eddie", kCabinet, "qualification",
             {{"status", "qualified"}, {"reference", "IQOQ-BSC-01-2026"}});
  ASSERT_EQ(qualification.status, 201) << qualification.body;
  const std::string qualified_record = RecordOf(qualification);
  EXPECT_EQ(qualified_record, std::string(kCabinet) + ":2");
  EXPECT_EQ(StringMember(EntryOf(ParseOrFail(qualification.body)), "kind"), "qualification");
  EXPECT_EQ(Refusal(kCabinet, step), "not_qualified");
  EXPECT_TRUE(Contains(CanonicalJson(Member(Status(kCabinet), "awaiting")),
                       "entry 2 (qualification) awaits eddie's signature"))
      << CanonicalJson(Status(kCabinet));
  ASSERT_EQ(SignEntry("eddie", qualified_record, "performed").status, 201);
  EXPECT_EQ(Refusal(kCabinet, step), "not_qualified");
  EXPECT_TRUE(Contains(CanonicalJson(Member(Status(kCabinet), "awaiting")),
                       "awaits a second person's verification"))
      << CanonicalJson(Status(kCabinet));
  const HttpResponse verified = SignEntry("vera", qualified_record, "verified");
  ASSERT_EQ(verified.status, 201) << verified.body;
  EXPECT_EQ(StringMember(ParseOrFail(verified.body), "printed_name"), "Vera Visser");
  EXPECT_EQ(StringMember(Status(kCabinet), "qualification"), "qualified");

  // The cleaning: the same, by an operator and the supervisor.
  EXPECT_EQ(Refusal(kCabinet, step), "not_clean");
  const HttpResponse cleaned = RecordCleaning(kCabinet, "otto");
  ASSERT_EQ(cleaned.status, 201) << cleaned.body;
  const std::string cleaning = RecordOf(cleaned);
  EXPECT_EQ(cleaning, std::string(kCabinet) + ":5");
  EXPECT_EQ(Refusal(kCabinet, step), "not_clean");
  ASSERT_EQ(SignEntry("otto", cleaning, "performed").status, 201);
  EXPECT_EQ(Refusal(kCabinet, step), "not_clean");
  ASSERT_EQ(SignEntry("vera", cleaning, "verified").status, 201);
  const Json check = Check(kCabinet, step);
  EXPECT_EQ(Member(check, "allowed"), Json(true)) << CanonicalJson(check);
  EXPECT_EQ(StringMember(check, "reason"), "allowed");
  const Json clean = Status(kCabinet);
  EXPECT_EQ(StringMember(clean, "clean"), "clean") << CanonicalJson(clean);
  const Json& last_cleaning = Member(clean, "last_cleaning");
  EXPECT_EQ(StringMember(last_cleaning, "performed_by"), "otto");
  EXPECT_EQ(StringMember(last_cleaning, "verified_by"), "vera");
  EXPECT_EQ(Member(last_cleaning, "in_effect"), Json(true));
  EXPECT_EQ(ParseTime(StringMember(clean, "clean_until")).Micros() -
                ParseTime(StringMember(last_cleaning, "at")).Micros(),
            72 * kMicrosPerHour);
  EXPECT_TRUE(Items(Member(clean, "awaiting")).empty()) << CanonicalJson(clean);

  // The use, for one patient's batch; the cabinet then waits for a cleaning before another's.
  const HttpResponse started = StartUse(kCabinet, "B-2026-0001", patient);
  ASSERT_EQ(started.status, 201) << started.body;
  const Json in_use =
      Member(Member(Member(ParseOrFail(started.body), "equipment"), "status"), "in_use");
  EXPECT_EQ(StringMember(in_use, "batch"), "B-2026-0001") << started.body;
  EXPECT_EQ(StringMember(in_use, "patient_code"), patient);
  EXPECT_EQ(StringMember(in_use, "room"), kRoom);
  ASSERT_EQ(EndUse(kCabinet, "B-2026-0001").status, 201);
  EXPECT_EQ(StringMember(Status(kCabinet), "clean"), "used_since_cleaning");
  EXPECT_EQ(Refusal(kCabinet, step), "allowed") << "the same patient's batch again";
  Json::Object other = step;
  other[2].second = "B-2026-0002";
  other[3].second = PatientCode("P0009921");
  EXPECT_EQ(Refusal(kCabinet, other), "not_clean");

  // The logbook, newest first: 9 entries.
  const Json logbook = Logbook(kCabinet);
  EXPECT_EQ(IntegerMember(logbook, "total"), 9) << CanonicalJson(logbook);
  EXPECT_EQ(StringMember(logbook, "order"), "newest");
  EXPECT_TRUE(Member(logbook, "next").IsNull());
  const Json::Array& entries = Items(Member(logbook, "entries"));
  ASSERT_EQ(entries.size(), 9U) << CanonicalJson(logbook);
  const std::vector<std::string> kinds = {"use_ended", "use_started",   "verified",
                                          "signed",    "cleaning",      "verified",
                                          "signed",    "qualification", "registered"};
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(IntegerMember(entries[i], "entry"), static_cast<std::int64_t>(9 - i));
    EXPECT_EQ(StringMember(entries[i], "kind"), kinds[i]) << CanonicalJson(entries[i]);
    if (i > 0) {
      EXPECT_LE(ParseTime(StringMember(entries[i], "at")).Micros(),
                ParseTime(StringMember(entries[i - 1], "at")).Micros());
    }
  }
  const Json& cleaning_entry = entries[4];
  EXPECT_EQ(StringMember(cleaning_entry, "by"), "otto");
  EXPECT_EQ(StringMember(cleaning_entry, "by_name"), "Otto Okafor");
  EXPECT_TRUE(Contains(StringMember(cleaning_entry, "summary"), "70% IPA"))
      << CanonicalJson(cleaning_entry);
  EXPECT_EQ(StringMember(Member(cleaning_entry, "signed_as_performed"), "by"), "otto")
      << CanonicalJson(cleaning_entry);
  EXPECT_EQ(StringMember(Member(cleaning_entry, "verified"), "by"), "vera");
  EXPECT_EQ(StringMember(Member(cleaning_entry, "signed_as_performed"), "at"),
            StringMember(entries[3], "at"));
  EXPECT_EQ(StringMember(Member(cleaning_entry, "verified"), "at"), StringMember(entries[2], "at"));
  EXPECT_EQ(StringMember(Member(cleaning_entry, "record"), "type"), "logbook_entry");
  EXPECT_EQ(StringMember(Member(cleaning_entry, "record"), "id"), cleaning);
  const Json& qualification_entry = entries[7];
  EXPECT_EQ(StringMember(Member(qualification_entry, "signed_as_performed"), "by"), "eddie");
  EXPECT_EQ(StringMember(Member(qualification_entry, "verified"), "by"), "vera");
  EXPECT_EQ(StringMember(entries[1], "batch"), "B-2026-0001");
  EXPECT_EQ(StringMember(entries[1], "by"), "otto");
  EXPECT_TRUE(Member(entries[1], "signed_as_performed").IsNull());
  EXPECT_TRUE(Member(entries[1], "record").IsNull()) << "a use takes no signature";

  // Page by page, following `next`: the same entries in the same order.
  const Json first = Logbook(kCabinet, "?limit=4");
  EXPECT_EQ(StringMember(first, "next"), "?before=6&limit=4") << CanonicalJson(first);
  std::vector<Json> paged;
  std::string query = "?limit=4";
  for (int page = 0; page < 5 && !query.empty(); ++page) {
    const Json json = Logbook(kCabinet, query);
    for (const Json& entry : Items(Member(json, "entries"))) paged.push_back(entry);
    const Json& next = Member(json, "next");
    query = next.IsString() ? next.AsString() : "";
  }
  EXPECT_TRUE(query.empty()) << "the pages never end";
  // The last page says so: no link to an empty page.
  EXPECT_TRUE(Member(Logbook(kCabinet, "?before=5&limit=4"), "next").IsNull());
  EXPECT_EQ(paged, entries);
  const Json oldest = Logbook(kCabinet, "?order=oldest&limit=2");
  ASSERT_EQ(Items(Member(oldest, "entries")).size(), 2U) << CanonicalJson(oldest);
  EXPECT_EQ(StringMember(Items(Member(oldest, "entries"))[0], "kind"), "registered");
  EXPECT_EQ(StringMember(oldest, "next"), "?order=oldest&after=2&limit=2");

  // The balance: qualified, then calibrated within tolerance, signed and verified.
  ASSERT_NO_FATAL_FAILURE(Qualify(kBalance));
  EXPECT_EQ(Refusal(kBalance, {{"class", "balance"}, {"batch", "B-2026-0001"}}),
            "calibration_overdue");
  ASSERT_NO_FATAL_FAILURE(PassCalibration(kBalance));
  EXPECT_EQ(Refusal(kBalance, {{"class", "balance"}, {"batch", "B-2026-0001"}}), "allowed");
  const Json calibrated = Status(kBalance);
  EXPECT_EQ(Member(calibrated, "calibration_overdue"), Json(false)) << CanonicalJson(calibrated);
  // The interval runs from when the calibration was performed.
  const Json& last_good = Member(calibrated, "last_good_calibration");
  EXPECT_EQ(ParseTime(StringMember(calibrated, "calibration_due")).Micros() -
                ParseTime(StringMember(last_good, "performed_on")).Micros(),
            Days(365))
      << CanonicalJson(calibrated);
  EXPECT_LE(ParseTime(StringMember(last_good, "performed_on")).Micros(),
            ParseTime(StringMember(last_good, "at")).Micros());
  EXPECT_EQ(StringMember(last_good, "provider"), "Mettler-Toledo service");
}

// Verifies G-06, P11-06 and P11-07: the equipment check refuses, naming the equipment and the
// reason, equipment of the wrong class, in a room of too low a grade, out of service, not
// qualified, past its calibration or maintenance, in use by another batch, or not clean; a use
// the check refuses is refused with its message and recorded in the logbook as an alert.
TEST_P(EquipmentApiTest, EveryRefusalOfTheCheckIsNamedWithTheEquipmentAndTheReason_G06_P11_06) {
  ASSERT_NO_FATAL_FAILURE(SetUpSuite());
  ASSERT_EQ(Register(CabinetDefinition()).status, 201);
  ASSERT_EQ(Register(BalanceDefinition()).status, 201);
  ASSERT_EQ(Register(IncubatorDefinition()).status, 201);
  const std::string patient = PatientCode("P0004417");
  const Json::Object step{{"class", "biosafety_cabinet"},
                          {"grade", "B"},
                          {"batch", "B-2026-0001"},
                          {"patient_code", patient}};
  std::set<std::string> seen;
  const auto refused = [&](const std::string& equipment, const Json::Object& body) {
    std::string refusal = Refusal(equipment, body);
    seen.insert(refusal);
    return refusal;
  };

  EXPECT_EQ(refused(kCabinet, step), "not_qualified");
  ASSERT_NO_FATAL_FAILURE(Qualify(kCabinet));
  EXPECT_EQ(refused(kCabinet, step), "not_clean");
  const Json never = Check(kCabinet, step);
  EXPECT_TRUE(Contains(StringMember(never, "message"), "no cleaning in force"))
      << CanonicalJson(never);
  ASSERT_NO_FATAL_FAILURE(Clean(kCabinet));
  EXPECT_EQ(refused(kCabinet, step), "allowed");
  Json::Object grade_a = step;
  grade_a[1].second = "A";
  EXPECT_EQ(refused(kCabinet, grade_a), "wrong_room_grade");
  EXPECT_TRUE(Contains(StringMember(Check(kCabinet, grade_a), "message"), kRoom));

  ASSERT_EQ(StartUse(kCabinet, "B-2026-0001", patient).status, 201);
  Json::Object other = step;
  other[2].second = "B-2026-0002";
  other[3].second = PatientCode("P0009921");
  EXPECT_EQ(refused(kCabinet, other), "in_use");
  EXPECT_TRUE(Contains(StringMember(Check(kCabinet, other), "message"), "B-2026-0001"));
  // The use the check refuses: 409 with the check's message, and an alert in the logbook.
  const HttpResponse busy = StartUse(kCabinet, "B-2026-0002", PatientCode("P0009921"));
  ExpectError(busy, 409, "failed_precondition", "equipment", "a use while in use by another batch");
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(busy.body), "message"), kCabinet)) << busy.body;
  const Json newest = Logbook(kCabinet, "?limit=1");
  const Json::Array& latest = Items(Member(newest, "entries"));
  ASSERT_EQ(latest.size(), 1U);
  EXPECT_EQ(StringMember(latest[0], "kind"), "use_refused") << CanonicalJson(latest[0]);
  EXPECT_EQ(Member(latest[0], "alert"), Json(true));
  EXPECT_EQ(StringMember(latest[0], "batch"), "B-2026-0002");
  EXPECT_TRUE(Contains(StringMember(latest[0], "summary"), "in_use")) << CanonicalJson(latest[0]);
  ASSERT_EQ(EventsOfType("equipment.use_refused").size(), 1U);
  ASSERT_EQ(EndUse(kCabinet, "B-2026-0001").status, 201);
  EXPECT_EQ(refused(kCabinet, other), "not_clean");
  EXPECT_TRUE(Contains(StringMember(Check(kCabinet, other), "message"), "between patients"));

  EXPECT_EQ(refused(kBalance, {{"class", "biosafety_cabinet"}, {"batch", "B-2026-0001"}}),
            "wrong_class");
  ASSERT_NO_FATAL_FAILURE(Qualify(kBalance));
  EXPECT_EQ(refused(kBalance, {{"class", "balance"}, {"batch", "B-2026-0001"}}),
            "calibration_overdue");
  ASSERT_NO_FATAL_FAILURE(PassCalibration(kBalance));
  const Timestamp now = ServerNow();
  EXPECT_EQ(refused(kBalance, {{"batch", "B-2026-0001"}}), "allowed");
  // A year and a day on, the calibration is past due.
  EXPECT_EQ(refused(kBalance, {{"batch", "B-2026-0001"}, {"at", Later(now, Days(366))}}),
            "calibration_overdue");

  ASSERT_NO_FATAL_FAILURE(Qualify(kIncubator));
  EXPECT_EQ(refused(kIncubator, {{"batch", "B-2026-0001"}}), "allowed");
  EXPECT_EQ(refused(kIncubator, {{"batch", "B-2026-0001"}, {"at", Later(now, Days(31))}}),
            "maintenance_overdue");

  const HttpResponse out = Record("eddie", kBalance, "out-of-service",
                                  {{"reason", "Draft shield cracked during cleaning"}});
  ASSERT_EQ(out.status, 201) << out.body;
  EXPECT_EQ(refused(kBalance, {{"batch", "B-2026-0001"}}), "out_of_service");
  EXPECT_TRUE(Contains(StringMember(Check(kBalance, {{"batch", "B-2026-0001"}}), "message"),
                       "Draft shield cracked"));
  ExpectError(StartUse(kBalance, "B-2026-0001"), 409, "failed_precondition", "equipment",
              "a use of equipment out of service");
  EXPECT_EQ(EventsOfType("equipment.use_refused").size(), 2U);

  EXPECT_EQ(seen, (std::set<std::string>{"allowed", "wrong_class", "wrong_room_grade",
                                         "out_of_service", "not_qualified", "calibration_overdue",
                                         "maintenance_overdue", "in_use", "not_clean"}));
}

// Bad input
// ----------------------------------------------------------------------------------------

// Verifies A11-01, AL-01 and G-10: unknown members, a time given by the client, a calibration point
// in a unit the balance does not measure or of a negative mass, an environmental result that is
// negative, a fraction of a colony, in the wrong unit or taken in the future, and names of classes
// and grades Aliquot does not know are each refused naming the field, and nothing is recorded.
TEST_P(EquipmentApiTest, BadInputIsRefusedNamingTheFieldAndRecordsNothing_A11_01_AL01) {
  ASSERT_NO_FATAL_FAILURE(SetUpSuite());
  ASSERT_EQ(Register(CabinetDefinition()).status, 201);
  ASSERT_EQ(Register(BalanceDefinition()).status, 201);
  ASSERT_NO_FATAL_FAILURE(DefineBackground());
  const Timestamp now = ServerNow();
  const std::int64_t size = LedgerSize();

  Json::Object coloured = CabinetDefinition();
  coloured[0].second = "BSC-09";
  coloured.emplace_back("colour", "white");
  ExpectError(Register(coloured), 400, "invalid_argument", "colour", "an unknown member");
  ExpectError(Record("otto", kCabinet, "cleanings",
                     {{"agent", "70% IPA"}, {"method", "Wipe-down"}, {"operator_name", "Otto"}}),
              400, "invalid_argument", "operator_name", "an unknown member of a cleaning");
  Json::Array extra_member = PassingPoints();
  extra_member[0].Set("temperature", 21.5);
  ExpectError(Calibrate(kBalance, extra_member), 400, "invalid_argument", "points[0].temperature",
              "an unknown member of a calibration point");

  // ALCOA+ AL-01: the server dates every entry.
  const HttpResponse backdated = Record("otto", kCabinet, "cleanings",
                                        {{"agent", "70% IPA"},
                                         {"method", "Wipe-down per SOP-CLN-004"},
                                         {"performed_at", Later(now, -Days(1))}});
  ExpectError(backdated, 400, "invalid_argument", "performed_at", "a back-dated cleaning");
  EXPECT_TRUE(Contains(backdated.body, "AL-01")) << backdated.body;
  const HttpResponse dated_use = Record(
      "otto", kCabinet, "uses", {{"batch", "B-2026-0001"}, {"at", Later(now, -kMicrosPerHour)}});
  ExpectError(dated_use, 400, "invalid_argument", "at", "a use with a client's time");
  EXPECT_TRUE(Contains(dated_use.body, "AL-01")) << dated_use.body;

  // Calibration points, checked in the balance's grams.
  Json::Array millilitres = PassingPoints();
  millilitres[0] = Point(100, 100, 0.001, "mL");
  const HttpResponse volume = Calibrate(kBalance, millilitres);
  ExpectError(volume, 400, "invalid_argument", "points[0].unit", "a balance calibrated in mL");
  EXPECT_TRUE(Contains(volume.body, "mL")) << volume.body;
  Json::Array negative = PassingPoints();
  negative[1] = Point(500, -0.3, 0.5, "mg");
  ExpectError(Calibrate(kBalance, negative), 400, "invalid_argument", "points[1].as_found",
              "a negative mass");
  ExpectError(Calibrate(kBalance, {}), 400, "invalid_argument", "points", "no points");
  ExpectError(Calibrate(kBalance, PassingPoints(), Later(ServerNow(), kMicrosPerHour)), 400,
              "invalid_argument", "performed_on", "a calibration performed in the future");

  // Environmental results.
  const std::string taken = ServerNow().ToRfc3339();
  ExpectError(RecordSample("EM-0001", kBackground, "active_air", -1, "CFU/m3", taken), 400,
              "invalid_argument", "result", "a negative count");
  ExpectError(RecordSample("EM-0001", kBackground, "contact_plate", 2.5, "CFU", taken), 400,
              "invalid_argument", "result", "half a colony on a plate");
  ExpectError(RecordSample("EM-0001", kBackground, "active_air", 3, "particles/m3", taken), 400,
              "invalid_argument", "unit", "particles for an active air sample");
  ExpectError(RecordSample("EM-0001", kBackground, "active_air", Json("3"), "CFU/m3", taken), 400,
              "invalid_argument", "result", "a result sent as text");
  ExpectError(RecordSample("EM-0001", kBackground, "active_air", 3, "CFU/m3",
                           Later(ServerNow(), kMicrosPerHour)),
              400, "invalid_argument", "taken_at", "a sample taken in the future");
  ExpectError(RecordSample("EM-0001", kBackground, "settle_plate", 1, "CFU", taken), 400,
              "invalid_argument", "type", "a sample the location does not plan");

  // Names Aliquot does not know.
  Json::Object unknown_class = CabinetDefinition();
  unknown_class[0].second = "BSC-09";
  unknown_class[2].second = "biosafety_cabinet_class_ii";
  ExpectError(Register(unknown_class), 400, "invalid_argument", "class", "an unknown class");
  ExpectError(DefineRoom("CAR-T-B102", "E"), 400, "invalid_argument", "grade", "grade E");
  ExpectError(DefineLocation("B101-FLOOR", "A+", {Planned("active_air", std::nullopt)}), 400,
              "invalid_argument", "grade", "grade A+");
  ExpectError(Record("otto", kCabinet, "check", {{"class", "laminar_flow_hood"}}), 400,
              "invalid_argument", "class", "a check for an unknown class");
  ExpectError(Record("otto", kCabinet, "check", {{"grade", "ISO 5"}}), 400, "invalid_argument",
              "grade", "a check for an unknown grade");
  Json::Object second_check = CabinetDefinition();
  second_check[0].second = "BSC-09";
  second_check.back().second = Json::Array{Json("cleaning"), Json("sanitising")};
  ExpectError(Register(second_check), 400, "invalid_argument", "second_person_checks[1]",
              "an unknown entry kind");

  EXPECT_EQ(LedgerSize(), size) << "a refused request recorded something";
  EXPECT_EQ(IntegerMember(Logbook(kCabinet), "total"), 1);
  EXPECT_EQ(IntegerMember(Logbook(kBalance), "total"), 1);
  ExpectError(As("otto", "GET", "/api/v1/equipment/BSC-09"), 404, "not_found", "equipment_id",
              "the refused registration");
  ExpectError(As("otto", "GET", "/api/v1/environment/samples/EM-0001"), 404, "not_found",
              "sample_id", "the refused sample");
}

// Verifies A11-01, P11-07 and G-07: only the person who performed a cleaning signs it as
// performed; another's attempt is refused and recorded. Nobody verifies their own cleaning, and an
// operator verifies none; another supervisor's verification puts it in effect.
TEST_P(EquipmentApiTest, OnlyThePerformerSignsACleaningAndAnotherPersonVerifiesIt_A11_01) {
  ASSERT_NO_FATAL_FAILURE(SetUpSuite());
  ASSERT_EQ(Register(CabinetDefinition()).status, 201);
  ASSERT_NO_FATAL_FAILURE(Qualify(kCabinet));
  const HttpResponse cleaned = RecordCleaning(kCabinet, "otto");
  ASSERT_EQ(cleaned.status, 201) << cleaned.body;
  const std::string cleaning = RecordOf(cleaned);

  const HttpResponse not_hers = SignEntry("olga", cleaning, "performed");
  ExpectError(not_hers, 403, "permission_denied", "meaning", "signing another's cleaning");
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(not_hers.body), "message"), "otto"))
      << not_hers.body;
  const std::vector<Json> denials = EventsOfType("identity.permission_denied");
  ASSERT_EQ(denials.size(), 1U);
  EXPECT_EQ(StringMember(Member(denials[0], "actor"), "id"), "olga") << CanonicalJson(denials[0]);
  EXPECT_TRUE(Contains(StringMember(Member(denials[0], "payload"), "denial"), "otto"))
      << CanonicalJson(denials[0]);
  const Json logbook = Logbook(kCabinet);
  const Json::Array& entries = Items(Member(logbook, "entries"));
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(StringMember(entries[0], "kind"), "cleaning") << "the refusal is no logbook entry";
  EXPECT_TRUE(Member(entries[0], "signed_as_performed").IsNull()) << CanonicalJson(entries[0]);

  ASSERT_EQ(SignEntry("otto", cleaning, "performed").status, 201);
  ExpectError(SignEntry("otto", cleaning, "verified"), 403, "permission_denied", "action",
              "an operator verifying");
  ExpectError(SignEntry("otto", cleaning, "performed"), 409, "failed_precondition", "",
              "signing the cleaning again");

  // vera cleans again (superseding otto's) and signs it; she cannot verify her own.
  const HttpResponse again = RecordCleaning(kCabinet, "vera");
  ASSERT_EQ(again.status, 201) << again.body;
  const std::string hers = RecordOf(again);
  ExpectError(SignEntry("vera", hers, "verified"), 409, "failed_precondition", "",
              "a verification before the performer signs");
  ASSERT_EQ(SignEntry("vera", hers, "performed").status, 201);
  const std::size_t refusals = EventsOfType("identity.permission_denied").size();
  const HttpResponse own = SignEntry("vera", hers, "verified");
  ExpectError(own, 403, "permission_denied", "meaning", "verifying one's own cleaning");
  EXPECT_EQ(EventsOfType("identity.permission_denied").size(), refusals + 1);
  EXPECT_EQ(StringMember(Status(kCabinet), "clean"), "never_cleaned");
  // otto's earlier cleaning is superseded: it takes no signature now.
  ExpectError(SignEntry("eddie", cleaning, "verified"), 409, "failed_precondition", "",
              "verifying a superseded cleaning");

  ASSERT_EQ(SignEntry("eddie", hers, "verified").status, 201);
  const Json status = Status(kCabinet);
  EXPECT_EQ(StringMember(status, "clean"), "clean") << CanonicalJson(status);
  EXPECT_EQ(StringMember(Member(status, "last_cleaning"), "performed_by"), "vera");
  EXPECT_EQ(StringMember(Member(status, "last_cleaning"), "verified_by"), "eddie");
}

// Calibration
// --------------------------------------------------------------------------------------

// Verifies G-04 and 21 CFR 211.192: a calibration found out of tolerance raises, in the same
// request, a deviation listing both batches that used the balance since its last good calibration
// and not the one before it; QA finds it in the list of deviations and by batch; the balance is
// refused until a passing calibration is signed and verified.
TEST_P(EquipmentApiTest, ACalibrationOutOfToleranceRaisesADeviationListingEveryBatchSince_G04) {
  ASSERT_NO_FATAL_FAILURE(SetUpSuite());
  ASSERT_NO_FATAL_FAILURE(ReadyBalance());
  ASSERT_NO_FATAL_FAILURE(Use(kBalance, "B-2026-0000"));
  ASSERT_NO_FATAL_FAILURE(PassCalibration(kBalance));
  const Json good = Member(Status(kBalance), "last_good_calibration");
  ASSERT_NO_FATAL_FAILURE(Use(kBalance, "B-2026-0001"));
  ASSERT_NO_FATAL_FAILURE(Use(kBalance, "B-2026-0002"));
  ASSERT_NO_FATAL_FAILURE(Use(kBalance, "B-2026-0001"));

  const HttpResponse failed = Calibrate(kBalance, FailingPoints());
  ASSERT_EQ(failed.status, 201) << failed.body;
  const Json recorded = ParseOrFail(failed.body);
  const Json& entry = EntryOf(recorded);
  EXPECT_EQ(StringMember(entry, "kind"), "calibration");
  EXPECT_EQ(Member(entry, "alert"), Json(true)) << failed.body;
  EXPECT_TRUE(Contains(StringMember(entry, "summary"), "OUT OF TOLERANCE")) << failed.body;
  const Json& deviation = Member(recorded, "deviation");
  ASSERT_TRUE(deviation.IsObject()) << failed.body;
  const std::string id = StringMember(deviation, "deviation_id");
  EXPECT_EQ(id.rfind("DEV-", 0), 0U) << id;
  EXPECT_EQ(id.substr(id.size() - 5), "-0001") << id;
  EXPECT_EQ(StringMember(deviation, "status"), "open");
  EXPECT_EQ(StringMember(deviation, "source"), "calibration_out_of_tolerance");
  EXPECT_EQ(StringMember(deviation, "equipment"), kBalance);
  EXPECT_EQ(IntegerMember(deviation, "equipment_entry"), IntegerMember(entry, "entry"));
  EXPECT_EQ(StringsOf(deviation, "batches"),
            (std::vector<std::string>{"B-2026-0001", "B-2026-0002"}));
  // The window opens at the last good calibration (performed, or at the latest entered).
  const std::int64_t window_start = ParseTime(StringMember(deviation, "window_start")).Micros();
  EXPECT_GE(window_start, ParseTime(StringMember(good, "performed_on")).Micros()) << failed.body;
  EXPECT_LE(window_start, ParseTime(StringMember(good, "at")).Micros()) << failed.body;
  EXPECT_EQ(StringMember(deviation, "raised_by"), "eddie");
  EXPECT_TRUE(Contains(StringMember(deviation, "title"), kBalance)) << failed.body;
  EXPECT_TRUE(Contains(StringMember(deviation, "description"), "100.0042")) << failed.body;

  // QA finds it, whole, in the list and by batch.
  const HttpResponse list = As("otto", "GET", "/api/v1/deviations");
  ASSERT_EQ(list.status, 200) << list.body;
  const Json listed = ParseOrFail(list.body);
  const Json::Array& deviations = Items(Member(listed, "deviations"));
  ASSERT_EQ(deviations.size(), 1U) << list.body;
  // The deviation the response shows is the one recorded, raised_at included (the sealed time).
  EXPECT_EQ(CanonicalJson(deviations[0]), CanonicalJson(deviation));
  EXPECT_EQ(CanonicalJson(Deviation(id)), CanonicalJson(deviation));
  EXPECT_EQ(
      Items(Member(ParseOrFail(As("otto", "GET", "/api/v1/deviations?batch=B-2026-0002").body),
                   "deviations"))
          .size(),
      1U);
  EXPECT_TRUE(
      Items(Member(ParseOrFail(As("otto", "GET", "/api/v1/deviations?batch=B-2026-0000").body),
                   "deviations"))
          .empty());
  ExpectError(As("otto", "GET", "/api/v1/deviations/DEV-2026-0999"), 404, "not_found",
              "deviation_id", "an unknown deviation");
  ASSERT_EQ(EventsOfType("equipment.calibrated").size(), 3U);

  // Refused at once, before anyone signs the failed calibration.
  const Json::Object weighing{{"class", "balance"}, {"batch", "B-2026-0003"}};
  EXPECT_EQ(Refusal(kBalance, weighing), "calibration_overdue");
  EXPECT_TRUE(Contains(StringMember(Check(kBalance, weighing), "message"), "failed calibration"));
  EXPECT_EQ(Member(Status(kBalance), "calibration_overdue"), Json(true));
  ExpectError(StartUse(kBalance, "B-2026-0003"), 409, "failed_precondition", "equipment",
              "weighing on a balance out of tolerance");
  // Adjusted and calibrated again: in use only once signed and verified.
  const HttpResponse passed = Calibrate(kBalance, PassingPoints());
  ASSERT_EQ(passed.status, 201) << passed.body;
  EXPECT_TRUE(Member(ParseOrFail(passed.body), "deviation").IsNull()) << passed.body;
  const std::string record = RecordOf(passed);
  EXPECT_EQ(Refusal(kBalance, weighing), "calibration_overdue");
  ASSERT_EQ(SignEntry("eddie", record, "performed").status, 201);
  EXPECT_EQ(Refusal(kBalance, weighing), "calibration_overdue");
  ASSERT_EQ(SignEntry("vera", record, "verified").status, 201);
  EXPECT_EQ(Refusal(kBalance, weighing), "allowed");
  EXPECT_TRUE(Member(Status(kBalance), "failed_calibration_entry").IsNull());
  EXPECT_EQ(
      Items(Member(ParseOrFail(As("otto", "GET", "/api/v1/deviations").body), "deviations")).size(),
      1U);
}

// Verifies G-04 and 21 CFR 211.192: a good calibration entered after the date on its certificate
// vouches for the balance from that date; a batch weighed after it, though before it was entered,
// is in the impact list of the next calibration found out of tolerance, and the window of exposure
// starts at that date. A calibration dated before the previous one is refused (G-07).
TEST_P(EquipmentApiTest, ABatchWeighedAfterABackDatedGoodCalibrationIsInTheImpactList_G04) {
  ASSERT_NO_FATAL_FAILURE(SetUpSuite());
  ASSERT_NO_FATAL_FAILURE(ReadyBalance());
  // The service engineer calibrates; the balance is used; the certificate is entered later.
  const Timestamp performed = ServerNow();
  ASSERT_NO_FATAL_FAILURE(Use(kBalance, "B-2026-0201"));
  const HttpResponse entered = Calibrate(kBalance, PassingPoints(), performed.ToRfc3339());
  ASSERT_EQ(entered.status, 201) << entered.body;
  const std::string record = RecordOf(entered);
  ASSERT_EQ(SignEntry("eddie", record, "performed").status, 201);
  ASSERT_EQ(SignEntry("vera", record, "verified").status, 201);
  const Json status = Status(kBalance);
  EXPECT_EQ(
      ParseTime(StringMember(Member(status, "last_good_calibration"), "performed_on")).Micros(),
      performed.Micros())
      << CanonicalJson(status);
  EXPECT_EQ(ParseTime(StringMember(status, "calibration_due")).Micros(),
            performed.Micros() + Days(365));
  ExpectError(Calibrate(kBalance, PassingPoints(), Later(performed, -kMicrosPerSecond)), 400,
              "invalid_argument", "performed_on", "a calibration dated before the previous one");
  ASSERT_NO_FATAL_FAILURE(Use(kBalance, "B-2026-0202"));

  const HttpResponse failed = Calibrate(kBalance, FailingPoints());
  ASSERT_EQ(failed.status, 201) << failed.body;
  const Json deviation = Member(ParseOrFail(failed.body), "deviation");
  EXPECT_EQ(StringsOf(deviation, "batches"),
            (std::vector<std::string>{"B-2026-0201", "B-2026-0202"}))
      << "B-2026-0201 was weighed after the last good calibration was performed: "
      << CanonicalJson(deviation);
  EXPECT_EQ(ParseTime(StringMember(deviation, "window_start")).Micros(), performed.Micros())
      << CanonicalJson(deviation);
}

// Environmental monitoring -----------------------------------------------------------------------

// Verifies Annex 1 (2022) 9.4-9.31 and G-04: a QC analyst plans a cabinet's grade A zone and the
// grade B background of its room; each result is assessed as entered against the Annex 1 action
// limit and the site's alert level; an action-level result raises a deviation listing the batches
// that used equipment in the room since the last compliant sample (or since the location was
// defined, when there is none), and the lists of samples and limits show it all.
TEST_P(EquipmentApiTest, AnActionLevelResultRaisesADeviationWithTheBatchesExposed_Annex1_G04) {
  ASSERT_NO_FATAL_FAILURE(SetUpSuite());
  ASSERT_NO_FATAL_FAILURE(ReadyBalance());
  // Grade A allows no growth: no alert level below it.
  const HttpResponse refused = DefineLocation(kZone, "A", {Planned("active_air", 0.5)});
  ExpectError(refused, 400, "invalid_argument", "samples[0].alert_level",
              "an alert level on grade A active air");
  EXPECT_TRUE(Contains(refused.body, "Annex 1")) << refused.body;
  const HttpResponse zone = DefineLocation(
      kZone, "A", {Planned("active_air", std::nullopt), Planned("particles_0_5um", 2000)});
  ASSERT_EQ(zone.status, 201) << zone.body;
  const Json zone_json = ParseOrFail(zone.body);
  EXPECT_EQ(StringMember(zone_json, "grade"), "A");
  EXPECT_EQ(StringMember(zone_json, "room"), kRoom);
  const Json::Array& zone_samples = Items(Member(zone_json, "samples"));
  ASSERT_EQ(zone_samples.size(), 2U) << zone.body;
  EXPECT_EQ(Member(Member(zone_samples[0], "action_limit"), "any_growth"), Json(true));
  EXPECT_EQ(StringMember(Member(zone_samples[0], "action_limit"), "text"), "< 1 CFU/m3");
  EXPECT_EQ(NumberMember(Member(zone_samples[1], "action_limit"), "maximum"), 3520);
  ExpectError(DefineLocation("B101-CORRIDOR", "C", {Planned("active_air", 50)}), 400,
              "invalid_argument", "grade", "a grade C location in a grade B room");
  ExpectError(DefineLocation(kBackground, "B", {Planned("active_air", 10)}), 400,
              "invalid_argument", "samples[0].alert_level", "an alert level at the action limit");
  ASSERT_NO_FATAL_FAILURE(DefineBackground());
  const Json background = ParseOrFail(
      As("otto", "GET", std::string("/api/v1/environment/locations/") + kBackground).body);
  EXPECT_EQ(
      NumberMember(Member(Items(Member(background, "samples")).at(0), "action_limit"), "maximum"),
      10)
      << CanonicalJson(background);

  // Batches at work in the room, between the samples.
  ASSERT_NO_FATAL_FAILURE(Use(kBalance, "B-2026-0101"));
  const std::string first_taken = ServerNow().ToRfc3339();
  const HttpResponse within =
      RecordSample("EM-2026-0001", kBackground, "active_air", 2, "CFU/m3", first_taken);
  ASSERT_EQ(within.status, 201) << within.body;
  EXPECT_EQ(StringMember(ParseOrFail(within.body), "outcome"), "within_limits");
  EXPECT_TRUE(Member(ParseOrFail(within.body), "deviation").IsNull());
  const std::string alert_taken = ServerNow().ToRfc3339();
  const HttpResponse alert =
      RecordSample("EM-2026-0002", kBackground, "active_air", 7, "CFU/m3", alert_taken);
  ASSERT_EQ(alert.status, 201) << alert.body;
  const Json alert_json = ParseOrFail(alert.body);
  EXPECT_EQ(StringMember(alert_json, "outcome"), "alert");
  EXPECT_TRUE(Contains(StringMember(alert_json, "assessment"), "alert level")) << alert.body;
  EXPECT_TRUE(Member(alert_json, "deviation").IsNull()) << "an alert is no deviation";
  ASSERT_NO_FATAL_FAILURE(Use(kBalance, "B-2026-0102"));
  ASSERT_EQ(StartUse(kBalance, "B-2026-0103").status, 201);

  // 0.012 CFU/L is 12 CFU/m3: above the grade B action limit of 10.
  const HttpResponse action = RecordSample("EM-2026-0003", kBackground, "active_air", 0.012,
                                           "CFU/L", ServerNow().ToRfc3339());
  ASSERT_EQ(action.status, 201) << action.body;
  const Json action_json = ParseOrFail(action.body);
  EXPECT_EQ(StringMember(action_json, "outcome"), "action") << action.body;
  EXPECT_EQ(NumberMember(action_json, "result"), 12);
  EXPECT_EQ(NumberMember(action_json, "value_entered"), 0.012);
  EXPECT_EQ(StringMember(action_json, "unit_entered"), "CFU/L");
  EXPECT_EQ(StringMember(action_json, "unit"), "CFU/m3");
  EXPECT_EQ(StringMember(action_json, "recorded_by"), "quinn");
  const Json& excursion = Member(action_json, "deviation");
  ASSERT_TRUE(excursion.IsObject()) << action.body;
  EXPECT_EQ(StringMember(excursion, "source"), "environmental_excursion");
  EXPECT_EQ(StringMember(excursion, "room"), kRoom);
  EXPECT_EQ(StringMember(excursion, "location"), kBackground);
  EXPECT_EQ(StringMember(excursion, "sample"), "EM-2026-0003");
  // Since the last compliant sample (the alert): not the batch before it.
  EXPECT_EQ(StringsOf(excursion, "batches"),
            (std::vector<std::string>{"B-2026-0102", "B-2026-0103"}))
      << action.body;
  EXPECT_EQ(ParseTime(StringMember(excursion, "window_start")).Micros(),
            ParseTime(alert_taken).Micros());
  EXPECT_EQ(CanonicalJson(Deviation(StringMember(excursion, "deviation_id"))),
            CanonicalJson(excursion));

  // In the grade A zone, one colony is an action-level excursion; with no compliant sample before
  // it, every batch since the location was defined may be affected.
  const HttpResponse growth =
      RecordSample("EM-2026-0004", kZone, "active_air", 1, "CFU/m3", ServerNow().ToRfc3339());
  ASSERT_EQ(growth.status, 201) << growth.body;
  const Json growth_json = ParseOrFail(growth.body);
  EXPECT_EQ(StringMember(growth_json, "outcome"), "action") << growth.body;
  EXPECT_TRUE(Contains(StringMember(growth_json, "assessment"), "grade A allows no growth"))
      << growth.body;
  const Json& zone_deviation = Member(growth_json, "deviation");
  EXPECT_EQ(StringsOf(zone_deviation, "batches"),
            (std::vector<std::string>{"B-2026-0101", "B-2026-0102", "B-2026-0103"}))
      << growth.body;
  EXPECT_EQ(StringMember(zone_deviation, "window_start"), StringMember(zone_json, "defined_at"));
  EXPECT_NE(StringMember(zone_deviation, "deviation_id"), StringMember(excursion, "deviation_id"));
  const HttpResponse particles = RecordSample("EM-2026-0005", kZone, "particles_0_5um", 2400,
                                              "particles/m3", ServerNow().ToRfc3339());
  ASSERT_EQ(particles.status, 201) << particles.body;
  EXPECT_EQ(StringMember(ParseOrFail(particles.body), "outcome"), "alert");

  // The samples of one location, with their counts.
  const HttpResponse listed =
      As("otto", "GET", std::string("/api/v1/environment/samples?location=") + kBackground);
  ASSERT_EQ(listed.status, 200) << listed.body;
  const Json samples = ParseOrFail(listed.body);
  EXPECT_EQ(IntegerMember(samples, "within_limits"), 1) << listed.body;
  EXPECT_EQ(IntegerMember(samples, "alerts"), 1);
  EXPECT_EQ(IntegerMember(samples, "excursions"), 1);
  std::set<std::string> ids;
  for (const Json& sample : Items(Member(samples, "samples"))) {
    ids.insert(StringMember(sample, "sample_id"));
    EXPECT_EQ(StringMember(sample, "location"), kBackground);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"EM-2026-0001", "EM-2026-0002", "EM-2026-0003"}));
  const Json zone_list = ParseOrFail(
      As("otto", "GET", std::string("/api/v1/environment/samples?location=") + kZone).body);
  EXPECT_EQ(IntegerMember(zone_list, "alerts"), 1) << CanonicalJson(zone_list);
  EXPECT_EQ(IntegerMember(zone_list, "excursions"), 1);
  const Json everything = ParseOrFail(As("otto", "GET", "/api/v1/environment/samples").body);
  EXPECT_EQ(Items(Member(everything, "samples")).size(), 5U) << CanonicalJson(everything);
  const Json deviations = ParseOrFail(As("otto", "GET", "/api/v1/deviations").body);
  ASSERT_EQ(Items(Member(deviations, "deviations")).size(), 2U) << CanonicalJson(deviations);
  EXPECT_EQ(CanonicalJson(Items(Member(deviations, "deviations"))[0]),
            CanonicalJson(zone_deviation))
      << "newest first";

  // The Annex 1 limits as Aliquot applies them.
  const HttpResponse limits = As("otto", "GET", "/api/v1/environment/limits");
  ASSERT_EQ(limits.status, 200) << limits.body;
  const Json table = ParseOrFail(limits.body);
  EXPECT_TRUE(Contains(StringMember(table, "source"), "Annex 1")) << limits.body;
  std::map<std::string, Json> rows;
  for (const Json& row : Items(Member(table, "limits"))) {
    rows[StringMember(row, "grade") + " " + StringMember(row, "type")] = row;
  }
  EXPECT_EQ(rows.size(), 24U);
  EXPECT_EQ(NumberMember(Member(rows["B active_air"], "in_operation"), "maximum"), 10)
      << CanonicalJson(rows["B active_air"]);
  EXPECT_EQ(StringMember(Member(rows["B active_air"], "in_operation"), "unit"), "CFU/m3");
  EXPECT_EQ(Member(Member(rows["A active_air"], "in_operation"), "any_growth"), Json(true));
  EXPECT_EQ(NumberMember(Member(rows["B particles_0_5um"], "in_operation"), "maximum"), 352000);
  EXPECT_EQ(NumberMember(Member(rows["B particles_0_5um"], "at_rest"), "maximum"), 3520);
  EXPECT_TRUE(Member(rows["D particles_0_5um"], "in_operation").IsNull())
      << CanonicalJson(rows["D particles_0_5um"]);
  EXPECT_EQ(NumberMember(Member(rows["C settle_plate"], "in_operation"), "maximum"), 50);
}

// As of an instant
// ---------------------------------------------------------------------------------

// Verifies P11-05 and G-07: the balance's status read as of an instant between its entries is what
// it was then: out of service at a past instant, in service now; before its registration it did
// not exist; the check at a past instant is answered from the state then.
TEST_P(EquipmentApiTest, TheStatusAsOfAnInstantIsTheStatusThen_P11_05) {
  ASSERT_NO_FATAL_FAILURE(SetUpSuite());
  ASSERT_NO_FATAL_FAILURE(ReadyBalance());
  const std::string in_service = ServerNow().ToRfc3339();
  const HttpResponse out = Record("eddie", kBalance, "out-of-service",
                                  {{"reason", "Draft shield cracked during cleaning"}});
  ASSERT_EQ(out.status, 201) << out.body;
  const std::string out_at = StringMember(EntryOf(ParseOrFail(out.body)), "at");
  const Json out_status = Member(Member(ParseOrFail(out.body), "equipment"), "status");
  EXPECT_EQ(StringMember(Member(out_status, "out_of_service"), "reason"),
            "Draft shield cracked during cleaning")
      << out.body;
  ASSERT_EQ(Record("eddie", kBalance, "maintenance",
                   {{"type", "corrective"}, {"description", "Draft shield replaced"}})
                .status,
            201);
  const HttpResponse returned = Record("eddie", kBalance, "return-to-service",
                                       {{"comment", "Shield replaced, level checked"}});
  ASSERT_EQ(returned.status, 201) << returned.body;
  EXPECT_EQ(Refusal(kBalance, {{"batch", "B-2026-0001"}}), "out_of_service")
      << "a return to service awaits its signature";
  ASSERT_EQ(SignEntry("eddie", RecordOf(returned), "performed").status, 201);
  EXPECT_EQ(Refusal(kBalance, {{"batch", "B-2026-0001"}}), "allowed");
  const std::string back_at = ServerNow().ToRfc3339();

  const Json now = Status(kBalance);
  EXPECT_TRUE(Member(now, "out_of_service").IsNull()) << CanonicalJson(now);
  const Json then = Status(kBalance, out_at);
  EXPECT_EQ(StringMember(then, "at"), out_at);
  EXPECT_EQ(StringMember(Member(then, "out_of_service"), "reason"),
            "Draft shield cracked during cleaning")
      << CanonicalJson(then);
  EXPECT_EQ(StringMember(Member(then, "out_of_service"), "by"), "eddie");
  const Json earlier = Status(kBalance, in_service);
  EXPECT_TRUE(Member(earlier, "out_of_service").IsNull()) << CanonicalJson(earlier);
  EXPECT_EQ(StringMember(earlier, "qualification"), "qualified");
  EXPECT_TRUE(Member(Status(kBalance, back_at), "out_of_service").IsNull());
  EXPECT_EQ(IntegerMember(Equipment(kBalance, out_at), "logbook_entries"),
            IntegerMember(EntryOf(ParseOrFail(out.body)), "entry"));
  // The check at that instant answers from the state then; the answer does not change.
  EXPECT_EQ(Refusal(kBalance, {{"batch", "B-2026-0001"}, {"at", out_at}}), "out_of_service");
  EXPECT_EQ(Get(kBalance, out_at).body, Get(kBalance, out_at).body);

  const std::string registered_at = StringMember(Equipment(kBalance), "registered_at");
  ExpectError(Get(kBalance, Later(ParseTime(registered_at), -kMicrosPerSecond)), 404, "not_found",
              "at", "before the balance was registered");
  ExpectError(Get("BAL-99"), 404, "not_found", "equipment_id", "unknown equipment");
  ExpectError(Get(kBalance, "yesterday"), 400, "invalid_argument", "at", "an instant that is none");
}

// Durability -------------------------------------------------------------------------------------

// Verifies P11-05 and AL-04: after a restart the equipment's status, its logbook with every
// signature, and the deviations are as they were, and work goes on from them.
TEST_P(EquipmentApiTest, StatusLogbookAndDeviationsSurviveARestart_P11_05) {
  ASSERT_NO_FATAL_FAILURE(SetUpSuite());
  ASSERT_NO_FATAL_FAILURE(ReadyCabinet());
  ASSERT_NO_FATAL_FAILURE(ReadyBalance());
  const std::string patient = PatientCode("P0004417");
  ASSERT_NO_FATAL_FAILURE(Use(kCabinet, "B-2026-0001", patient));
  ASSERT_NO_FATAL_FAILURE(Use(kBalance, "B-2026-0001"));
  const HttpResponse failed = Calibrate(kBalance, FailingPoints());
  ASSERT_EQ(failed.status, 201) << failed.body;
  const std::string deviation =
      StringMember(Member(ParseOrFail(failed.body), "deviation"), "deviation_id");
  ASSERT_FALSE(deviation.empty()) << failed.body;
  const std::string as_of = ServerNow().ToRfc3339();
  std::map<std::string, std::string> bodies;
  for (const char* equipment : {kCabinet, kBalance}) {
    bodies[std::string(equipment) + " as of"] = Get(equipment, as_of).body;
    bodies[std::string(equipment) + " now"] =
        CanonicalJson(WithoutReadingTime(Equipment(equipment)));
    bodies[std::string(equipment) + " logbook"] = CanonicalJson(Logbook(equipment));
  }
  bodies["deviations"] = As("otto", "GET", "/api/v1/deviations").body;
  bodies["rooms"] = As("otto", "GET", "/api/v1/rooms").body;

  ASSERT_NO_FATAL_FAILURE(Restart());
  for (const char* equipment : {kCabinet, kBalance}) {
    EXPECT_EQ(Get(equipment, as_of).body, bodies[std::string(equipment) + " as of"]) << equipment;
    EXPECT_EQ(CanonicalJson(WithoutReadingTime(Equipment(equipment))),
              bodies[std::string(equipment) + " now"])
        << equipment;
    EXPECT_EQ(CanonicalJson(Logbook(equipment)), bodies[std::string(equipment) + " logbook"])
        << equipment;
  }
  EXPECT_EQ(As("otto", "GET", "/api/v1/deviations").body, bodies["deviations"]);
  EXPECT_EQ(As("otto", "GET", "/api/v1/rooms").body, bodies["rooms"]);
  const Json logbook = Logbook(kCabinet);
  const Json::Array& entries = Items(Member(logbook, "entries"));
  ASSERT_EQ(entries.size(), 9U);
  EXPECT_EQ(StringMember(Member(entries[4], "verified"), "by"), "vera")
      << CanonicalJson(entries[4]);

  // Work goes on from there: the same patient may use the cabinet, another may not; the balance
  // waits for a passing calibration, and the next deviation is numbered after the first.
  EXPECT_EQ(Refusal(kCabinet, {{"batch", "B-2026-0001"}, {"patient_code", patient}}), "allowed");
  EXPECT_EQ(
      Refusal(kCabinet, {{"batch", "B-2026-0002"}, {"patient_code", PatientCode("P0009921")}}),
      "not_clean");
  EXPECT_EQ(Refusal(kBalance, {{"batch", "B-2026-0002"}}), "calibration_overdue");
  const HttpResponse again = Calibrate(kBalance, FailingPoints());
  ASSERT_EQ(again.status, 201) << again.body;
  const std::string second =
      StringMember(Member(ParseOrFail(again.body), "deviation"), "deviation_id");
  EXPECT_EQ(second, deviation.substr(0, deviation.size() - 4) + "0002");
  ASSERT_NO_FATAL_FAILURE(PassCalibration(kBalance));
  EXPECT_EQ(Refusal(kBalance, {{"batch", "B-2026-0002"}}), "allowed");
}

}  // namespace
}  // namespace aliquot
