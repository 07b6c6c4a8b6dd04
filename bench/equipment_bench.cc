// equipment_bench: the equipment check and the logbook of an instrument with 100,000 entries. The
// check (EquipmentService::CheckUseIn in one Store::Read, as batch execution calls it) is measured
// at now, where it reads the equipment's row and its room's, and at a past instant, where it finds
// the state as of then through the logbook's time index; each beside plain sqlite3 reads of the
// same rows, against its 50 us p99 target. A logbook page of 100 entries (app::LoadLogbookPage in
// one Store::Read) at the newest end, in the middle and oldest first is measured beside a plain
// sqlite3 SELECT of the same rows, against its 5 ms p99 target. The dataset is built once, sealed
// event by event at the instant each entry was made and imported through SqliteStore::Import, and
// kept in the build folder. See docs/benchmarks.md.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "bench/raw_sqlite.h"
#include "bench/report.h"
#include "bench/support.h"
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include "aliquot/app/equipment_records.h"
#include "aliquot/app/equipment_service.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/system_service.h"
#include "aliquot/core/check.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/domain/environment/room.h"
#include "aliquot/domain/equipment/equipment.h"
#include "aliquot/domain/identity/site.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/sql/projection_sql.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/fake_clock.h"

#ifndef ALIQUOT_BENCH_DATA_DIR
#define ALIQUOT_BENCH_DATA_DIR "."
#endif

namespace aliquot::bench {
namespace {

using Steady = std::chrono::steady_clock;
using environment::Grade;
using environment::RoomState;
using equipment::CalibrationPoint;
using equipment::CleaningRule;
using equipment::Definition;
using equipment::EntryKind;
using equipment::EquipmentClass;
using equipment::EquipmentState;

// The cached dataset's name carries this: bump it whenever the build below changes what it writes.
constexpr int kDatasetVersion = 1;

// The requirement's instrument, before --scale: a balance with 100,000 logbook entries. At 24
// batches a day it takes about two and a half years to write them.
constexpr std::int64_t kLogbookEntries = 100'000;
// Hermetic: the same dataset and the same draws on every run.
constexpr std::uint64_t kSeed = 20230102;

// The balance's day: a batch every 40 minutes from 06:00 to 22:00, each using it once or twice,
// then cleaning it and signing the cleaning; one batch in 200 tries it while another has it.
constexpr int kSlotsPerDay = 24;
constexpr int kSlotMinutes = 40;
constexpr int kFirstSlotMinute = 6 * 60;
constexpr int kSecondUsePercent = 30;
constexpr int kRefusedPerMille = 5;
// Its calibration (interval 182 days) every 175 days, its preventive maintenance (interval 365)
// every 350, and every 500 days a repair: out of service, corrective maintenance, back.
constexpr int kBalanceCalibrationDays = 175;
constexpr int kBalanceMaintenanceDays = 350;
constexpr int kRepairEvery = 500;
constexpr int kRepairDay = 250;
// The other equipment is calibrated and maintained two weeks before it falls due.
constexpr int kDueMarginDays = 14;

// Events per SqliteStore::Import call (one transaction each) while building.
constexpr std::size_t kEventsPerImport = 1000;

// Rounds (Google Benchmark iterations) and calls per round, before --scale.
constexpr std::int64_t kCheckRounds = 10;
constexpr std::int64_t kChecksPerRound = 2000;
constexpr std::int64_t kPageRounds = 10;
constexpr std::int64_t kPagesPerRound = 100;
constexpr std::size_t kPageSize = 100;

// The requirement's targets.
constexpr double kCheckTargetUs = 50;
constexpr double kPageTargetUs = 5000;

double scale = 1.0;
bool rebuild = false;
std::string data_dir = ALIQUOT_BENCH_DATA_DIR;

std::int64_t Scaled(std::int64_t count) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(count) * scale));
}

// Microseconds as milliseconds: "0.412 ms", "4.12 ms", "41.2 ms"; "n/a" for nullopt.
std::string Millis(std::optional<double> micros) {
  if (!micros) return "n/a";
  const double ms = *micros / 1000;
  char text[32];
  std::snprintf(text, sizeof text, ms < 1 ? "%.3f ms" : ms < 10 ? "%.2f ms" : "%.1f ms", ms);
  return text;
}

// Second `second` of day `day` (0: the installation's day).
Timestamp At(int day, int second) {
  static const Timestamp kStart =
      Must(Timestamp::ParseInstant("2023-01-02T00:00:00Z", "start"), "start");
  return Timestamp::FromMicros(kStart.Micros() + day * kMicrosPerDay +
                               std::int64_t{second} * kMicrosPerSecond);
}

constexpr int Hours(int hours) { return hours * 3600; }
constexpr int Minutes(int minutes) { return minutes * 60; }

std::string Numbered(std::string_view prefix, std::int64_t number, int digits = 6) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*s%0*lld", static_cast<int>(prefix.size()), prefix.data(),
                digits, static_cast<long long>(number));
  return text;
}

// ---------------------------------------------------------------------------------------------
// The site: five rooms, the balance under test in the media preparation room, and 50 other pieces
// of equipment of twelve kinds, each calibrated, maintained and cleaned as its kind requires and
// most of them used by a batch every few days.

constexpr std::string_view kSite = "LEI";
constexpr std::string_view kBalanceId = "BAL-MEDIA-01";

struct RoomSpec {
  std::string_view id;
  std::string_view name;
  Grade grade;
};
constexpr std::array<RoomSpec, 5> kRooms{{
    {"CAR-T-B101", "Suite 1 processing room", Grade::kB},
    {"CAR-T-B102", "Suite 2 processing room", Grade::kB},
    {"CAR-T-C201", "Media preparation room", Grade::kC},
    {"QC-LAB-1", "QC laboratory", Grade::kUnclassified},
    {"CRYO-STORE-1", "Cryostorage room", Grade::kD},
}};
constexpr std::size_t kBalanceRoom = 2;

struct Kind {
  std::string_view prefix;
  std::string_view name;
  EquipmentClass equipment_class;
  int count;
  std::string_view manufacturer;
  std::string_view model;
  std::array<std::size_t, 2> rooms;  // Indexes into kRooms; the items alternate between them.
  int calibration_days;              // 0: not calibrated.
  std::string_view measures;
  double nominal;  // The one calibration point, in `measures`.
  double tolerance;
  int maintenance_days;  // 0: no preventive schedule.
  CleaningRule cleaning;
  bool verify_cleaning;
  int use_every_days;  // 0: no batch uses it.
  std::string_view step;
};

constexpr std::array<Kind, 12> kKinds{{
    {"BSC",
     "Class II biosafety cabinet",
     EquipmentClass::kBiosafetyCabinet,
     8,
     "Thermo Fisher",
     "Herasafe 2030i",
     {0, 1},
     365,
     "m/s",
     0.45,
     0.05,
     365,
     CleaningRule::kBetweenPatients,
     true,
     4,
     "Open manipulation"},
    {"INC",
     "CO2 incubator",
     EquipmentClass::kIncubator,
     8,
     "Binder",
     "CB 170",
     {0, 1},
     365,
     "C",
     37,
     0.5,
     365,
     CleaningRule::kBetweenPatients,
     false,
     7,
     "Expansion"},
    {"CPS",
     "Closed cell processing system",
     EquipmentClass::kCellProcessingSystem,
     4,
     "Miltenyi Biotec",
     "CliniMACS Prodigy",
     {0, 1},
     0,
     "",
     0,
     0,
     180,
     CleaningRule::kAfterEachUse,
     false,
     7,
     "Selection and activation"},
    {"CEN",
     "Refrigerated centrifuge",
     EquipmentClass::kCentrifuge,
     4,
     "Eppendorf",
     "5920 R",
     {0, 1},
     365,
     "C",
     4,
     1,
     365,
     CleaningRule::kAfterEachUse,
     false,
     7,
     "Cell wash"},
    {"CRF",
     "Controlled-rate freezer",
     EquipmentClass::kControlledRateFreezer,
     2,
     "Planer",
     "Kryo 560-16",
     {4, 4},
     365,
     "C",
     -80,
     1.5,
     365,
     CleaningRule::kNone,
     false,
     10,
     "Cryopreservation"},
    {"LN2",
     "Vapour-phase LN2 storage",
     EquipmentClass::kLn2Storage,
     4,
     "Chart MVE",
     "HEco 1536P",
     {4, 4},
     365,
     "C",
     -150,
     5,
     365,
     CleaningRule::kNone,
     false,
     10,
     "Storage of product units"},
    {"REF",
     "Pharmacy refrigerator",
     EquipmentClass::kRefrigerator,
     4,
     "Liebherr",
     "MKv 3910",
     {2, 3},
     365,
     "C",
     5,
     2,
     0,
     CleaningRule::kNone,
     false,
     0,
     ""},
    {"PIP",
     "Single-channel pipette, 20-200 uL",
     EquipmentClass::kPipette,
     8,
     "Gilson",
     "PIPETMAN P200",
     {2, 3},
     180,
     "uL",
     100,
     0.8,
     0,
     CleaningRule::kNone,
     false,
     7,
     "Reagent addition"},
    {"CNT",
     "Automated cell counter",
     EquipmentClass::kCellCounter,
     2,
     "ChemoMetec",
     "NucleoCounter NC-200",
     {3, 3},
     180,
     "cells/mL",
     1e6,
     5e4,
     365,
     CleaningRule::kAfterEachUse,
     false,
     7,
     "In-process cell count"},
    {"BAL",
     "Precision balance, QC",
     EquipmentClass::kBalance,
     1,
     "Sartorius",
     "Cubis II MCA",
     {3, 3},
     182,
     "g",
     100,
     0.01,
     365,
     CleaningRule::kBetweenBatches,
     false,
     7,
     "Weighing"},
    {"WLD",
     "Sterile tubing welder",
     EquipmentClass::kSterileWelder,
     3,
     "Terumo BCT",
     "TSCD-II",
     {0, 1},
     0,
     "",
     0,
     0,
     365,
     CleaningRule::kNone,
     false,
     10,
     "Sterile connection"},
    {"PCT",
     "Portable particle counter",
     EquipmentClass::kParticleCounter,
     2,
     "Lighthouse",
     "ApexZ3",
     {0, 1},
     0,
     "",
     0,
     0,
     365,
     CleaningRule::kNone,
     false,
     0,
     ""},
}};

