// Electronic batch records through the HTTP API, as the people of the demo site meet them: a new
// patient's apheresis collection is received, judged and released; the supervisor creates the
// batch from the effective master batch record version; the operators execute every step of its
// control recipe at the tablet while every rule is enforced at the moment of the action; a second
// person verifies where the recipe asks; QA reviews by exception and releases by e-signature
// (G-02 to G-05, P11-05, P11-06, A11-01, A11-04, T-01, AL-01).
//
// A CAR-T batch takes about ten days with hold times of hours, which a server on the wall clock
// cannot run through in a test. So the server here is the real one (http::HttpServer on
// 127.0.0.1, port 0, with every route of `aliquot serve`) over the real services and a real store
// (SQLite in a temporary folder, PostgreSQL in a database of the test's own), run in the test's
// process on a FakeClock that the test moves on. The site is the demo's (app::CreateDemoSite, 75
// days of history on a DemoClock). A restart stops the server, closes the services and the store,
// and opens them again over the same database; sessions live in memory, so everyone signs in
// again. Every test runs on both engines.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/app/demo_clock.h"
#include "aliquot/app/demo_site.h"
#include "aliquot/app/ledger_service.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/services.h"
#include "aliquot/core/check.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/domain/recipes/formula.h"
#include "aliquot/domain/units/units.h"
#include "aliquot/http/api_routes.h"
#include "aliquot/http/metrics.h"
#include "aliquot/http/router.h"
#include "aliquot/http/server.h"
#include "aliquot/storage/postgres/pg_store.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/api/site.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/postgres.h"
#include "tests/support/temp_dir.h"

namespace aliquot {
namespace {

using testing::Body;
using testing::Engine;
using testing::Headers;
using testing::HttpResponse;
using testing::ParseOrFail;
using testing::StringMember;

constexpr std::int64_t kMinute = 60 * kMicrosPerSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

// When the demo ends and the tests begin: Thursday 2026-04-16T08:00:00Z, as in the demo's own
// tests (its monitoring routine depends on the weekday; its ids all read "-2026-").
constexpr std::int64_t kDemoEnds = 1776326400LL * kMicrosPerSecond;

constexpr const char* kRecord = "MBR-CAR19";
// The new patient's collection: received by wendy at goods-in (docs/demo.md lists AP-2026-0001
// to AP-2026-0009), its donor code's body; the label printer adds the check character.
constexpr const char* kCollection = "AP-2026-0010";
constexpr const char* kDonorBody = "W041326000502";
constexpr double kCollectionMl = 200;
constexpr double kShippingMinC = 3.6;
constexpr double kShippingMaxC = 6.4;
constexpr int kHoursSinceCollection = 18;
// The patient's body weight and prescribed dose (CAR+ viable cells per kg), from the order.
constexpr double kBodyWeightKg = 72.5;
constexpr double kPrescribedDose = 1.0e6;

// The operators at the suite 2 tablet, in the order they are asked to work; vera, the supervisor
// (role verifier), works a step only when neither operator is qualified on its SOP.
const std::vector<std::string>& Operators() {
  static const std::vector<std::string> kOperators = {"priya", "oliver", "vera"};
  return kOperators;
}

// --- JSON ----------------------------------------------------------------------------------------

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

double NumberOf(const Json& value, double otherwise = 0) {
  return value.IsNumber() ? value.AsNumber() : otherwise;
}

std::int64_t IntegerOf(const Json& value) {
  const std::optional<std::int64_t> integer = value.IsNumber() ? value.AsInteger() : std::nullopt;
  return integer.value_or(-1);
}

std::optional<double> OptionalNumber(const Json& value) {
  if (!value.IsNumber()) return std::nullopt;
  return value.AsNumber();
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `object` without the members `names`: what must stay the same when only they may change.
Json Without(const Json& object, const std::vector<std::string>& names) {
  if (!object.IsObject()) return object;
  Json copy = Json::MakeObject();
  for (const auto& [name, value] : object.AsObject()) {
    if (std::find(names.begin(), names.end(), name) == names.end()) copy.Set(name, value);
  }
  return copy;
}

// Where `a` and `b` first differ, as a path to the member ("steps/3/status: ... vs ..."), for
// failure messages; "" when they are equal.
std::string FirstDifference(const Json& a, const Json& b, const std::string& path = "") {
  if (a == b) return "";
  if (a.IsObject() && b.IsObject()) {
    for (const auto& [name, value] : a.AsObject()) {
      std::string inner = path;
      inner.append("/").append(name);
      std::string found = FirstDifference(value, Member(b, name), inner);
      if (!found.empty()) return found;
    }
    for (const auto& [name, value] : b.AsObject()) {
      if (a.Find(name) != nullptr) continue;
      std::string found = path;
      found.append("/").append(name).append(": missing vs present");
      return found;
    }
  }
  if (a.IsArray() && b.IsArray()) {
    const std::size_t common = std::min(a.AsArray().size(), b.AsArray().size());
    for (std::size_t i = 0; i < common; ++i) {
      std::string found =
          FirstDifference(a.AsArray()[i], b.AsArray()[i], path + "/" + std::to_string(i));
      if (!found.empty()) return found;
    }
    return path + ": " + std::to_string(a.AsArray().size()) + " items vs " +
           std::to_string(b.AsArray().size());
  }
  return path + ": " + CanonicalJson(a).substr(0, 300) + " vs " + CanonicalJson(b).substr(0, 300);
}

// The error body of `response`, which must have `status`, with `code` and `field` and a message.
void ExpectError(const HttpResponse& response, int status, const std::string& code,
                 const std::string& field, const std::string& context) {
  EXPECT_EQ(response.status, status) << context << ": " << response.body;
  const Json body = ParseOrFail(response.body);
  EXPECT_EQ(StringMember(body, "code"), code) << context << ": " << response.body;
  EXPECT_EQ(StringMember(body, "field"), field) << context << ": " << response.body;
  EXPECT_FALSE(StringMember(body, "message").empty()) << context << ": " << response.body;
}

Timestamp TimeOf(const Json& value) {
  if (!value.IsString()) return {};
  const Result<Timestamp> parsed = Timestamp::ParseRfc3339(value.AsString());
  EXPECT_TRUE(parsed) << value.AsString();
  return parsed ? *parsed : Timestamp();
}

// "5 %" or "0.2 mL" as a quantity; an empty text is none.
std::optional<recipes::Quantity> QuantityOf(const std::string& text) {
  if (text.empty()) return std::nullopt;
  Result<recipes::Quantity> quantity = recipes::ParseQuantity(text, "quantity");
  if (!quantity) return std::nullopt;
  return *quantity;
}

// The site's keys, fixed: the tests are hermetic, with no unseeded randomness of their own.
SecretKey FixedCredentialsKey() {
  std::array<std::uint8_t, SecretKey::kSize> bytes{};
  bytes.fill(0x5a);
  Result<SecretKey> key = SecretKey::FromBytes(bytes);
  ALIQUOT_CHECK(key.has_value());
  return *key;
}

Ed25519SigningKey FixedSigningKey() {
  Ed25519SigningKey::Seed seed{};
  seed.fill(0x17);
  return Ed25519SigningKey::FromSeed(seed);
}

// --- The control recipe, as the executed record shows it -----------------------------------------

// A step of the control recipe with the unit procedure it belongs to.
struct RecipeStep {
  std::string procedure;
  const Json* definition = nullptr;
  std::string Id() const { return StringMember(*definition, "id"); }
};

// Every step of `definition` in recipe order.
std::vector<RecipeStep> StepsOf(const Json& definition) {
  std::vector<RecipeStep> steps;
  for (const Json& procedure : Items(Member(definition, "unit_procedures"))) {
    for (const Json& step : Items(Member(procedure, "operations"))) {
      steps.push_back({StringMember(procedure, "id"), &step});
    }
  }
  return steps;
}

const Json* FindStep(const Json& definition, const std::string& id) {
  for (const RecipeStep& step : StepsOf(definition)) {
    if (step.Id() == id) return step.definition;
  }
  return nullptr;
}

// The named member of `step`'s list `list` ("parameters", "calculations") with id `id`.
const Json* FindIn(const Json& step, std::string_view list, const std::string& id) {
  for (const Json& item : Items(Member(step, list))) {
    if (StringMember(item, "id") == id) return &item;
  }
  return nullptr;
}

// A duration of the recipe ("18 h", "30 min", "7 d") in microseconds.
std::int64_t MicrosOf(const std::string& text) {
  const std::optional<recipes::Quantity> quantity = QuantityOf(text);
  if (!quantity) {
    ADD_FAILURE() << "'" << text << "' is not a duration";
    return 0;
  }
  return static_cast<std::int64_t>(
      std::llround(quantity->value * quantity->unit.Factor() * kMicrosPerSecond));
}

// How a step is executed.
struct Execution {
  std::string performer;  // Empty: OperatorFor(the step's SOP).
  bool wait = true;       // Wait for the time rules (EarliestStart) before starting.
  bool enter = true;      // Once started, scan, enter, consume and sample.
  bool complete = true;   // Complete it, after its minimum duration.
  bool verify = true;     // Once complete, have it verified where the recipe asks.
};

// --- The fixture: the demo site served in process ------------------------------------------------

// A person's session at their terminal, renewed before the site's policy ends it (15 idle
// minutes, 12 hours), since the test's clock jumps hours at a time.
struct SignedIn {
  std::string token;
  std::string terminal;
  Timestamp signed_in;
  Timestamp last_used;
};

class BatchApiTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::kPostgres) {
      database_.emplace();
      if (HasFatalFailure()) return;
    }
    // The demo's history runs on its own clock, from 75 days before the fake clock's now; the
    // services keep it, and it is the fake clock's time again once the demo returns.
    demo_clock_ = std::make_unique<app::DemoClock>(clock_, app::DemoStart(clock_.Now()));
    ASSERT_NO_FATAL_FAILURE(Open(*demo_clock_));
    std::vector<std::string> said;
    const Status created =
        app::CreateDemoSite(*services_, *demo_clock_, "cli:test-host",
                            [&said](std::string_view line) { said.emplace_back(line); });
    ASSERT_EQ(testing::Describe(created), "ok")
        << "the demo's last line: " << (said.empty() ? "none" : said.back());
    ASSERT_EQ(clock_.Now().Micros(), kDemoEnds);
  }

  void TearDown() override { Close(); }

  // Opens the store, the services on `clock` and the server with every route of the API.
  void Open(Clock& clock) {
    if (database_) {
      storage::PgStoreOptions options;
      options.url = database_->Url();
      auto store = storage::PgStore::Open(options, clock, *projector_);
      ASSERT_EQ(testing::Describe(store), "ok");
      blobs_ = store->get();
      store_ = std::move(*store);
    } else {
      storage::SqliteStoreOptions options;
      options.path = (dir_ / "aliquot.db").string();
      options.mode = storage::OpenMode::kReadWriteCreate;
      auto store = storage::SqliteStore::Open(options, clock, *projector_);
      ASSERT_EQ(testing::Describe(store), "ok");
      blobs_ = store->get();
      store_ = std::move(*store);
    }
    ledger_ = std::make_unique<app::LedgerService>(*store_, clock, signing_key_, *projector_);
    // The cheapest password hash: the demo checks every password and signature with it.
    auto services =
        app::Services::Create(*store_, *blobs_, clock, credentials_key_,
                              {PasswordHashCost::Minimum(), app::kDefaultMaxUploadBytes});
    ASSERT_EQ(testing::Describe(services), "ok");
    services_ = std::move(*services);
    metrics_ = std::make_unique<http::Metrics>();
    router_ = std::make_unique<http::Router>();
    http::AddApiRoutes(*router_, *services_, *ledger_, *metrics_, [this]() -> Status {
      return store_->Head().map([](const app::LedgerHead&) {});
    });
    http::ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.max_connections = 8;
    options.clock = &clock;
    options.request_id_seed = 20260416;
    auto server = http::HttpServer::Start(options, *router_, *metrics_);
    ASSERT_EQ(testing::Describe(server), "ok");
    server_ = std::move(*server);
  }

