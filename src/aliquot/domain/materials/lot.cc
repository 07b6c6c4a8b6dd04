#include "aliquot/domain/materials/lot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "aliquot/core/check.h"
#include "aliquot/core/enum_names.h"
#include "aliquot/core/hex.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/materials/codec.h"
#include "aliquot/domain/units/units.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::materials {
namespace {

constexpr std::string_view kReceived = "materials.lot_received";
constexpr std::string_view kSupplierLotRegistered = "materials.supplier_lot_registered";
constexpr std::string_view kCertificateEntered = "materials.coa_entered";
constexpr std::string_view kIdentityTested = "materials.identity_tested";
constexpr std::string_view kEligibilityDetermined = "materials.eligibility_determined";
constexpr std::string_view kReleased = "materials.lot_released";
constexpr std::string_view kRejected = "materials.lot_rejected";
constexpr std::string_view kConsumed = "materials.lot_consumed";
constexpr std::string_view kWithdrawn = "materials.lot_withdrawn";
constexpr std::string_view kUseRefused = "materials.use_refused";

// In the enums' order (core/enum_names.h).
constexpr std::array<std::string_view, 3> kLotKindNames{"received", "collection", "produced"};
constexpr std::array<std::string_view, 3> kLotStatusNames{"quarantine", "released", "rejected"};
constexpr std::array<std::string_view, 3> kEligibilityNames{"pending", "eligible", "ineligible"};
constexpr std::array<std::string_view, 6> kUseRefusalNames{
    "allowed", "wrong_material",         "not_released",
    "expired", "supplier_not_qualified", "insufficient_quantity"};
constexpr std::array<std::string_view, 3> kWithdrawalPurposeNames{"sample", "waste", "adjustment"};

constexpr std::string_view kCodeCharacters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";

std::string Day(Timestamp time) { return time.ToRfc3339().substr(0, 10); }
std::string Minute(Timestamp time) {
  const std::string text = time.ToRfc3339();
  return text.substr(0, 10) + " " + text.substr(11, 5) + " UTC";
}

ledger::NewEvent LotEvent(std::string_view lot, std::string_view type, const ledger::Actor& actor,
                          std::string_view terminal) {
  return ledger::NewEvent::On(LotStream(lot), type, actor, terminal);
}

Status CheckSha256(const std::optional<std::string>& sha256, std::string_view field) {
  if (sha256 && !IsLowerHex(*sha256, 64)) {
    return Unexpected(InvalidArgument(
        "a file is cited by the 64 lowercase hex digits of its SHA-256", std::string(field)));
  }
  return {};
}

// The containers a quantity arrives in: as listed (summing to it), or one holding it all.
Result<std::vector<Amount>> SplitIntoContainers(Amount quantity, const std::vector<double>& listed,
                                                std::string_view unit, std::string_view lot_unit) {
  if (listed.empty()) return std::vector<Amount>{quantity};
  if (listed.size() > 1000) {
    return Unexpected(InvalidArgument("at most 1000 containers per lot", "containers"));
  }
  std::vector<Amount> containers;
  Amount sum;
  for (std::size_t i = 0; i < listed.size(); ++i) {
    const std::string field = "containers[" + std::to_string(i) + "]";
    ALIQUOT_ASSIGN_OR_RETURN(const Amount amount, ToAmount(listed[i], unit, lot_unit, field));
    if (amount.Millionths() == 0) {
      return Unexpected(InvalidArgument("a container holds more than nothing", field));
    }
    sum = sum + amount;
    containers.push_back(amount);
  }
  if (sum != quantity) {
    return Unexpected(InvalidArgument("the containers hold " + sum.ToString() + " " +
                                          std::string(lot_unit) + " but the quantity is " +
                                          quantity.ToString() + " " + std::string(lot_unit),
                                      "containers"));
  }
  return containers;
}

Json AmountsToJson(const std::vector<Amount>& amounts) {
  Json array = Json::MakeArray();
  for (Amount amount : amounts) array.Push(amount.Units());
  return array;
}

// The common part of every receipt: quantity in the material's unit, containers, places.
Result<ledger::NewEvent> Receipt(const LotState& state, std::string_view id, LotKind kind,
                                 const MaterialState& material, double quantity,
                                 std::string_view unit, const std::vector<double>& containers,
                                 Timestamp expiry, std::string_view receiving_code,
                                 std::string_view storage_location, const ledger::Actor& actor,
                                 std::string_view terminal) {
  ALIQUOT_RETURN_IF_ERROR(CheckIdentifier(id, "lot_id"));
  if (state.exists) {
    return Unexpected(AlreadyExists("lot " + std::string(id) + " exists", "lot_id"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const Amount amount,
                           ToAmount(quantity, unit, material.unit, "quantity"));
  if (amount.Millionths() == 0) {
    return Unexpected(InvalidArgument("a lot holds more than nothing", "quantity"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<Amount> split,
                           SplitIntoContainers(amount, containers, unit, material.unit));
  if (!receiving_code.empty() || kind != LotKind::kProduced) {
    ALIQUOT_RETURN_IF_ERROR(CheckLine(receiving_code, "receiving_code", 2, 60));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(storage_location, "storage_location", 2, 200));
  ledger::NewEvent event = LotEvent(id, kReceived, actor, terminal);
  event.payload.Set("kind", LotKindName(kind));
  event.payload.Set("material", material.id);
  event.payload.Set("unit", material.unit);
  event.payload.Set("quantity", amount.Units());
  event.payload.Set("containers", AmountsToJson(split));
  event.payload.Set("expiry", expiry.ToRfc3339());
  event.payload.Set("receiving_code", std::string(receiving_code));
  event.payload.Set("storage_location", std::string(storage_location));
  return event;
}

Status NeedsQuarantine(const LotState& lot) {
  if (lot.Status() != LotStatus::kQuarantine) {
    return Unexpected(FailedPrecondition("lot " + lot.id + " is " +
                                         std::string(LotStatusName(lot.Status())) +
                                         "; its receipt records are closed"));
  }
  return {};
}

// Draws `quantity` from the named container or the containers in order. Returns the draws, or
// nullopt when they hold too little.
std::optional<std::vector<std::pair<std::string, Amount>>> Draws(
    const LotState& lot, const std::optional<std::string>& container, Amount quantity) {
  std::vector<std::pair<std::string, Amount>> draws;
  Amount left = quantity;
  for (const Container& candidate : lot.containers) {
    if (container && candidate.id != *container) continue;
    if (left.Millionths() == 0) break;
    const Amount take = std::min(left, candidate.balance);
    if (take.Millionths() == 0) continue;
    draws.emplace_back(candidate.id, take);
    left = left - take;
  }
  if (left.Millionths() != 0) return std::nullopt;
  return draws;
}

Json DrawsToJson(const std::vector<std::pair<std::string, Amount>>& draws) {
  Json array = Json::MakeArray();
  for (const auto& [container, amount] : draws) {
    Json draw = Json::MakeObject();
    draw.Set("container", container);
    draw.Set("quantity", amount.Units());
    array.Push(std::move(draw));
  }
  return array;
}

Status ApplyDraws(LotState& state, const ledger::PayloadReader& payload, Amount& total) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json* draws, payload.Array("draws"));
  for (const Json& draw : draws->AsArray()) {
    const Json* container = draw.Find("container");
    const Json* quantity = draw.Find("quantity");
    if (container == nullptr || !container->IsString() || quantity == nullptr ||
        !quantity->IsNumber()) {
      return Unexpected(payload.Corrupt("a draw is malformed"));
    }
    auto amount = Amount::FromUnits(quantity->AsNumber(), "quantity");
    if (!amount) return Unexpected(payload.Corrupt("a draw's quantity is malformed"));
    auto found = std::find_if(state.containers.begin(), state.containers.end(),
                              [&](const Container& c) { return c.id == container->AsString(); });
    if (found == state.containers.end() || found->balance < *amount) {
      return Unexpected(payload.Corrupt("a draw exceeds container " + container->AsString()));
    }
    found->balance = found->balance - *amount;
    total = total + *amount;
  }
  return {};
}

}  // namespace

Result<Amount> Amount::FromUnits(double value, std::string_view field) {
  if (!std::isfinite(value) || value < 0 || value > kMax) {
    return Unexpected(InvalidArgument("a quantity is a number from 0 to 1e9", std::string(field)));
  }
  const double scaled = value * kScale;
  const double rounded = std::round(scaled);
  // A few ulps of the scaled value: 0.1 mL is exact; 0.0000015 mL is finer than a millionth.
  if (std::abs(scaled - rounded) > 1e-6 + std::abs(scaled) * 1e-15) {
    return Unexpected(InvalidArgument(
        "a quantity is recorded to a millionth of its unit at most, not " + CanonicalNumber(value),
        std::string(field)));
  }
  return Amount(static_cast<std::int64_t>(rounded));
}

std::string Amount::ToString() const {
  // A difference of amounts may be negative; its sign is printed once, before the digits.
  const std::int64_t magnitude = millionths_ < 0 ? -millionths_ : millionths_;
  std::string text = (millionths_ < 0 ? "-" : "") + std::to_string(magnitude / kScale);
  const std::int64_t fraction = magnitude % kScale;
  if (fraction != 0) {
    std::string digits = std::to_string(fraction);
    digits.insert(0, 6 - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    text += "." + digits;
  }
  return text;
}

Result<Amount> ToAmount(double value, std::string_view unit, std::string_view lot_unit,
                        std::string_view field, std::string_view unit_field) {
  // A number that is no quantity at all is the value's fault, whatever its unit.
  if (!std::isfinite(value)) return Amount::FromUnits(value, field);
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit from, units::Unit::Parse(unit, unit_field));
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit to, units::Unit::Parse(lot_unit, unit_field));
  ALIQUOT_ASSIGN_OR_RETURN(const double converted, units::Convert(value, from, to, unit_field));
  return Amount::FromUnits(converted, field);
}

std::string_view LotKindName(LotKind kind) { return EnumName(kLotKindNames, kind); }

std::optional<LotKind> LotKindFromName(std::string_view name) {
  return EnumFromName<LotKind>(kLotKindNames, name);
}

std::string_view LotStatusName(LotStatus status) { return EnumName(kLotStatusNames, status); }

std::optional<LotStatus> LotStatusFromName(std::string_view name) {
  return EnumFromName<LotStatus>(kLotStatusNames, name);
}

std::string_view EligibilityName(Eligibility eligibility) {
  return EnumName(kEligibilityNames, eligibility);
}

std::optional<Eligibility> EligibilityFromName(std::string_view name) {
  return EnumFromName<Eligibility>(kEligibilityNames, name);
}

std::string_view UseRefusalName(UseRefusal refusal) { return EnumName(kUseRefusalNames, refusal); }

std::string_view DestinationKindName(Destination::Kind kind) {
  return kind == Destination::Kind::kBatch ? "batch" : "lot";
}

std::optional<WithdrawalPurpose> WithdrawalPurposeFromName(std::string_view name) {
  return EnumFromName<WithdrawalPurpose>(kWithdrawalPurposeNames, name);
}

std::vector<const CheckedResult*> Certificate::OutOfSpecification() const {
  std::vector<const CheckedResult*> found;
  for (const CheckedResult& result : results) {
    if (!result.conforms) found.push_back(&result);
  }
  return found;
}

Amount LotState::Balance() const { return quantity - consumed - withdrawn; }

LotStatus LotState::StatusAt(Timestamp at) const {
  LotStatus status = LotStatus::kQuarantine;
  for (const StatusChange& change : statuses) {
    if (change.at > at) break;
    status = change.status;
  }
  return status;
}

const Certificate* LotState::CurrentCertificate() const {
  return certificates.empty() ? nullptr : &certificates.back();
}

const IdentityTest* LotState::LatestIdentityTest() const {
  return identity_tests.empty() ? nullptr : &identity_tests.back();
}

const Container* LotState::FindContainer(std::string_view container_id) const {
  for (const Container& container : containers) {
    if (container.id == container_id) return &container;
  }
  return nullptr;
}

ledger::StreamRef LotStream(std::string_view lot_id) { return {"lot", std::string(lot_id)}; }

ledger::StreamRef SupplierLotStream(std::string_view supplier, std::string_view supplier_lot) {
  return {"supplier_lot", std::string(supplier) + "/" + std::string(supplier_lot)};
}

char DonorCodeCheckCharacter(std::string_view body) {
  // ISO 7064 MOD 37-2, the check character ISBT 128 prints beside a donation number.
  int sum = 0;
  for (char c : body) {
    const auto value = static_cast<int>(kCodeCharacters.find(c));
    sum = ((sum + value) * 2) % 37;
  }
  return kCodeCharacters[static_cast<std::size_t>((38 - sum) % 37)];
}

Status CheckDonorCode(std::string_view code, std::string_view field) {
  const auto refuse = [&](const std::string& why) {
    return Unexpected(InvalidArgument(
        "a donor or patient code is DIN-, 6-16 letters or digits, '-' and a check character "
        "(never a name or record number): " +
            why,
        std::string(field)));
  };
  if (code.size() < 12 || code.size() > 22 || code.substr(0, 4) != "DIN-" ||
      code[code.size() - 2] != '-') {
    return refuse("the code is not of that form");
  }
  const std::string_view body = code.substr(4, code.size() - 6);
  for (char c : body) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      return refuse("'" + std::string(1, c) + "' is not a capital letter or digit");
    }
  }
  if (code.back() != DonorCodeCheckCharacter(body)) {
    return refuse("the check character does not match; the code is mistyped or misread");
  }
  return {};
}