constexpr std::array<std::string_view, 6> kProducts{"CD19A",  "BCMA1", "CD22B",
                                                    "CD1922", "GD2X",  "MAGEA4"};

const ledger::Actor kAdministrator{"sys-admin-1", "Sam Admin"};
const ledger::Actor kValidation{"val-eng-1", "Vera Lindqvist"};
const ledger::Actor kMetrology{"metro-1", "Mats Rolf"};
const ledger::Actor kEngineer{"eng-1", "Eddie Ng"};
const ledger::Actor kQaApprover{"qa-approver-2", "Bo Quaade"};
constexpr std::string_view kQaTerminal = "QA-OFFICE-WS1";

ledger::Actor OperatorOf(std::int64_t batch) {
  const std::int64_t n = batch % 24 + 1;
  return {Numbered("op-", n, 2), "Operator " + std::to_string(n)};
}

std::string BatchId(std::int64_t batch) { return Numbered("B-", batch); }

// The patient's code on the batch (T-02): a valid donor identification code.
std::string PatientCode(std::int64_t batch) {
  const std::string body = Numbered("P", batch, 9);
  return "DIN-" + body + "-" + std::string(1, materials::DonorCodeCheckCharacter(body));
}

struct Instrument {
  std::string id;
  Definition definition;
  std::size_t room = 0;
  std::vector<CalibrationPoint> points;  // Nominal and tolerance; as found is drawn each time.
  int use_every_days = 0;
  std::string step;
  std::string terminal;
  EquipmentState state;  // As the build has imported so far.
};

