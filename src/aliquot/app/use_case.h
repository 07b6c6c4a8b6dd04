// RunUseCase: the shape of every use case that changes the record. Authorise; decide on one
// consistent snapshot; append the decided events expecting each stream they touch unchanged since
// that snapshot; decide again after a lost race (kAborted), a bounded number of times. A refusal
// the rules decide about who may do what (kPermissionDenied) is recorded like the permission
// check's (P11-07).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/domain/identity/permission.h"
#include "aliquot/ledger/event.h"

namespace aliquot::app {

// What a use case that decides one event returns: `decided.transform(One)`.
inline std::vector<ledger::NewEvent> One(ledger::NewEvent event) {
  std::vector<ledger::NewEvent> events;
  events.push_back(std::move(event));
  return events;
}

// A record cites a file by SHA-256 only once the file is in the store (uploaded first):
// kFailedPrecondition naming `field` otherwise. Nothing when `sha256` is absent.
inline Status CheckCitedFile(BlobStore& blobs, const std::optional<std::string>& sha256,
                             const std::string& field) {
  if (!sha256) return {};
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<BlobInfo> blob, blobs.StatBlob(*sha256));
  if (!blob) {
    return Unexpected(FailedPrecondition("no file with SHA-256 " + sha256->substr(0, 64) +
                                             " was uploaded; upload it first (PUT /api/v1/files/"
                                             "{sha256})",
                                         field));
  }
  return {};
}

// `decide(reader)` returns Result<std::vector<ledger::NewEvent>>; the events it returns are
// appended together. Returns the appended (sealed) events.
template <typename Decide>
Result<std::vector<ledger::Event>> RunUseCase(Store& store, SessionService& sessions,
                                              const RequestContext& context,
                                              identity::Action action, Decide decide) {
  ALIQUOT_RETURN_IF_ERROR(sessions.Authorize(context, action));
  for (int attempt = 1;; ++attempt) {
    AppendRequest request;
    Status decided = store.Read([&](StoreReader& reader) -> Status {
      ALIQUOT_ASSIGN_OR_RETURN(request.events, decide(reader));
      for (const ledger::NewEvent& event : request.events) {
        bool seen = false;
        for (const StreamExpectation& expectation : request.expectations) {
          seen = seen || expectation.stream == event.stream;
        }
        if (seen) continue;
        ALIQUOT_ASSIGN_OR_RETURN(const std::uint64_t head, reader.StreamHead(event.stream));
        request.expectations.push_back({event.stream, head});
      }
      return {};
    });
    if (!decided) {
      if (decided.error().Code() == ErrorCode::kPermissionDenied) {
        return Unexpected(sessions.RecordRefusal(context, action, decided.error()).error());
      }
      return Unexpected(decided.error());
    }
    if (request.events.empty()) return std::vector<ledger::Event>();
    auto appended = store.Append(request);
    if (appended) return appended;
    if (appended.error().Code() != ErrorCode::kAborted || attempt == kAppendAttempts) {
      return Unexpected(appended.error());
    }
  }
}

}  // namespace aliquot::app