  // Stops the server and closes the services and the store; sessions end with them.
  void Close() {
    if (server_) server_->Shutdown(std::chrono::seconds(5));
    server_.reset();
    router_.reset();
    metrics_.reset();
    services_.reset();
    ledger_.reset();
    store_.reset();
    blobs_ = nullptr;
    sessions_.clear();
  }

  // Stops the server and opens everything again over the same database, on the fake clock.
  void Restart() {
    Close();
    ASSERT_NO_FATAL_FAILURE(Open(clock_));
  }

  std::uint16_t Port() const { return server_ ? server_->Port() : 0; }

  Timestamp Now() { return clock_.Now(); }
  void Advance(std::int64_t micros) { clock_.Advance(micros); }
  // Moves the clock on to `t`, if it is later.
  void AdvanceTo(Timestamp t) {
    if (t.Micros() > clock_.Now().Micros()) clock_.Set(t);
  }

  // --- People --------------------------------------------------------------------------------

  // Where `user` works (docs/demo.md): operators and the verifier at the suite 2 tablet, everyone
  // else at the QA workstation.
  static std::string TerminalOf(const std::string& user) {
    const bool suite = user == "oliver" || user == "priya" || user == "vera";
    return std::string(suite ? app::kDemoSuiteTabletToken : app::kDemoQaTerminalToken);
  }

  // `user`'s session, signed in (again) when it would have ended; nullptr with a test failure.
  const SignedIn* SessionOf(const std::string& user) {
    const Timestamp now = Now();
    auto found = sessions_.find(user);
    if (found != sessions_.end() &&
        now.Micros() - found->second.last_used.Micros() < 10 * kMinute &&
        now.Micros() - found->second.signed_in.Micros() < 11 * kHour) {
      found->second.last_used = now;
      return &found->second;
    }
    SignedIn session;
    session.terminal = TerminalOf(user);
    const HttpResponse response = testing::HttpRequest(
        Port(), "POST", "/api/v1/session", testing::TerminalHeader(session.terminal),
        Body({{"user_name", user}, {"password", std::string(app::kDemoPassword)}}));
    if (response.status != 201) {
      ADD_FAILURE() << "sign-in of " << user << " answered " << response.status << ": "
                    << response.body;
      return nullptr;
    }
    session.token = StringMember(ParseOrFail(response.body), "token");
    session.signed_in = now;
    session.last_used = now;
    sessions_[user] = session;
    return &sessions_[user];
  }