std::vector<Instrument> PlanInstruments() {
  std::vector<Instrument> instruments;
  Instrument balance;
  balance.id = std::string(kBalanceId);
  Definition& definition = balance.definition;
  definition.name = "Analytical balance, media preparation";
  definition.equipment_class = EquipmentClass::kBalance;
  definition.manufacturer = "Mettler-Toledo";
  definition.model = "XPR205DR";
  definition.serial_number = "B947310218";
  definition.room = std::string(kRooms[kBalanceRoom].id);
  definition.calibration_interval_days = 182;
  definition.maintenance_interval_days = 365;
  definition.cleaning_rule = CleaningRule::kBetweenBatches;
  definition.clean_hold_hours = 72;
  definition.measures = "g";
  definition.second_person_checks = {EntryKind::kCalibration};
  balance.room = kBalanceRoom;
  balance.points = {{1, 0, std::nullopt, 0.0005, "g"},
                    {50, 0, std::nullopt, 0.002, "g"},
                    {200, 0, std::nullopt, 0.005, "g"}};
  balance.step = "Weighing of cryoprotectant and buffers";
  balance.terminal = "MEDIA-PREP-TAB1";
  instruments.push_back(std::move(balance));

  for (const Kind& kind : kKinds) {
    for (int n = 1; n <= kind.count; ++n) {
      Instrument instrument;
      instrument.id = Numbered(std::string(kind.prefix) + "-", n, 2);
      instrument.room = kind.rooms[static_cast<std::size_t>(n % 2)];
      Definition& d = instrument.definition;
      d.name = std::string(kind.name) + " " + std::to_string(n);
      d.equipment_class = kind.equipment_class;
      d.manufacturer = std::string(kind.manufacturer);
      d.model = std::string(kind.model);
      d.serial_number = Numbered(kind.prefix, 40'000 + n * 37, 7);
      d.room = std::string(kRooms[instrument.room].id);
      if (kind.calibration_days > 0) {
        d.calibration_interval_days = kind.calibration_days;
        d.measures = std::string(kind.measures);
        instrument.points = {
            {kind.nominal, 0, std::nullopt, kind.tolerance, std::string(kind.measures)}};
      }
      if (kind.maintenance_days > 0) d.maintenance_interval_days = kind.maintenance_days;
      d.cleaning_rule = kind.cleaning;
      if (kind.verify_cleaning) d.second_person_checks = {EntryKind::kCleaning};
      instrument.use_every_days = kind.use_every_days;
      instrument.step = std::string(kind.step);
      instrument.terminal = Numbered("SUITE-", static_cast<std::int64_t>(instrument.room) + 1, 1) +
                            "-TAB" + std::to_string(n % 3 + 1);
      instruments.push_back(std::move(instrument));
    }
  }
  return instruments;
}

// ---------------------------------------------------------------------------------------------
// The build. Every entry is made by the domain's own functions (Register, RecordQualification,
// RecordCalibration, RecordMaintenance, RecordCleaning, CheckUse then StartUse or RefuseUse,
// EndUse, SignEntry, VerifyEntry, TakeOutOfService, ReturnToService) from the state folded by
// ApplyEquipmentEvent, sealed at the instant it was made (ledger::SealEvent), and imported in
// transactions of up to kEventsPerImport events through Store::Import, which checks the chain and
// applies the projections as an append does. A signature is recorded as the equipment event the
// SignatureService would append with it (entry_signed, entry_verified), without the signature
// record itself: that would need passwords and the SignatureService.

// Seals events at their own instants after the store's head and imports them in large calls.
class Importer {
 public:
  explicit Importer(app::Store& store) : store_(store) {
    const app::LedgerHead head = Must(store.Head(), "reading the head");
    size_ = head.size;
    head_hash_ = head.head_hash;
    last_time_ = head.last_time;
  }

  // Seals `event` at `at`, folds it into `state` as the store's projector will, then queues it.
  template <typename State>
  void Add(State& state, Status (*apply)(State&, const ledger::Event&),
           const ledger::NewEvent& event, Timestamp at) {
    ledger::Event sealed = Seal(event, at);
    MustSucceed(apply(state, sealed), "folding an event");
    Queue(std::move(sealed));
  }

  void Add(const ledger::NewEvent& event, Timestamp at) { Queue(Seal(event, at)); }

  void Flush() {
    if (pending_.empty()) return;
    MustSucceed(store_.Import(pending_), "importing");
    events_ += static_cast<std::int64_t>(pending_.size());
    ++imports_;
    pending_.clear();
  }

  // Events imported so far; sealed so far (the ledger's size, with what is still queued).
  std::int64_t Events() const { return events_; }
  std::uint64_t Sealed() const { return size_; }
  std::int64_t Imports() const { return imports_; }

 private:
  ledger::Event Seal(const ledger::NewEvent& event, Timestamp at) {
    MustSucceed(ledger::ValidateNewEvent(event), "validating an event");
    ALIQUOT_CHECK(at >= last_time_);
    ledger::Event sealed = ledger::SealEvent(event, size_ + 1, at, head_hash_);
    size_ = sealed.seq;
    head_hash_ = sealed.hash;
    last_time_ = sealed.time;
    return sealed;
  }

  void Queue(ledger::Event sealed) {
    pending_.push_back(std::move(sealed));
    if (pending_.size() >= kEventsPerImport) Flush();
  }

  app::Store& store_;
  std::uint64_t size_ = 0;
  Hash256 head_hash_;
  Timestamp last_time_;
  std::vector<ledger::Event> pending_;
  std::int64_t events_ = 0;
  std::int64_t imports_ = 0;
};

enum class Act {
  kRegister,
  kQualify,
  kCalibrate,
  kMaintain,
  kRepair,
  kTakeOut,
  kReturn,
  kClean,
  kSign,
  kVerify,
  kStartUse,
  kRefuseUse,
  kEndUse,
};

// One entry to make: what, on which equipment, when.
struct Step {
  Timestamp at;
  std::size_t instrument = 0;
  Act act = Act::kRegister;
  EntryKind signs = EntryKind::kCleaning;  // What kSign and kVerify concern.
  std::int64_t batch = 0;                  // Uses and cleanings: the batch, whose operator acts.
  bool opens_slot = false;                 // The balance's first use in a slot.
};

// The entry number of the latest entry of `kind`: what a signature of it names.
int LatestOf(const EquipmentState& state, EntryKind kind) {
  const auto entry = [](const auto& part) {
    ALIQUOT_CHECK(part.has_value());
    return part->signoff.entry;
  };
  switch (kind) {
    case EntryKind::kQualification:
      return entry(state.qualification);
    case EntryKind::kCleaning:
      return entry(state.latest_cleaning);
    case EntryKind::kCalibration:
      return entry(state.latest_calibration);
    case EntryKind::kMaintenance:
      return entry(state.latest_maintenance);
    case EntryKind::kReturnedToService:
      ALIQUOT_CHECK(state.pending_return.has_value());
      return state.pending_return->entry;
    default:
      ALIQUOT_CHECK(false);
      return 0;
  }
}

class SiteBuilder {
 public:
  SiteBuilder(app::Store& store, std::int64_t target)
      : importer_(store), target_(target), random_(kSeed), instruments_(PlanInstruments()) {
    next_progress_ = std::max<std::int64_t>(1, target / 10);
  }

  // The site, its rooms and, on day 0, every instrument registered, qualified, calibrated and
  // cleaned.
  void Setup() {
    identity::CreateSiteCommand site{std::string(kSite), "Leiden Cell Therapy Plant 1", {}};
    importer_.Add(
        Must(identity::CreateSite(identity::SiteState{}, site, kAdministrator, kQaTerminal),
             "creating the site"),
        At(0, Hours(7)));
    for (std::size_t r = 0; r < kRooms.size(); ++r) {
      const environment::RoomCommand command{std::string(kRooms[r].id), std::string(kSite),
                                             std::string(kRooms[r].name), kRooms[r].grade};
      importer_.Add(
          rooms_[r], environment::ApplyRoomEvent,
          Must(environment::DefineRoom(rooms_[r], command, "", kAdministrator, kQaTerminal),
               "defining a room"),
          At(0, Hours(7) + static_cast<int>(r)));
    }
    std::vector<Step> steps;
    for (std::size_t i = 0; i < instruments_.size(); ++i) {
      const Instrument& instrument = instruments_[i];
      const int offset = Minutes(static_cast<int>(i));
      steps.push_back({At(0, Hours(8) + static_cast<int>(i) * 10), i, Act::kRegister});
      Signed(steps, At(0, Hours(9) + offset), i, Act::kQualify, EntryKind::kQualification, 0);
      if (instrument.definition.calibration_interval_days) {
        Signed(steps, At(0, Hours(10) + offset), i, Act::kCalibrate, EntryKind::kCalibration, 0);
      }
      if (instrument.definition.cleaning_rule != CleaningRule::kNone) {
        Signed(steps, At(0, Hours(11) + offset), i, Act::kClean, EntryKind::kCleaning, next_batch_);
      }
    }
    Run(steps);
  }

  // One day's entries, in time order. Returns false once the balance has its entries: it stops at
  // the start of a slot, clean, with its last cleaning signed.
  bool Day(int day) {
    std::vector<Step> steps;
    // The balance.
    if (day % kRepairEvery == kRepairDay) {
      steps.push_back({At(day, Hours(3)), 0, Act::kTakeOut});
      Signed(steps, At(day, Hours(3) + Minutes(20)), 0, Act::kRepair, EntryKind::kMaintenance, 0);
      Signed(steps, At(day, Hours(3) + Minutes(40)), 0, Act::kReturn, EntryKind::kReturnedToService,
             0);
    }
    if (day % kBalanceMaintenanceDays == 0) {
      Signed(steps, At(day, Hours(4)), 0, Act::kMaintain, EntryKind::kMaintenance, 0);
    }
    if (day % kBalanceCalibrationDays == 0) {
      Signed(steps, At(day, Hours(5)), 0, Act::kCalibrate, EntryKind::kCalibration, 0);
    }
    for (int slot = 0; slot < kSlotsPerDay; ++slot) {
      const int start = Minutes(kFirstSlotMinute + slot * kSlotMinutes);
      const std::int64_t batch = next_batch_++;
      steps.push_back({At(day, start), 0, Act::kStartUse, EntryKind::kCleaning, batch, true});
      if (Percent() < kRefusedPerMille / 10.0) {
        // The next batch's operator tries it early.
        steps.push_back(
            {At(day, start + Minutes(4)), 0, Act::kRefuseUse, EntryKind::kCleaning, batch + 1});
      }
      steps.push_back({At(day, start + Minutes(8)), 0, Act::kEndUse, EntryKind::kCleaning, batch});
      int clean = start + Minutes(10);
      if (Percent() < kSecondUsePercent) {
        steps.push_back(
            {At(day, start + Minutes(12)), 0, Act::kStartUse, EntryKind::kCleaning, batch});
        steps.push_back(
            {At(day, start + Minutes(18)), 0, Act::kEndUse, EntryKind::kCleaning, batch});
        clean = start + Minutes(22);
      }
      Signed(steps, At(day, clean), 0, Act::kClean, EntryKind::kCleaning, batch);
    }
    // The other equipment.
    for (std::size_t i = 1; i < instruments_.size(); ++i) {
      const Instrument& instrument = instruments_[i];
      const Definition& definition = instrument.definition;
      const int offset = Minutes(static_cast<int>(i));
      // Every `interval` less the margin, the first time that long after day 0; spread over a week.
      const auto due = [&](const std::optional<int>& interval) {
        if (!interval) return false;
        const int period = *interval - kDueMarginDays;
        return day >= period && day % period == static_cast<int>(i) % 7;
      };
      if (due(definition.calibration_interval_days)) {
        Signed(steps, At(day, Hours(1) + offset), i, Act::kCalibrate, EntryKind::kCalibration, 0);
      }
      if (due(definition.maintenance_interval_days)) {
        Signed(steps, At(day, Hours(2) + offset), i, Act::kMaintain, EntryKind::kMaintenance, 0);
      }
      if (instrument.use_every_days > 0 &&
          (day + static_cast<int>(i)) % instrument.use_every_days == 0) {
        const int start = Hours(9) + 3 * offset;
        const std::int64_t batch = next_batch_++;
        steps.push_back({At(day, start), i, Act::kStartUse, EntryKind::kCleaning, batch});
        steps.push_back({At(day, start + Hours(2)), i, Act::kEndUse, EntryKind::kCleaning, batch});
        if (definition.cleaning_rule != CleaningRule::kNone) {
          Signed(steps, At(day, start + Hours(2) + Minutes(5)), i, Act::kClean,
                 EntryKind::kCleaning, batch);
        }
      }
    }
    Run(steps);
    return !balance_done_;
  }

  void Flush() { importer_.Flush(); }
  const Importer& Imported() const { return importer_; }
  std::int64_t Batches() const { return next_batch_ - 1; }

 private:
  double Percent() { return std::uniform_real_distribution<double>(0, 100)(random_); }

  // `act` at `at`, then its performer's signature 20 s later and, where the equipment's rules ask
  // for one, a second person's verification 40 s later.
  void Signed(std::vector<Step>& steps, Timestamp at, std::size_t i, Act act, EntryKind kind,
              std::int64_t batch) {
    steps.push_back({at, i, act, kind, batch});
    const auto later = [&](int seconds) {
      return Timestamp::FromMicros(at.Micros() + seconds * kMicrosPerSecond);
    };
    steps.push_back({later(20), i, Act::kSign, kind, batch});
    if (instruments_[i].definition.NeedsVerification(kind)) {
      steps.push_back({later(40), i, Act::kVerify, kind, batch});
    }
  }

  void Run(std::vector<Step>& steps) {
    // Stable: an instrument's own steps never share an instant, and setup steps keep their order.
    std::stable_sort(steps.begin(), steps.end(),
                     [](const Step& a, const Step& b) { return a.at < b.at; });
    for (const Step& step : steps) {
      if (step.instrument == 0 && balance_done_) continue;
      if (step.opens_slot && instruments_[0].state.entries >= target_) {
        balance_done_ = true;
        continue;
      }
      Make(step);
      if (step.instrument == 0 && instruments_[0].state.entries >= next_progress_) {
        std::fprintf(stderr, "  building: %s of %s balance entries, %s events\n",
                     ThousandsSeparated(instruments_[0].state.entries).c_str(),
                     ThousandsSeparated(static_cast<double>(target_)).c_str(),
                     ThousandsSeparated(static_cast<double>(importer_.Sealed())).c_str());
        next_progress_ += std::max<std::int64_t>(1, target_ / 10);
      }
    }
  }

  // Who performed the entry that `step` signs or verifies, and who verifies it.
  static ledger::Actor PerformerOf(const Step& step) {
    switch (step.signs) {
      case EntryKind::kQualification:
        return kValidation;
      case EntryKind::kCalibration:
        return kMetrology;
      case EntryKind::kCleaning:
        return OperatorOf(step.batch);
      default:
        return kEngineer;
    }
  }
  static ledger::Actor VerifierOf(const Step& step) {
    return step.signs == EntryKind::kCleaning ? OperatorOf(step.batch + 1) : kQaApprover;
  }

  equipment::UseInput UseOf(const Instrument& instrument, std::int64_t batch) const {
    equipment::UseInput input;
    input.batch = BatchId(batch);
    input.product = std::string(kProducts[static_cast<std::size_t>(batch) % kProducts.size()]);
    input.lot = Numbered("RM-", batch / 150 + 1);
    input.step = instrument.step;
    input.patient_code = PatientCode(batch);
    input.required_class = instrument.definition.equipment_class;
    input.required_grade = rooms_[instrument.room].grade;
    return input;
  }

  equipment::UseCheck Check(const Instrument& instrument, const equipment::UseInput& input,
                            Timestamp at) const {
    equipment::UseRequest request;
    request.required_class = input.required_class;
    request.required_grade = input.required_grade;
    request.batch = input.batch;
    request.product = input.product;
    request.patient_code = input.patient_code;
    request.at = at;
    return Must(equipment::CheckUse(instrument.state, rooms_[instrument.room], request),
                "checking a use");
  }

  void Make(const Step& step) {
    Instrument& instrument = instruments_[step.instrument];
    const EquipmentState& state = instrument.state;
    const RoomState& room = rooms_[instrument.room];
    const std::string& terminal = instrument.terminal;
    ledger::NewEvent event;
    switch (step.act) {
      case Act::kRegister:
        event = Must(equipment::Register(state, instrument.id, instrument.definition, room,
                                         kValidation, kQaTerminal),
                     "registering equipment");
        break;
      case Act::kQualify: {
        equipment::QualificationInput input;
        input.reference = "IQOQ-" + instrument.id + "-2023";
        input.report_sha256 = Sha256::Of(input.reference + ".pdf").Hex();
        event = Must(equipment::RecordQualification(state, input, kValidation, terminal),
                     "qualifying equipment");
        break;
      }
      case Act::kCalibrate: {
        equipment::CalibrationInput input;
        input.provider = step.instrument == 0 ? "Mettler-Toledo service" : "Metrology, in house";
        input.reference_standard = "Reference set RS-" + std::to_string(step.instrument % 5 + 1) +
                                   " (certificate " + step.at.ToRfc3339().substr(0, 4) + ")";
        for (CalibrationPoint point : instrument.points) {
          point.as_found = point.nominal + std::uniform_real_distribution<double>(
                                               -point.tolerance / 3, point.tolerance / 3)(random_);
          input.points.push_back(std::move(point));
        }
        input.certificate_sha256 =
            Sha256::Of(instrument.id + " calibration " + step.at.ToRfc3339()).Hex();
        event = Must(equipment::RecordCalibration(state, input, step.at, kMetrology, terminal),
                     "calibrating equipment");
        break;
      }
      case Act::kMaintain:
      case Act::kRepair: {
        equipment::MaintenanceInput input;
        input.type = step.act == Act::kMaintain ? equipment::MaintenanceType::kPreventive
                                                : equipment::MaintenanceType::kCorrective;
        input.description = step.act == Act::kMaintain
                                ? "Annual preventive maintenance per the manufacturer's plan"
                                : "Load cell replaced; levelling and internal adjustment checked";
        event = Must(equipment::RecordMaintenance(state, input, step.at, kEngineer, terminal),
                     "maintaining equipment");
        break;
      }
      case Act::kTakeOut:
        event = Must(
            equipment::TakeOutOfService(
                state, "Unstable readings at the daily check; service called", kEngineer, terminal),
            "taking equipment out of service");
        break;
      case Act::kReturn:
        event =
            Must(equipment::ReturnToService(state, "Repaired and adjusted; the daily check passes",
                                            kEngineer, terminal),
                 "returning equipment to service");
        break;
      case Act::kClean:
        event = Must(equipment::RecordCleaning(
                         state, {"70% IPA, then sporicidal wipe", "Wipe-down per SOP-CLN-004", ""},
                         OperatorOf(step.batch), terminal),
                     "recording a cleaning");
        break;
      case Act::kSign: {
        const ledger::Actor signer = PerformerOf(step);
        event = Must(
            equipment::SignEntry(state, LatestOf(state, step.signs), signer.id, signer, terminal),
            "signing an entry");
        break;
      }
      case Act::kVerify: {
        const ledger::Actor verifier = VerifierOf(step);
        event = Must(equipment::VerifyEntry(state, LatestOf(state, step.signs), verifier.id,
                                            verifier, terminal),
                     "verifying an entry");
        break;
      }
      case Act::kStartUse: {
        const equipment::UseInput input = UseOf(instrument, step.batch);
        const equipment::UseCheck check = Check(instrument, input, step.at);
        ALIQUOT_CHECK_MSG(check.Allowed(), check.message.c_str());
        event = equipment::StartUse(state, input, check, room, OperatorOf(step.batch), terminal);
        break;
      }
      case Act::kRefuseUse: {
        const equipment::UseInput input = UseOf(instrument, step.batch);
        const equipment::UseCheck check = Check(instrument, input, step.at);
        ALIQUOT_CHECK(!check.Allowed());
        event = equipment::RefuseUse(state, input, check, OperatorOf(step.batch), terminal);
        break;
      }
      case Act::kEndUse:
        event = Must(
            equipment::EndUse(state, BatchId(step.batch), "", OperatorOf(step.batch), terminal),
            "ending a use");
        break;
    }
    importer_.Add(instrument.state, equipment::ApplyEquipmentEvent, event, step.at);
  }

  Importer importer_;
  std::int64_t target_;
  std::mt19937_64 random_;
  std::array<RoomState, kRooms.size()> rooms_{};
  std::vector<Instrument> instruments_;
  std::int64_t next_batch_ = 1;
  bool balance_done_ = false;
  std::int64_t next_progress_ = 0;
};

struct BuildReport {
  double seconds = 0;
  std::string text;  // What the run printed about it; kept beside the cached file.
};

BuildReport Build(const std::string& path, std::int64_t target) {
  const Steady::time_point began = Steady::now();
  const double cpu_began = ProcessCpuSeconds();
  testing::FakeClock clock(At(0, Hours(6)));
  const std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  std::unique_ptr<storage::SqliteStore> store = Must(
      storage::SqliteStore::Open({path, storage::OpenMode::kReadWriteCreate}, clock, *projector),
      "creating the store");
  const Ed25519SigningKey checkpoint_key = Ed25519SigningKey::FromSeed(Ed25519SigningKey::Seed{9});
  app::SystemService system(*store);
  (void)Must(
      system.Initialise({"Leiden Cell Therapy Plant 1", checkpoint_key.PublicKey().KeyId().Hex(),
                         "0.1.0-bench", std::string(kQaTerminal)}),
      "initialising");
  SiteBuilder site(*store, target);
  site.Setup();
  int days = 0;
  while (site.Day(++days)) {
  }
  site.Flush();
  store.reset();  // The close folds the WAL into the file.

  BuildReport report;
  report.seconds = Seconds(Steady::now() - began);
  const double events = static_cast<double>(site.Imported().Events()) + 1;  // The installation.
  char text[320];
  std::snprintf(text, sizeof text,
                "built in %.1f s, %.1f s of CPU (%s events/s, %s imports: %s events over %d days, "
                "%s batches)",
                report.seconds, ProcessCpuSeconds() - cpu_began,
                ThousandsSeparated(events / report.seconds).c_str(),
                ThousandsSeparated(static_cast<double>(site.Imported().Imports())).c_str(),
                ThousandsSeparated(events).c_str(), days,
                ThousandsSeparated(static_cast<double>(site.Batches())).c_str());
  report.text = text;
  return report;
}

// ---------------------------------------------------------------------------------------------
// The limits: plain sqlite3 on a second, read-only connection to the same file. Each call runs in
// a read transaction (BEGIN ... COMMIT), as Store::Read gives the store's calls one snapshot, and
// looks at every column of every row, copying nothing. The check's rows are read by the store's
// own select_by_key (every column, as StoreReader::GetRow reads them); the time index by the same
// range LoadEquipmentAt asks ScanRowRange for, written out (the last row at or before the instant,
// by the primary key's index). A page is one SELECT in the logbook's key order.

enum class PageColumns { kShown, kAll };

class RawSql {
 public:
  RawSql(const std::string& path, const app::Projector& projector)
      : connection_(path, 0, "PRAGMA busy_timeout = 10000;") {
    const auto by_key = [&](std::string_view table) {
      return connection_.Prepare(
          storage::BuildTableSql(TableNamed(projector, table), storage::Dialect::kSqlite)
              .select_by_key);
    };
    equipment_ = by_key("equipment");
    room_ = by_key("rooms");
    logbook_ = by_key("equipment_logbook");
    const app::TableSpec& times = TableNamed(projector, "equipment_logbook_times");
    time_ = connection_.Prepare("SELECT " + storage::ColumnList(times) + " FROM " + times.name +
                                " WHERE equipment = ?1 AND at <= ?2 ORDER BY at DESC, entry DESC "
                                "LIMIT 1");
    // What a page shows: every column but the state after the entry.
    const app::TableSpec& logbook = app::EquipmentLogbookTable();
    std::string shown;
    for (const app::ColumnSpec& column : logbook.columns) {
      if (column.name == "state_after") continue;
      shown += std::string(shown.empty() ? "" : ", ") + column.name;
    }
    for (const PageColumns columns : {PageColumns::kShown, PageColumns::kAll}) {
      for (const bool newest_first : {false, true}) {
        page_[Index(columns, newest_first)] = connection_.Prepare(
            "SELECT " + (columns == PageColumns::kShown ? shown : storage::ColumnList(logbook)) +
            " FROM " + logbook.name +
            " WHERE equipment = ?1 AND entry > ?2 AND entry < ?3 ORDER BY entry" +
            (newest_first ? " DESC" : "") + " LIMIT ?4");
      }
    }
  }
  ~RawSql() {
    for (sqlite3_stmt* statement : {equipment_, room_, logbook_, time_}) {
      sqlite3_finalize(statement);
    }
    for (sqlite3_stmt* statement : page_) sqlite3_finalize(statement);
  }
  RawSql(const RawSql&) = delete;
  RawSql& operator=(const RawSql&) = delete;

  // The equipment's row and its room's, in one read transaction: the number of rows.
  std::int64_t ReadNow(const std::string& equipment, const std::string& room) {
    connection_.Begin();
    RawConnection::Bind(equipment_, 1, equipment);
    std::int64_t rows = connection_.Rows(equipment_);
    RawConnection::Bind(room_, 1, room);
    rows += connection_.Rows(room_);
    connection_.Commit();
    return rows;
  }

  // The last time index row at or before `at`, the logbook row it names and the room's row, in
  // one read transaction: the number of rows.
  std::int64_t ReadAt(const std::string& equipment, Timestamp at, const std::string& room) {
    connection_.Begin();
    RawConnection::Bind(time_, 1, equipment);
    ALIQUOT_CHECK(sqlite3_bind_int64(time_, 2, at.Micros()) == SQLITE_OK);
    ALIQUOT_CHECK_MSG(sqlite3_step(time_) == SQLITE_ROW, sqlite3_errmsg(connection_.Handle()));
    const std::int64_t entry = sqlite3_column_int64(time_, 2);
    ALIQUOT_CHECK(sqlite3_step(time_) == SQLITE_DONE);
    sqlite3_reset(time_);
    sqlite3_clear_bindings(time_);
    RawConnection::Bind(logbook_, 1, equipment);
    ALIQUOT_CHECK(sqlite3_bind_int64(logbook_, 2, entry) == SQLITE_OK);
    std::int64_t rows = 1 + connection_.Rows(logbook_);
    RawConnection::Bind(room_, 1, room);
    rows += connection_.Rows(room_);
    connection_.Commit();
    return rows;
  }

  // Up to kPageSize logbook rows of `equipment` with after < entry < before: the number of rows.
  std::int64_t Page(const std::string& equipment, int after, int before, bool newest_first,
                    PageColumns columns) {
    sqlite3_stmt* statement = page_[Index(columns, newest_first)];
    connection_.Begin();
    RawConnection::Bind(statement, 1, equipment);
    ALIQUOT_CHECK(sqlite3_bind_int64(statement, 2, after) == SQLITE_OK);
    ALIQUOT_CHECK(sqlite3_bind_int64(statement, 3, before) == SQLITE_OK);
    ALIQUOT_CHECK(sqlite3_bind_int64(statement, 4, static_cast<std::int64_t>(kPageSize)) ==
                  SQLITE_OK);
    const std::int64_t rows = connection_.Rows(statement);
    connection_.Commit();
    return rows;
  }

  // Every row of `sql`, each column as text ("" for NULL): for choosing what to ask, not measured.
  std::vector<std::vector<std::string>> Query(const std::string& sql) {
    sqlite3_stmt* statement = connection_.Prepare(sql);
    std::vector<std::vector<std::string>> rows;
    int code = 0;
    while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
      std::vector<std::string>& row = rows.emplace_back();
      for (int column = 0; column < sqlite3_column_count(statement); ++column) {
        const unsigned char* text = sqlite3_column_text(statement, column);
        row.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
      }
    }
    ALIQUOT_CHECK_MSG(code == SQLITE_DONE, sqlite3_errmsg(connection_.Handle()));
    sqlite3_finalize(statement);
    return rows;
  }

  double Scalar(const std::string& sql) {
    const std::vector<std::vector<std::string>> rows = Query(sql);
    ALIQUOT_CHECK(rows.size() == 1 && !rows[0].empty());
    return std::stod(rows[0][0].empty() ? "0" : rows[0][0]);
  }

  // What the reads looked at, so that the compiler cannot leave them out.
  std::uint64_t Checksum() const { return connection_.Checksum(); }

 private:
  static std::size_t Index(PageColumns columns, bool newest_first) {
    return (columns == PageColumns::kAll ? 2 : 0) + (newest_first ? 1 : 0);
  }

  RawConnection connection_;
  sqlite3_stmt* equipment_ = nullptr;
  sqlite3_stmt* room_ = nullptr;
  sqlite3_stmt* logbook_ = nullptr;
  sqlite3_stmt* time_ = nullptr;
  std::array<sqlite3_stmt*, 4> page_{};
};

