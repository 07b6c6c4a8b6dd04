// Material lots (21 CFR 211.84, 211.184, G-08, G-09; 21 CFR 1271.290, T-01, T-02, T-04; ISA-95 lot
// and sublot, S95-01): a lot received from a supplier, an apheresis collection from a donor, or a
// lot made in house; its containers and balance; its certificate of analysis and identity test;
// its status, quarantine until QA releases or rejects it by e-signature; and the point-of-use check
// every consumption passes: may this lot be used, now, in this quantity, for this material?
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/domain/materials/supplier.h"
#include "aliquot/ledger/event.h"

namespace aliquot::materials {

// An exact quantity in a lot's unit, in millionths, so that a balance is reconciled to the last
// digit: no floating-point sum ever drifts below zero or away from what was received.
class Amount {
 public:
  static constexpr std::int64_t kScale = 1'000'000;
  // The largest quantity accepted, in units: its millionths stay exact in a double (2^53).
  static constexpr double kMax = 1e9;

  constexpr Amount() = default;
  static constexpr Amount FromMillionths(std::int64_t millionths) { return Amount(millionths); }
  // `value` (in the lot's unit) as an Amount. kInvalidArgument naming `field` when it is not
  // finite, negative, above kMax, or finer than a millionth of the unit.
  static Result<Amount> FromUnits(double value, std::string_view field);

  constexpr std::int64_t Millionths() const { return millionths_; }
  double Units() const { return static_cast<double>(millionths_) / kScale; }
  std::string ToString() const;  // "12.5", "0.000001", "3"

  friend constexpr Amount operator+(Amount a, Amount b) {
    return Amount(a.millionths_ + b.millionths_);
  }
  friend constexpr Amount operator-(Amount a, Amount b) {
    return Amount(a.millionths_ - b.millionths_);
  }
  // clang-tidy 14 misreads a defaulted <=> as comparing a pointer with 0.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  friend constexpr auto operator<=>(Amount, Amount) = default;

 private:
  constexpr explicit Amount(std::int64_t millionths) : millionths_(millionths) {}
  std::int64_t millionths_ = 0;
};

// `value` in `unit` as an Amount of `lot_unit`: converted when the two are of one dimension
// (2000 uL of a lot counted in mL is 2), refused when not (kInvalidArgument naming `unit_field`,
// the member that holds the unit); an Amount's own refusals name `field`.
Result<Amount> ToAmount(double value, std::string_view unit, std::string_view lot_unit,
                        std::string_view field, std::string_view unit_field = "unit");

enum class LotKind { kReceived, kCollection, kProduced };
std::string_view LotKindName(LotKind kind);  // "received", "collection", "produced"
std::optional<LotKind> LotKindFromName(std::string_view name);

enum class LotStatus { kQuarantine, kReleased, kRejected };
std::string_view LotStatusName(LotStatus status);  // "quarantine", "released", "rejected"
std::optional<LotStatus> LotStatusFromName(std::string_view name);

struct Container {
  std::string id;  // "<lot>/<n>", n from 1: what its label carries.
  Amount initial;
  Amount balance;
};

struct StatusChange {
  LotStatus status = LotStatus::kQuarantine;
  Timestamp at;
  std::string by;
  std::string comment;
};

// A certificate of analysis as entered: each result checked against the specification in force.
struct Certificate {
  int number = 0;  // 1 for the first entered; a re-entry (with a reason) supersedes it.
  std::string certificate_number;          // As printed by the supplier.
  std::optional<std::string> file_sha256;  // The scanned original in the blob store.
  int spec_version = 0;
  std::vector<CheckedResult> results;
  std::string entered_by;
  Timestamp entered_at;

