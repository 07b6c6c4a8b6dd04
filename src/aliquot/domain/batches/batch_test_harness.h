// For the batch tests only: a small CAR-T control recipe built in code, and a harness that folds
// each decision's events as the store and the projection would (a sequence number, the decision's
// time and actor, ApplyBatchEvent for the batch's stream, ApplyEquipmentEvent for the logbooks so
// that a use started by one step is ended by its completion). Lot and deviation events are kept in
// `events` but not folded: the tests assert they are there.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/error.h"
#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/batches/batch.h"
#include "aliquot/domain/batches/execution.h"
#include "aliquot/domain/batches/review.h"
#include "aliquot/domain/environment/room.h"
#include "aliquot/domain/equipment/equipment.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/domain/quality/deviation.h"
#include "aliquot/domain/recipes/definition.h"
#include "aliquot/domain/training/training.h"
#include "aliquot/domain/units/units.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::batches::testing {

inline constexpr std::string_view kTerminal = "SUITE1-T2";
// 2026-03-02T09:00:00Z (Python's calendar.timegm).
inline constexpr Timestamp kDay0 = Timestamp::FromMicros(1'772'442'000 * kMicrosPerSecond);
inline constexpr std::int64_t kMinute = 60 * kMicrosPerSecond;
inline constexpr std::int64_t kHour = 60 * kMinute;
inline constexpr std::int64_t kDay = kMicrosPerDay;

inline const ledger::Actor kOperator{"otto", "Otto Operator"};
inline const ledger::Actor kColleague{"olga", "Olga Operator"};
inline const ledger::Actor kSupervisor{"sam", "Sam Supervisor"};
inline const ledger::Actor kQa{"quinn", "Quinn QA"};

inline constexpr std::string_view kBatchId = "B-2026-0001";
inline constexpr std::string_view kRoom = "CAR-T-B101";
inline constexpr std::string_view kApheresis = "MAT-APHERESIS";
inline constexpr std::string_view kCryoprotectant = "MAT-CRYO";
inline constexpr std::string_view kInterleukin = "MAT-IL2";

// A distinct identification code (T-02) with its MOD 37-2 check character.
inline std::string PatientCode(std::string_view body) {
  return "DIN-" + std::string(body) + "-" +
         std::string(1, materials::DonorCodeCheckCharacter(body));
}
inline const std::string kPatient = PatientCode("A7Q29K44");
inline const std::string kOtherPatient = PatientCode("B3X81M20");

inline bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

inline ::testing::AssertionResult Ok(const Status& status) {
  if (status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.error().ToString();
}

// Whether `result` is an error with `code` naming `field` (nothing decided, nothing recorded).
template <typename T>
::testing::AssertionResult Fails(const Result<T>& result, ErrorCode code, std::string_view field) {
  if (result) return ::testing::AssertionFailure() << "accepted";
  if (result.error().Code() != code || result.error().Field() != field) {
    return ::testing::AssertionFailure() << "failed with " << result.error().ToString();
  }
  return ::testing::AssertionSuccess();
}

// Whether the decision was taken and is not a refusal.
inline ::testing::AssertionResult Accepted(const Result<Decision>& decided) {
  if (!decided) return ::testing::AssertionFailure() << decided.error().ToString();
  if (decided->refused) {
    return ::testing::AssertionFailure()
           << "refused (" << RefusalReasonName(decided->refused->reason)
           << "): " << decided->refused->message;
  }
  return ::testing::AssertionSuccess();
}

// Whether the decision is a refusal for `reason`.
inline ::testing::AssertionResult RefusedFor(const Result<Decision>& decided,
                                             RefusalReason reason) {
  if (!decided) return ::testing::AssertionFailure() << decided.error().ToString();
  if (!decided->refused) return ::testing::AssertionFailure() << "not refused";
  if (decided->refused->reason != reason) {
    return ::testing::AssertionFailure()
           << "refused for " << RefusalReasonName(decided->refused->reason) << ": "
           << decided->refused->message;
  }
  return ::testing::AssertionSuccess();
}

// --- The control recipe --------------------------------------------------------------------

inline recipes::ParameterDefinition Number(std::string id, std::string unit, recipes::Limits action,
                                           recipes::Limits alert = {}) {
  recipes::ParameterDefinition parameter;
  parameter.name = id;
  parameter.id = std::move(id);
  parameter.kind = recipes::ParameterKind::kNumber;
  parameter.criticality = recipes::Criticality::kKeyProcessParameter;
  parameter.unit = std::move(unit);
  parameter.action = action;
  parameter.alert = alert;
  return parameter;
}

inline recipes::ParameterDefinition Boolean(std::string id) {
  recipes::ParameterDefinition parameter;
  parameter.name = id;
  parameter.id = std::move(id);
  parameter.kind = recipes::ParameterKind::kBoolean;
  parameter.expected = true;
  return parameter;
}

// MBR-CAR19 in five steps over two unit procedures:
// - receipt: the bag's label scanned against the patient code; appearance (a choice) and the
//   seal (a yes/no answer);
// - activation: in a biosafety cabinet, 100 mL +- 10 % of the apheresis collection; the viable
//   cells counted; lasts 30 min to 4 h;
// - expansion: in a bioreactor, starting 18-30 h after activation ended (transduction window);
//   the temperature a CPP (alert 36.5-37.5 C, action 36-38 C, sent by the bioreactor), the
//   concentration, volume and pH; total cells calculated; an in-process sample;
// - formulation: the fill volume, the cryoprotectant 0.1 x the fill volume exactly, the dose per
//   kg calculated from the expansion's total cells and the batch's body weight; verified by a
//   second person; its end starts the fresh product's 24 h expiry;
// - cryopreservation: the freezing profile passed.
inline recipes::Definition Car19Recipe() {
  using recipes::Limits;
  recipes::ParameterDefinition appearance;
  appearance.id = "appearance";
  appearance.name = "Bag appearance";
  appearance.kind = recipes::ParameterKind::kChoice;
  appearance.criticality = recipes::Criticality::kKeyProcessParameter;
  appearance.options = {"intact", "damaged", "leaking"};
  appearance.acceptable = {"intact"};
  recipes::Step receipt{.id = "receipt",
                        .name = "Apheresis receipt",
                        .instructions = "Scan the bag label; inspect the bag.",
                        .sop = "SOP-CT-002",
                        .parameters = {appearance, Boolean("seal_intact")},
                        .scan_identity = {"patient_code"}};
  recipes::Step activation{.id = "activation",
                           .name = "T-cell activation",
                           .instructions = "Seed the cells with anti-CD3/CD28 reagent.",
                           .sop = "SOP-CT-004",
                           .equipment = {"biosafety_cabinet"},
                           .materials = {{.material = std::string(kApheresis),
                                          .quantity = "100 mL",
                                          .tolerance = "10 %"}},
                           .parameters = {Number("viable_cells", "cells", Limits{.low = 1e8})},
                           .min_duration = "30 min",
                           .max_duration = "4 h"};
  recipes::ParameterDefinition temperature =
      Number("temperature", "C", Limits{.low = 36, .high = 38}, Limits{.low = 36.5, .high = 37.5});
  temperature.criticality = recipes::Criticality::kCriticalProcessParameter;
  temperature.target = 37;
  temperature.source =
      recipes::ParameterSource{.equipment_class = "bioreactor", .tag = "temperature"};
  recipes::Step expansion{
      .id = "expansion",
      .name = "Transduction and expansion",
      .instructions = "Transduce, then expand in the bioreactor.",
      .sop = "SOP-CT-007",
      .equipment = {"bioreactor"},
      .parameters = {temperature,
                     Number("viable_concentration", "cells/mL", Limits{.low = 1e5, .high = 1e8}),
                     Number("volume", "mL", Limits{.low = 100, .high = 2000}),
                     Number("ph", "pH", Limits{.low = 6.8, .high = 7.6})},
      .calculations = {{.id = "total_cells",
                        .name = "Total viable cells",
                        .formula = "viable_concentration * volume",
                        .unit = "cells",
                        .action = {.low = 1e8}}},
      .samples = {{.id = "ipc_count",
                   .name = "In-process count",
                   .quantity = "1 mL",
                   .tests = "cell count and viability (SOP-CT-012)"}}};
  recipes::Step formulation{
      .id = "formulation",
      .name = "Formulation and fill",
      .instructions = "Fill the bag; add the cryoprotectant.",
      .sop = "SOP-CT-009",
      .materials = {{.material = std::string(kCryoprotectant), .quantity = "0.1 * fill_volume"}},
      .parameters = {Number("fill_volume", "mL", Limits{.low = 10, .high = 500})},
      .calculations = {{.id = "dose",
                        .name = "Dose per kg",
                        .formula = "expansion.total_cells / batch.body_weight",
                        .unit = "cells/kg",
                        .action = {.low = 1e6, .high = 1e8}}},
      .verification = recipes::Verification::kSecondPerson};
  recipes::Step cryopreservation{.id = "cryopreservation",
                                 .name = "Cryopreservation",
                                 .instructions = "Freeze at -1 C/min to -80 C.",
                                 .sop = "SOP-CT-010",
                                 .parameters = {Boolean("profile_passed")}};
  recipes::Definition recipe;
  recipe.master_batch_record = "MBR-CAR19";
  recipe.product = "CAR19";
  recipe.title = "Autologous anti-CD19 CAR-T, 1 L closed bag process";
  recipe.batch_size = "One patient dose from one apheresis collection";
  recipe.phases = {recipes::ClinicalPhase::kPhase1};
  recipe.batch_inputs = {Number("body_weight", "kg", Limits{.low = 20, .high = 200})};
  recipe.identifiers = {{.id = "patient_code",
                         .name = "Patient code (COI)",
                         .format = recipes::IdentifierFormat::kCoiCode}};
  recipe.unit_procedures = {{.id = "receipt_and_activation",
                             .name = "Receipt and activation",
                             .operations = {receipt, activation}},
                            {.id = "culture_and_fill",
                             .name = "Culture and fill",
                             .operations = {expansion, formulation, cryopreservation}}};
  recipe.time_rules = {{.id = "transduction_window",
                        .name = "Transduction window",
                        .from = {.step = "activation", .point = recipes::StepPoint::kEnd},
                        .to = {.step = "expansion", .point = recipes::StepPoint::kStart},
                        .min = "18 h",
                        .max = "30 h"}};
  recipe.expiry_clocks = {{.id = "fresh_product",
                           .name = "Fresh product",
                           .starts = {.step = "formulation", .point = recipes::StepPoint::kEnd},
                           .lasts = "24 h"}};
  return recipe;
}

// The steps that must be done before `step` starts: its "after", or the step before it in the file.
inline std::vector<std::string> PredecessorsOf(const recipes::Definition& recipe,
                                               const recipes::Step& step) {
  if (step.after) return *step.after;
  const std::vector<const recipes::Step*> steps = recipe.Steps();
  for (std::size_t i = 1; i < steps.size(); ++i) {
    if (steps[i]->id == step.id) return {steps[i - 1]->id};
  }
  return {};
}

// --- What the other areas supply -----------------------------------------------------------

inline environment::RoomState Suite() {
  environment::RoomState room;
  room.exists = true;
  room.id = std::string(kRoom);
  room.site = "LEI";
  room.name = "Processing suite 1";
  room.grade = environment::Grade::kB;
  room.revision = 1;
  room.defined_at = kDay0;
  room.defined_by = kQa.id;
  return room;
}

inline materials::MaterialState Material(std::string_view id, std::string name) {
  materials::MaterialState material;
  material.exists = true;
  material.id = std::string(id);
  material.name = std::move(name);
  material.unit = "mL";
  return material;
}

// A lot of `material` as the lot area folds it: `quantity` mL in one container, released the day
// before day 0 unless `status` says otherwise, expiring a year after day 0.
inline materials::LotState Lot(std::string_view id, materials::LotKind kind,
                               std::string_view material, double quantity,
                               materials::LotStatus status = materials::LotStatus::kReleased) {
  materials::LotState lot;
  lot.exists = true;
  lot.id = std::string(id);
  lot.kind = kind;
  lot.material = std::string(material);
  lot.unit = "mL";
  lot.receiving_code = "RC-" + std::string(id);
  lot.storage_location = "FRIDGE-2";
  lot.received_at = Timestamp::FromMicros(kDay0.Micros() - 2 * kDay);
  lot.received_by = kQa.id;
  lot.expiry = Timestamp::FromMicros(kDay0.Micros() + 365 * kDay);
  const materials::Amount amount = *materials::Amount::FromUnits(quantity, "quantity");
  lot.quantity = amount;
  lot.containers = {{.id = std::string(id) + "/1", .initial = amount, .balance = amount}};
  lot.statuses = {{.status = materials::LotStatus::kQuarantine, .at = lot.received_at}};
  if (status != materials::LotStatus::kQuarantine) {
    lot.statuses.push_back(
        {.status = status, .at = Timestamp::FromMicros(kDay0.Micros() - kDay), .by = kQa.id});
  }
  return lot;
}

// An apheresis collection from donor `code`.
inline materials::LotState Collection(std::string_view id, const std::string& code) {
  materials::LotState lot = Lot(id, materials::LotKind::kCollection, kApheresis, 250);
  materials::Collection collection;
  collection.donor_code = code;
  collection.collection_facility = "Apheresis unit, Leiden";
  collection.collected_at = Timestamp::FromMicros(kDay0.Micros() - 2 * kDay);
  collection.shipping_min_c = 3.1;
  collection.shipping_max_c = 6.4;
  collection.eligibility = materials::Eligibility::kEligible;
  lot.collection = collection;
  return lot;
}

// --- The harness ---------------------------------------------------------------------------

// One batch of MBR-CAR19 and everything around it: the equipment of suite 1 (BSC-01 and BR-01
// qualified, CF-01 a qualified centrifuge no step uses, BSC-02 never qualified), the lots (COL-0001
// the patient's collection, COL-0002 another patient's, CRYO-0001 released cryoprotectant,
// CRYO-0002 in quarantine, IL2-0001 a material no step uses), a clock and a deviation counter.
class BatchRun {
 public:
  BatchRun() : BatchRun(Car19Recipe()) {}
  explicit BatchRun(recipes::Definition definition) : recipe(std::move(definition)), room(Suite()) {
    AddEquipment("BSC-01", equipment::EquipmentClass::kBiosafetyCabinet, true);
    AddEquipment("BSC-02", equipment::EquipmentClass::kBiosafetyCabinet, false);
    AddEquipment("BR-01", equipment::EquipmentClass::kBioreactor, true);
    AddEquipment("CF-01", equipment::EquipmentClass::kCentrifuge, true);
    materials_[std::string(kApheresis)] = Material(kApheresis, "Apheresis collection");
    materials_[std::string(kCryoprotectant)] = Material(kCryoprotectant, "CryoStor CS10");
    materials_[std::string(kInterleukin)] = Material(kInterleukin, "IL-2, 1 mg/mL");
    lots_["COL-0001"] = Collection("COL-0001", kPatient);
    lots_["COL-0002"] = Collection("COL-0002", kOtherPatient);
    lots_["CRYO-0001"] = Lot("CRYO-0001", materials::LotKind::kProduced, kCryoprotectant, 500);
    lots_["CRYO-0002"] = Lot("CRYO-0002", materials::LotKind::kProduced, kCryoprotectant, 500,
                             materials::LotStatus::kQuarantine);
    lots_["IL2-0001"] = Lot("IL2-0001", materials::LotKind::kProduced, kInterleukin, 10);
  }
  BatchRun(const BatchRun&) = delete;
  BatchRun& operator=(const BatchRun&) = delete;

  recipes::Definition recipe;
  BatchState batch;
  Timestamp now = kDay0;
  int deviations_raised = 0;
  std::vector<ledger::Event> events;  // Every event appended, of every stream, in order.
  std::map<std::string, equipment::EquipmentState> logbooks;  // By equipment id.
  environment::RoomState room;

  void Advance(std::int64_t micros) { now = Timestamp::FromMicros(now.Micros() + micros); }

  Context ContextOf(const ledger::Actor& actor, std::string request = {}) {
    Context context;
    context.batch = &batch;
    context.recipe = &recipe;
    context.now = now;
    context.actor = actor;
    context.terminal = std::string(kTerminal);
    context.request = std::move(request);
    context.next_deviation = [this] { return quality::DeviationId(2026, ++deviations_raised); };
    return context;
  }

  // The qualification the training gate answers for `actor` on `step`'s SOP now.
  training::Qualification Trained(std::string_view step, const ledger::Actor& actor) const {
    training::Qualification qualification;
    qualification.user = actor.id;
    qualification.document = recipe.FindStep(step)->sop;
    qualification.at = now;
    qualification.effective_version = 2;
    qualification.baseline_version = 2;
    qualification.trained_version = 2;
    return qualification;
  }
  training::Qualification Untrained(std::string_view step, const ledger::Actor& actor) const {
    training::Qualification qualification = Trained(step, actor);
    qualification.reason = training::Reason::kNeverTrained;
    qualification.trained_version.reset();
    qualification.message = actor.name + " has never trained on " + qualification.document +
                            ": complete training on version 2 first";
    return qualification;
  }

  // Seals the decision's events as the next ones, at now, and folds those of the batch's stream and
  // of the equipment's logbooks. The state before is kept for Unchanged().
  ::testing::AssertionResult Append(const Decision& decision) {
    before_ = Comparable(batch);
    for (const ledger::NewEvent& event : decision.events) {
      if (const Status valid = ledger::ValidateNewEvent(event); !valid) {
        return ::testing::AssertionFailure() << "invalid event: " << valid.error().ToString();
      }
      const Hash256 prev = events.empty() ? ledger::kGenesisPrevHash : events.back().hash;
      events.push_back(ledger::SealEvent(event, events.size() + 1, now, prev));
      const ledger::Event& sealed = events.back();
      Status applied;
      if (sealed.stream == BatchStream(kBatchId)) {
        applied = ApplyBatchEvent(batch, sealed);
      } else if (sealed.stream.type == "equipment" && logbooks.contains(sealed.stream.id)) {
        applied = equipment::ApplyEquipmentEvent(logbooks[sealed.stream.id], sealed);
      }
      if (!applied) {
        return ::testing::AssertionFailure()
               << sealed.event_type << " does not apply: " << applied.error().ToString();
      }
    }
    return ::testing::AssertionSuccess();
  }

  // Appends a decision taken (a refusal too, as the caller of a use case does); an error decides
  // nothing.
  Result<Decision> Apply(Result<Decision> decided) {
    if (decided) {
      EXPECT_TRUE(Append(*decided));
      last_ = decided->events.size();
    } else {
      last_ = 0;
    }
    return decided;
  }

  // Whether the batch's state is what it was before the last decision, but for the record of a
  // refusal (its number, exceptions and deviations).
  ::testing::AssertionResult Unchanged() const {
    if (Comparable(batch) == before_) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "the state changed:\n"
                                         << before_ << "\n"
                                         << Comparable(batch);
  }

  // The events the last decision appended.
  std::vector<ledger::Event> LastEvents() const {
    return std::vector<ledger::Event>(events.end() - static_cast<std::ptrdiff_t>(last_),
                                      events.end());
  }

  // --- Actions, decided at now and appended ---

  Result<Decision> Create(const BatchOrder& order, const ledger::Actor& actor = kOperator) {
    const materials::LotState* lot = FindLot(order.starting_material);
    return Apply(CreateBatch(
        ContextOf(actor), order,
        {.definition = &recipe, .version = 3, .definition_sha256 = std::string(kSha)}, lot));
  }
  Result<Decision> Create() { return Create(Order()); }

  static BatchOrder Order() {
    return {.id = std::string(kBatchId),
            .identifiers = {{"patient_code", kPatient}},
            .inputs = {{"body_weight", {.value = 72.5, .unit = "kg"}}},
            .starting_material = "COL-0001"};
  }

  // The scan of equipment `id`, checked for its own class as the caller would.
  EquipmentScan Scan(const std::string& id) {
    const equipment::EquipmentState& state = logbooks.at(id);
    equipment::UseRequest request;
    request.required_class = state.definition.equipment_class;
    request.batch = std::string(kBatchId);
    request.product = recipe.product;
    request.patient_code = kPatient;
    request.at = now;
    const Result<equipment::UseCheck> check = equipment::CheckUse(state, room, request);
    EXPECT_TRUE(check.has_value());
    return {.state = &state, .room = &room, .check = check.value_or(equipment::UseCheck{})};
  }

  Result<Decision> Start(std::string_view step, const ledger::Actor& actor = kOperator,
                         const std::vector<std::string>& scanned = {}) {
    std::vector<EquipmentScan> scans;
    scans.reserve(scanned.size());
    for (const std::string& id : scanned) scans.push_back(Scan(id));
    return Apply(StartStep(ContextOf(actor), step, Trained(step, actor), scans));
  }
  // Starts `step` scanning the equipment it needs.
  Result<Decision> StartWithEquipment(std::string_view step,
                                      const ledger::Actor& actor = kOperator) {
    std::vector<std::string> scanned;
    for (const std::string& equipment_class : recipe.FindStep(step)->equipment) {
      scanned.emplace_back(equipment_class == "bioreactor" ? "BR-01" : "BSC-01");
    }
    return Start(step, actor, scanned);
  }
  Result<Decision> AddScanned(std::string_view step, const std::string& id,
                              const ledger::Actor& actor = kOperator) {
    return Apply(batches::AddEquipment(ContextOf(actor), step, Trained(step, actor), Scan(id)));
  }
  Result<Decision> Record(std::string_view step, std::string_view parameter, Json value,
                          std::string unit = {}, const ledger::Actor& actor = kOperator,
                          const std::optional<InstrumentSource>& instrument = std::nullopt) {
    return Apply(RecordValue(ContextOf(actor), step, Trained(step, actor), parameter,
                             {.value = std::move(value), .unit = std::move(unit)}, instrument));
  }
  Result<Decision> Correct(int entry, Json value, std::string unit, std::string_view reason,
                           const ledger::Actor& actor = kOperator) {
    const EntryRecord original = Entry(entry);
    return Apply(CorrectEntry(ContextOf(actor), original, Trained(original.step, actor),
                              {.value = std::move(value), .unit = std::move(unit)}, reason));
  }
  Result<Decision> NotApplicable(std::string_view step, std::string_view parameter,
                                 std::string_view justification,
                                 const ledger::Actor& actor = kOperator) {
    return Apply(
        MarkNotApplicable(ContextOf(actor), step, Trained(step, actor), parameter, justification));
  }
  Result<Decision> Consume(std::string_view step, const std::string& lot_id, double quantity,
                           const std::string& unit = "mL", const ledger::Actor& actor = kOperator) {
    const materials::LotState& lot = lots_.at(lot_id);
    const Result<units::Unit> parsed = units::Unit::Parse(unit, "unit");
    EXPECT_TRUE(parsed.has_value());
    const Result<materials::Amount> amount =
        materials::ToAmount(quantity, unit, lot.unit, "quantity");
    EXPECT_TRUE(amount.has_value());
    const Result<materials::UseCheck> check =
        materials::CheckUse(lot, nullptr,
                            {.expected_material = lot.material,
                             .quantity = amount.value_or(materials::Amount()),
                             .at = now});
    EXPECT_TRUE(check.has_value());
    const LotScan scan{.lot = &lot,
                       .material = &materials_.at(lot.material),
                       .check = check.value_or(materials::UseCheck{}),
                       .unit = parsed.value_or(units::Unit{}),
                       .quantity = quantity};
    return Apply(ConsumeMaterial(ContextOf(actor), step, Trained(step, actor), scan));
  }
  Result<Decision> Sample(std::string_view step, std::string_view sample,
                          const ledger::Actor& actor = kOperator) {
    return Apply(TakeSample(ContextOf(actor), step, Trained(step, actor), sample,
                            std::string(kBatchId) + "-" + std::string(sample)));
  }
  Result<Decision> ScanLabel(std::string_view step, std::string_view scanned,
                             const ledger::Actor& actor = kOperator) {
    return Apply(
        ScanIdentity(ContextOf(actor), step, Trained(step, actor), "patient_code", scanned));
  }
  Result<Decision> Complete(std::string_view step, const ledger::Actor& actor = kOperator) {
    std::vector<const equipment::EquipmentState*> in_use;
    for (const auto& [id, state] : logbooks) in_use.push_back(&state);
    return Apply(
        CompleteStep(ContextOf(actor), step, Trained(step, actor), MaterialUnits(), in_use));
  }
  Result<Decision> Verify(std::string_view step, const ledger::Actor& actor = kColleague) {
    return Apply(VerifyStep(ContextOf(actor), step));
  }
  Result<Decision> Acknowledge(std::string_view deviation,
                               const ledger::Actor& actor = kSupervisor) {
    return Apply(AcknowledgeExcursion(ContextOf(actor), deviation));
  }
  // The first excursion of `step` awaiting acknowledgement, or "" when none does.
  std::string AwaitingOn(std::string_view step) const {
    const StepExecution* execution = batch.Step(step);
    return execution == nullptr || execution->awaiting_acknowledgement.empty()
               ? std::string()
               : execution->awaiting_acknowledgement.front();
  }
  Result<Decision> Grant(const Refusal& refusal, const ledger::Actor& actor = kSupervisor,
                         std::string_view justification =
                             "Approved after review of the "
                             "process risk with QA") {
    return Apply(GrantOverride(ContextOf(actor), refusal, justification));
  }
  Result<Decision> Hold(std::string_view reason = "Bioreactor alarm under investigation",
                        const ledger::Actor& actor = kSupervisor) {
    return Apply(PutOnHold(ContextOf(actor), reason));
  }
  Result<Decision> Resume(std::string_view comment = "Alarm cleared",
                          const ledger::Actor& actor = kSupervisor) {
    return Apply(batches::Resume(ContextOf(actor), comment));
  }
  Result<Decision> Review() { return Apply(StartReview(ContextOf(kQa))); }
  Result<Decision> Reviewed(std::string_view key, std::string_view comment = "Acceptable") {
    return Apply(ReviewException(ContextOf(kQa), key, comment));
  }
  Result<Decision> Release(const std::vector<std::string>& open_deviations = {}) {
    return Apply(Dispose(ContextOf(kQa), DispositionKind::kRelease, open_deviations,
                         "Released for infusion"));
  }
  Result<Decision> Reject(std::string_view comment = "BatchRun abandoned") {
    return Apply(Dispose(ContextOf(kQa), DispositionKind::kReject, {}, comment));
  }

  // --- Reading the record back, as the projection would ---

  // The events of the batch's stream.
  std::vector<const ledger::Event*> BatchEvents() const {
    std::vector<const ledger::Event*> found;
    for (const ledger::Event& event : events) {
      if (event.stream == BatchStream(kBatchId)) found.push_back(&event);
    }
    return found;
  }

  std::vector<EntryRecord> Entries() const {
    std::vector<EntryRecord> entries;
    for (const ledger::Event* event : BatchEvents()) {
      const Result<ledger::PayloadReader> payload = ledger::PayloadReader::Parse(*event);
      EXPECT_TRUE(payload.has_value());
      if (!payload) continue;
      const Result<std::vector<EntryRecord>> recorded = EntriesOf(*event, *payload);
      EXPECT_TRUE(recorded.has_value());
      if (recorded) entries.insert(entries.end(), recorded->begin(), recorded->end());
    }
    return entries;
  }

  EntryRecord Entry(int number) const {
    for (EntryRecord& entry : Entries()) {
      if (entry.number == number) return entry;
    }
    ADD_FAILURE() << "no entry " << number;
    return {};
  }

  // The value in force of `subject` on `step` (a default one when there is none).
  ValueInForce Value(std::string_view step, std::string_view subject) const {
    const StepExecution* execution = batch.Step(step);
    if (execution == nullptr) return {};
    const auto found = execution->values.find(std::string(subject));
    return found == execution->values.end() ? ValueInForce{} : found->second;
  }

  std::vector<Refusal> Refusals() const {
    std::vector<Refusal> refusals;
    for (const ledger::Event* event : BatchEvents()) {
      const Result<ledger::PayloadReader> payload = ledger::PayloadReader::Parse(*event);
      if (!payload) continue;
      const Result<std::optional<Refusal>> refusal = RefusalOf(*event, *payload);
      EXPECT_TRUE(refusal.has_value());
      if (refusal && *refusal) refusals.push_back(**refusal);
    }
    return refusals;
  }

  // The latest refused attempt as recorded (with who made it and when).
  Refusal LastRefusal() const {
    for (auto event = events.rbegin(); event != events.rend(); ++event) {
      if (event->event_type != kAttemptRefused) continue;
      const Result<ledger::PayloadReader> payload = ledger::PayloadReader::Parse(*event);
      EXPECT_TRUE(payload.has_value());
      if (!payload) break;
      const Result<std::optional<Refusal>> refusal = RefusalOf(*event, *payload);
      EXPECT_TRUE(refusal.has_value() && refusal->has_value());
      if (refusal && *refusal) return **refusal;
    }
    ADD_FAILURE() << "no refusal";
    return {};
  }

  std::vector<BatchException> Exceptions() const {
    std::vector<BatchException> exceptions;
    for (const ledger::Event* event : BatchEvents()) {
      const Result<ledger::PayloadReader> payload = ledger::PayloadReader::Parse(*event);
      if (!payload) continue;
      const Result<std::vector<BatchException>> recorded = ExceptionsOf(*event, *payload);
      EXPECT_TRUE(recorded.has_value());
      if (recorded) exceptions.insert(exceptions.end(), recorded->begin(), recorded->end());
    }
    return exceptions;
  }

  // The payload of the last event of `type` on any stream.
  Json LastPayload(std::string_view type) const {
    for (auto event = events.rbegin(); event != events.rend(); ++event) {
      if (event->event_type == type) return ParseJson(event->payload).value_or(Json());
    }
    ADD_FAILURE() << "no event " << type;
    return Json();
  }

  // --- Whole steps, done as the process intends ---

  void MakeBatch() { ASSERT_TRUE(Accepted(Create())); }
  void DoReceipt() {
    Advance(5 * kMinute);
    ASSERT_TRUE(Accepted(Start("receipt")));
    ASSERT_TRUE(Accepted(ScanLabel("receipt", kPatient)));
    ASSERT_TRUE(Accepted(Record("receipt", "appearance", "intact")));
    ASSERT_TRUE(Accepted(Record("receipt", "seal_intact", true)));
    Advance(10 * kMinute);
    ASSERT_TRUE(Accepted(Complete("receipt")));
  }
  // Started, with the collection consumed and the cells counted; not completed.
  void StartActivation() {
    Advance(10 * kMinute);
    ASSERT_TRUE(Accepted(StartWithEquipment("activation")));
    ASSERT_TRUE(Accepted(Consume("activation", "COL-0001", 100)));
    ASSERT_TRUE(Accepted(Record("activation", "viable_cells", 1.2e9, "cells")));
  }
  void DoActivation() {
    StartActivation();
    Advance(kHour);
    ASSERT_TRUE(Accepted(Complete("activation")));
  }
  // Started 20 h after activation ended, with the bioreactor.
  void StartExpansion() {
    Advance(20 * kHour);
    ASSERT_TRUE(Accepted(StartWithEquipment("expansion")));
  }
  void FillExpansion() {
    ASSERT_TRUE(Accepted(Record("expansion", "temperature", 37.0, "C")));
    ASSERT_TRUE(Accepted(Record("expansion", "viable_concentration", 2e6, "cells/mL")));
    ASSERT_TRUE(Accepted(Record("expansion", "volume", 1000, "mL")));
    ASSERT_TRUE(Accepted(Record("expansion", "ph", 7.2, "pH")));
    ASSERT_TRUE(Accepted(Sample("expansion", "ipc_count")));
  }
  void DoExpansion() {
    StartExpansion();
    FillExpansion();
    Advance(2 * kDay);
    ASSERT_TRUE(Accepted(Complete("expansion")));
  }
  // Started, filled and completed by the operator: awaiting verification.
  void CompleteFormulation() {
    Advance(kHour);
    ASSERT_TRUE(Accepted(Start("formulation")));
    ASSERT_TRUE(Accepted(Record("formulation", "fill_volume", 100, "mL")));
    ASSERT_TRUE(Accepted(Consume("formulation", "CRYO-0001", 10)));
    Advance(30 * kMinute);
    ASSERT_TRUE(Accepted(Complete("formulation")));
  }
  void DoFormulation() {
    CompleteFormulation();
    Advance(5 * kMinute);
    ASSERT_TRUE(Accepted(Verify("formulation", kColleague)));
  }
  void DoCryopreservation() {
    Advance(30 * kMinute);
    ASSERT_TRUE(Accepted(Start("cryopreservation")));
    ASSERT_TRUE(Accepted(Record("cryopreservation", "profile_passed", true)));
    Advance(kHour);
    ASSERT_TRUE(Accepted(Complete("cryopreservation")));
  }
  // Every step done: the batch completed.
  void DoAll() {
    MakeBatch();
    DoReceipt();
    DoActivation();
    DoExpansion();
    DoFormulation();
    DoCryopreservation();
  }

  const materials::LotState* FindLot(const std::string& id) const {
    const auto found = lots_.find(id);
    return found == lots_.end() ? nullptr : &found->second;
  }
  materials::LotState& LotOf(const std::string& id) { return lots_.at(id); }

  static std::map<std::string, std::string> MaterialUnits() {
    return {{std::string(kApheresis), "mL"},
            {std::string(kCryoprotectant), "mL"},
            {std::string(kInterleukin), "mL"}};
  }

  // The state as compared by Unchanged(): without the record of refusals.
  static std::string Comparable(const BatchState& state) {
    BatchState copy = state;
    copy.refusals = 0;
    copy.exceptions = 0;
    copy.unreviewed.clear();
    copy.deviations.clear();
    return CanonicalJson(BatchStateToJson(copy));
  }

  static constexpr std::string_view kSha =
      "9f2c6a3b1d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";

 private:
  // Registers equipment `id` in suite 1, qualified (signed and verified) when `qualified`.
  void AddEquipment(const std::string& id, equipment::EquipmentClass equipment_class,
                    bool qualified) {
    equipment::Definition definition;
    definition.name = id;
    definition.equipment_class = equipment_class;
    definition.manufacturer = "Acme";
    definition.model = "M1";
    definition.serial_number = "SN-" + id;
    definition.room = std::string(kRoom);
    equipment::EquipmentState& state = logbooks[id];
    std::vector<ledger::Event> logbook;
    const auto append = [&](const Result<ledger::NewEvent>& event) {
      ASSERT_TRUE(event.has_value()) << event.error().ToString();
      const Hash256 prev = logbook.empty() ? ledger::kGenesisPrevHash : logbook.back().hash;
      logbook.push_back(ledger::SealEvent(*event, logbook.size() + 1,
                                          Timestamp::FromMicros(kDay0.Micros() - 30 * kDay), prev));
      ASSERT_TRUE(Ok(equipment::ApplyEquipmentEvent(state, logbook.back())));
    };
    append(equipment::Register({}, id, definition, room, kSupervisor, kTerminal));
    if (!qualified) return;
    append(
        equipment::RecordQualification(state, {.reference = "IQOQ-" + id}, kSupervisor, kTerminal));
    const int entry = state.entries;
    append(equipment::SignEntry(state, entry, kSupervisor.id, kSupervisor, kTerminal));
    append(equipment::VerifyEntry(state, entry, kQa.id, kQa, kTerminal));
  }

  std::map<std::string, materials::MaterialState> materials_;
  std::map<std::string, materials::LotState> lots_;
  std::string before_;
  std::size_t last_ = 0;
};

// Whether the last decision of `run` is refusal number `number` for `reason`, recorded exactly as
// the contract says: the attempt_refused event on the batch's stream first, then only the events of
// `others` (types, in order: a logbook's refused use, a lot's refused use, a deviation), the
// batch's state unchanged but for the record of the refusal.
inline ::testing::AssertionResult RecordedRefusal(const BatchRun& run,
                                                  const Result<Decision>& decided,
                                                  RefusalReason reason, int number,
                                                  const std::vector<std::string>& others = {}) {
  if (auto refused = RefusedFor(decided, reason); !refused) return refused;
  const Refusal& refusal = *decided->refused;
  if (refusal.number != number) {
    return ::testing::AssertionFailure() << "refusal number " << refusal.number;
  }
  const std::vector<ledger::Event> events = run.LastEvents();
  if (events.size() != 1 + others.size()) {
    ::testing::AssertionResult failure = ::testing::AssertionFailure();
    failure << events.size() << " events:";
    for (const ledger::Event& event : events) failure << " " << event.event_type;
    return failure;
  }
  if (events[0].stream != BatchStream(kBatchId) || events[0].event_type != kAttemptRefused) {
    return ::testing::AssertionFailure() << "first event " << events[0].event_type;
  }
  for (std::size_t i = 0; i < others.size(); ++i) {
    if (events[i + 1].event_type != others[i]) {
      return ::testing::AssertionFailure()
             << "event " << i + 1 << " is " << events[i + 1].event_type;
    }
  }
  if (run.batch.refusals != number) {
    return ::testing::AssertionFailure() << "the state counts " << run.batch.refusals;
  }
  if (!run.batch.unreviewed.contains("refusal:" + std::to_string(number))) {
    return ::testing::AssertionFailure() << "no exception refusal:" << number;
  }
  return run.Unchanged();
}

}  // namespace aliquot::batches::testing