// ---------------------------------------------------------------------------------------------
// The dataset as the benchmarks use it: built once (or found in the data folder), then opened as
// a server restarting on it would, with the checks to ask read from its tables.

// An equipment check as batch execution asks it, and the room the raw limit reads.
struct CheckCase {
  std::string equipment;
  std::string room;
  equipment::UseRequest request;
};

struct Dataset {
  std::string path;
  testing::FakeClock clock;
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  std::unique_ptr<storage::SqliteStore> store;
  std::unique_ptr<RawSql> raw;
  Timestamp now;
  int entries = 0;                    // The balance's logbook.
  std::vector<CheckCase> now_cases;   // Every piece of equipment, asked at now.
  std::vector<CheckCase> past_cases;  // The balance, a minute after each signed cleaning.
  std::string built;                  // How and when it was built.
};

std::unique_ptr<Dataset> the_dataset;

std::string ScaleTag() {
  char text[32];
  std::snprintf(text, sizeof text, "%g", scale);
  return text;
}

void PrintDataset(Dataset& data);

// A new batch's request for `equipment`, of its class in a room of its room's grade, at `at`.
CheckCase AskFor(const std::string& equipment, const std::string& equipment_class,
                 const std::string& room, const std::string& grade, Timestamp at) {
  CheckCase ask;
  ask.equipment = equipment;
  ask.room = room;
  ask.request.required_class = equipment::EquipmentClassFromName(equipment_class);
  ask.request.required_grade = environment::GradeFromName(grade);
  ALIQUOT_CHECK(ask.request.required_class && ask.request.required_grade);
  ask.request.batch = BatchId(900'001);
  ask.request.product = std::string(kProducts[0]);
  ask.request.patient_code = PatientCode(900'001);
  ask.request.at = at;
  return ask;
}

Dataset& TheDataset() {
  if (the_dataset) return *the_dataset;
  auto data = std::make_unique<Dataset>();
  const std::int64_t target = Scaled(kLogbookEntries);
  std::filesystem::create_directories(data_dir);
  data->path =
      (std::filesystem::path(data_dir) /
       ("equipment_bench_v" + std::to_string(kDatasetVersion) + "_scale" + ScaleTag() + ".sqlite"))
          .string();
  const std::string note_path = data->path + ".built";
  if (rebuild || !std::filesystem::exists(data->path)) {
    // Built under another name and renamed once complete, so that an interrupted build is never
    // taken for a dataset.
    const std::string building = data->path + ".building";
    for (const std::string& name : {building, building + "-wal", building + "-shm", data->path,
                                    data->path + "-wal", data->path + "-shm", note_path}) {
      std::filesystem::remove(name);
    }
    std::printf("Building the dataset into %s (once; later runs reuse it) ...\n",
                data->path.c_str());
    std::fflush(stdout);
    const BuildReport report = Build(building, target);
    for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(building + suffix);
    std::filesystem::rename(building, data->path);
    std::ofstream(note_path) << report.text;
    data->built = report.text + ", in this run";
  } else {
    std::ifstream note(note_path);
    std::stringstream text;
    text << note.rdbuf();
    data->built = "found in " + data_dir + "; " +
                  (text.str().empty() ? std::string("built earlier") : text.str());
  }

  data->clock.Set(At(0, 0));
  data->store = Must(storage::SqliteStore::Open({data->path, storage::OpenMode::kReadWrite},
                                                data->clock, *data->projector),
                     "opening the store");
  // Half an hour after the last entry: every piece of equipment is idle, clean and in calibration.
  const app::LedgerHead head = Must(data->store->Head(), "reading the head");
  data->now = Timestamp::FromMicros(head.last_time.Micros() + 1800 * kMicrosPerSecond);
  data->clock.Set(data->now);
  data->raw = std::make_unique<RawSql>(data->path, *data->projector);
  RawSql& raw = *data->raw;

  const std::string balance(kBalanceId);
  std::vector<CheckCase> now_cases;
  for (const auto& row : raw.Query("SELECT e.equipment_id, e.class, e.room, r.grade FROM equipment "
                                   "AS e JOIN rooms AS r ON r.room_id = e.room ORDER BY 1")) {
    now_cases.push_back(AskFor(row[0], row[1], row[2], row[3], data->now));
  }
  std::vector<CheckCase> past_cases;
  const std::string balance_room(kRooms[kBalanceRoom].id);
  for (const auto& row :
       raw.Query("SELECT at FROM equipment_logbook WHERE equipment = '" + balance +
                 "' AND kind = 'signed' AND json_extract(details, '$.kind') = 'cleaning'")) {
    const Timestamp at = Timestamp::FromMicros(std::stoll(row[0]) + 60 * kMicrosPerSecond);
    past_cases.push_back(AskFor(balance, "balance", balance_room,
                                std::string(environment::GradeName(kRooms[kBalanceRoom].grade)),
                                at));
  }
  // Kept if allowed: every answer measured must be "may be used", the whole of the check's path.
  MustSucceed(data->store->Read([&](app::StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(const EquipmentState state, app::LoadEquipment(reader, balance));
    data->entries = state.entries;
    for (auto [cases, kept] :
         {std::pair{&now_cases, &data->now_cases}, std::pair{&past_cases, &data->past_cases}}) {
      for (CheckCase& ask : *cases) {
        ALIQUOT_ASSIGN_OR_RETURN(
            const equipment::UseCheck check,
            app::EquipmentService::CheckUseIn(reader, ask.equipment, ask.request, data->now));
        if (check.Allowed()) kept->push_back(std::move(ask));
      }
    }
    return {};
  }),
              "choosing the checks");
  std::printf(
      "  Checks: %s of %s pieces of equipment may be used now; the balance may be used a "
      "minute after %s of its %s signed cleanings.\n",
      ThousandsSeparated(static_cast<double>(data->now_cases.size())).c_str(),
      ThousandsSeparated(static_cast<double>(now_cases.size())).c_str(),
      ThousandsSeparated(static_cast<double>(data->past_cases.size())).c_str(),
      ThousandsSeparated(static_cast<double>(past_cases.size())).c_str());
  ALIQUOT_CHECK(data->entries > 0 && !data->now_cases.empty() && !data->past_cases.empty());
  ALIQUOT_CHECK_MSG(data->now_cases.front().equipment <= balance &&
                        std::any_of(data->now_cases.begin(), data->now_cases.end(),
                                    [&](const CheckCase& ask) { return ask.equipment == balance; }),
                    "the balance may not be used now");
  PrintDataset(*data);
  the_dataset = std::move(data);
  return *the_dataset;
}

void PrintDataset(Dataset& data) {
  RawSql& raw = *data.raw;
  const std::string balance(kBalanceId);
  const double events = raw.Scalar("SELECT count(*) FROM events");
  const double equipment_count = raw.Scalar("SELECT count(*) FROM equipment");
  const double rooms = raw.Scalar("SELECT count(*) FROM rooms");
  const double entries = raw.Scalar("SELECT count(*) FROM equipment_logbook");
  const double uses = raw.Scalar("SELECT count(*) FROM equipment_uses");
  const double balance_uses =
      raw.Scalar("SELECT count(*) FROM equipment_uses WHERE equipment = '" + balance + "'");
  const double state = raw.Scalar(
      "SELECT length(state) FROM equipment_states WHERE equipment_id = '" + balance + "'");
  const double state_after = raw.Scalar(
      "SELECT avg(length(state_after)) FROM equipment_logbook WHERE equipment = '" + balance + "'");
  const double shown = raw.Scalar(
      "SELECT avg(length(kind) + length(by_user) + length(by_name) + length(terminal) + "
      "length(summary) + ifnull(length(reason), 0) + ifnull(length(batch), 0) + length(details) + "
      "ifnull(length(signed_by), 0) + ifnull(length(verified_by), 0)) FROM equipment_logbook "
      "WHERE equipment = '" +
      balance + "'");
  const double file_bytes = FileMegabytes(data.path) * 1e6;
  std::printf(
      "Dataset: %s pieces of equipment in %s rooms; the balance %s has %s logbook entries (%s "
      "uses), the others %s; %s uses in all.\n"
      "  JSON read by the check: the balance's state %.0f bytes; a logbook row of the balance "
      "holds %.0f bytes of state after its entry and %.0f bytes of what a page shows, on "
      "average.\n"
      "  Ledger: %s events; database %.0f MB: %s bytes per logbook entry (file / %s entries); "
      "%s.\n",
      ThousandsSeparated(equipment_count).c_str(), ThousandsSeparated(rooms).c_str(),
      balance.c_str(), ThousandsSeparated(data.entries).c_str(),
      ThousandsSeparated(balance_uses).c_str(), ThousandsSeparated(entries - data.entries).c_str(),
      ThousandsSeparated(uses).c_str(), state, state_after, shown,
      ThousandsSeparated(events).c_str(), file_bytes / 1e6,
      ThousandsSeparated(file_bytes / entries).c_str(), ThousandsSeparated(entries).c_str(),
      data.built.c_str());
  // Where the bytes are (SQLite's dbstat: every page of the file, by table or index).
  std::string parts;
  for (const auto& row : raw.Query("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 "
                                   "DESC LIMIT 8")) {
    parts += (parts.empty() ? "" : ", ") + row[0] + " " +
             ThousandsSeparated(std::stod(row[1]) / entries);
  }
  std::printf("  Bytes per logbook entry by table and index: %s.\n", parts.c_str());
  std::printf("  Every check at now, and every page, asks as of %s.\n",
              data.now.ToRfc3339().c_str());
  std::fflush(stdout);
  Record("bytes_per_entry", file_bytes / entries);
  Record("state_after_bytes", state_after);
}

// Seeds for the measurements' random draws: a fixed sequence, so that a run is repeatable, and a
// fresh seed for every generator, so that repetitions ask other questions.
std::uint64_t NextSeed() {
  static std::uint64_t seeds = 0;
  return kSeed + ++seeds;
}

// ---------------------------------------------------------------------------------------------
// 1-2. The equipment check, at now (any piece of equipment) or as of a past instant (the balance,
// a minute after one of its signed cleanings): CheckUseIn in its own Store::Read (the figure, as
// batch execution calls it); the raw reads of the same rows (its limit: at now the equipment's row
// and its room's; as of an instant the last time index row by then, the logbook row it names and
// the room's); and three diagnostics: the same reads through the store, without decoding or
// deciding (GetRow, and ScanRowRange for the time index, in one Store::Read); the same with both
// states' JSON parsed by core/json.h into a tree that is then dropped; and an empty Store::Read,
// the snapshot's own cost. Interleaved call by call in a rotating order; each kind draws its own
// questions.

enum CheckKind : std::size_t {
  kCheck,
  kStoreReads,
  kReadsParsed,
  kEmptyRead,
  kRawReads,
  kCheckKinds,
};
enum class When { kNow, kPast };

void CheckBench(benchmark::State& state, When when, const std::string& key) {
  Dataset& data = TheDataset();
  const std::vector<CheckCase>& cases = when == When::kNow ? data.now_cases : data.past_cases;
  const app::TableSpec& equipment_table = TableNamed(*data.projector, "equipment");
  const app::TableSpec& rooms = TableNamed(*data.projector, "rooms");
  const app::TableSpec& times = TableNamed(*data.projector, "equipment_logbook_times");
  const app::TableSpec& logbook = app::EquipmentLogbookTable();
  const std::size_t room_state = ColumnOf(rooms, "state");
  // The state the check decodes: the equipment's row's, or the logbook row's state after.
  const std::size_t equipment_state = when == When::kNow ? ColumnOf(equipment_table, "check_state")
                                                         : ColumnOf(logbook, "state_after");
  std::array<std::mt19937_64, kCheckKinds> random;
  for (std::mt19937_64& generator : random) generator.seed(NextSeed());
  const auto pick = [&](std::size_t kind) -> const CheckCase& {
    return cases[std::uniform_int_distribution<std::size_t>(0, cases.size() - 1)(random[kind])];
  };
  std::array<std::function<void(const CheckCase&)>, kCheckKinds> kinds;
  kinds[kCheck] = [&](const CheckCase& ask) {
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(
          const equipment::UseCheck check,
          app::EquipmentService::CheckUseIn(reader, ask.equipment, ask.request, data.now));
      ALIQUOT_CHECK_MSG(check.Allowed(), check.message.c_str());
      return {};
    }),
                "CheckUseIn");
  };
  // The rows CheckUseIn reads, as the store returns them: the equipment's (or the logbook's) row,
  // then the room's.
  const auto read = [&](app::StoreReader& reader,
                        const CheckCase& ask) -> Result<std::pair<app::Row, app::Row>> {
    std::optional<app::Row> row;
    if (when == When::kNow) {
      ALIQUOT_ASSIGN_OR_RETURN(row, reader.GetRow(equipment_table, app::Row{ask.equipment}));
    } else {
      app::RowRange range;
      range.prefix = {ask.equipment};
      range.before = ask.request.at.Micros() + 1;
      range.descending = true;
      range.limit = 1;
      std::optional<std::int64_t> entry;
      ALIQUOT_RETURN_IF_ERROR(reader.ScanRowRange(times, range, [&](const app::Row& indexed) {
        entry = app::Int(indexed, 2);
        return Status();
      }));
      ALIQUOT_CHECK(entry.has_value());
      ALIQUOT_ASSIGN_OR_RETURN(row, reader.GetRow(logbook, app::Row{ask.equipment, *entry}));
    }
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<app::Row> room,
                             reader.GetRow(rooms, app::Row{ask.room}));
    ALIQUOT_CHECK(row && room);
    return std::pair<app::Row, app::Row>(std::move(*row), std::move(*room));
  };
  kinds[kStoreReads] = [&](const CheckCase& ask) {
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      return read(reader, ask).transform([](auto&&) {});
    }),
                "reading the rows");
  };
  kinds[kReadsParsed] = [&](const CheckCase& ask) {
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(const auto rows, read(reader, ask));
      ALIQUOT_ASSIGN_OR_RETURN(const Json equipment_json,
                               ParseJson(app::Text(rows.first, equipment_state)));
      ALIQUOT_ASSIGN_OR_RETURN(const Json room_json, ParseJson(app::Text(rows.second, room_state)));
      benchmark::DoNotOptimize(equipment_json.IsObject() && room_json.IsObject());
      return {};
    }),
                "reading and parsing the rows");
  };
  kinds[kEmptyRead] = [&](const CheckCase&) {
    MustSucceed(data.store->Read([](app::StoreReader&) { return Status(); }), "an empty read");
  };
  if (when == When::kNow) {
    kinds[kRawReads] = [&](const CheckCase& ask) {
      ALIQUOT_CHECK(data.raw->ReadNow(ask.equipment, ask.room) == 2);
    };
  } else {
    kinds[kRawReads] = [&](const CheckCase& ask) {
      ALIQUOT_CHECK(data.raw->ReadAt(ask.equipment, ask.request.at, ask.room) == 3);
    };
  }
  for (int i = 0; i < 200; ++i) {  // Warm the statements, the allocator and the caches.
    for (std::size_t k = 0; k < kinds.size(); ++k) kinds[k](pick(k));
  }

  const std::int64_t per_round = Scaled(kChecksPerRound);
  std::array<Samples, kCheckKinds> all;
  while (state.KeepRunning()) {
    std::array<Samples, kCheckKinds> round;
    for (std::int64_t i = 0; i < per_round; ++i) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kinds.size();
        const CheckCase& ask = pick(kind);
        TimeCall(round[kind], [&] { kinds[kind](ask); });
      }
    }
    const double check = Median(round[kCheck].wall);
    const double raw = Median(round[kRawReads].wall);
    Record(key + "_x_raw", check / raw);
    state.counters["check_us"] = check;
    state.counters["raw_us"] = raw;
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles(key, all[kCheck]);
  RecordPercentiles(key + "_reads", all[kStoreReads]);
  RecordPercentiles(key + "_parsed", all[kReadsParsed]);
  RecordPercentiles(key + "_empty", all[kEmptyRead]);
  RecordPercentiles(key + "_raw", all[kRawReads]);
  benchmark::DoNotOptimize(data.raw->Checksum());
}