  // The results out of specification.
  std::vector<const CheckedResult*> OutOfSpecification() const;
};

struct IdentityTest {
  bool passed = false;
  std::string method;  // "FTIR", "SDS-PAGE", "ELISA"
  std::string comment;
  std::string performed_by;
  Timestamp at;
};

enum class Eligibility { kPending, kEligible, kIneligible };
std::string_view EligibilityName(Eligibility eligibility);  // "pending", "eligible", ...
std::optional<Eligibility> EligibilityFromName(std::string_view name);

// An apheresis collection: the patient's own cells, the starting material of an autologous batch.
struct Collection {
  std::string donor_code;  // A distinct identification code (T-02): never a name or record number.
  std::string collection_facility;
  Timestamp collected_at;
  double shipping_min_c = 0;  // The shipping logger's extremes over the whole trip.
  double shipping_max_c = 0;
  std::optional<std::string> logger_file_sha256;
  Eligibility eligibility = Eligibility::kPending;
  std::optional<Timestamp> determined_at;
  std::string determined_by;
  std::string eligibility_basis;

  // True when the shipping temperature left 2-8 C at any point of the trip.
  bool ShippingExcursion() const { return shipping_min_c < 2.0 || shipping_max_c > 8.0; }
};

struct LotState {
  bool exists = false;
  std::string id;
  LotKind kind = LotKind::kReceived;
  std::string material;
  std::string unit;  // The material's lot unit at receipt.
  std::string receiving_code;
  std::string storage_location;
  Timestamp received_at;
  std::string received_by;
  Timestamp expiry;
  // Received lots.
  std::string supplier;
  std::string supplier_lot;
  // Collections.
  std::optional<Collection> collection;
  // Produced lots: the batch that made it and the patient a product unit is for.
  std::optional<std::string> made_by_batch;
  std::optional<std::string> patient_code;

  Amount quantity;  // As received or made.
  std::vector<Container> containers;
  Amount consumed;                        // Into batches and other lots.
  Amount withdrawn;                       // Samples, waste, adjustments.
  std::vector<StatusChange> statuses;     // Oldest first; the first is quarantine at receipt.
  std::vector<Certificate> certificates;  // Every entry; the last is the one in force.
  std::vector<IdentityTest> identity_tests;