  // A request as `user`, at their terminal.
  HttpResponse As(const std::string& user, const std::string& method, const std::string& target,
                  const std::string& body = "", const Headers& extra = {}) {
    const SignedIn* session = SessionOf(user);
    if (session == nullptr) return {};
    Headers headers = {{"X-Aliquot-Terminal", session->terminal},
                       {"Authorization", "Bearer " + session->token}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return testing::HttpRequest(Port(), method, target, headers, body);
  }

  // GET `target` as `user`, which must answer 200; its body.
  Json Read(const std::string& user, const std::string& target) {
    const HttpResponse response = As(user, "GET", target);
    EXPECT_EQ(response.status, 200) << user << " reading " << target << ": " << response.body;
    return ParseOrFail(response.body);
  }

  // POST /api/v1/records/{type}/{id}/signatures as `user` with the demo password, over the
  // content hash they are shown first, with `comment` when not empty.
  HttpResponse Sign(const std::string& user, const std::string& type, const std::string& id,
                    const std::string& meaning, const std::string& comment = "") {
    const std::string target = "/api/v1/records/" + type + "/" + id + "/signatures";
    const HttpResponse shown = As(user, "GET", target);
    EXPECT_EQ(shown.status, 200) << user << " reading " << target << ": " << shown.body;
    Json::Object body{{"meaning", meaning},
                      {"content_hash", StringMember(ParseOrFail(shown.body), "content_hash")},
                      {"password", std::string(app::kDemoPassword)}};
    if (!comment.empty()) body.emplace_back("comment", comment);
    return As(user, "POST", target, Body(std::move(body)));
  }

  // POST `target` as `user` with the JSON object `body`.
  HttpResponse Post(const std::string& user, const std::string& target, Json::Object body,
                    const Headers& extra = {}) {
    return As(user, "POST", target, Body(std::move(body)), extra);
  }

  // --- The new patient and their batch --------------------------------------------------------

  // The chain-of-identity code of the new patient, as the label printer prints it (T-02).
  static std::string PatientCode() {
    return "DIN-" + std::string(kDonorBody) + "-" +
           std::string(1, materials::DonorCodeCheckCharacter(kDonorBody));
  }

  // The code a label of identifier `identifier` carries.
  static std::string LabelOf(const std::string& identifier) {
    return identifier == "patient_code" ? PatientCode() : std::string(kCollection);
  }

  // wendy receives the new patient's collection at goods-in, with its shipping record; bram
  // determines the donor eligible and anna releases it (T-04).
  void ReceiveCollection() {
    HttpResponse response = Post(
        "wendy", "/api/v1/lots/collections",
        {{"lot_id", kCollection},
         {"material", "MAT-APHERESIS"},
         {"donor_code", PatientCode()},
         {"collection_facility", "Apheresis unit, Rijnland Academic Hospital, Leiden"},
         {"collected_at",
          Timestamp::FromMicros(Now().Micros() - (kHoursSinceCollection * kHour - 30 * kMinute))
              .ToRfc3339()},
         {"quantity", kCollectionMl},
         {"unit", "mL"},
         {"shipping_min_c", kShippingMinC},
         {"shipping_max_c", kShippingMaxC},
         {"receiving_code", "GR-2026-0210"},
         {"storage_location", "Apheresis quarantine fridge QF-02 (2-8 C), one patient per shelf"}});
    ASSERT_EQ(response.status, 201) << response.body;
    Advance(15 * kMinute);
    response = Post("bram", std::string("/api/v1/lots/") + kCollection + "/eligibility",
                    {{"eligible", true},
                     {"basis",
                      "Autologous donor: screening questionnaire and medical history reviewed; "
                      "infectious disease markers non-reactive on the collection-day sample"}});
    ASSERT_EQ(response.status, 201) << response.body;
    Advance(10 * kMinute);
    response = Sign("anna", "material_lot", kCollection, "released",
                    "Chain of identity checked against the order; logger 2-8 C throughout; donor "
                    "eligible");
    ASSERT_EQ(response.status, 201) << response.body;
    Advance(5 * kMinute);
  }

  // vera, the supervisor, creates the new patient's batch from the version of MBR-CAR19
  // effective now (G-02), with its chain-of-identity identifiers, the order's inputs and the
  // collection as its starting material (T-01); batch_ and recipe_ are then the batch and its
  // control recipe.
  void CreateBatch() {
    const HttpResponse response = Post(
        "vera", "/api/v1/batches",
        {{"master_batch_record", kRecord},
         {"identifiers",
          Json::Object{{"patient_code", PatientCode()}, {"collection_id", kCollection}}},
         {"inputs",
          Json::Object{
              {"body_weight", Json::Object{{"value", kBodyWeightKg}, {"unit", "kg"}}},
              {"prescribed_dose", Json::Object{{"value", kPrescribedDose}, {"unit", "cells/kg"}}}}},
         {"starting_material", kCollection}});
    ASSERT_EQ(response.status, 201) << response.body;
    const Json created = ParseOrFail(response.body);
    batch_ = StringMember(created, "batch_id");
    ASSERT_FALSE(batch_.empty()) << response.body;
    EXPECT_EQ(StringMember(created, "status"), "planned");
    const Json record = RecordOf();
    recipe_ = Member(Member(record, "control_recipe"), "definition");
    ASSERT_TRUE(recipe_.IsObject()) << CanonicalJson(record);
    Advance(10 * kMinute);
  }

  // The new patient's collection received and released, and their batch created.
  void NewBatch() {
    ASSERT_NO_FATAL_FAILURE(ReceiveCollection());
    ASSERT_NO_FATAL_FAILURE(CreateBatch());
  }

  std::string BatchPath() const { return "/api/v1/batches/" + batch_; }
  std::string StepPath(const std::string& step) const { return BatchPath() + "/steps/" + step; }

  // The batch as GET /api/v1/batches/{batch} shows it to quinn.
  Json BatchOf() { return Read("quinn", BatchPath()); }
  // The executed batch record (G-03) as GET .../record shows it to quinn.
  Json RecordOf() { return Read("quinn", BatchPath() + "/record"); }

  // The step `step` of `batch` (a batch or record).
  static const Json& StepOf(const Json& batch, const std::string& step) {
    for (const Json& item : Items(Member(batch, "steps"))) {
      if (StringMember(item, "step") == step) return item;
    }
    static const Json kNull;
    return kNull;
  }

  // --- Executing a step, as the recipe says --------------------------------------------------

  // Who works on a step to `sop`: the first of Operators() qualified on the version effective now,
  // as each reads their own qualification (G-11).
  std::string OperatorFor(const std::string& sop) {
    for (const std::string& user : Operators()) {
      std::string target = "/api/v1/training/qualification?user=" + user;
      target.append("&document=").append(sop);
      const Json qualification = Read(user, target);
      if (Member(qualification, "qualified").IsBool() &&
          Member(qualification, "qualified").AsBool()) {
        return user;
      }
    }
    ADD_FAILURE() << "nobody at the tablet is qualified on " << sop;
    return Operators().front();
  }

  // Who checks a step as the second person, or a cleaning as its verifier: vera, unless it is
  // her own work (A11-01).
  static std::string SecondPersonFor(const std::string& performer) {
    return performer == "vera" ? "priya" : "vera";
  }

  // When `point` ({"step", "at"}) of the batch happened, or nullopt when it has not yet.
  static std::optional<Timestamp> PointTime(const Json& batch, const Json& point) {
    const Json& step = StepOf(batch, StringMember(point, "step"));
    const Json& time =
        Member(step, StringMember(point, "at") == "start" ? "started_at" : "completed_at");
    if (!time.IsString()) return std::nullopt;
    return TimeOf(time);
  }

  // The earliest a step can start by the control recipe's time rules: each minimum into its start
  // met (with a minute to spare), and for a maximum from its end to a later step, late enough that
  // the later step's own minimum is met inside it (the vector is thawed just before the
  // transduction window opens, not a day early).
  Timestamp EarliestStart(const std::string& step) {
    const Json batch = BatchOf();
    std::int64_t earliest = Now().Micros();
    const Json::Array& rules = Items(Member(recipe_, "time_rules"));
    for (const Json& rule : rules) {
      const Json& to = Member(rule, "to");
      if (StringMember(to, "step") != step || StringMember(to, "at") != "start") continue;
      if (StringMember(rule, "min").empty()) continue;
      if (const std::optional<Timestamp> from = PointTime(batch, Member(rule, "from"))) {
        earliest =
            std::max(earliest, from->Micros() + MicrosOf(StringMember(rule, "min")) + kMinute);
      }
    }
    for (const Json& window : rules) {
      if (StringMember(Member(window, "from"), "step") != step) continue;
      if (StringMember(window, "max").empty()) continue;
      const Json& later = Member(window, "to");
      for (const Json& rule : rules) {
        const Json& to = Member(rule, "to");
        if (StringMember(to, "step") != StringMember(later, "step") ||
            StringMember(to, "at") != StringMember(later, "at") ||
            StringMember(rule, "min").empty() ||
            StringMember(Member(rule, "from"), "step") == step) {
          continue;
        }
        if (const std::optional<Timestamp> from = PointTime(batch, Member(rule, "from"))) {
          earliest = std::max(earliest, from->Micros() + MicrosOf(StringMember(rule, "min")) -
                                            MicrosOf(StringMember(window, "max")) / 2);
        }
      }
    }
    return Timestamp::FromMicros(earliest);
  }

  // `cleaner` cleans `equipment` and signs it performed; a second person verifies it where the
  // equipment's rules ask (G-07).
  void Clean(const std::string& equipment, const std::string& cleaner) {
    const Json state = Read(cleaner, "/api/v1/equipment/" + equipment);
    const bool cabinet = Member(state, "class").IsString() &&
                         Member(state, "class").AsString() == "biosafety_cabinet";
    const HttpResponse cleaned =
        Post(cleaner, "/api/v1/equipment/" + equipment + "/cleanings",
             {{"agent", cabinet ? "Sporicidal agent (hydrogen peroxide and peracetic acid), then "
                                  "sterile 70% IPA"
                                : "Sterile 70% IPA"},
              {"method", "Wiped down inside and out, between patients (SOP-CT-009)"}});
    ASSERT_EQ(cleaned.status, 201) << equipment << ": " << cleaned.body;
    const std::string entry =
        StringMember(Member(Member(ParseOrFail(cleaned.body), "entry"), "record"), "id");
    ASSERT_FALSE(entry.empty()) << cleaned.body;
    ++cleanings_;
    Advance(kMinute);
    HttpResponse signed_entry = Sign(cleaner, "logbook_entry", entry, "performed");
    ASSERT_EQ(signed_entry.status, 201) << signed_entry.body;
    const std::vector<std::string> checks = StringsOf(state, "second_person_checks");
    if (std::find(checks.begin(), checks.end(), "cleaning") != checks.end()) {
      Advance(kMinute);
      signed_entry = Sign(SecondPersonFor(cleaner), "logbook_entry", entry, "verified");
      ASSERT_EQ(signed_entry.status, 201) << signed_entry.body;
    }
    Advance(kMinute);
  }

  // A piece of equipment of each class `step` needs that passes the equipment check for this
  // batch and patient now, cleaned first where the check finds it not clean.
  std::vector<std::string> EquipmentFor(const Json& step, const std::string& performer) {
    std::vector<std::string> chosen;
    for (const std::string& equipment_class : StringsOf(step, "equipment")) {
      const Json listed = Read(performer, "/api/v1/equipment?class=" + equipment_class);
      std::string found;
      for (const Json& candidate : Items(Member(listed, "equipment"))) {
        const std::string id = StringMember(candidate, "equipment_id");
        if (std::find(chosen.begin(), chosen.end(), id) != chosen.end()) continue;
        const auto check = [&]() {
          return ParseOrFail(Post(performer, "/api/v1/equipment/" + id + "/check",
                                  {{"class", equipment_class},
                                   {"batch", batch_},
                                   {"product", "CAR19"},
                                   {"patient_code", PatientCode()}})
                                 .body);
        };
        Json answer = check();
        if (StringMember(answer, "reason") == "not_clean") {
          Clean(id, performer);
          answer = check();
        }
        if (Member(answer, "allowed").IsBool() && Member(answer, "allowed").AsBool()) {
          found = id;
          break;
        }
      }
      if (found.empty()) {
        ADD_FAILURE() << "no " << equipment_class << " passes the equipment check for " << batch_;
        continue;
      }
      chosen.push_back(found);
    }
    return chosen;
  }

  // Values the generic choice would get wrong: the collection's own record, what is left of it
  // after the incoming sample, an enrichment that recovers a realistic share of the T cells, and
  // the vector titer from the lot's certificate. By "step.parameter".
  static const std::map<std::string, double>& ChosenValues() {
    static const std::map<std::string, double> kChosen = {
        {"apheresis_receipt.shipping_min_temperature", kShippingMinC},
        {"apheresis_receipt.shipping_max_temperature", kShippingMaxC},
        {"apheresis_receipt.hours_since_collection", kHoursSinceCollection},
        {"apheresis_receipt.apheresis_volume", kCollectionMl},
        {"wash_enrichment.volume_processed", kCollectionMl - 2},
        {"enriched_count.viable_concentration", 2.0e7},
        {"transduction.vector_titer", 4.2e8},
    };
    return kChosen;
  }

  // A value of `parameter` within its alert limits, as entered: its target, else the middle of
  // its limits (three times a lower limit alone, half an upper one); the first acceptable choice;
  // the expected answer; a text; nothing for a timestamp, which records the server's time.
  static Json::Object ValueFor(const std::string& step, const Json& parameter) {
    const std::string kind = StringMember(parameter, "kind");
    const std::string unit = StringMember(parameter, "unit");
    Json::Object value;
    if (kind == "number" || kind == "integer") {
      double number = 1;
      const auto chosen = ChosenValues().find(step + "." + StringMember(parameter, "id"));
      const Json& alert = Member(parameter, "alert");
      const Json& action = Member(parameter, "action");
      const std::optional<double> low = OptionalNumber(Member(alert, "low")).has_value()
                                            ? OptionalNumber(Member(alert, "low"))
                                            : OptionalNumber(Member(action, "low"));
      const std::optional<double> high = OptionalNumber(Member(alert, "high")).has_value()
                                             ? OptionalNumber(Member(alert, "high"))
                                             : OptionalNumber(Member(action, "high"));
      if (chosen != ChosenValues().end()) {
        number = chosen->second;
      } else if (const std::optional<double> target = OptionalNumber(Member(parameter, "target"))) {
        number = *target;
      } else if (low && high) {
        number = (*low + *high) / 2;
      } else if (low) {
        number = *low > 0 ? *low * 3 : *low + 1;
      } else if (high) {
        number = *high > 0 ? *high / 2 : *high * 2;
      }
      if (kind == "integer") number = std::round(number);
      value.emplace_back("value", number);
      if (!unit.empty()) value.emplace_back("unit", unit);
    } else if (kind == "boolean") {
      const Json& expected = Member(parameter, "expected");
      value.emplace_back("value", expected.IsBool() ? expected.AsBool() : true);
    } else if (kind == "choice") {
      std::vector<std::string> acceptable = StringsOf(parameter, "acceptable");
      if (acceptable.empty()) acceptable = StringsOf(parameter, "options");
      value.emplace_back("value", acceptable.empty() ? std::string() : acceptable.front());
    } else if (kind == "timestamp") {
      // No value: the server's time is the record.
    } else {
      value.emplace_back("value",
                         StringMember(parameter, "name").substr(0, 20) + " " + kCollection);
    }
    return value;
  }

  // `user` records `parameter`'s value on `step`, from the instrument in use where the recipe
  // names one (AL-02: the instrument's reading is the original).
  HttpResponse EnterValue(const std::string& user, const Json& step, const Json& parameter,
                          const std::vector<std::string>& equipment) {
    const std::string step_id = StringMember(step, "id");
    Json::Object body{{"parameter", StringMember(parameter, "id")}};
    for (auto& member : ValueFor(step_id, parameter)) body.push_back(std::move(member));
    const Json& source = Member(parameter, "source");
    if (source.IsObject()) {
      const std::vector<std::string> classes = StringsOf(step, "equipment");
      for (std::size_t i = 0; i < classes.size() && i < equipment.size(); ++i) {
        if (classes[i] != StringMember(source, "equipment_class")) continue;
        body.emplace_back("instrument", Json::Object{{"equipment", equipment[i]},
                                                     {"tag", StringMember(source, "tag")}});
        break;
      }
    }
    return Post(user, StepPath(step_id) + "/values", std::move(body));
  }

  // What the formulas of `step` read: the values in force of the record's entries (in the unit
  // the recipe gives their subject) and the batch inputs as entered.
  static recipes::ValueLookup ValuesOf(const Json& record, const std::string& step) {
    std::map<std::string, recipes::NameValue> values;
    for (const Json& entry : Items(Member(record, "entries"))) {
      if (!Member(entry, "corrected_by").IsNull() || !Member(entry, "in_unit").IsNumber()) {
        continue;
      }
      recipes::NameValue value;
      value.value = Member(entry, "in_unit").AsNumber();
      if (Member(entry, "unit").IsString()) {
        auto unit = units::Unit::Parse(Member(entry, "unit").AsString(), "unit");
        if (!unit) continue;
        value.unit = *unit;
      }
      values[StringMember(entry, "step") + "." + StringMember(entry, "subject")] = value;
    }
    for (const auto& [id, input] : Member(record, "inputs").AsObject()) {
      const Json& entered = Member(input, "value");
      recipes::NameValue value;
      value.value = NumberOf(Member(entered, "number"));
      if (auto unit = units::Unit::Parse(StringMember(entered, "unit"), "unit")) value.unit = *unit;
      values["batch." + id] = value;
    }
    return [values, step](std::string_view name) -> std::optional<recipes::NameValue> {
      const std::string key = name.find('.') == std::string_view::npos
                                  ? step + "." + std::string(name)
                                  : std::string(name);
      const auto found = values.find(key);
      if (found == values.end()) return std::nullopt;
      return found->second;
    };
  }

  // How much of `line`'s material the step takes now, in `lot_unit`: its quantity, or its formula
  // evaluated from the values entered, to the millionth a lot's balance is kept in.
  double AmountFor(const std::string& step, const Json& line, const std::string& lot_unit) {
    const Result<units::Unit> unit = units::Unit::Parse(lot_unit, "unit");
    EXPECT_TRUE(unit) << lot_unit;
    if (!unit) return 0;
    const std::string quantity = StringMember(line, "quantity");
    double amount = 0;
    if (const std::optional<recipes::Quantity> fixed = QuantityOf(quantity)) {
      amount = fixed->value * fixed->unit.Factor() / unit->Factor();
    } else {
      const Result<recipes::Formula> formula = recipes::Formula::Parse(quantity, "quantity");
      EXPECT_EQ(testing::Describe(formula), "ok") << quantity;
      if (!formula) return 0;
      const Result<double> evaluated = recipes::EvaluateFormula(
          *formula, ValuesOf(RecordOf(), step), *unit, StringMember(line, "material"));
      EXPECT_EQ(testing::Describe(evaluated), "ok") << quantity;
      if (!evaluated) return 0;
      amount = *evaluated;
    }
    return std::round(amount * 1e6) / 1e6;
  }

  // The labels of released lots (a container where the lot has them) that pass the point-of-use
  // check for `amount` of `material`, and how much of each; never another patient's collection.
  std::vector<std::pair<std::string, double>> LotsFor(const std::string& user,
                                                      const std::string& material, double amount,
                                                      const std::string& unit) {
    std::vector<std::pair<std::string, double>> taken;
    double left = amount;
    const Json lots = Read(user, "/api/v1/lots?material=" + material + "&status=released");
    for (const Json& lot : Items(Member(lots, "lots"))) {
      if (left <= 1e-9) break;
      const Json& collection = Member(lot, "collection");
      if (collection.IsObject() && StringMember(collection, "donor_code") != PatientCode())
        continue;
      if (Member(lot, "patient_code").IsString() &&
          Member(lot, "patient_code").AsString() != PatientCode()) {
        continue;
      }
      std::vector<std::pair<std::string, double>> labels;
      for (const Json& container : Items(Member(lot, "containers"))) {
        labels.emplace_back(StringMember(container, "container_id"),
                            NumberOf(Member(container, "balance")));
      }
      if (labels.empty())
        labels.emplace_back(StringMember(lot, "lot_id"), NumberOf(Member(lot, "balance")));
      for (const auto& [label, balance] : labels) {
        if (left <= 1e-9) break;
        if (balance <= 1e-9) continue;
        const double quantity = std::round(std::min(left, balance) * 1e6) / 1e6;
        const Json check = ParseOrFail(
            Post(user, "/api/v1/lots/check-use",
                 {{"lot", label}, {"material", material}, {"quantity", quantity}, {"unit", unit}})
                .body);
        if (!Member(check, "allowed").IsBool() || !Member(check, "allowed").AsBool()) continue;
        taken.emplace_back(label, quantity);
        left -= quantity;
      }
    }
    EXPECT_LE(left, 1e-6) << "not enough " << material << " passes the point-of-use check";
    return taken;
  }

  // Executes `step` as its control recipe says (G-03): the clock moved on to its earliest start,
  // the equipment checked, cleaned where needed and scanned, the labels scanned (T-01), a value
  // for every parameter, the bill of materials consumed, the samples taken; then, after its
  // minimum duration, completed, and verified by a second person where the recipe asks (A11-01).
  // A step in progress is carried on from where it stands. Returns who performed it.
  std::string ExecuteStep(const std::string& step, const Execution& how = {}) {
    const Json* definition = FindStep(recipe_, step);
    EXPECT_NE(definition, nullptr) << step;
    if (definition == nullptr) return "";
    Json batch = BatchOf();
    const Json* shown = &StepOf(batch, step);
    std::string performer = how.performer;
    HttpResponse response;
    std::vector<std::string> equipment;
    if (StringMember(*shown, "status") == "not_started") {
      if (performer.empty()) performer = OperatorFor(StringMember(*definition, "sop"));
      if (how.wait) AdvanceTo(EarliestStart(step));
      equipment = EquipmentFor(*definition, performer);
      Json::Array scanned;
      for (const std::string& id : equipment) scanned.emplace_back(id);
      response = Post(performer, StepPath(step) + "/start", {{"equipment", std::move(scanned)}});
      EXPECT_EQ(response.status, 201) << step << " start: " << response.body;
      Advance(kMinute);
      if (!how.enter) return performer;
      batch = BatchOf();
      shown = &StepOf(batch, step);
    } else {
      // Carried on where it was left: by whoever started it, with the equipment in use.
      if (performer.empty()) performer = StringMember(*shown, "started_by");
      for (const Json& used : Items(Member(*shown, "equipment"))) {
        equipment.push_back(StringMember(used, "id"));
      }
    }
    const std::vector<std::string> identities = StringsOf(*shown, "identities");
    for (const std::string& identifier : StringsOf(*definition, "scan_identity")) {
      if (std::find(identities.begin(), identities.end(), identifier) != identities.end()) continue;
      response = Post(performer, StepPath(step) + "/identity",
                      {{"identifier", identifier}, {"scanned", LabelOf(identifier)}});
      EXPECT_EQ(response.status, 201) << step << " " << identifier << ": " << response.body;
      Advance(kMinute);
    }
    for (const Json& parameter : Items(Member(*definition, "parameters"))) {
      if (Member(Member(*shown, "values"), StringMember(parameter, "id")).IsObject()) continue;
      response = EnterValue(performer, *definition, parameter, equipment);
      EXPECT_EQ(response.status, 201)
          << step << "." << StringMember(parameter, "id") << ": " << response.body;
      EXPECT_TRUE(Items(Member(ParseOrFail(response.body), "deviations")).empty())
          << step << "." << StringMember(parameter, "id") << ": " << response.body;
      Advance(kMinute);
    }
    for (const Json& line : Items(Member(*definition, "materials"))) {
      const std::string material = StringMember(line, "material");
      const std::string unit =
          StringMember(Read(performer, "/api/v1/materials/" + material), "unit");
      double amount = AmountFor(step, line, unit);
      // What the step consumed already is shown in the base unit of the material's dimension.
      if (const Result<units::Unit> lot_unit = units::Unit::Parse(unit, "unit")) {
        amount -= NumberOf(Member(Member(*shown, "consumed"), material)) / lot_unit->Factor();
      }
      if (amount <= 1e-6) continue;
      for (const auto& [label, quantity] : LotsFor(performer, material, amount, unit)) {
        response = Post(performer, StepPath(step) + "/materials",
                        {{"lot", label}, {"quantity", quantity}, {"unit", unit}});
        EXPECT_EQ(response.status, 201) << step << " " << label << ": " << response.body;
        Advance(kMinute);
      }
    }
    const std::vector<std::string> samples = StringsOf(*shown, "samples");
    for (const Json& sample : Items(Member(*definition, "samples"))) {
      const std::string id = StringMember(sample, "id");
      if (std::find(samples.begin(), samples.end(), id) != samples.end()) continue;
      response = Post(performer, StepPath(step) + "/samples",
                      {{"sample", id}, {"label", batch_ + "-" + id}});
      EXPECT_EQ(response.status, 201) << step << " " << id << ": " << response.body;
      Advance(kMinute);
    }
    if (!how.complete) return performer;
    if (StringMember(*shown, "status") != "awaiting_verification") {
      if (const std::string minimum = StringMember(Member(*definition, "duration"), "min");
          !minimum.empty()) {
        const Timestamp started = TimeOf(Member(*shown, "started_at"));
        AdvanceTo(Timestamp::FromMicros(started.Micros() + MicrosOf(minimum) + kMinute));
      }
      response = Post(performer, StepPath(step) + "/complete", {});
      EXPECT_EQ(response.status, 201) << step << " complete: " << response.body;
      Advance(kMinute);
    }
    if (how.verify && StringMember(*definition, "verification") == "second_person") {
      response = Sign(SecondPersonFor(performer), "batch_step", batch_ + ":" + step, "verified",
                      "Checked as the second person against the batch record and the labels");
      EXPECT_EQ(response.status, 201) << step << " verified: " << response.body;
      Advance(kMinute);
    }
    return performer;
  }

  // Executes every step of the control recipe from the first not done, in recipe order, up to and
  // including `last` (all of them when empty).
  void ExecuteThrough(const std::string& last = "") {
    const Json batch = BatchOf();
    for (const RecipeStep& step : StepsOf(recipe_)) {
      const std::string id = step.Id();
      if (StringMember(StepOf(batch, id), "status") == "done") {
        if (id == last) return;
        continue;
      }
      ExecuteStep(id);
      if (::testing::Test::HasFailure()) return;
      if (id == last) return;
    }
  }

  // `response` answered a refused attempt by `user` with `status` naming `field`; the executed
  // record, `before` it, gains exactly that refusal (numbered next, with `reason` and the message
  // the attempt was answered with) and its exception for review, and, with `deviation`, the
  // deviation it raised; nothing else changes. Returns the record after.
  Json ExpectRecordedRefusal(const Json& before, const HttpResponse& response, int status,
                             const std::string& field, const std::string& reason,
                             const std::string& user, bool deviation = false) {
    SCOPED_TRACE("refused: " + reason);
    ExpectError(response, status, status == 403 ? "permission_denied" : "failed_precondition",
                field, reason);
    Json after = RecordOf();
    const Json::Array& refusals = Items(Member(after, "refusals"));
    const std::size_t count = Items(Member(before, "refusals")).size();
    EXPECT_EQ(refusals.size(), count + 1);
    if (refusals.size() == count + 1) {
      const Json& refusal = refusals.back();
      EXPECT_EQ(IntegerOf(Member(refusal, "number")), static_cast<std::int64_t>(count + 1));
      EXPECT_EQ(StringMember(refusal, "reason"), reason);
      EXPECT_EQ(StringMember(refusal, "field"), field);
      EXPECT_EQ(StringMember(refusal, "message"),
                StringMember(ParseOrFail(response.body), "message"));
      EXPECT_EQ(StringMember(refusal, "by"), user);
      EXPECT_EQ(TimeOf(Member(refusal, "at")).Micros(), Now().Micros());
      EXPECT_EQ(Member(refusal, "deviation").IsString(), deviation);
      // G-04: an exception for QA's review.
      std::vector<std::string> keys;
      for (const Json& exception : Items(Member(after, "exceptions"))) {
        keys.push_back(StringMember(exception, "key"));
      }
      EXPECT_NE(std::find(keys.begin(), keys.end(), "refusal:" + std::to_string(count + 1)),
                keys.end())
          << CanonicalJson(Member(after, "exceptions"));
    }
    EXPECT_EQ(Items(Member(after, "deviations")).size(),
              Items(Member(before, "deviations")).size() + (deviation ? 1 : 0));
    const std::vector<std::string> parts = {"refusals", "lines", "exceptions", "counts",
                                            "deviations"};
    EXPECT_EQ(FirstDifference(Without(after, parts), Without(before, parts)), "");
    return after;
  }

  // QA's review by exception (G-04): quinn starts the review of the completed batch and records
  // each exception as reviewed with a comment. Returns the keys reviewed.
  std::vector<std::string> ReviewAll() {
    HttpResponse response = Post("quinn", BatchPath() + "/review", {});
    EXPECT_EQ(response.status, 201) << response.body;
    Advance(5 * kMinute);
    std::vector<std::string> keys;
    const Json listed = Read("quinn", BatchPath() + "/exceptions");
    for (const Json& exception : Items(Member(listed, "exceptions"))) {
      if (Member(exception, "reviewed").IsBool() && Member(exception, "reviewed").AsBool())
        continue;
      const std::string key = StringMember(exception, "key");
      response = Post("quinn", BatchPath() + "/exceptions/" + key + "/review",
                      {{"comment", "Reviewed against the batch record: " +
                                       StringMember(exception, "summary").substr(0, 80)}});
      EXPECT_EQ(response.status, 201) << key << ": " << response.body;
      keys.push_back(key);
      Advance(2 * kMinute);
    }
    return keys;
  }

  std::string batch_;
  Json recipe_;        // The control recipe's definition, as the executed record shows it.
  int cleanings_ = 0;  // Cleanings Clean() recorded.

  testing::TempDir dir_;
  std::optional<testing::TestDatabase> database_;  // PostgreSQL only.
  testing::FakeClock clock_{Timestamp::FromMicros(kDemoEnds)};
  std::unique_ptr<app::DemoClock> demo_clock_;
  std::unique_ptr<app::Projector> projector_ = app::MakeAllProjectors();
  SecretKey credentials_key_ = FixedCredentialsKey();
  Ed25519SigningKey signing_key_ = FixedSigningKey();
  std::unique_ptr<app::Store> store_;
  app::BlobStore* blobs_ = nullptr;
  std::unique_ptr<app::LedgerService> ledger_;
  std::unique_ptr<app::Services> services_;
  std::unique_ptr<http::Metrics> metrics_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<http::HttpServer> server_;
  std::map<std::string, SignedIn> sessions_;
};

// G-02, G-03, G-04, A11-01, A11-04, T-01: the new patient's CAR-T batch from the receipt of the
// collection to QA's release, every step of the control recipe executed through the API as it
// asks, and the executed record holding what a QA reviewer looks for.
TEST_P(BatchApiTest, FullCarTBatchRunsFromCreationToReleaseG02G03G04A1101A1104T01) {
  ASSERT_NO_FATAL_FAILURE(NewBatch());
  // G-02: the control recipe is the effective version's definition, byte for byte.
  const Json effective = Read("quinn", std::string("/api/v1/mbrs/") + kRecord + "/versions/2");
  const Json created = BatchOf();
  EXPECT_EQ(Member(created, "version"), Json(2));
  EXPECT_EQ(StringMember(created, "definition_sha256"), StringMember(effective, "content_sha256"))
      << CanonicalJson(effective).substr(0, 400);
  const HttpResponse definition =
      As("quinn", "GET",
         std::string("/api/v1/mbrs/") + kRecord + "/versions/2/definition?format=json");
  ASSERT_EQ(definition.status, 200) << definition.body;
  EXPECT_EQ(CanonicalJson(recipe_), CanonicalJson(ParseOrFail(definition.body)));

  std::map<std::string, std::string> performers;
  for (const RecipeStep& step : StepsOf(recipe_)) {
    performers[step.Id()] = ExecuteStep(step.Id());
    ASSERT_FALSE(HasFailure()) << "at step " << step.Id();
  }
  const Json completed = BatchOf();
  EXPECT_EQ(StringMember(completed, "status"), "completed")
      << CanonicalJson(completed).substr(0, 600);

  // G-04: the bag the batch filled is a product unit in quarantine, which QA cannot release on
  // its own: it leaves quarantine with its batch.
  const std::string unit = "FP-" + batch_;
  HttpResponse response =
      Post("priya", "/api/v1/lots/produced",
           {{"lot_id", unit},
            {"material", "MAT-DP-CAR19"},
            {"batch", batch_},
            {"patient_code", PatientCode()},
            {"quantity", 70},
            {"unit", "mL"},
            {"storage_location", "LN2 vapour storage LN2-02, rack 1"},
            {"expiry", Timestamp::FromMicros(Now().Micros() + 300 * kDay).ToRfc3339()}});
  ASSERT_EQ(response.status, 201) << response.body;
  response = Sign("anna", "material_lot", unit, "released");
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(response.body), "message"),
                       "released with the disposition of its batch " + batch_))
      << response.body;

  // Every value within its alert limits, no refusal, no deviation: nothing for QA to look at but
  // the record itself.
  const std::vector<std::string> reviewed = ReviewAll();
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(reviewed, std::vector<std::string>());
  EXPECT_EQ(StringMember(BatchOf(), "status"), "under_review");
  response = Sign("anna", "batch", batch_, "released",
                  "Batch record reviewed by exception; release results within SPEC-CT-014; chain "
                  "of identity intact from apheresis to the filled bag");
  ASSERT_EQ(response.status, 201) << response.body;
  const Timestamp released_at = Now();
  // Its product unit was released with it, by the same signature's transaction.
  const Json released_unit = Read("quinn", "/api/v1/lots/" + unit);
  EXPECT_EQ(StringMember(released_unit, "status"), "released") << CanonicalJson(released_unit);

  const Json record = RecordOf();
  EXPECT_EQ(StringMember(record, "status"), "released");
  const Json& disposition = Member(record, "disposition");
  EXPECT_EQ(StringMember(disposition, "status"), "released");
  EXPECT_EQ(StringMember(disposition, "by"), "anna");
  EXPECT_EQ(TimeOf(Member(disposition, "at")).Micros(), released_at.Micros());
  EXPECT_EQ(Member(record, "identifiers"),
            Json(Json::Object{{"collection_id", kCollection}, {"patient_code", PatientCode()}}));
  EXPECT_EQ(StringMember(record, "starting_material"), kCollection);
  EXPECT_TRUE(Items(Member(record, "refusals")).empty())
      << CanonicalJson(Member(record, "refusals"));
  EXPECT_TRUE(Items(Member(record, "deviations")).empty());
  EXPECT_EQ(IntegerOf(Member(Member(record, "counts"), "unreviewed")), 0);

  // Every step of the control recipe, in its order, done: who did it and when, its equipment of
  // each class it needs (G-06), its labels scanned (T-01), its samples, its bill of materials.
  const std::vector<RecipeStep> steps = StepsOf(recipe_);
  const Json::Array& shown = Items(Member(record, "steps"));
  ASSERT_EQ(shown.size(), steps.size());
  std::map<std::string, std::set<std::string>> consumed_lots;
  for (const Json& line : Items(Member(record, "lines"))) {
    if (StringMember(line, "event_type") != "batch.material_consumed") continue;
    const Json& payload = Member(line, "payload");
    consumed_lots[StringMember(payload, "step")].insert(StringMember(payload, "lot"));
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Json& step = shown[i];
    const Json& definition_step = *steps[i].definition;
    const std::string id = steps[i].Id();
    SCOPED_TRACE(id);
    EXPECT_EQ(StringMember(step, "step"), id);
    EXPECT_EQ(StringMember(step, "status"), "done");
    EXPECT_EQ(StringMember(step, "started_by"), performers[id]);
    EXPECT_EQ(StringMember(step, "completed_by"), performers[id]);
    EXPECT_LE(TimeOf(Member(step, "started_at")).Micros(),
              TimeOf(Member(step, "completed_at")).Micros());
    std::vector<std::string> classes;
    for (const Json& used : Items(Member(step, "equipment")))
      classes.push_back(StringMember(used, "class"));
    EXPECT_EQ(classes, StringsOf(definition_step, "equipment"));
    const std::vector<std::string> labels = StringsOf(step, "identities");
    EXPECT_EQ(std::set<std::string>(labels.begin(), labels.end()), [&] {
      const std::vector<std::string> wanted = StringsOf(definition_step, "scan_identity");
      return std::set<std::string>(wanted.begin(), wanted.end());
    }());
    EXPECT_EQ(Items(Member(step, "samples")).size(),
              Items(Member(definition_step, "samples")).size());
    for (const Json& line : Items(Member(definition_step, "materials"))) {
      EXPECT_GT(NumberOf(Member(Member(step, "consumed"), StringMember(line, "material"))), 0)
          << StringMember(line, "material");
    }
    if (StringMember(definition_step, "verification") == "second_person") {
      EXPECT_EQ(StringMember(step, "verified_by"), SecondPersonFor(performers[id]));
      EXPECT_NE(StringMember(step, "verified_by"), performers[id]);
    }
    // Every parameter has its value in force, every calculation its computed value.
    for (const Json& parameter : Items(Member(definition_step, "parameters"))) {
      EXPECT_TRUE(Member(Member(step, "values"), StringMember(parameter, "id")).IsObject())
          << StringMember(parameter, "id");
    }
    for (const Json& calculation : Items(Member(definition_step, "calculations"))) {
      const Json& value = Member(Member(step, "values"), StringMember(calculation, "id"));
      EXPECT_TRUE(value.IsObject()) << StringMember(calculation, "id");
      EXPECT_NE(StringMember(value, "flag"), "action") << StringMember(calculation, "id");
    }
  }
  // The apheresis went into the batch from the new patient's collection only.
  EXPECT_EQ(consumed_lots["incoming_sampling"], std::set<std::string>{kCollection});
  EXPECT_EQ(consumed_lots["wash_enrichment"], std::set<std::string>{kCollection});

  // One entry for every parameter and every calculation, none corrected; every event of the batch
  // in order, as sealed in the ledger.
  std::size_t recipe_values = 0;
  for (const RecipeStep& step : steps) {
    recipe_values += Items(Member(*step.definition, "parameters")).size() +
                     Items(Member(*step.definition, "calculations")).size();
  }
  EXPECT_EQ(Items(Member(record, "entries")).size(), recipe_values);
  const Json::Array& lines = Items(Member(record, "lines"));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(StringMember(lines.front(), "event_type"), "batch.created");
  EXPECT_EQ(StringMember(lines.front(), "by"), "vera");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(IntegerOf(Member(lines[i], "line")), static_cast<std::int64_t>(i + 1));
    if (i > 0) {
      EXPECT_GT(IntegerOf(Member(lines[i], "seq")), IntegerOf(Member(lines[i - 1], "seq")));
    }
  }
  // Equipment was cleaned between patients where the check asked for it, and verified.
  EXPECT_GT(cleanings_, 0);

  // Every entry attributed (AL-03) and dated by the server (AL-01); calculations name their
  // inputs; values from an instrument name it (AL-02).
  int calculated = 0;
  int from_instruments = 0;
  for (const Json& entry : Items(Member(record, "entries"))) {
    SCOPED_TRACE(CanonicalJson(entry));
    EXPECT_FALSE(StringMember(entry, "by").empty());
    EXPECT_FALSE(StringMember(entry, "by_name").empty());
    EXPECT_EQ(StringMember(entry, "terminal"), "LEI-SUITE2-TAB1");
    EXPECT_FALSE(StringMember(entry, "at").empty());
    EXPECT_NE(StringMember(entry, "flag"), "action");
    if (StringMember(entry, "origin") == "calculated") {
      ++calculated;
      // A calculation of batch inputs alone (the dose) has no entries to name.
      const Json* step = FindStep(recipe_, StringMember(entry, "step"));
      const Json* calculation =
          step != nullptr ? FindIn(*step, "calculations", StringMember(entry, "subject")) : nullptr;
      ASSERT_NE(calculation, nullptr);
      const Result<recipes::Formula> formula =
          recipes::Formula::Parse(StringMember(*calculation, "formula"), "formula");
      ASSERT_TRUE(formula);
      const bool of_inputs_alone =
          std::all_of(formula->Names().begin(), formula->Names().end(),
                      [](const std::string& name) { return name.starts_with("batch."); });
      EXPECT_EQ(Items(Member(entry, "from")).empty(), of_inputs_alone);
    }
    if (StringMember(entry, "origin") == "instrument") {
      ++from_instruments;
      EXPECT_FALSE(StringMember(Member(entry, "instrument"), "equipment").empty());
    }
  }
  EXPECT_GT(calculated, 20);
  EXPECT_GT(from_instruments, 20);

  // P11-11: each signature shows the signer's printed name, the time and the meaning: the second
  // person's verifications and QA's release (A11-04).
  std::map<std::string, int> meanings;
  for (const Json& signature : Items(Member(record, "signatures"))) {
    ++meanings[StringMember(signature, "meaning")];
    EXPECT_FALSE(StringMember(signature, "printed_name").empty());
    EXPECT_FALSE(StringMember(signature, "signed_at").empty());
  }
  int second_person_steps = 0;
  for (const RecipeStep& step : steps) {
    if (StringMember(*step.definition, "verification") == "second_person") ++second_person_steps;
  }
  EXPECT_EQ(meanings["verified"], second_person_steps);
  const Json& release = Items(Member(record, "signatures")).back();
  EXPECT_EQ(StringMember(release, "meaning"), "released");
  EXPECT_EQ(StringMember(release, "printed_name"), "Anna Bakker");
  EXPECT_EQ(StringMember(Member(release, "record"), "type"), "batch");
  EXPECT_EQ(TimeOf(Member(release, "signed_at")).Micros(), released_at.Micros());

  // G-04: every exception reviewed before the release, by quinn.
  const Json::Array& exceptions = Items(Member(record, "exceptions"));
  EXPECT_EQ(exceptions.size(), reviewed.size());
  for (const Json& exception : exceptions) {
    EXPECT_TRUE(Member(exception, "reviewed").IsBool() && Member(exception, "reviewed").AsBool());
    EXPECT_EQ(StringMember(exception, "reviewed_by"), "quinn");
  }

  // T-01: the batch reaches back to the patient's collection and donor.
  const Json genealogy = Read("quinn", "/api/v1/genealogy?root=batch:" + batch_);
  bool reaches_collection = false;
  for (const Json& lot : Items(Member(genealogy, "lots"))) {
    if (StringMember(lot, "lot_id") == kCollection) reaches_collection = true;
  }
  EXPECT_TRUE(reaches_collection) << CanonicalJson(genealogy).substr(0, 800);

  // Released, the record takes nothing more: not even the attempt (409, not recorded).
  response = Post("priya", StepPath("release_testing") + "/values",
                  {{"parameter", "potency"}, {"value", 2500}, {"unit", "pg/mL"}});
  ExpectError(response, 409, "failed_precondition", "batch", "a value on a released batch");
  EXPECT_EQ(FirstDifference(RecordOf(), record), "");
}

