// EquipmentService: rooms, equipment, its logbook and the equipment check (21 CFR 211.68,
// 211.105(b), 211.182, 211.192; G-04, G-06, G-07, G-10; A11-01). Every entry is recorded at the
// server's now by the signed-in user; entries that permit use again take effect once their
// performer signs them ("performed") and, where the equipment's rules ask, another person verifies
// them ("verified"): record type "logbook_entry", id "<equipment>:<entry>". A calibration found out
// of tolerance raises a deviation listing every batch that used the instrument since its last good
// calibration. Batch execution calls CheckUseIn in-process, in its own snapshot.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/equipment_records.h"
#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/domain/environment/room.h"
#include "aliquot/domain/equipment/equipment.h"
#include "aliquot/domain/quality/deviation.h"

namespace aliquot::app {

// "logbook_entry": "<equipment>:<entry>", performed (by its performer only) and verified (by
// another person, equipment.verify).
SignableRecord LogbookEntryRecord();

// Equipment as shown: its state and room as of the instant asked, and its status then.
struct EquipmentView {
  equipment::EquipmentState state;
  environment::RoomState room;
  equipment::EquipmentStatus status;
};

// What recording an entry did: its number, and the deviation it raised, if any.
struct EntryRecorded {
  int entry = 0;
  std::optional<quality::DeviationState> deviation;
};

struct LogbookPage {
  std::vector<LogbookRow> entries;
  int total = 0;  // Entries in the whole logbook.
};

// The largest logbook page a request reads.
inline constexpr std::size_t kMaxLogbookPage = 500;

// A check as asked: the step's needs and who asks. Default instant: now.
struct EquipmentCheckInput {
  std::optional<equipment::EquipmentClass> required_class;
  std::optional<environment::Grade> required_grade;
  std::string batch;
  std::string product;
  std::string patient_code;
  std::optional<Timestamp> at;
};

class EquipmentService {
 public:
  EquipmentService(Store& store, BlobStore& blobs, Clock& clock, SessionService& sessions);

  // Rooms (equipment.manage to define, equipment.view to read). DefineRoom refuses an unknown
  // site (kNotFound field "site").
  Status DefineRoom(const RequestContext& context, const environment::RoomCommand& command,
                    const std::string& reason);
  Result<std::vector<environment::RoomState>> Rooms(const RequestContext& context);
  Result<environment::RoomState> Room(const RequestContext& context, const std::string& id);

  Status Register(const RequestContext& context, const std::string& id,
                  const equipment::Definition& definition);
  Status Redefine(const RequestContext& context, const std::string& id,
                  const equipment::Definition& definition, const std::string& reason);
  // Every piece of equipment as of `at` (default now); what was not yet registered then is left
  // out.
  Result<std::vector<EquipmentView>> List(const RequestContext& context,
                                          std::optional<Timestamp> at);
  // As of `at` (default now): the state after the last entry recorded by then. kNotFound when it
  // did not exist then.
  Result<EquipmentView> Get(const RequestContext& context, const std::string& id,
                            std::optional<Timestamp> at);
  // Entries with numbers strictly between `after` and `before` (0 and unbounded by default),
  // newest first unless `oldest_first`, at most `limit` (1..kMaxLogbookPage).
  Result<LogbookPage> Logbook(const RequestContext& context, const std::string& id,
                              std::optional<int> after, std::optional<int> before,
                              bool oldest_first, std::size_t limit);
  Result<LogbookRow> Entry(const RequestContext& context, const std::string& id, int number);

  // The equipment check, answering without recording anything (equipment.view).
  Result<equipment::UseCheck> Check(const RequestContext& context, const std::string& id,
                                    const EquipmentCheckInput& input);
  // The same within a snapshot, for batch execution: at `request.at` (the state as it stood
  // then). kNotFound (field "equipment") when there is no such equipment then.
  static Result<equipment::UseCheck> CheckUseIn(StoreReader& reader, const std::string& id,
                                                const equipment::UseRequest& request,
                                                Timestamp now);

  // Starts a use at the server's now. A refusal is recorded in the logbook (an alert) and
  // returned as kFailedPrecondition (field "equipment") with the check's message.
  Result<EntryRecorded> StartUse(const RequestContext& context, const std::string& id,
                                 const equipment::UseInput& input);
  Result<EntryRecorded> EndUse(const RequestContext& context, const std::string& id,
                               const std::string& batch, const std::string& comment);
  Result<EntryRecorded> RecordCleaning(const RequestContext& context, const std::string& id,
                                       const equipment::CleaningInput& input);
  Result<EntryRecorded> RecordMaintenance(const RequestContext& context, const std::string& id,
                                          const equipment::MaintenanceInput& input);
  // Out of tolerance as found: the same transaction raises a deviation listing the batches that
  // used it since its last good calibration.
  Result<EntryRecorded> RecordCalibration(const RequestContext& context, const std::string& id,
                                          const equipment::CalibrationInput& input);
  Result<EntryRecorded> RecordQualification(const RequestContext& context, const std::string& id,
                                            const equipment::QualificationInput& input);
  Result<EntryRecorded> TakeOutOfService(const RequestContext& context, const std::string& id,
                                         const std::string& reason);
  Result<EntryRecorded> ReturnToService(const RequestContext& context, const std::string& id,
                                        const std::string& comment);

  Timestamp Now() const { return clock_.Now(); }

 private:
  Store& store_;
  BlobStore& blobs_;
  Clock& clock_;
  SessionService& sessions_;
};

}  // namespace aliquot::app
