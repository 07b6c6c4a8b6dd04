// The batches area's projection, kept from the batch.* events: each batch's state (folded by the
// domain's ApplyBatchEvent, so the projection and the rules cannot disagree), the lines of its
// executed record in order, its entries, refused attempts and exceptions by number or key, and the
// outcome of every request that carried an idempotency key, so that a tablet's retry is answered
// from the record instead of recording twice.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/json.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/batches/batch.h"
#include "aliquot/domain/batches/execution.h"
#include "aliquot/domain/batches/review.h"

namespace aliquot::app {

// Tables: batches (identity, status and counters), batch_headers, batch_steps, batch_years,
// batch_lines, batch_entries, batch_refusals, batch_exceptions, batch_requests.
std::unique_ptr<Projector> MakeBatchesProjector();

// The whole state, with `exists` false when there is none; kDataLoss for a row that does not read
// back.
Result<batches::BatchState> LoadBatch(StoreReader& reader, const std::string& id);
// The state with every step summarised (batches::BatchHeaderToJson): the batch's row and its
// header's, for lists and for decisions that read no step's values.
Result<batches::BatchState> LoadBatchHeader(StoreReader& reader, const std::string& id);
// The header with `steps` whole (those not started yet stay absent): what an action on one step
// reads.
Result<batches::BatchState> LoadBatchWith(StoreReader& reader, const std::string& id,
                                          const std::vector<std::string>& steps);
// Puts `steps` of `state` (a header) back whole, from their rows.
Status LoadStepsInto(StoreReader& reader, batches::BatchState& state,
                     const std::vector<std::string>& steps);
// Every batch's header, oldest first.
Result<std::vector<batches::BatchState>> LoadBatchHeaders(StoreReader& reader);
// How many batches were created in `year`.
Result<int> BatchesCreatedIn(StoreReader& reader, int year);

// One line of the executed record: a batch event as sealed.
struct BatchLine {
  int line = 0;
  std::uint64_t seq = 0;
  std::string event_type;
  Timestamp time;
  std::string actor;
  std::string actor_name;
  std::string terminal;
  Json payload;
};
Result<std::vector<BatchLine>> LoadBatchLines(StoreReader& reader, const std::string& batch);

// Entry `number` of the batch, or nullopt.
Result<std::optional<batches::EntryRecord>> LoadEntry(StoreReader& reader, const std::string& batch,
                                                      int number);
Result<std::vector<batches::EntryRecord>> LoadEntries(StoreReader& reader,
                                                      const std::string& batch);
Result<std::optional<batches::Refusal>> LoadRefusal(StoreReader& reader, const std::string& batch,
                                                    int number);
Result<std::vector<batches::Refusal>> LoadRefusals(StoreReader& reader, const std::string& batch);
// In the order recorded, with their reviews.
Result<std::vector<batches::BatchException>> LoadExceptions(StoreReader& reader,
                                                            const std::string& batch);

// What a request with an idempotency key brought about, as recorded with its first event.
struct RequestOutcome {
  std::string batch;
  std::string request_sha256;
  std::vector<int> entries;
  std::vector<std::string> deviations;
  std::optional<int> refusal;
};
Result<std::optional<RequestOutcome>> LoadRequestOutcome(StoreReader& reader,
                                                         const std::string& key);

}  // namespace aliquot::app