// AL-04, P11-03: a restart of the server in the middle of a batch loses nothing it acknowledged:
// the steps done and the one in progress, every entry, the refused attempt, a retry's key; after
// it, everyone signs in again and execution carries on where it stood.
TEST_P(BatchApiTest, RestartInTheMiddleOfABatchLosesNothingAL04) {
  ASSERT_NO_FATAL_FAILURE(NewBatch());
  ExecuteThrough("incoming_sampling");
  ASSERT_FALSE(HasFailure());
  // A refused attempt: the activation long before its turn (P11-06).
  Json record = RecordOf();
  HttpResponse response = Post("priya", StepPath("activation") + "/start", {});
  record = ExpectRecordedRefusal(record, response, 409, "step", "sequence", "priya");
  // The next step started, and one value sent by the tablet with its idempotency key.
  const std::string performer = ExecuteStep("enrichment_setup", {.enter = false});
  const std::string value = Body(
      {{"parameter", "leak_test_passed"}, {"value", true}, {"client_time", Now().ToRfc3339()}});
  const Headers key = {{"Idempotency-Key", "tab1-7f3c2a90-0001"}};
  response = As(performer, "POST", StepPath("enrichment_setup") + "/values", value, key);
  ASSERT_EQ(response.status, 201) << response.body;
  const Json sent = ParseOrFail(response.body);
  const Json before = RecordOf();
  ASSERT_EQ(StringMember(StepOf(before, "enrichment_setup"), "status"), "in_progress");

  ASSERT_NO_FATAL_FAILURE(Restart());
  Advance(20 * kMinute);

  EXPECT_EQ(FirstDifference(RecordOf(), before), "");
  EXPECT_EQ(
      CanonicalJson(Read("quinn", BatchPath() + "/exceptions")),
      CanonicalJson(Json(Json::Object{
          {"batch", batch_}, {"exceptions", Member(before, "exceptions")}, {"unreviewed", 1}})));
  // The tablet's retry, its response lost to the restart, is answered from the record.
  response = As(performer, "POST", StepPath("enrichment_setup") + "/values", value, key);
  EXPECT_EQ(response.status, 200) << response.body;
  const Json replayed = ParseOrFail(response.body);
  EXPECT_EQ(Member(replayed, "replayed"), Json(true));
  EXPECT_EQ(Member(replayed, "entries"), Member(sent, "entries"));
  EXPECT_EQ(FirstDifference(RecordOf(), before), "");

  // Execution carries on: the step in progress finished and verified, then through activation,
  // the entries numbered on from where they stood.
  ExecuteThrough("activation");
  ASSERT_FALSE(HasFailure());
  const Json after = RecordOf();
  for (const std::string step : {"apheresis_receipt", "incoming_sampling", "enrichment_setup",
                                 "wash_enrichment", "enriched_count", "activation"}) {
    EXPECT_EQ(StringMember(StepOf(after, step), "status"), "done") << step;
  }
  const Json::Array& entries = Items(Member(after, "entries"));
  const std::size_t kept = Items(Member(before, "entries")).size();
  ASSERT_GT(entries.size(), kept);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(IntegerOf(Member(entries[i], "number")), static_cast<std::int64_t>(i + 1));
    if (i < kept) {
      EXPECT_EQ(entries[i], Items(Member(before, "entries"))[i]);
    }
  }
  EXPECT_EQ(Member(after, "refusals"), Member(before, "refusals"));
  EXPECT_EQ(StringMember(StepOf(after, "enrichment_setup"), "verified_by"),
            SecondPersonFor(performer));
}