  Amount Balance() const;
  LotStatus StatusAt(Timestamp at) const;
  LotStatus Status() const {
    return statuses.empty() ? LotStatus::kQuarantine : statuses.back().status;
  }
  const Certificate* CurrentCertificate() const;
  const IdentityTest* LatestIdentityTest() const;
  const Container* FindContainer(std::string_view container_id) const;
};

ledger::StreamRef LotStream(std::string_view lot_id);
// The stream that makes one supplier's lot number unique: a second receipt of it finds it taken.
ledger::StreamRef SupplierLotStream(std::string_view supplier, std::string_view supplier_lot);

// Checks a donor or patient identification code (21 CFR 1271.290(c), T-02): "DIN-" then 6-16
// letters or digits then "-" and an ISO 7064 MOD 37-2 check character over them ("DIN-
// A7Q29K44-X"), so a name, a medical record number or a mistyped code is refused. kInvalidArgument
// naming `field`.
Status CheckDonorCode(std::string_view code, std::string_view field);
// The check character for `body` (letters and digits): what a label printer adds.
char DonorCodeCheckCharacter(std::string_view body);

// A scanned lot label: "L-1" or a container "L-1/2".
struct ScannedLot {
  std::string lot;
  std::optional<std::string> container;  // The whole id "L-1/2" when a container was scanned.
};
Result<ScannedLot> ParseScannedLot(std::string_view text, std::string_view field);

struct LotReceipt {
  std::string id;
  std::string material;
  std::string supplier;
  std::string supplier_lot;
  std::string receiving_code;
  std::string storage_location;
  double quantity = 0;
  std::string unit;
  // The quantity in each container; empty: one container holding it all. Their sum is `quantity`.
  std::vector<double> containers;
  Timestamp expiry;
};
// The receipt of a purchased lot into quarantine: the lot's event and the one registering the
// supplier's lot number. kInvalidArgument naming the field (unknown unit or one not of the
// material's unit's dimension, containers that do not sum to the quantity, expiry at or before
// receipt, a material that is not purchased); kNotFound for an unknown material or supplier;
// kAlreadyExists for a lot id in use or the supplier's lot number already received (as which lot).
Result<std::vector<ledger::NewEvent>> ReceiveLot(const LotState& state, const LotReceipt& receipt,
                                                 const MaterialState& material,
                                                 const SupplierState& supplier,
                                                 const std::optional<std::string>& existing_lot,
                                                 Timestamp now, const ledger::Actor& actor,
                                                 std::string_view terminal);

struct CollectionReceipt {
  std::string id;
  std::string material;  // A starting material.
  std::string donor_code;
  std::string collection_facility;
  Timestamp collected_at;
  double quantity = 0;
  std::string unit;
  double shipping_min_c = 0;
  double shipping_max_c = 0;
  std::optional<std::string> logger_file_sha256;
  std::string receiving_code;
  std::string storage_location;
};
// The receipt of an apheresis collection, in quarantine until the donor's eligibility is determined
// (T-04). It expires the material's shelf life after collection. kInvalidArgument naming the field
// (a donor code that fails its check, a collection time in the future, a collection already past
// its shelf life, shipping temperatures not in order).
Result<ledger::NewEvent> ReceiveCollection(const LotState& state, const CollectionReceipt& receipt,
                                           const MaterialState& material, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal);

struct ProducedLot {
  std::string id;
  std::string material;                     // An intermediate or drug product.
  std::optional<std::string> batch;         // The batch that made it.
  std::optional<std::string> patient_code;  // For a product unit: the code on its label (T-03).
  double quantity = 0;
  std::string unit;
  std::vector<double> containers;
  Timestamp expiry;
  std::string storage_location;
};
// A lot made in house (a prepared medium, a product unit), in quarantine.
Result<ledger::NewEvent> ProduceLot(const LotState& state, const ProducedLot& produced,
                                    const MaterialState& material, Timestamp now,
                                    const ledger::Actor& actor, std::string_view terminal);

struct CertificateInput {
  std::string certificate_number;
  std::optional<std::string> file_sha256;
  std::vector<TestResult> results;
};
// Enters the supplier's certificate of analysis for a received lot in quarantine, each result
// checked against the material's specification; out-of-specification results are recorded with
// the criterion they breach (and the event is marked as an alert). A second entry supersedes the
// first and needs a reason; the first stays in the record. kInvalidArgument naming the result
// ("results[1].unit"): a test the specification does not have, a repeated test, a result of the
// wrong kind or unit. kFailedPrecondition: not a received lot, not in quarantine.
Result<ledger::NewEvent> EnterCertificate(const LotState& state, const CertificateInput& input,
                                          const MaterialState& material, std::string_view reason,
                                          Timestamp now, const ledger::Actor& actor,
                                          std::string_view terminal);

// Records an identity test on receipt (G-09). kFailedPrecondition: not a received lot in
// quarantine.
Result<ledger::NewEvent> RecordIdentityTest(const LotState& state, bool passed,
                                            std::string_view method, std::string_view comment,
                                            Timestamp now, const ledger::Actor& actor,
                                            std::string_view terminal);

// Determines a collection donor's eligibility from screening and testing (T-04), once.
// kFailedPrecondition: not a collection, or already determined.
Result<ledger::NewEvent> DetermineEligibility(const LotState& state, bool eligible,
                                              std::string_view basis, Timestamp now,
                                              const ledger::Actor& actor,
                                              std::string_view terminal);

// Everything that stops QA releasing `lot` at `now`, each a sentence; empty: it may be released.
// Received: in quarantine, not expired, a certificate that has every test of the specification
// and no result out of it, the supplier qualified for the material (G-09), and an identity test
// passed where the material requires one (G-09). Collection: the donor determined eligible
// (T-04). Product unit (drug product): never on its own, but with its batch's disposition.
// `supplier` is null for lots not received from one.
std::vector<std::string> ReleaseBlockers(const LotState& lot, const MaterialState& material,
                                         const SupplierState* supplier, Timestamp now);

// The event QA's signature brings: released (kFailedPrecondition listing every blocker when
// ReleaseBlockers is not empty) or rejected (from quarantine or released: a recall; a comment is
// required, kInvalidArgument field "comment").
Result<ledger::NewEvent> DecideDisposition(const LotState& lot, const MaterialState& material,
                                           const SupplierState* supplier, bool release,
                                           const std::optional<std::string>& comment, Timestamp now,
                                           const ledger::Actor& actor, std::string_view terminal);

// G-04: a product unit's disposition is its batch's, brought by QA's signature on the batch
// record: released from quarantine with the batch (kFailedPrecondition listing every other
// blocker, for example its expiry), rejected with it from quarantine or released. The event names
// the batch. kFailedPrecondition for a lot that is not a product unit made by `batch`, or is
// already in the state the disposition would put it in.
Result<ledger::NewEvent> DisposeWithBatch(const LotState& lot, const MaterialState& material,
                                          std::string_view batch, bool release,
                                          std::string_view comment, Timestamp now,
                                          const ledger::Actor& actor, std::string_view terminal);

// What QA signs: the lot's identity and origin, its certificate, identity test and donor
// eligibility; not its status or balance, so a release stays valid while the lot is used.
Json DispositionContent(const LotState& lot);

// The point-of-use check (G-08, G-09, T-04). Refusals, in the order checked.
enum class UseRefusal {
  kNone,
  kWrongMaterial,         // The lot is of another material than the step expects.
  kNotReleased,           // In quarantine or rejected at `at`.
  kExpired,               // At or past its expiry at `at`.
  kSupplierNotQualified,  // Its supplier was not qualified for the material at `at`.
  kInsufficientQuantity,  // Its balance (or the container's) is short of the quantity.
};
std::string_view UseRefusalName(UseRefusal refusal);  // "supplier_not_qualified"

struct UseCheck {
  UseRefusal refusal = UseRefusal::kNone;
  std::string message;  // For the operator: the lot, the reason and the figures.
  std::string lot;
  std::optional<std::string> container;
  std::string material;  // Expected.
  Timestamp at;
  Amount requested;
  Amount available;