// ---------------------------------------------------------------------------------------------
// 3-5. A page of 100 logbook entries of the balance: the newest, the 100 before entry 50,000, and
// the oldest first. LoadLogbookPage in its own Store::Read (the figure: what
// EquipmentService::Logbook reads for the page); the raw SELECT of the same rows' shown columns
// (its limit); and two diagnostics: StoreReader::ScanRowRange of the same range in a Store::Read,
// visiting the rows without decoding them, and the raw SELECT of every column (with the state
// after each entry, which the store's range statement reads too). Interleaved call by call in a
// rotating order. The same page every call: a user paging through the logbook, warm in the cache.

enum PageKind : std::size_t { kPage, kStoreScan, kRawShown, kRawAll, kPageKinds };
enum class Position { kNewest, kMiddle, kOldestFirst };

int MiddleEntry() { return static_cast<int>(Scaled(kLogbookEntries) / 2); }

void PageBench(benchmark::State& state, Position position, const std::string& key) {
  Dataset& data = TheDataset();
  const std::string id(kBalanceId);
  const bool newest_first = position != Position::kOldestFirst;
  const int after = 0;
  const int before = position == Position::kMiddle ? MiddleEntry() : data.entries + 1;
  const auto rows = static_cast<std::size_t>(std::min<std::int64_t>(
      static_cast<std::int64_t>(kPageSize), std::int64_t{before} - after - 1));
  const int first = newest_first ? before - 1 : after + 1;
  app::RowRange range;
  range.prefix = {id};
  range.after = after;
  range.before = before;
  range.descending = newest_first;
  range.limit = kPageSize;
  std::array<std::function<void()>, kPageKinds> kinds;
  kinds[kPage] = [&] {
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(
          const std::vector<app::LogbookRow> page,
          app::LoadLogbookPage(reader, id, after, before, newest_first, kPageSize));
      ALIQUOT_CHECK(page.size() == rows && page.front().entry.number == first);
      return {};
    }),
                "LoadLogbookPage");
  };
  kinds[kStoreScan] = [&] {
    MustSucceed(data.store->Read([&](app::StoreReader& reader) -> Status {
      std::size_t visited = 0;
      ALIQUOT_RETURN_IF_ERROR(
          reader.ScanRowRange(app::EquipmentLogbookTable(), range, [&](const app::Row&) {
            ++visited;
            return Status();
          }));
      ALIQUOT_CHECK(visited == rows);
      return {};
    }),
                "ScanRowRange");
  };
  const auto expected = static_cast<std::int64_t>(rows);
  kinds[kRawShown] = [&] {
    ALIQUOT_CHECK(data.raw->Page(id, after, before, newest_first, PageColumns::kShown) == expected);
  };
  kinds[kRawAll] = [&] {
    ALIQUOT_CHECK(data.raw->Page(id, after, before, newest_first, PageColumns::kAll) == expected);
  };
  for (int i = 0; i < 10; ++i) {  // Warm the statements, the allocator and the caches.
    for (const auto& kind : kinds) kind();
  }

  const std::int64_t per_round = std::max<std::int64_t>(5, Scaled(kPagesPerRound));
  std::array<Samples, kPageKinds> all;
  while (state.KeepRunning()) {
    std::array<Samples, kPageKinds> round;
    for (std::int64_t i = 0; i < per_round; ++i) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const std::size_t kind = (k + static_cast<std::size_t>(i)) % kinds.size();
        TimeCall(round[kind], kinds[kind]);
      }
    }
    const double page = Median(round[kPage].wall);
    const double raw = Median(round[kRawShown].wall);
    Record(key + "_x_raw", page / raw);
    state.counters["page_ms"] = page / 1000;
    state.counters["raw_ms"] = raw / 1000;
    for (std::size_t k = 0; k < all.size(); ++k) all[k].Append(round[k]);
  }
  RecordPercentiles(key, all[kPage]);
  RecordPercentiles(key + "_scan", all[kStoreScan]);
  RecordPercentiles(key + "_raw", all[kRawShown]);
  RecordPercentiles(key + "_raw_all", all[kRawAll]);
  benchmark::DoNotOptimize(data.raw->Checksum());
}