// A11-01, AL-01: bad input is answered 400 naming the field and records nothing; an entry on a
// completed step is refused and recorded, one on a released batch refused and not recorded; a
// retry with the same idempotency key records once and the same key with another request is
// refused; the device's own clock is read and ignored, the server's time being the record.
TEST_P(BatchApiTest, BadInputIsRefusedNamingTheFieldAndRecordsNothingAL01) {
  ASSERT_NO_FATAL_FAILURE(NewBatch());
  ExecuteStep("apheresis_receipt");
  const std::string performer = ExecuteStep("incoming_sampling", {.enter = false});
  ASSERT_FALSE(HasFailure());
  const std::string values = StepPath("incoming_sampling") + "/values";
  Json record = RecordOf();

  struct Bad {
    const char* what;
    Json::Object body;
    const char* field;
  };
  const std::vector<Bad> bad = {
      {"a value of the wrong type",
       {{"parameter", "viability"}, {"value", "ninety-five"}, {"unit", "%"}},
       "value"},
      {"a unit of the wrong dimension",
       {{"parameter", "viability"}, {"value", 95}, {"unit", "mL"}},
       "unit"},
      {"an unknown parameter",
       {{"parameter", "viabilty"}, {"value", 95}, {"unit", "%"}},
       "parameter"},
      {"a calculation entered by hand",
       {{"parameter", "total_nucleated_cells"}, {"value", 4.0e9}, {"unit", "cells"}},
       "parameter"},
      {"a malformed client_time",
       {{"parameter", "viability"},
        {"value", 95},
        {"unit", "%"},
        {"client_time", "yesterday 9:30"}},
       "client_time"},
      {"an unknown member",
       {{"parameter", "viability"}, {"value", 95}, {"unit", "%"}, {"operator", "priya"}},
       "operator"},
  };
  for (const Bad& attempt : bad) {
    const HttpResponse response = Post(performer, values, attempt.body);
    ExpectError(response, 400, "invalid_argument", attempt.field, attempt.what);
    EXPECT_EQ(FirstDifference(RecordOf(), record), "") << attempt.what;
  }
  HttpResponse response =
      As(performer, "POST", values, "{\"parameter\": \"viability\", \"value\": ");
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(FirstDifference(RecordOf(), record), "") << "malformed JSON";

  // A duplicate submission: the tablet sends the same request twice with its key; it is
  // recorded once, and the retry is answered with the same entry numbers.
  const std::string viability = Body({{"parameter", "viability"}, {"value", 95}, {"unit", "%"}});
  const Headers key = {{"Idempotency-Key", "tab1-5d0e7c11-0042"}};
  response = As(performer, "POST", values, viability, key);
  ASSERT_EQ(response.status, 201) << response.body;
  const Json first = ParseOrFail(response.body);
  EXPECT_EQ(Member(first, "replayed"), Json(false));
  ASSERT_EQ(Items(Member(first, "entries")).size(), 1U) << response.body;
  record = RecordOf();
  Advance(kMinute);
  response = As(performer, "POST", values, viability, key);
  EXPECT_EQ(response.status, 200) << response.body;
  const Json second = ParseOrFail(response.body);
  EXPECT_EQ(Member(second, "replayed"), Json(true));
  EXPECT_EQ(Member(second, "entries"), Member(first, "entries"));
  EXPECT_EQ(FirstDifference(RecordOf(), record), "");
  // The same key with another request is refused, and records nothing.
  response = As(performer, "POST", values,
                Body({{"parameter", "viability"}, {"value", 96}, {"unit", "%"}}), key);
  ExpectError(response, 409, "failed_precondition", "Idempotency-Key", "a key reused");
  EXPECT_EQ(FirstDifference(RecordOf(), record), "");
  response = As(performer, "POST", values, viability, {{"Idempotency-Key", "a key with spaces"}});
  ExpectError(response, 400, "invalid_argument", "Idempotency-Key", "a malformed key");
  EXPECT_EQ(FirstDifference(RecordOf(), record), "");

  // A tablet whose clock is a day behind: its client_time is read and ignored; the entry carries
  // the server's time (AL-01).
  Advance(kMinute);
  const Timestamp skewed = Timestamp::FromMicros(Now().Micros() - kDay);
  response = Post(performer, values,
                  {{"parameter", "cd3_percent"},
                   {"value", 60},
                   {"unit", "%"},
                   {"client_time", skewed.ToRfc3339()}});
  ASSERT_EQ(response.status, 201) << response.body;
  record = RecordOf();
  const Json& entry = Items(Member(record, "entries")).back();
  EXPECT_EQ(StringMember(entry, "subject"), "cd3_percent");
  EXPECT_EQ(TimeOf(Member(entry, "at")).Micros(), Now().Micros());
  EXPECT_EQ(Contains(CanonicalJson(record), skewed.ToRfc3339()), false);

  // An entry on a completed step: refused (409) and recorded as a refused attempt.
  response = Post(performer, StepPath("apheresis_receipt") + "/values",
                  {{"parameter", "apheresis_volume"}, {"value", 210}, {"unit", "mL"}});
  record = ExpectRecordedRefusal(record, response, 409, "step", "step_state", performer);
  // The same refused request retried with its key: the same refusal, recorded once.
  const std::string late =
      Body({{"parameter", "apheresis_volume"}, {"value", 215}, {"unit", "mL"}});
  const Headers retry = {{"Idempotency-Key", "tab1-5d0e7c11-0043"}};
  response = As(performer, "POST", StepPath("apheresis_receipt") + "/values", late, retry);
  record = ExpectRecordedRefusal(record, response, 409, "step", "step_state", performer);
  Advance(kMinute);
  const HttpResponse again =
      As(performer, "POST", StepPath("apheresis_receipt") + "/values", late, retry);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(StringMember(ParseOrFail(again.body), "message"),
            StringMember(ParseOrFail(response.body), "message"));
  EXPECT_EQ(FirstDifference(RecordOf(), record), "");

  // An entry on a released batch: refused (409) and not even the attempt is recorded.
  ExecuteThrough();
  ASSERT_FALSE(HasFailure());
  ReviewAll();
  response = Sign("anna", "batch", batch_, "released",
                  "Batch record reviewed by exception; release results within SPEC-CT-014");
  ASSERT_EQ(response.status, 201) << response.body;
  record = RecordOf();
  ASSERT_EQ(StringMember(record, "status"), "released");
  response = Post("priya", StepPath("release_testing") + "/values",
                  {{"parameter", "potency"}, {"value", 2500}, {"unit", "pg/mL"}});
  ExpectError(response, 409, "failed_precondition", "batch", "a value on a released batch");
  std::int64_t potency = 0;
  for (const Json& item : Items(Member(record, "entries"))) {
    if (StringMember(item, "subject") == "potency") potency = IntegerOf(Member(item, "number"));
  }
  response = Post("priya", BatchPath() + "/entries/" + std::to_string(potency) + "/corrections",
                  {{"value", 2500}, {"unit", "pg/mL"}, {"reason", "Retyped from the QC report"}});
  ExpectError(response, 409, "failed_precondition", "batch", "a correction on a released batch");
  EXPECT_EQ(FirstDifference(RecordOf(), record), "");
}