Result<ScannedLot> ParseScannedLot(std::string_view text, std::string_view field) {
  const std::size_t slash = text.find('/');
  ScannedLot scanned;
  scanned.lot = std::string(text.substr(0, slash));
  ALIQUOT_RETURN_IF_ERROR(CheckIdentifier(scanned.lot, field));
  if (slash != std::string_view::npos) {
    const std::string_view number = text.substr(slash + 1);
    const bool digits =
        !number.empty() && number.size() <= 4 &&
        std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        number[0] != '0';
    if (!digits) {
      return Unexpected(
          InvalidArgument("a container label is the lot id, '/' and the container number: " +
                              std::string(text.substr(0, 60)),
                          std::string(field)));
    }
    scanned.container = std::string(text);
  }
  return scanned;
}

Result<std::vector<ledger::NewEvent>> ReceiveLot(const LotState& state, const LotReceipt& receipt,
                                                 const MaterialState& material,
                                                 const SupplierState& supplier,
                                                 const std::optional<std::string>& existing_lot,
                                                 Timestamp now, const ledger::Actor& actor,
                                                 std::string_view terminal) {
  if (!material.exists) {
    return Unexpected(NotFound("no material " + receipt.material.substr(0, 40), "material"));
  }
  if (!IsPurchased(material.category)) {
    return Unexpected(InvalidArgument(
        material.id + " is " + std::string(CategoryName(material.category)) +
            ", not bought from a supplier; receive a collection or record a produced lot",
        "material"));
  }
  if (!supplier.exists) {
    return Unexpected(NotFound("no supplier " + receipt.supplier.substr(0, 40), "supplier"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckLine(receipt.supplier_lot, "supplier_lot", 1, 60));
  if (existing_lot) {
    return Unexpected(AlreadyExists("supplier " + supplier.id + "'s lot " + receipt.supplier_lot +
                                        " was already received as lot " + *existing_lot,
                                    "supplier_lot"));
  }
  if (receipt.expiry <= now) {
    return Unexpected(InvalidArgument("the expiry " + Day(receipt.expiry) +
                                          " is not after the receipt; an expired lot is not "
                                          "received",
                                      "expiry"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(
      ledger::NewEvent event,
      Receipt(state, receipt.id, LotKind::kReceived, material, receipt.quantity, receipt.unit,
              receipt.containers, receipt.expiry, receipt.receiving_code, receipt.storage_location,
              actor, terminal));
  event.payload.Set("supplier", supplier.id);
  event.payload.Set("supplier_lot", receipt.supplier_lot);
  ledger::NewEvent registered =
      ledger::NewEvent::On(SupplierLotStream(supplier.id, receipt.supplier_lot),
                           kSupplierLotRegistered, actor, terminal);
  registered.payload.Set("lot", receipt.id);
  std::vector<ledger::NewEvent> events;
  events.push_back(std::move(event));
  events.push_back(std::move(registered));
  return events;
}

Result<ledger::NewEvent> ReceiveCollection(const LotState& state, const CollectionReceipt& receipt,
                                           const MaterialState& material, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal) {
  if (!material.exists) {
    return Unexpected(NotFound("no material " + receipt.material.substr(0, 40), "material"));
  }
  if (material.category != Category::kStartingMaterial) {
    return Unexpected(InvalidArgument(material.id + " is not a starting material", "material"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckDonorCode(receipt.donor_code, "donor_code"));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(receipt.collection_facility, "collection_facility", 2, 200));
  if (receipt.collected_at > now) {
    return Unexpected(InvalidArgument("the collection time is in the future", "collected_at"));
  }
  const Timestamp expiry = material.shelf_life.After(receipt.collected_at);
  if (expiry <= now) {
    return Unexpected(InvalidArgument(
        "collected " + Minute(receipt.collected_at) + ", the collection is past its " +
            material.shelf_life.Describe() + " stability (" + Minute(expiry) + ")",
        "collected_at"));
  }
  if (!std::isfinite(receipt.shipping_min_c) || !std::isfinite(receipt.shipping_max_c) ||
      receipt.shipping_min_c > receipt.shipping_max_c || receipt.shipping_min_c < -273.15 ||
      receipt.shipping_max_c > 100) {
    return Unexpected(InvalidArgument(
        "the shipping logger's minimum and maximum are temperatures in C, minimum first",
        "shipping_min_c"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckSha256(receipt.logger_file_sha256, "logger_file_sha256"));
  ALIQUOT_ASSIGN_OR_RETURN(
      ledger::NewEvent event,
      Receipt(state, receipt.id, LotKind::kCollection, material, receipt.quantity, receipt.unit, {},
              expiry, receipt.receiving_code, receipt.storage_location, actor, terminal));
  Json collection = Json::MakeObject();
  collection.Set("donor_code", receipt.donor_code);
  collection.Set("collection_facility", receipt.collection_facility);
  collection.Set("collected_at", receipt.collected_at.ToRfc3339());
  collection.Set("shipping_min_c", receipt.shipping_min_c);
  collection.Set("shipping_max_c", receipt.shipping_max_c);
  collection.Set("logger_file_sha256", OptionalStringToJson(receipt.logger_file_sha256));
  const bool excursion = receipt.shipping_min_c < 2.0 || receipt.shipping_max_c > 8.0;
  event.payload.Set("collection", std::move(collection));
  // An excursion is for QA to see at once: the collection may still be usable, on their judgement.
  if (excursion) event.payload.Set("alert", true);
  return event;
}

Result<ledger::NewEvent> ProduceLot(const LotState& state, const ProducedLot& produced,
                                    const MaterialState& material, Timestamp now,
                                    const ledger::Actor& actor, std::string_view terminal) {
  if (!material.exists) {
    return Unexpected(NotFound("no material " + produced.material.substr(0, 40), "material"));
  }
  if (material.category != Category::kIntermediate && material.category != Category::kDrugProduct) {
    return Unexpected(
        InvalidArgument(material.id + " is not an intermediate or a drug product", "material"));
  }
  if (produced.batch) ALIQUOT_RETURN_IF_ERROR(CheckIdentifier(*produced.batch, "batch"));
  if (produced.patient_code) {
    ALIQUOT_RETURN_IF_ERROR(CheckDonorCode(*produced.patient_code, "patient_code"));
  }
  if (material.category == Category::kDrugProduct && (!produced.batch || !produced.patient_code)) {
    return Unexpected(InvalidArgument(
        "a product unit names the batch that made it and the patient code on its label (T-03)",
        produced.batch ? "patient_code" : "batch"));
  }
  if (produced.expiry <= now) {
    return Unexpected(InvalidArgument("the expiry is not after now", "expiry"));
  }
  ALIQUOT_ASSIGN_OR_RETURN(
      ledger::NewEvent event,
      Receipt(state, produced.id, LotKind::kProduced, material, produced.quantity, produced.unit,
              produced.containers, produced.expiry, "", produced.storage_location, actor,
              terminal));
  event.payload.Set("batch", OptionalStringToJson(produced.batch));
  event.payload.Set("patient_code", OptionalStringToJson(produced.patient_code));
  return event;
}

Result<ledger::NewEvent> EnterCertificate(const LotState& state, const CertificateInput& input,
                                          const MaterialState& material, std::string_view reason,
                                          Timestamp /*now*/, const ledger::Actor& actor,
                                          std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no such lot", "lot_id"));
  if (state.kind != LotKind::kReceived) {
    return Unexpected(FailedPrecondition("lot " + state.id +
                                         " was not received from a supplier; "
                                         "it has no certificate of analysis"));
  }
  ALIQUOT_RETURN_IF_ERROR(NeedsQuarantine(state));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(input.certificate_number, "certificate_number", 1, 100));
  ALIQUOT_RETURN_IF_ERROR(CheckSha256(input.file_sha256, "file_sha256"));
  // P11-05: a second entry supersedes the first without hiding it, and says why.
  if (!state.certificates.empty()) {
    ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 3, 2000));
  }
  if (input.results.empty() || input.results.size() > 100) {
    return Unexpected(InvalidArgument("a certificate carries 1-100 results", "results"));
  }
  Json results = Json::MakeArray();
  int out_of_specification = 0;
  for (std::size_t i = 0; i < input.results.size(); ++i) {
    const TestResult& result = input.results[i];
    const std::string field = "results[" + std::to_string(i) + "]";
    const SpecTest* test = material.FindTest(result.test);
    if (test == nullptr) {
      return Unexpected(InvalidArgument("the specification of " + material.id + " (version " +
                                            std::to_string(material.spec_version) +
                                            ") has no test '" + result.test.substr(0, 60) + "'",
                                        field + ".test"));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (input.results[j].test == result.test) {
        return Unexpected(
            InvalidArgument("test '" + result.test + "' is reported twice", field + ".test"));
      }
    }
    ALIQUOT_ASSIGN_OR_RETURN(const CheckedResult checked, CheckResult(*test, result, field));
    if (!checked.conforms) ++out_of_specification;
    results.Push(CheckedResultToJson(checked));
  }
  ledger::NewEvent event = LotEvent(state.id, kCertificateEntered, actor, terminal);
  event.payload.Set("number", static_cast<std::int64_t>(state.certificates.size() + 1));
  event.payload.Set("certificate_number", input.certificate_number);
  event.payload.Set("file_sha256", OptionalStringToJson(input.file_sha256));
  event.payload.Set("spec_version", material.spec_version);
  event.payload.Set("results", std::move(results));
  event.payload.Set("out_of_specification", out_of_specification);
  if (out_of_specification > 0) event.payload.Set("alert", true);
  if (!state.certificates.empty()) event.reason = std::string(reason);
  return event;
}

Result<ledger::NewEvent> RecordIdentityTest(const LotState& state, bool passed,
                                            std::string_view method, std::string_view comment,
                                            Timestamp /*now*/, const ledger::Actor& actor,
                                            std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no such lot", "lot_id"));
  if (state.kind != LotKind::kReceived) {
    return Unexpected(
        FailedPrecondition("an identity test on receipt is for lots received from a "
                           "supplier; lot " +
                           state.id + " was not"));
  }
  ALIQUOT_RETURN_IF_ERROR(NeedsQuarantine(state));
  ALIQUOT_RETURN_IF_ERROR(CheckLine(method, "method", 2, 200));
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(comment, "comment", 0, 2000));
  ledger::NewEvent event = LotEvent(state.id, kIdentityTested, actor, terminal);
  event.payload.Set("passed", passed);
  event.payload.Set("method", std::string(method));
  event.payload.Set("comment", std::string(comment));
  if (!passed) event.payload.Set("alert", true);
  return event;
}

Result<ledger::NewEvent> DetermineEligibility(const LotState& state, bool eligible,
                                              std::string_view basis, Timestamp /*now*/,
                                              const ledger::Actor& actor,
                                              std::string_view terminal) {
  if (!state.exists) return Unexpected(NotFound("no such lot", "lot_id"));
  if (!state.collection) {
    return Unexpected(FailedPrecondition("lot " + state.id + " is not a donor's collection"));
  }
  if (state.collection->eligibility != Eligibility::kPending) {
    return Unexpected(
        FailedPrecondition("the donor of " + state.id + " was already determined " +
                           std::string(EligibilityName(state.collection->eligibility)) + " by " +
                           state.collection->determined_by));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(basis, "basis", 3, 2000));
  ledger::NewEvent event = LotEvent(state.id, kEligibilityDetermined, actor, terminal);
  event.payload.Set("eligible", eligible);
  event.payload.Set("basis", std::string(basis));
  return event;
}

namespace {

// ReleaseBlockers, for a release on QA's signature on the lot (`with_batch` false) or on its
// batch record (true, which is how a product unit is released).
std::vector<std::string> BlockersOf(const LotState& lot, const MaterialState& material,
                                    const SupplierState* supplier, Timestamp now, bool with_batch) {
  std::vector<std::string> blockers;
  if (lot.Status() != LotStatus::kQuarantine) {
    blockers.push_back("lot " + lot.id + " is already " + std::string(LotStatusName(lot.Status())));
  }
  if (now >= lot.expiry) blockers.push_back("lot " + lot.id + " expired on " + Minute(lot.expiry));
  if (lot.kind == LotKind::kReceived) {
    const Certificate* certificate = lot.CurrentCertificate();
    if (certificate == nullptr) {
      blockers.emplace_back("no certificate of analysis is entered");
    } else {
      // Checked against the specification in force now, which may have been revised since entry.
      for (const SpecTest& test : material.tests) {
        const auto found = std::find_if(
            certificate->results.begin(), certificate->results.end(),
            [&](const CheckedResult& result) { return result.result.test == test.name; });
        if (found == certificate->results.end()) {
          blockers.push_back("the certificate has no result for '" + test.name + "' (" +
                             test.criterion.Describe() + ")");
          continue;
        }
        auto checked = CheckResult(test, found->result, "results");
        if (!checked) {
          blockers.push_back(
              "'" + test.name + "' cannot be checked against specification version " +
              std::to_string(material.spec_version) + ": " + checked.error().Message());
        } else if (!checked->conforms) {
          blockers.push_back("out of specification: " + checked->finding);
        }
      }
    }
    // G-09: the certificate stands in for testing only from a qualified supplier...
    if (supplier == nullptr) {
      blockers.push_back("the supplier " + lot.supplier + " is unknown");
    } else if (SupplierCheck check = QualifiedFor(*supplier, material.id, now); !check.qualified) {
      blockers.push_back(check.message + " (G-09)");
    }
    // ...and with an identity test where the specification asks for one.
    if (material.identity_test_required) {
      const IdentityTest* test = lot.LatestIdentityTest();
      if (test == nullptr) {
        blockers.push_back("no identity test is recorded; " + material.id +
                           "'s specification requires one on receipt (G-09)");
      } else if (!test->passed) {
        blockers.push_back("the identity test (" + test->method + ") failed on " + Day(test->at));
      }
    }
  }
  if (lot.kind == LotKind::kProduced && material.category == Category::kDrugProduct &&
      !with_batch) {
    // G-04: a product unit leaves quarantine only with its batch, once QA has reviewed the batch
    // record and its release testing (DisposeWithBatch).
    blockers.push_back("a product unit is released with the disposition of its batch " +
                       lot.made_by_batch.value_or("") + ", not on its own");
  }
  if (lot.collection) {
    switch (lot.collection->eligibility) {
      case Eligibility::kPending:
        blockers.emplace_back("the donor's eligibility is not yet determined (T-04)");
        break;
      case Eligibility::kIneligible:
        blockers.push_back("the donor was determined ineligible: " +
                           lot.collection->eligibility_basis + " (T-04)");
        break;
      case Eligibility::kEligible:
        break;
    }
  }
  return blockers;
}

}  // namespace

std::vector<std::string> ReleaseBlockers(const LotState& lot, const MaterialState& material,
                                         const SupplierState* supplier, Timestamp now) {
  return BlockersOf(lot, material, supplier, now, false);
}

Result<ledger::NewEvent> DecideDisposition(const LotState& lot, const MaterialState& material,
                                           const SupplierState* supplier, bool release,
                                           const std::optional<std::string>& comment, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal) {
  if (!lot.exists) return Unexpected(NotFound("no such lot", "lot_id"));
  if (release) {
    const std::vector<std::string> blockers = ReleaseBlockers(lot, material, supplier, now);
    if (!blockers.empty()) {
      std::string message = "lot " + lot.id + " cannot be released: ";
      for (std::size_t i = 0; i < blockers.size(); ++i) {
        message += (i == 0 ? "" : "; ") + blockers[i];
      }
      return Unexpected(FailedPrecondition(message));
    }
    ledger::NewEvent event = LotEvent(lot.id, kReleased, actor, terminal);
    event.payload.Set("comment", OptionalStringToJson(comment));
    return event;
  }
  if (lot.Status() == LotStatus::kRejected) {
    return Unexpected(FailedPrecondition("lot " + lot.id + " is already rejected"));
  }
  if (!comment || comment->empty()) {
    return Unexpected(InvalidArgument("a rejection says why", "comment"));
  }
  ledger::NewEvent event = LotEvent(lot.id, kRejected, actor, terminal);
  event.payload.Set("comment", *comment);
  event.payload.Set("alert", true);
  return event;
}

Result<ledger::NewEvent> DisposeWithBatch(const LotState& lot, const MaterialState& material,
                                          std::string_view batch, bool release,
                                          std::string_view comment, Timestamp now,
                                          const ledger::Actor& actor, std::string_view terminal) {
  if (!lot.exists) return Unexpected(NotFound("no such lot", "lot_id"));
  if (lot.kind != LotKind::kProduced || material.category != Category::kDrugProduct ||
      lot.made_by_batch.value_or("") != batch) {
    return Unexpected(FailedPrecondition(
        "lot " + lot.id + " is not a product unit of batch " + std::string(batch), "lot_id"));
  }
  const LotStatus status = lot.Status();
  ledger::NewEvent event = LotEvent(lot.id, release ? kReleased : kRejected, actor, terminal);
  if (release) {
    std::string blockers;
    for (const std::string& blocker : BlockersOf(lot, material, nullptr, now, true)) {
      blockers += (blockers.empty() ? "" : "; ") + blocker;
    }
    if (!blockers.empty()) {
      return Unexpected(FailedPrecondition(
          "product unit " + lot.id + " cannot be released with its batch: " + blockers, "lot_id"));
    }
  } else {
    if (status == LotStatus::kRejected) {
      return Unexpected(FailedPrecondition("lot " + lot.id + " is already rejected", "lot_id"));
    }
    event.payload.Set("alert", true);
  }
  event.payload.Set("comment", "with batch " + std::string(batch) +
                                   (release ? ", released" : ", rejected") +
                                   (comment.empty() ? "" : ": " + std::string(comment)));
  return event;
}

Json DispositionContent(const LotState& lot) {
  // What QA judges: the lot's identity, origin and test evidence, in the words a person reads.
  // Not its status or balance, which the signature itself and later use change: a release stays
  // valid while the lot is consumed (decision 0006).
  Json json = Json::MakeObject();
  json.Set("lot", lot.id);
  json.Set("kind", LotKindName(lot.kind));
  json.Set("material", lot.material);
  json.Set("quantity", lot.quantity.Units());
  json.Set("unit", lot.unit);
  json.Set("expiry", lot.expiry.ToRfc3339());
  json.Set("received_at", lot.received_at.ToRfc3339());
  json.Set("received_by", lot.received_by);
  if (lot.kind == LotKind::kReceived) {
    json.Set("supplier", lot.supplier);
    json.Set("supplier_lot", lot.supplier_lot);
  }
  if (const Certificate* certificate = lot.CurrentCertificate(); certificate != nullptr) {
    Json entry = Json::MakeObject();
    entry.Set("certificate_number", certificate->certificate_number);
    entry.Set("file_sha256", OptionalStringToJson(certificate->file_sha256));
    entry.Set("spec_version", certificate->spec_version);
    entry.Set("entered_by", certificate->entered_by);
    Json results = Json::MakeArray();
    for (const CheckedResult& result : certificate->results) {
      Json item = Json::MakeObject();
      item.Set("test", result.result.test);
      item.Set("result", result.result.value    ? Json(CanonicalNumber(*result.result.value) + " " +
                                                       result.result.unit)
                         : result.result.passed ? Json(*result.result.passed ? "pass" : "fail")
                                                : Json(result.result.text));
      item.Set("criterion", result.criterion);
      item.Set("conforms", result.conforms);
      results.Push(std::move(item));
    }
    entry.Set("results", std::move(results));
    json.Set("certificate", std::move(entry));
  }
  if (const IdentityTest* test = lot.LatestIdentityTest(); test != nullptr) {
    Json entry = Json::MakeObject();
    entry.Set("passed", test->passed);
    entry.Set("method", test->method);
    entry.Set("performed_by", test->performed_by);
    entry.Set("at", test->at.ToRfc3339());
    json.Set("identity_test", std::move(entry));
  }
  if (lot.collection) {
    const Collection& c = *lot.collection;
    Json entry = Json::MakeObject();
    entry.Set("donor_code", c.donor_code);
    entry.Set("collected_at", c.collected_at.ToRfc3339());
    entry.Set("shipping_min_c", c.shipping_min_c);
    entry.Set("shipping_max_c", c.shipping_max_c);
    entry.Set("eligibility", EligibilityName(c.eligibility));
    entry.Set("eligibility_basis", c.eligibility_basis);
    json.Set("collection", std::move(entry));
  }
  if (lot.made_by_batch) json.Set("made_by_batch", *lot.made_by_batch);
  if (lot.patient_code) json.Set("patient_code", *lot.patient_code);
  return json;
}

Result<UseCheck> CheckUse(const LotState& lot, const SupplierState* supplier,
                          const UseRequest& request) {
  UseCheck check;
  check.lot = lot.id;
  check.container = request.container;
  check.material = request.expected_material;
  check.at = request.at;
  check.requested = request.quantity;
  check.available = lot.Balance();
  if (request.container) {
    const Container* container = lot.FindContainer(*request.container);
    if (container == nullptr) {
      return Unexpected(NotFound(
          "lot " + lot.id + " has no container " + request.container->substr(0, 60), "container"));
    }
    check.available = container->balance;
  }
  const auto refuse = [&](UseRefusal refusal, std::string message) {
    check.refusal = refusal;
    check.message = "lot " + lot.id + " may not be used: " + std::move(message);
    return check;
  };
  if (lot.material != request.expected_material) {
    return refuse(UseRefusal::kWrongMaterial,
                  "it is " + lot.material + ", and this step needs " + request.expected_material);
  }
  // G-08, T-04: only released material is used; a collection is released once its donor's
  // eligibility is determined.
  if (const LotStatus status = lot.StatusAt(request.at); status != LotStatus::kReleased) {
    return refuse(UseRefusal::kNotReleased,
                  (status == LotStatus::kQuarantine ? "it is in quarantine" : "it is rejected") +
                      std::string(" (status as of ") + Minute(request.at) + ")");
  }
  if (request.at >= lot.expiry) {
    return refuse(UseRefusal::kExpired, "it expired on " + Minute(lot.expiry));
  }
  if (lot.kind == LotKind::kReceived) {
    // G-09: the supplier must be qualified for this material when it is used, not only at receipt.
    if (supplier == nullptr) {
      return refuse(UseRefusal::kSupplierNotQualified,
                    "its supplier " + lot.supplier + " is unknown");
    }
    if (SupplierCheck qualified = QualifiedFor(*supplier, lot.material, request.at);
        !qualified.qualified) {
      return refuse(UseRefusal::kSupplierNotQualified, qualified.message);
    }
  }
  if (request.quantity > check.available) {
    return refuse(UseRefusal::kInsufficientQuantity,
                  (request.container ? "container " + *request.container : std::string("it")) +
                      " holds " + check.available.ToString() + " " + lot.unit + ", short of the " +
                      request.quantity.ToString() + " " + lot.unit + " asked for");
  }
  check.message = "lot " + lot.id + " may be used";
  return check;
}

ledger::NewEvent Consume(const LotState& lot, const UseCheck& check, const Destination& into,
                         const ledger::Actor& actor, std::string_view terminal) {
  ALIQUOT_CHECK(check.Allowed() && check.lot == lot.id);
  auto draws = Draws(lot, check.container, check.requested);
  ALIQUOT_CHECK(draws.has_value());
  ledger::NewEvent event = LotEvent(lot.id, kConsumed, actor, terminal);
  event.payload.Set("material", lot.material);
  event.payload.Set("quantity", check.requested.Units());
  event.payload.Set("unit", lot.unit);
  event.payload.Set("draws", DrawsToJson(*draws));
  event.payload.Set("into_kind", DestinationKindName(into.kind));
  event.payload.Set("into", into.id);
  return event;
}

ledger::NewEvent UseRefused(const UseCheck& check, const Destination& into,
                            const ledger::Actor& actor, std::string_view terminal) {
  ledger::NewEvent event = LotEvent(check.lot, kUseRefused, actor, terminal);
  event.payload.Set("refusal", UseRefusalName(check.refusal));
  event.payload.Set("message", check.message);
  event.payload.Set("material", check.material);
  event.payload.Set("quantity", check.requested.Units());
  event.payload.Set("container", OptionalStringToJson(check.container));
  event.payload.Set("into_kind", DestinationKindName(into.kind));
  event.payload.Set("into", into.id);
  event.payload.Set("alert", true);
  return event;
}

Result<ledger::NewEvent> Withdraw(const LotState& lot, const std::optional<std::string>& container,
                                  Amount quantity, WithdrawalPurpose purpose,
                                  std::string_view reason, const ledger::Actor& actor,
                                  std::string_view terminal) {
  if (!lot.exists) return Unexpected(NotFound("no such lot", "lot_id"));
  if (container && lot.FindContainer(*container) == nullptr) {
    return Unexpected(
        NotFound("lot " + lot.id + " has no container " + container->substr(0, 60), "container"));
  }
  if (quantity.Millionths() <= 0) {
    return Unexpected(InvalidArgument("withdraw more than nothing", "quantity"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckParagraph(reason, "reason", 3, 2000));
  auto draws = Draws(lot, container, quantity);
  if (!draws) {
    return Unexpected(FailedPrecondition((container ? "container " + *container : "lot " + lot.id) +
                                         " holds less than " + quantity.ToString() + " " +
                                         lot.unit));
  }
  ledger::NewEvent event = LotEvent(lot.id, kWithdrawn, actor, terminal);
  event.payload.Set("purpose", EnumName(kWithdrawalPurposeNames, purpose));
  event.payload.Set("quantity", quantity.Units());
  event.payload.Set("draws", DrawsToJson(*draws));
  event.reason = std::string(reason);
  return event;
}

Status ApplyLotEvent(LotState& state, const ledger::Event& event) {
  ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                           ledger::PayloadReader::Parse(event));
  const auto amount_of = [&](std::string_view name) -> Result<Amount> {
    const Json* value = payload.Find(name);
    if (value == nullptr || !value->IsNumber()) {
      return Unexpected(payload.Corrupt("'" + std::string(name) + "' is not a number"));
    }
    auto amount = Amount::FromUnits(value->AsNumber(), name);
    if (!amount) return Unexpected(payload.Corrupt("'" + std::string(name) + "' is malformed"));
    return *amount;
  };
  if (event.event_type == kReceived) {
    if (state.exists) return Unexpected(payload.Corrupt("the lot already exists"));
    state.exists = true;
    state.id = event.stream.id;
    ALIQUOT_ASSIGN_OR_RETURN(const std::string kind, payload.String("kind"));
    const std::optional<LotKind> parsed_kind = LotKindFromName(kind);
    if (!parsed_kind) return Unexpected(payload.Corrupt("unknown lot kind " + kind));
    state.kind = *parsed_kind;
    ALIQUOT_ASSIGN_OR_RETURN(state.material, payload.String("material"));
    ALIQUOT_ASSIGN_OR_RETURN(state.unit, payload.String("unit"));
    ALIQUOT_ASSIGN_OR_RETURN(state.quantity, amount_of("quantity"));
    ALIQUOT_ASSIGN_OR_RETURN(state.expiry, PayloadTime(payload, "expiry"));
    ALIQUOT_ASSIGN_OR_RETURN(state.receiving_code, payload.String("receiving_code"));
    ALIQUOT_ASSIGN_OR_RETURN(state.storage_location, payload.String("storage_location"));
    ALIQUOT_ASSIGN_OR_RETURN(const Json* containers, payload.Array("containers"));
    Amount sum;
    for (const Json& container : containers->AsArray()) {
      auto amount = container.IsNumber() ? Amount::FromUnits(container.AsNumber(), "container")
                                         : Result<Amount>(Unexpected(Internal("")));
      if (!amount) return Unexpected(payload.Corrupt("a container is malformed"));
      state.containers.push_back(
          {state.id + "/" + std::to_string(state.containers.size() + 1), *amount, *amount});
      sum = sum + *amount;
    }
    if (sum != state.quantity) return Unexpected(payload.Corrupt("containers do not sum up"));
    state.received_at = event.time;
    state.received_by = event.actor.id;
    state.statuses.push_back({LotStatus::kQuarantine, event.time, event.actor.id, "received"});
    if (state.kind == LotKind::kReceived) {
      ALIQUOT_ASSIGN_OR_RETURN(state.supplier, payload.String("supplier"));
      ALIQUOT_ASSIGN_OR_RETURN(state.supplier_lot, payload.String("supplier_lot"));
    } else if (state.kind == LotKind::kCollection) {
      ALIQUOT_ASSIGN_OR_RETURN(const Json* object, payload.Object("collection"));
      const ledger::PayloadReader collection(event, *object);
      Collection received;
      ALIQUOT_ASSIGN_OR_RETURN(received.donor_code, collection.String("donor_code"));
      ALIQUOT_ASSIGN_OR_RETURN(received.collection_facility,
                               collection.String("collection_facility"));
      ALIQUOT_ASSIGN_OR_RETURN(received.collected_at, PayloadTime(collection, "collected_at"));
      const Json* low = collection.Find("shipping_min_c");
      const Json* high = collection.Find("shipping_max_c");
      if (low == nullptr || high == nullptr || !low->IsNumber() || !high->IsNumber()) {
        return Unexpected(payload.Corrupt("shipping temperatures are malformed"));
      }
      received.shipping_min_c = low->AsNumber();
      received.shipping_max_c = high->AsNumber();
      if (const Json* file = collection.Find("logger_file_sha256"); file && file->IsString()) {
        received.logger_file_sha256 = file->AsString();
      }
      state.collection = std::move(received);
    } else {
      if (const Json* batch = payload.Find("batch"); batch && batch->IsString()) {
        state.made_by_batch = batch->AsString();
      }
      if (const Json* patient = payload.Find("patient_code"); patient && patient->IsString()) {
        state.patient_code = patient->AsString();
      }
    }
    return {};
  }
  if (event.event_type == kUseRefused) return {};
  if (!state.exists) return Unexpected(payload.Corrupt("no such lot"));
  if (event.event_type == kCertificateEntered) {
    Certificate certificate;
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, payload.Integer("number"));
    certificate.number = static_cast<int>(number);
    ALIQUOT_ASSIGN_OR_RETURN(certificate.certificate_number, payload.String("certificate_number"));
    if (const Json* file = payload.Find("file_sha256"); file && file->IsString()) {
      certificate.file_sha256 = file->AsString();
    }
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t spec_version, payload.Integer("spec_version"));
    certificate.spec_version = static_cast<int>(spec_version);
    ALIQUOT_ASSIGN_OR_RETURN(const Json* results, payload.Array("results"));
    for (const Json& result : results->AsArray()) {
      auto checked = CheckedResultFromJson(result);
      if (!checked) return Unexpected(payload.Corrupt("a result is malformed"));
      certificate.results.push_back(std::move(*checked));
    }
    certificate.entered_by = event.actor.id;
    certificate.entered_at = event.time;
    state.certificates.push_back(std::move(certificate));
    return {};
  }
  if (event.event_type == kIdentityTested) {
    IdentityTest test;
    ALIQUOT_ASSIGN_OR_RETURN(test.passed, payload.Bool("passed"));
    ALIQUOT_ASSIGN_OR_RETURN(test.method, payload.String("method"));
    ALIQUOT_ASSIGN_OR_RETURN(test.comment, payload.String("comment"));
    test.performed_by = event.actor.id;
    test.at = event.time;
    state.identity_tests.push_back(std::move(test));
    return {};
  }
  if (event.event_type == kEligibilityDetermined) {
    if (!state.collection) return Unexpected(payload.Corrupt("not a collection"));
    ALIQUOT_ASSIGN_OR_RETURN(const bool eligible, payload.Bool("eligible"));
    state.collection->eligibility = eligible ? Eligibility::kEligible : Eligibility::kIneligible;
    ALIQUOT_ASSIGN_OR_RETURN(state.collection->eligibility_basis, payload.String("basis"));
    state.collection->determined_at = event.time;
    state.collection->determined_by = event.actor.id;
    return {};
  }
  if (event.event_type == kReleased || event.event_type == kRejected) {
    const Json* comment = payload.Find("comment");
    state.statuses.push_back(
        {event.event_type == kReleased ? LotStatus::kReleased : LotStatus::kRejected, event.time,
         event.actor.id, comment != nullptr && comment->IsString() ? comment->AsString() : ""});
    return {};
  }
  if (event.event_type == kConsumed || event.event_type == kWithdrawn) {
    ALIQUOT_ASSIGN_OR_RETURN(const Amount quantity, amount_of("quantity"));
    Amount drawn;
    ALIQUOT_RETURN_IF_ERROR(ApplyDraws(state, payload, drawn));
    if (drawn != quantity) return Unexpected(payload.Corrupt("draws do not sum to the quantity"));
    (event.event_type == kConsumed ? state.consumed : state.withdrawn) =
        (event.event_type == kConsumed ? state.consumed : state.withdrawn) + quantity;
    return {};
  }
  return {};
}

Json LotToJson(const LotState& lot) {
  Json json = Json::MakeObject();
  json.Set("id", lot.id);
  json.Set("kind", LotKindName(lot.kind));
  json.Set("material", lot.material);
  json.Set("unit", lot.unit);
  json.Set("receiving_code", lot.receiving_code);
  json.Set("storage_location", lot.storage_location);
  json.Set("received_at", TimeToJson(lot.received_at));
  json.Set("received_by", lot.received_by);
  json.Set("expiry", TimeToJson(lot.expiry));
  json.Set("supplier", lot.supplier);
  json.Set("supplier_lot", lot.supplier_lot);
  if (lot.collection) {
    const Collection& c = *lot.collection;
    Json collection = Json::MakeObject();
    collection.Set("donor_code", c.donor_code);
    collection.Set("collection_facility", c.collection_facility);
    collection.Set("collected_at", TimeToJson(c.collected_at));
    collection.Set("shipping_min_c", c.shipping_min_c);
    collection.Set("shipping_max_c", c.shipping_max_c);
    collection.Set("logger_file_sha256", OptionalStringToJson(c.logger_file_sha256));
    collection.Set("eligibility", EligibilityName(c.eligibility));
    collection.Set("determined_at", OptionalTimeToJson(c.determined_at));
    collection.Set("determined_by", c.determined_by);
    collection.Set("eligibility_basis", c.eligibility_basis);
    json.Set("collection", std::move(collection));
  }
  json.Set("made_by_batch", OptionalStringToJson(lot.made_by_batch));
  json.Set("patient_code", OptionalStringToJson(lot.patient_code));
  json.Set("quantity", lot.quantity.Millionths());
  json.Set("consumed", lot.consumed.Millionths());
  json.Set("withdrawn", lot.withdrawn.Millionths());
  Json containers = Json::MakeArray();
  for (const Container& container : lot.containers) {
    Json item = Json::MakeObject();
    item.Set("id", container.id);
    item.Set("initial", container.initial.Millionths());
    item.Set("balance", container.balance.Millionths());
    containers.Push(std::move(item));
  }
  json.Set("containers", std::move(containers));
  Json statuses = Json::MakeArray();
  for (const StatusChange& change : lot.statuses) {
    Json item = Json::MakeObject();
    item.Set("status", LotStatusName(change.status));
    item.Set("at", TimeToJson(change.at));
    item.Set("by", change.by);
    item.Set("comment", change.comment);
    statuses.Push(std::move(item));
  }
  json.Set("statuses", std::move(statuses));
  Json certificates = Json::MakeArray();
  for (const Certificate& certificate : lot.certificates) {
    Json item = Json::MakeObject();
    item.Set("number", certificate.number);
    item.Set("certificate_number", certificate.certificate_number);
    item.Set("file_sha256", OptionalStringToJson(certificate.file_sha256));
    item.Set("spec_version", certificate.spec_version);
    Json results = Json::MakeArray();
    for (const CheckedResult& result : certificate.results)
      results.Push(CheckedResultToJson(result));
    item.Set("results", std::move(results));
    item.Set("entered_by", certificate.entered_by);
    item.Set("entered_at", TimeToJson(certificate.entered_at));
    certificates.Push(std::move(item));
  }
  json.Set("certificates", std::move(certificates));
  Json tests = Json::MakeArray();
  for (const IdentityTest& test : lot.identity_tests) {
    Json item = Json::MakeObject();
    item.Set("passed", test.passed);
    item.Set("method", test.method);
    item.Set("comment", test.comment);
    item.Set("performed_by", test.performed_by);
    item.Set("at", TimeToJson(test.at));
    tests.Push(std::move(item));
  }
  json.Set("identity_tests", std::move(tests));
  return json;
}

Result<LotState> LotFromJson(const Json& json) {
  const JsonFields fields(json, "lot");
  LotState lot;
  lot.exists = true;
  ALIQUOT_ASSIGN_OR_RETURN(lot.id, fields.String("id"));
  const JsonFields named(json, "lot " + lot.id);
  ALIQUOT_ASSIGN_OR_RETURN(const std::string kind, named.String("kind"));
  const std::optional<LotKind> parsed_kind = LotKindFromName(kind);
  if (!parsed_kind) return Unexpected(named.Corrupt("unknown kind " + kind));
  lot.kind = *parsed_kind;
  ALIQUOT_ASSIGN_OR_RETURN(lot.material, named.String("material"));
  ALIQUOT_ASSIGN_OR_RETURN(lot.unit, named.String("unit"));
  ALIQUOT_ASSIGN_OR_RETURN(lot.receiving_code, named.String("receiving_code"));
  ALIQUOT_ASSIGN_OR_RETURN(lot.storage_location, named.String("storage_location"));
  ALIQUOT_ASSIGN_OR_RETURN(lot.received_at, named.Time("received_at"));
  ALIQUOT_ASSIGN_OR_RETURN(lot.received_by, named.String("received_by"));
  ALIQUOT_ASSIGN_OR_RETURN(lot.expiry, named.Time("expiry"));
  ALIQUOT_ASSIGN_OR_RETURN(lot.supplier, named.String("supplier"));
  ALIQUOT_ASSIGN_OR_RETURN(lot.supplier_lot, named.String("supplier_lot"));
  if (const Json* object = json.Find("collection"); object != nullptr) {
    const JsonFields c(*object, "lot " + lot.id + " collection");
    Collection collection;
    ALIQUOT_ASSIGN_OR_RETURN(collection.donor_code, c.String("donor_code"));
    ALIQUOT_ASSIGN_OR_RETURN(collection.collection_facility, c.String("collection_facility"));
    ALIQUOT_ASSIGN_OR_RETURN(collection.collected_at, c.Time("collected_at"));
    ALIQUOT_ASSIGN_OR_RETURN(collection.shipping_min_c, c.Number("shipping_min_c"));
    ALIQUOT_ASSIGN_OR_RETURN(collection.shipping_max_c, c.Number("shipping_max_c"));
    ALIQUOT_ASSIGN_OR_RETURN(collection.logger_file_sha256, c.OptionalString("logger_file_sha256"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string eligibility, c.String("eligibility"));
    const std::optional<Eligibility> parsed_eligibility = EligibilityFromName(eligibility);
    if (!parsed_eligibility) return Unexpected(c.Corrupt("unknown eligibility " + eligibility));
    collection.eligibility = *parsed_eligibility;
    ALIQUOT_ASSIGN_OR_RETURN(collection.determined_at, c.OptionalTime("determined_at"));
    ALIQUOT_ASSIGN_OR_RETURN(collection.determined_by, c.String("determined_by"));
    ALIQUOT_ASSIGN_OR_RETURN(collection.eligibility_basis, c.String("eligibility_basis"));
    lot.collection = std::move(collection);
  }
  ALIQUOT_ASSIGN_OR_RETURN(lot.made_by_batch, named.OptionalString("made_by_batch"));
  ALIQUOT_ASSIGN_OR_RETURN(lot.patient_code, named.OptionalString("patient_code"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t quantity, named.Integer("quantity"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t consumed, named.Integer("consumed"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t withdrawn, named.Integer("withdrawn"));
  lot.quantity = Amount::FromMillionths(quantity);
  lot.consumed = Amount::FromMillionths(consumed);
  lot.withdrawn = Amount::FromMillionths(withdrawn);
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* containers, named.Array("containers"));
  for (const Json& item : *containers) {
    const JsonFields c(item, "lot " + lot.id + " container");
    Container container;
    ALIQUOT_ASSIGN_OR_RETURN(container.id, c.String("id"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t initial, c.Integer("initial"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t balance, c.Integer("balance"));
    container.initial = Amount::FromMillionths(initial);
    container.balance = Amount::FromMillionths(balance);
    lot.containers.push_back(std::move(container));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* statuses, named.Array("statuses"));
  for (const Json& item : *statuses) {
    const JsonFields s(item, "lot " + lot.id + " status");
    StatusChange change;
    ALIQUOT_ASSIGN_OR_RETURN(const std::string status, s.String("status"));
    const std::optional<LotStatus> parsed_status = LotStatusFromName(status);
    if (!parsed_status) return Unexpected(s.Corrupt("unknown status " + status));
    change.status = *parsed_status;
    ALIQUOT_ASSIGN_OR_RETURN(change.at, s.Time("at"));
    ALIQUOT_ASSIGN_OR_RETURN(change.by, s.String("by"));
    ALIQUOT_ASSIGN_OR_RETURN(change.comment, s.String("comment"));
    lot.statuses.push_back(std::move(change));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* certificates, named.Array("certificates"));
  for (const Json& item : *certificates) {
    const JsonFields c(item, "lot " + lot.id + " certificate");
    Certificate certificate;
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t number, c.Integer("number"));
    certificate.number = static_cast<int>(number);
    ALIQUOT_ASSIGN_OR_RETURN(certificate.certificate_number, c.String("certificate_number"));
    ALIQUOT_ASSIGN_OR_RETURN(certificate.file_sha256, c.OptionalString("file_sha256"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::int64_t spec_version, c.Integer("spec_version"));
    certificate.spec_version = static_cast<int>(spec_version);
    ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* results, c.Array("results"));
    for (const Json& result : *results) {
      ALIQUOT_ASSIGN_OR_RETURN(CheckedResult checked, CheckedResultFromJson(result));
      certificate.results.push_back(std::move(checked));
    }
    ALIQUOT_ASSIGN_OR_RETURN(certificate.entered_by, c.String("entered_by"));
    ALIQUOT_ASSIGN_OR_RETURN(certificate.entered_at, c.Time("entered_at"));
    lot.certificates.push_back(std::move(certificate));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const Json::Array* tests, named.Array("identity_tests"));
  for (const Json& item : *tests) {
    const JsonFields t(item, "lot " + lot.id + " identity test");
    IdentityTest test;
    ALIQUOT_ASSIGN_OR_RETURN(test.passed, t.Bool("passed"));
    ALIQUOT_ASSIGN_OR_RETURN(test.method, t.String("method"));
    ALIQUOT_ASSIGN_OR_RETURN(test.comment, t.String("comment"));
    ALIQUOT_ASSIGN_OR_RETURN(test.performed_by, t.String("performed_by"));
    ALIQUOT_ASSIGN_OR_RETURN(test.at, t.Time("at"));
    lot.identity_tests.push_back(std::move(test));
  }
  return lot;
}

}  // namespace aliquot::materials
