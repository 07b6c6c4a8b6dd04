// MaterialService: suppliers, materials, lots, certificates and genealogy (21 CFR 211.84, 211.184,
// G-08, G-09; 21 CFR 1271.290, T-01, T-02, T-04). A supplier's change of qualification and a lot's
// release or rejection are e-signatures by QA on the record types "supplier" and "material_lot";
// consuming a lot passes the point-of-use check, and a refused attempt is an event. Batch
// execution calls CheckUseIn in-process, in its own snapshot.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/material_records.h"
#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/domain/materials/genealogy.h"
#include "aliquot/domain/materials/lot.h"

namespace aliquot::app {

// The record types QA signs: "supplier" (<supplier id>: approved / rejected, the proposed change
// of qualification) and "material_lot" (<lot id>: released / rejected).
SignableRecord SupplierRecord();
SignableRecord MaterialLotRecord();

// A lot as shown: its state, what stops its release now, and its balance.
struct LotView {
  materials::LotState lot;
  std::vector<std::string> release_blockers;
};

// A use of a lot as asked: the scanned label, the material the step expects, the quantity in any
// unit of the lot unit's dimension.
struct UseInput {
  std::string scanned;  // "L-1" or a container "L-1/2".
  std::string material;
  double quantity = 0;
  std::string unit;
  std::optional<Timestamp> at;  // Default: now.
};

struct ConsumeInput {
  UseInput use;
  materials::Destination into;
};

struct WithdrawInput {
  std::string scanned;
  double quantity = 0;
  std::string unit;
  materials::WithdrawalPurpose purpose = materials::WithdrawalPurpose::kSample;
  std::string reason;
};

struct GenealogyReport {
  materials::Trace trace;
  std::vector<LotSummary> lots;        // In walk order, with what an investigator asks of each.
  std::vector<std::string> batches;    // In walk order.
  std::vector<std::string> suppliers;  // Distinct, sorted.
  std::vector<std::string> donors;     // Starting material's donor codes, distinct, sorted.
  std::vector<std::string> patients;   // Product units' patient codes, distinct, sorted.
};

// The largest trace a request walks: beyond it the answer says it was truncated.
inline constexpr std::size_t kMaxGenealogyNodes = 100'000;

class MaterialService {
 public:
  MaterialService(Store& store, BlobStore& blobs, Clock& clock, SessionService& sessions);

  Status CreateSupplier(const RequestContext& context, const materials::SupplierCommand& command);
  Status RecordAudit(const RequestContext& context, const std::string& supplier,
                     const materials::AuditCommand& command);
  Status ProposeQualification(const RequestContext& context, const std::string& supplier,
                              const materials::QualificationCommand& command);
  Result<std::vector<materials::SupplierState>> Suppliers(const RequestContext& context);
  Result<materials::SupplierState> Supplier(const RequestContext& context, const std::string& id);

  Status DefineMaterial(const RequestContext& context, const materials::MaterialCommand& command,
                        const std::string& reason);
  Result<std::vector<materials::MaterialState>> Materials(const RequestContext& context);
  Result<materials::MaterialState> Material(const RequestContext& context, const std::string& id);

  Status ReceiveLot(const RequestContext& context, const materials::LotReceipt& receipt);
  Status ReceiveCollection(const RequestContext& context,
                           const materials::CollectionReceipt& receipt);
  // Records a lot made in house, in quarantine. Besides the domain's refusals of the request, the
  // batch it names must exist (kNotFound, field "batch") and not be released or rejected
  // (kFailedPrecondition, field "batch"), and a product unit's patient code must be the batch's
  // chain-of-identity code when it has one (kFailedPrecondition, field "patient_code").
  Status ProduceLot(const RequestContext& context, const materials::ProducedLot& produced);
  Status EnterCertificate(const RequestContext& context, const std::string& lot,
                          const materials::CertificateInput& input, const std::string& reason);
  Status RecordIdentityTest(const RequestContext& context, const std::string& lot, bool passed,
                            const std::string& method, const std::string& comment);
  Status DetermineEligibility(const RequestContext& context, const std::string& lot, bool eligible,
                              const std::string& basis);
  Result<std::vector<LotView>> Lots(const RequestContext& context);
  Result<LotView> Lot(const RequestContext& context, const std::string& id);

  // The point-of-use check, answering without recording anything (material.view).
  Result<materials::UseCheck> CheckUse(const RequestContext& context, const UseInput& input);
  // The same within a snapshot, for batch execution. kNotFound (field "lot") for an unknown lot,
  // kInvalidArgument for a malformed label, quantity or unit.
  static Result<materials::UseCheck> CheckUseIn(StoreReader& reader, const UseInput& input,
                                                Timestamp now);
  // For batch execution, within its snapshot: the lot a label names ("L-1" or "L-1/2"), its
  // material and the point-of-use check of `quantity` `unit` of it now, asked for the lot's own
  // material (whether the step uses that material is the batch's rule). kNotFound (field "lot")
  // for an unknown lot; kInvalidArgument for a malformed label, a quantity of nothing or a unit
  // not of the lot unit's dimension (field "quantity").
  struct LotForUse {
    materials::LotState lot;
    materials::MaterialState material;
    materials::UseCheck check;
  };
  static Result<LotForUse> PrepareUseIn(StoreReader& reader, const std::string& scanned,
                                        double quantity, const std::string& unit, Timestamp now);
  // Consumes a lot into another lot (at the server's now). A refusal is recorded as an event on the
  // lot and returned as kFailedPrecondition with the check's message; the balance never goes
  // negative, however many consume at once. A batch as the destination is bad input
  // (kInvalidArgument, field "into.kind", nothing recorded): a lot goes into a batch through the
  // batch's step (BatchService::ConsumeMaterial).
  Result<materials::UseCheck> Consume(const RequestContext& context, const ConsumeInput& input);
  Status Withdraw(const RequestContext& context, const WithdrawInput& input);

  // Backward from a batch or lot (what went into it) or forward from a lot (where it went), as of
  // `as_of` (default now). `root` is a node key ("batch:B-1", "lot:L-1").
  Result<GenealogyReport> Genealogy(const RequestContext& context, const std::string& root,
                                    materials::Direction direction, std::optional<Timestamp> as_of);
  static Result<GenealogyReport> GenealogyIn(StoreReader& reader, const std::string& root,
                                             materials::Direction direction, Timestamp as_of);

  // The server's now: what "qualified now" and "overdue" in a response are measured against.
  Timestamp Now() const { return clock_.Now(); }

 private:
  Store& store_;
  BlobStore& blobs_;
  Clock& clock_;
  SessionService& sessions_;
};

}  // namespace aliquot::app