// P11-06, G-06 to G-08, G-11, T-01: every guard refuses at the moment of the action with the exact
// reason; each refused attempt is recorded on the batch (and reviewed as an exception) and changes
// nothing else. Sequence, identity mismatch (which raises a deviation), incomplete completion,
// equipment out of service, a quarantined lot, training on an earlier SOP version, a hold time
// (which a supervisor's signed override lets through once, raising a deviation), and a batch on
// hold.
TEST_P(BatchApiTest, EveryRefusalIsRecordedAndChangesNothingElseP1106G11T01) {
  ASSERT_NO_FATAL_FAILURE(NewBatch());
  Json record = RecordOf();

  // Sequence (P11-06): the incoming sampling before the receipt.
  HttpResponse response = Post("priya", StepPath("incoming_sampling") + "/start", {});
  record = ExpectRecordedRefusal(record, response, 409, "step", "sequence", "priya");
  EXPECT_TRUE(Contains(StringMember(Items(Member(record, "refusals")).back(), "message"),
                       "apheresis_receipt"));

  // Identity (T-01): another patient's label at the receipt is refused and raises a deviation.
  const std::string receiver = ExecuteStep("apheresis_receipt", {.enter = false});
  record = RecordOf();
  Advance(kMinute);
  response = Post(receiver, StepPath("apheresis_receipt") + "/identity",
                  {{"identifier", "patient_code"}, {"scanned", "DIN-W041326000417-J"}});
  record = ExpectRecordedRefusal(record, response, 409, "scanned", "identity_mismatch", receiver,
                                 /*deviation=*/true);
  const Json& mismatch = Items(Member(record, "deviations")).back();
  EXPECT_EQ(StringMember(mismatch, "source"), "identity_mismatch");
  EXPECT_EQ(StringMember(mismatch, "status"), "open");
  EXPECT_EQ(StringMember(Items(Member(record, "refusals")).back(), "deviation"),
            StringMember(mismatch, "deviation_id"));

  // Incomplete: the receipt completed with nothing entered, told what is missing.
  Advance(kMinute);
  response = Post(receiver, StepPath("apheresis_receipt") + "/complete", {});
  record = ExpectRecordedRefusal(record, response, 409, "step", "incomplete", receiver);
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(response.body), "message"), "apheresis_volume"))
      << response.body;

  ExecuteThrough("enriched_count");
  ASSERT_FALSE(HasFailure());
  record = RecordOf();

  // Equipment (G-06, G-07): the activation scans suite 2's incubator, out of service; the refusal
  // is also written in its logbook.
  const Json* activation = FindStep(recipe_, "activation");
  ASSERT_NE(activation, nullptr);
  const std::string culture = OperatorFor(StringMember(*activation, "sop"));
  std::vector<std::string> equipment = EquipmentFor(*activation, culture);
  const std::vector<std::string> classes = StringsOf(*activation, "equipment");
  Json::Array scanned;
  for (std::size_t i = 0; i < equipment.size(); ++i) {
    scanned.emplace_back(classes[i] == "incubator" ? std::string("INC-02") : equipment[i]);
  }
  record = RecordOf();
  response = Post(culture, StepPath("activation") + "/start", {{"equipment", scanned}});
  record = ExpectRecordedRefusal(record, response, 409, "equipment", "equipment", culture);
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(response.body), "message"), "out of service"))
      << response.body;
  const Json logbook = Read("quinn", "/api/v1/equipment/INC-02/logbook?limit=1");
  const Json& refused_use = Items(Member(logbook, "entries")).front();
  EXPECT_EQ(StringMember(refused_use, "kind"), "use_refused");
  EXPECT_EQ(StringMember(refused_use, "batch"), batch_);

  // Material (G-08): a lot of medium just received, still in quarantine.
  response = Post("wendy", "/api/v1/lots",
                  {{"lot_id", "RM-2026-0090"},
                   {"material", "MAT-MEDIUM"},
                   {"supplier", "SUP-HELIX"},
                   {"supplier_lot", "HX24-1130"},
                   {"receiving_code", "GR-2026-0290"},
                   {"storage_location", "Goods-in quarantine fridge QF-01 (2-8 C)"},
                   {"quantity", 2000},
                   {"unit", "mL"},
                   {"containers", Json::Array{1000, 1000}},
                   {"expiry", Timestamp::FromMicros(Now().Micros() + 300 * kDay).ToRfc3339()}});
  ASSERT_EQ(response.status, 201) << response.body;
  ExecuteStep("activation", {.performer = culture, .enter = false});
  record = RecordOf();
  response = Post(culture, StepPath("activation") + "/materials",
                  {{"lot", "RM-2026-0090/1"}, {"quantity", 100}, {"unit", "mL"}});
  record = ExpectRecordedRefusal(record, response, 409, "lot", "material", culture);
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(response.body), "message"), "quarantine"))
      << response.body;
  ExecuteStep("activation");
  // The vector thawed at once, for the transduction to be tried before its window opens.
  ExecuteStep("vector_thaw", {.wait = false});
  ASSERT_FALSE(HasFailure());
  record = RecordOf();

  // Training (G-11): oliver is trained on SOP-CT-005 version 1 only; version 2 is effective.
  const Json* transduction = FindStep(recipe_, "transduction");
  ASSERT_NE(transduction, nullptr);
  equipment = EquipmentFor(*transduction, "priya");
  record = RecordOf();
  Json::Array transduction_equipment;
  for (const std::string& id : equipment) transduction_equipment.emplace_back(id);
  response =
      Post("oliver", StepPath("transduction") + "/start", {{"equipment", transduction_equipment}});
  record = ExpectRecordedRefusal(record, response, 403, "document", "training", "oliver");
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(response.body), "message"), "SOP-CT-005"))
      << response.body;

  // Hold time: the transduction 18-30 h after activation, tried a few minutes after it.
  Advance(kMinute);
  response =
      Post("priya", StepPath("transduction") + "/start", {{"equipment", transduction_equipment}});
  record = ExpectRecordedRefusal(record, response, 409, "step", "hold_time", "priya");
  const Json refusal = Items(Member(record, "refusals")).back();
  EXPECT_EQ(Member(refusal, "overridable"), Json(true));
  EXPECT_EQ(StringMember(refusal, "rule"), "time_rule:transduction_window");
  const std::string override_id = StringMember(Member(refusal, "record"), "id");
  EXPECT_EQ(override_id, batch_ + ":" + std::to_string(IntegerOf(Member(refusal, "number"))));
  // The one refused cannot override it; the supervisor signs the override with its
  // justification, which raises a deviation and lets the next attempt through once.
  Advance(2 * kMinute);
  response = Sign("vera", "batch_override", override_id, "approved",
                  "Physician's request: the patient's conditioning starts early; transduction at "
                  "a few hours validated in the process development report PDR-CT-011");
  ASSERT_EQ(response.status, 201) << response.body;
  record = RecordOf();
  const Json& granted = Member(Items(Member(record, "refusals")).back(), "override");
  EXPECT_EQ(Member(granted, "used"), Json(false));
  const std::string breach = StringMember(granted, "deviation");
  ASSERT_FALSE(breach.empty()) << CanonicalJson(record);
  EXPECT_EQ(StringMember(Items(Member(record, "deviations")).back(), "deviation_id"), breach);
  EXPECT_EQ(StringMember(Items(Member(record, "deviations")).back(), "source"), "hold_time_breach");
  Advance(kMinute);
  response =
      Post("priya", StepPath("transduction") + "/start", {{"equipment", transduction_equipment}});
  ASSERT_EQ(response.status, 201) << response.body;
  record = RecordOf();
  EXPECT_EQ(Member(Member(Items(Member(record, "refusals")).back(), "override"), "used"),
            Json(true));
  EXPECT_EQ(StringMember(StepOf(record, "transduction"), "status"), "in_progress");

  // On hold: nothing is executed until the supervisor resumes the batch.
  Advance(kMinute);
  response = Post("vera", BatchPath() + "/hold",
                  {{"reason", "Vector lot under review: QA to confirm the titer before addition"}});
  ASSERT_EQ(response.status, 201) << response.body;
  record = RecordOf();
  EXPECT_EQ(StringMember(record, "status"), "on_hold");
  Advance(kMinute);
  response = Post("priya", StepPath("transduction") + "/values",
                  {{"parameter", "moi"}, {"value", 3}, {"unit", "TU/cell"}});
  record = ExpectRecordedRefusal(record, response, 409, "batch", "on_hold", "priya");
  response = Post("vera", BatchPath() + "/resume", {{"comment", "Titer confirmed by QA"}});
  ASSERT_EQ(response.status, 201) << response.body;
  ExecuteStep("transduction", {.wait = false});
  ASSERT_FALSE(HasFailure());
  record = RecordOf();
  EXPECT_EQ(StringMember(record, "status"), "in_progress");
  EXPECT_EQ(StringMember(StepOf(record, "transduction"), "status"), "done");
  std::vector<std::string> reasons;
  for (const Json& item : Items(Member(record, "refusals"))) {
    reasons.push_back(StringMember(item, "reason"));
  }
  EXPECT_EQ(reasons,
            (std::vector<std::string>{"sequence", "identity_mismatch", "incomplete", "equipment",
                                      "material", "training", "hold_time", "on_hold"}));
}