  bool Allowed() const { return refusal == UseRefusal::kNone; }
};

struct UseRequest {
  std::string expected_material;
  std::optional<std::string> container;  // A container id of the lot, or any.
  Amount quantity;                       // In the lot's unit (ToAmount).
  Timestamp at;
};
// May `lot` be consumed as `request` asks? `supplier` is the lot's supplier (null when it has
// none). The balance compared is the one recorded now. kNotFound (field "container") for a
// container the lot does not have; otherwise the answer, allowed or refused with its reason.
Result<UseCheck> CheckUse(const LotState& lot, const SupplierState* supplier,
                          const UseRequest& request);

// Where consumed material goes: into a batch or into another lot (an intermediate).
struct Destination {
  enum class Kind { kBatch, kLot };
  Kind kind = Kind::kBatch;
  std::string id;
};
std::string_view DestinationKindName(Destination::Kind kind);  // "batch", "lot"

// The consumption of an allowed use: drawn from the named container, or from the lot's containers
// in order. ALIQUOT_CHECKs that `check` allowed it for this lot.
ledger::NewEvent Consume(const LotState& lot, const UseCheck& check, const Destination& into,
                         const ledger::Actor& actor, std::string_view terminal);
// The record of a refused attempt: an alert on the lot's stream.
ledger::NewEvent UseRefused(const UseCheck& check, const Destination& into,
                            const ledger::Actor& actor, std::string_view terminal);

enum class WithdrawalPurpose { kSample, kWaste, kAdjustment };
std::optional<WithdrawalPurpose> WithdrawalPurposeFromName(std::string_view name);
// Takes quantity out of a lot other than into a batch: a QC sample, waste, a count adjustment.
// Needs a reason. kFailedPrecondition when the lot or container is short.
Result<ledger::NewEvent> Withdraw(const LotState& lot, const std::optional<std::string>& container,
                                  Amount quantity, WithdrawalPurpose purpose,
                                  std::string_view reason, const ledger::Actor& actor,
                                  std::string_view terminal);

// Folds one event of the lot's stream into its state. kDataLoss when the payload does not read
// back or the balance would not reconcile (received = balance + consumed + withdrawn).
Status ApplyLotEvent(LotState& state, const ledger::Event& event);
Json LotToJson(const LotState& lot);
Result<LotState> LotFromJson(const Json& json);

}  // namespace aliquot::materials