// ---------------------------------------------------------------------------------------------
// The summary: every figure beside its limit.

// "0.412 / 1.23 ms": p50 and p99 of `name` (with `kind` "" for wall time, "_cpu" for CPU time).
std::string PageSpread(const std::string& name, const char* kind) {
  const std::string base = name + kind;
  const std::string p50 = Millis(Figure(base + "_p50"));
  return p50.substr(0, p50.size() - 3) + " / " + Millis(Figure(base + "_p99"));
}

// "31.0 / 52.4 us".
std::string CheckSpread(const std::string& name, const char* kind) {
  const std::string base = name + kind;
  const std::string p50 = Number(Figure(base + "_p50"), "us");
  return p50.substr(0, p50.size() - 3) + " / " + Number(Figure(base + "_p99"), "us");
}

std::string Ratios(const std::string& figure, const std::string& limit, const char* kind) {
  return Times(Ratio(Figure(figure + kind + "_p50"), Figure(limit + kind + "_p50"))) + " / " +
         Times(Ratio(Figure(figure + kind + "_p99"), Figure(limit + kind + "_p99")));
}

void PrintSummary() {
  std::vector<Line> lines;
  const auto target = [](std::optional<double> p99, double limit) {
    std::optional<bool> met;
    if (p99) met = *p99 < limit;
    return met;
  };
  const std::array<std::array<const char*, 3>, 2> checks{{
      {"check_now", "equipment check at now", "raw: equipment + room rows "},
      {"check_past", "equipment check as of a past instant",
       "raw: time index + logbook + room rows "},
  }};
  for (const auto& [key_text, title_text, limit_text] : checks) {
    const std::string key = key_text;
    const std::string title = title_text;
    const std::optional<double> p99 = Figure(key + "_p99");
    if (!p99) continue;
    lines.push_back({title + ": CheckUseIn in Store::Read, p99", Number(p99, "us"), "target 50 us",
                     Share(Ratio(p99, kCheckTargetUs)), "p99 < 50 us",
                     Met(target(p99, kCheckTargetUs))});
    std::string raw_spread = limit_text;
    raw_spread += CheckSpread(key + "_raw", "");
    lines.push_back({"  CheckUseIn, p50 / p99", CheckSpread(key, ""), raw_spread,
                     Ratios(key, key + "_raw", ""), "-", ""});
    lines.push_back({"    on CPU", CheckSpread(key, "_cpu"),
                     "raw " + CheckSpread(key + "_raw", "_cpu"), Ratios(key, key + "_raw", "_cpu"),
                     "-", ""});
    lines.push_back(
        {"    median of rounds' median ratios", Times(Figure(key + "_x_raw")), "", "", "-", ""});
    lines.push_back({"  diagnostic: the same reads through the store",
                     CheckSpread(key + "_reads", ""), "raw " + CheckSpread(key + "_raw", ""),
                     Ratios(key + "_reads", key + "_raw", ""), "-", ""});
    lines.push_back({"    on CPU", CheckSpread(key + "_reads", "_cpu"),
                     "raw " + CheckSpread(key + "_raw", "_cpu"),
                     Ratios(key + "_reads", key + "_raw", "_cpu"), "-", ""});
    lines.push_back({"  diagnostic: the same + ParseJson of both states",
                     CheckSpread(key + "_parsed", ""),
                     "store reads " + CheckSpread(key + "_reads", ""),
                     Ratios(key + "_parsed", key + "_reads", ""), "-", ""});
    lines.push_back({"    on CPU", CheckSpread(key + "_parsed", "_cpu"),
                     "store reads " + CheckSpread(key + "_reads", "_cpu"),
                     Ratios(key + "_parsed", key + "_reads", "_cpu"), "-", ""});
    lines.push_back({"  diagnostic: an empty Store::Read", CheckSpread(key + "_empty", ""),
                     "raw " + CheckSpread(key + "_raw", ""),
                     Ratios(key + "_empty", key + "_raw", ""), "-", ""});
  }
  const std::array<std::pair<std::string, std::string>, 3> pages{{
      {"page_newest", "logbook page, the newest 100"},
      {"page_middle",
       "logbook page, 100 before entry " + ThousandsSeparated(static_cast<double>(MiddleEntry()))},
      {"page_oldest", "logbook page, the oldest 100 first"},
  }};
  for (const auto& [key, title] : pages) {
    const std::optional<double> p99 = Figure(key + "_p99");
    if (!p99) continue;
    lines.push_back({title + ": LoadLogbookPage in Store::Read, p99", Millis(p99), "target 5 ms",
                     Share(Ratio(p99, kPageTargetUs)), "p99 < 5 ms",
                     Met(target(p99, kPageTargetUs))});
    lines.push_back({"  LoadLogbookPage, p50 / p99", PageSpread(key, ""),
                     "raw SELECT, shown columns " + PageSpread(key + "_raw", ""),
                     Ratios(key, key + "_raw", ""), "-", ""});
    lines.push_back({"    on CPU", PageSpread(key, "_cpu"),
                     "raw " + PageSpread(key + "_raw", "_cpu"), Ratios(key, key + "_raw", "_cpu"),
                     "-", ""});
    lines.push_back(
        {"    median of rounds' median ratios", Times(Figure(key + "_x_raw")), "", "", "-", ""});
    for (const auto& [suffix, what] :
         {std::pair<std::string, std::string>{"_scan", "ScanRowRange, rows not decoded"},
          {"_raw_all", "raw SELECT of every column"}}) {
      lines.push_back({"  diagnostic: " + what, PageSpread(key + suffix, ""),
                       "raw shown " + PageSpread(key + "_raw", ""),
                       Ratios(key + suffix, key + "_raw", ""), "-", ""});
      lines.push_back({"    on CPU", PageSpread(key + suffix, "_cpu"),
                       "raw shown " + PageSpread(key + "_raw", "_cpu"),
                       Ratios(key + suffix, key + "_raw", "_cpu"), "-", ""});
    }
  }
  if (const std::optional<double> bytes = Figure("bytes_per_entry")) {
    lines.push_back({"on-disk bytes per logbook entry (file / entries)", Number(bytes, "B"),
                     "state after an entry " + Number(Figure("state_after_bytes"), "B"), "", "-",
                     ""});
  }
  std::printf(
      "\nSummary: p50 / p99 over every call of a run (medians over repetitions); ratios are of "
      "p50s / p99s, or the median of the rounds' ratios of medians:\n");
  PrintTable(lines);
}