// P11-05, A11-02: a correction is a new entry with its reason, shown beside the original, which
// stays; the calculations that used the old value are recomputed as corrections of their own;
// only the value in force can be corrected, and a correction of a superseded entry is refused
// naming the one that superseded it.
TEST_P(BatchApiTest, CorrectionsNeverLoseTheOriginalP1105) {
  ASSERT_NO_FATAL_FAILURE(NewBatch());
  ExecuteThrough("incoming_sampling");
  ASSERT_FALSE(HasFailure());
  Json record = RecordOf();
  const auto entry_of = [](const Json& of, const std::string& step,
                           const std::string& subject) -> Json {
    for (const Json& entry : Items(Member(of, "entries"))) {
      if (StringMember(entry, "step") == step && StringMember(entry, "subject") == subject &&
          Member(entry, "corrected_by").IsNull()) {
        return entry;
      }
    }
    ADD_FAILURE() << "no entry in force for " << step << "." << subject;
    return Json();
  };
  const Json original = entry_of(record, "apheresis_receipt", "apheresis_volume");
  const Json total = entry_of(record, "incoming_sampling", "total_nucleated_cells");
  const std::int64_t number = IntegerOf(Member(original, "number"));
  const std::string receiver = StringMember(original, "by");
  EXPECT_NE(std::find(Items(Member(total, "from")).begin(), Items(Member(total, "from")).end(),
                      Json(number)),
            Items(Member(total, "from")).end());

  Advance(30 * kMinute);
  const std::string reason = "The bag label reads 205 mL; 200 mL was copied from the order";
  HttpResponse response =
      Post(receiver, BatchPath() + "/entries/" + std::to_string(number) + "/corrections",
           {{"value", 205}, {"unit", "mL"}, {"reason", reason}});
  ASSERT_EQ(response.status, 201) << response.body;
  const std::vector<std::string> recorded = StringsOf(ParseOrFail(response.body), "entries");
  ASSERT_EQ(recorded.size(), 3U) << response.body;  // The correction and two calculations.
  record = RecordOf();
  const Json correction = entry_of(record, "apheresis_receipt", "apheresis_volume");
  const std::int64_t corrected = IntegerOf(Member(correction, "number"));
  EXPECT_EQ(std::to_string(corrected), recorded.front());
  EXPECT_EQ(IntegerOf(Member(correction, "corrects")), number);
  EXPECT_EQ(StringMember(correction, "reason"), reason);
  EXPECT_EQ(Member(correction, "value"), Json(Json::Object{{"number", 205}, {"unit", "mL"}}));
  EXPECT_EQ(Member(correction, "late"), Json(true));  // Its step was complete.
  EXPECT_EQ(StringMember(correction, "by"), receiver);
  EXPECT_EQ(TimeOf(Member(correction, "at")).Micros(), Now().Micros());
  // The original beside it: its value, when and by whom it was entered.
  const Json& beside = Member(correction, "original");
  EXPECT_EQ(IntegerOf(Member(beside, "entry")), number);
  EXPECT_EQ(Member(beside, "value"), Member(original, "value"));
  EXPECT_EQ(Member(beside, "at"), Member(original, "at"));
  EXPECT_EQ(Member(beside, "by"), Member(original, "by"));
  EXPECT_EQ(Member(beside, "by_name"), Member(original, "by_name"));
  // The original is still there, as it was, now naming its correction.
  const Json& kept = Items(Member(record, "entries"))[static_cast<std::size_t>(number - 1)];
  EXPECT_EQ(CanonicalJson(Without(kept, {"corrected_by"})),
            CanonicalJson(Without(original, {"corrected_by"})));
  EXPECT_EQ(IntegerOf(Member(kept, "corrected_by")), corrected);
  EXPECT_EQ(IntegerOf(Member(
                Member(Member(StepOf(record, "apheresis_receipt"), "values"), "apheresis_volume"),
                "entry")),
            corrected);
  // The total recomputed from the corrected volume, as a correction of the old total.
  const Json recomputed = entry_of(record, "incoming_sampling", "total_nucleated_cells");
  EXPECT_EQ(IntegerOf(Member(recomputed, "corrects")), IntegerOf(Member(total, "number")));
  EXPECT_EQ(StringMember(recomputed, "origin"), "calculated");
  EXPECT_NEAR(NumberOf(Member(recomputed, "in_unit")),
              NumberOf(Member(total, "in_unit")) * 205 / 200,
              NumberOf(Member(total, "in_unit")) * 1e-9);
  // For QA's review: a correction made after the step was complete.
  bool listed = false;
  for (const Json& exception : Items(Member(record, "exceptions"))) {
    if (StringMember(exception, "key") != "entry:" + std::to_string(corrected)) continue;
    listed = true;
    const std::vector<std::string> kinds = StringsOf(exception, "kinds");
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "correction"), kinds.end());
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "late_entry"), kinds.end());
  }
  EXPECT_TRUE(listed) << CanonicalJson(Member(record, "exceptions"));

  // The superseded entry cannot be corrected again: the message names the newer one.
  Advance(kMinute);
  response = Post(receiver, BatchPath() + "/entries/" + std::to_string(number) + "/corrections",
                  {{"value", 210}, {"unit", "mL"}, {"reason", "Read again"}});
  ExpectError(response, 400, "invalid_argument", "entry", "correcting a superseded entry");
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(response.body), "message"),
                       "entry " + std::to_string(corrected)))
      << response.body;
  // Nor can anything be corrected without a reason, or an entry that does not exist.
  response = Post(receiver, BatchPath() + "/entries/" + std::to_string(corrected) + "/corrections",
                  {{"value", 210}, {"unit", "mL"}, {"reason", ""}});
  ExpectError(response, 400, "invalid_argument", "reason", "a correction without a reason");
  response = Post(receiver, BatchPath() + "/entries/9999/corrections",
                  {{"value", 210}, {"unit", "mL"}, {"reason", "Read again"}});
  ExpectError(response, 404, "not_found", "entry", "no such entry");
  EXPECT_EQ(FirstDifference(RecordOf(), record), "");
}

// G-04, G-05: a value outside its action limits raises a deviation linked to the batch, step,
// parameter, value and limit, and the step waits for the supervisor's acknowledgement; after the
// batch is complete and reviewed, QA's release is refused naming the open deviation; once QA has
// assessed and closed it, the release goes through.
TEST_P(BatchApiTest, ReleaseIsRefusedWhileADeviationIsOpenG04G05) {
  ASSERT_NO_FATAL_FAILURE(NewBatch());
  ExecuteThrough("bead_removal");
  ASSERT_FALSE(HasFailure());
  const std::string harvester = ExecuteStep("harvest_wash", {.enter = false});
  Advance(kMinute);
  HttpResponse response = Post(harvester, StepPath("harvest_wash") + "/values",
                               {{"parameter", "viability"}, {"value", 76}, {"unit", "%"}});
  ASSERT_EQ(response.status, 201) << response.body;
  const std::vector<std::string> raised = StringsOf(ParseOrFail(response.body), "deviations");
  ASSERT_EQ(raised.size(), 1U) << response.body;
  const std::string& deviation = raised.front();
  Json record = RecordOf();
  const Json& excursion = Items(Member(record, "entries")).back();
  EXPECT_EQ(StringMember(excursion, "flag"), "action");
  EXPECT_EQ(StringMember(excursion, "deviation"), deviation);
  const std::string limit = StringMember(excursion, "limit");
  EXPECT_FALSE(limit.empty());
  EXPECT_EQ(StringsOf(StepOf(record, "harvest_wash"), "awaiting_acknowledgement"),
            std::vector<std::string>{deviation});
  const Json& raised_deviation = Items(Member(record, "deviations")).back();
  EXPECT_EQ(StringMember(raised_deviation, "deviation_id"), deviation);
  EXPECT_EQ(StringMember(raised_deviation, "source"), "action_limit_excursion");
  EXPECT_EQ(StringMember(raised_deviation, "status"), "open");
  EXPECT_EQ(StringMember(raised_deviation, "step"), "harvest_wash");
  EXPECT_EQ(StringMember(raised_deviation, "subject"), "viability");
  EXPECT_EQ(StringsOf(raised_deviation, "batches"), std::vector<std::string>{batch_});

  // Nothing more is recorded on the step until the supervisor acknowledges the excursion.
  Advance(kMinute);
  response = Post(harvester, StepPath("harvest_wash") + "/values",
                  {{"parameter", "harvest_volume"}, {"value", 100}, {"unit", "mL"}});
  record =
      ExpectRecordedRefusal(record, response, 409, "step", "awaiting_acknowledgement", harvester);
  Advance(10 * kMinute);
  // The acknowledgement signs the excursion itself (G-05): its entry, value, limit and deviation.
  const std::string excursion_path =
      "/api/v1/records/batch_excursion/" + batch_ + ":" + deviation + "/signatures";
  const Json shown = ParseOrFail(As("vera", "GET", excursion_path).body);
  const Json& content = Member(shown, "content");
  EXPECT_EQ(StringMember(content, "parameter"), "viability");
  EXPECT_EQ(StringMember(content, "value"), "76 %");
  EXPECT_EQ(StringMember(content, "limit"), limit);
  EXPECT_EQ(StringMember(content, "deviation"), deviation);
  response = Sign("vera", "batch_excursion", batch_ + ":" + deviation, "approved",
                  "Excursion acknowledged: QA informed through " + deviation +
                      "; the harvest goes on to formulation, release testing decides");
  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_TRUE(StringsOf(StepOf(BatchOf(), "harvest_wash"), "awaiting_acknowledgement").empty());
  // A second acknowledgement of the same excursion is refused, and records nothing.
  response =
      Sign("vera", "batch_excursion", batch_ + ":" + deviation, "approved", "Acknowledged again");
  ExpectError(response, 409, "failed_precondition", "record_id", "awaits an acknowledgement");

  ExecuteThrough();
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(StringMember(BatchOf(), "status"), "completed");
  const std::vector<std::string> reviewed = ReviewAll();
  ASSERT_FALSE(HasFailure());
  EXPECT_NE(std::find(reviewed.begin(), reviewed.end(), "deviation:" + deviation), reviewed.end());
  EXPECT_NE(std::find(reviewed.begin(), reviewed.end(), "refusal:1"), reviewed.end());
  // The step's later entries leave the acknowledgement bound to what it was made for.
  const Json signatures = ParseOrFail(As("vera", "GET", excursion_path).body);
  ASSERT_EQ(Items(Member(signatures, "signatures")).size(), 1U) << CanonicalJson(signatures);
  EXPECT_TRUE(Member(Items(Member(signatures, "signatures"))[0], "valid").AsBool());

  // Every exception reviewed, but the deviation open: the release is refused, naming it.
  Advance(30 * kMinute);
  response = Sign("anna", "batch", batch_, "released",
                  "Batch record reviewed by exception; release results within SPEC-CT-014");
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_TRUE(Contains(StringMember(ParseOrFail(response.body), "message"), deviation))
      << response.body;
  record = RecordOf();
  EXPECT_EQ(StringMember(record, "status"), "under_review");
  EXPECT_TRUE(Member(record, "disposition").IsNull());

  // QA assesses the deviation and a QA approver closes it by signature with its justification.
  response = Post("quinn", "/api/v1/deviations/" + deviation + "/assessment",
                  {{"classification", "minor"},
                   {"impact",
                    "Harvest viability 76 % is below the action limit of 80 %, but the release "
                    "viability is within SPEC-CT-014; the dose was formulated on viable cells"},
                   {"root_cause", "Day 9 culture at high density"},
                   {"investigation_required", false},
                   {"batches_affected", Json::Array{batch_}}});
  ASSERT_EQ(response.status, 201) << response.body;
  Advance(kHour);
  response = Sign("anna", "deviation", deviation, "approved",
                  "Assessment accepted: release viability within SPEC-CT-014, dose met; no impact "
                  "on the product");
  ASSERT_EQ(response.status, 201) << response.body;
  Advance(10 * kMinute);
  response = Sign("anna", "batch", batch_, "released",
                  "Batch record reviewed by exception; deviation " + deviation +
                      " closed with no impact; release results within SPEC-CT-014");
  ASSERT_EQ(response.status, 201) << response.body;
  record = RecordOf();
  EXPECT_EQ(StringMember(record, "status"), "released");
  EXPECT_EQ(StringMember(Member(record, "disposition"), "by"), "anna");
  const Json& closed = Items(Member(record, "deviations")).back();
  EXPECT_EQ(StringMember(closed, "status"), "closed");
  EXPECT_EQ(StringMember(closed, "closed_by"), "anna");
}

// A11-01: a step the recipe has checked by a second person waits for their e-signature; its
// performer signing "verified" is refused, and someone else's signature completes the step.
TEST_P(BatchApiTest, TheSecondPersonVerifiesNeverThePerformerA1101) {
  ASSERT_NO_FATAL_FAILURE(NewBatch());
  const std::string receiver = ExecuteStep("apheresis_receipt", {.verify = false});
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(StringMember(StepOf(BatchOf(), "apheresis_receipt"), "status"),
            "awaiting_verification");
  // Until it is verified, the next step may not start (P11-06).
  Json record = RecordOf();
  HttpResponse response = Post(receiver, StepPath("incoming_sampling") + "/start", {});
  record = ExpectRecordedRefusal(record, response, 409, "step", "sequence", receiver);

  Advance(2 * kMinute);
  response = Sign(receiver, "batch_step", batch_ + ":apheresis_receipt", "verified",
                  "Checked my own receipt");
  EXPECT_EQ(response.status, 403) << response.body;
  EXPECT_EQ(StringMember(ParseOrFail(response.body), "code"), "permission_denied");
  EXPECT_EQ(FirstDifference(RecordOf(), record), "");

  Advance(kMinute);
  const std::string second = SecondPersonFor(receiver);
  response = Sign(second, "batch_step", batch_ + ":apheresis_receipt", "verified",
                  "Labels and logger checked against the order, reading aloud");
  ASSERT_EQ(response.status, 201) << response.body;
  record = RecordOf();
  const Json& step = StepOf(record, "apheresis_receipt");
  EXPECT_EQ(StringMember(step, "status"), "done");
  EXPECT_EQ(StringMember(step, "verified_by"), second);
  EXPECT_EQ(TimeOf(Member(step, "verified_at")).Micros(), Now().Micros());
  const Json& signature = Items(Member(record, "signatures")).back();
  EXPECT_EQ(StringMember(signature, "signer_id"), second);
  EXPECT_EQ(StringMember(signature, "meaning"), "verified");
  EXPECT_EQ(StringMember(Member(signature, "record"), "id"), batch_ + ":apheresis_receipt");
  EXPECT_EQ(StringMember(signature, "printed_name"), "Vera Visser");
}

INSTANTIATE_TEST_SUITE_P(Engines, BatchApiTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

}  // namespace
}  // namespace aliquot