// Takes our own flags out of argv: --scale=F multiplies the balance's logbook (and with it the
// days, the other equipment's entries) and the rounds; --data-dir=DIR keeps the dataset
// elsewhere; --rebuild builds it anew.
void ParseOwnFlags(int& argc, char** argv) {
  TakeOwnFlags(argc, argv,
               {{"--scale=",
                 [](std::string_view value) {
                   scale = std::stod(std::string(value));
                   ALIQUOT_CHECK_MSG(scale >= 0.001, "--scale must be at least 0.001");
                 }},
                {"--data-dir=", [](std::string_view value) { data_dir = std::string(value); }},
                {"--rebuild", [](std::string_view) { rebuild = true; }}});
}

}  // namespace
}  // namespace aliquot::bench

// Google Benchmark's registry owns what RegisterBenchmark allocates; the analyzer cannot see it,
// and reports the leak along any path through main.
// NOLINTBEGIN(clang-analyzer-cplusplus.NewDeleteLeaks)
int main(int argc, char** argv) {
  using namespace aliquot::bench;
  benchmark::Initialize(&argc, argv);
  ParseOwnFlags(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  benchmark::RegisterBenchmark(
      "equipment_check_now",
      [](benchmark::State& state) { CheckBench(state, When::kNow, "check_now"); })
      ->Iterations(Scaled(kCheckRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(
      "equipment_check_as_of_past_instant",
      [](benchmark::State& state) { CheckBench(state, When::kPast, "check_past"); })
      ->Iterations(Scaled(kCheckRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  const std::array<std::tuple<const char*, Position, const char*>, 3> pages{{
      {"logbook_page_newest", Position::kNewest, "page_newest"},
      {"logbook_page_middle", Position::kMiddle, "page_middle"},
      {"logbook_page_oldest_first", Position::kOldestFirst, "page_oldest"},
  }};
  for (const auto& [name, position, key] : pages) {
    benchmark::RegisterBenchmark(name,
                                 [position = position, key = std::string(key)](
                                     benchmark::State& state) { PageBench(state, position, key); })
        ->Iterations(Scaled(kPageRounds))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  PrintSummary();
  the_dataset.reset();
  benchmark::Shutdown();
  return 0;
}
// NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
