#include "aliquot/app/batch_records.h"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include "aliquot/core/mutex.h"
#include "aliquot/ledger/payload.h"

namespace aliquot::app {
namespace {

using batches::BatchException;
using batches::BatchState;
using batches::EntryRecord;
using batches::Refusal;

// A batch's identity, status and counters: the row every event rewrites, kept small.
const TableSpec& BatchesTable() {
  static const TableSpec kTable{"batches",
                                {{"batch_id", ColumnType::kText},
                                 {"product_id", ColumnType::kText},
                                 {"mbr_id", ColumnType::kText},
                                 {"version", ColumnType::kInteger},
                                 {"status", ColumnType::kText},
                                 {"created_at", ColumnType::kInteger},
                                 {"lines", ColumnType::kInteger},
                                 {"entries", ColumnType::kInteger},
                                 {"refusals", ColumnType::kInteger},
                                 {"exceptions", ColumnType::kInteger}},
                                1};
  return kTable;
}

// The rest of the batch's state, every begun step summarised (batches::BatchHeaderToJson): a few
// KB, rewritten only when an event changes it.
const TableSpec& HeadersTable() {
  static const TableSpec kTable{
      "batch_headers", {{"batch_id", ColumnType::kText}, {"state", ColumnType::kText}}, 1};
  return kTable;
}

// Each started step of a batch, whole; the batch's own row holds every step's summary.
const TableSpec& StepsTable() {
  static const TableSpec kTable{"batch_steps",
                                {{"batch_id", ColumnType::kText},
                                 {"step", ColumnType::kText},
                                 {"execution", ColumnType::kText}},
                                2};
  return kTable;
}

const TableSpec& BatchYearsTable() {
  static const TableSpec kTable{
      "batch_years", {{"year", ColumnType::kInteger}, {"batches", ColumnType::kInteger}}, 1};
  return kTable;
}

// Every event of a batch's stream, numbered from 1 in the batch: the executed record's lines.
const TableSpec& LinesTable() {
  static const TableSpec kTable{"batch_lines",
                                {{"batch_id", ColumnType::kText},
                                 {"line", ColumnType::kInteger},
                                 {"seq", ColumnType::kInteger},
                                 {"event_type", ColumnType::kText},
                                 {"time", ColumnType::kInteger},
                                 {"actor_id", ColumnType::kText},
                                 {"actor_name", ColumnType::kText},
                                 {"terminal", ColumnType::kText},
                                 {"payload", ColumnType::kText}},
                                2};
  return kTable;
}

const TableSpec& EntriesTable() {
  static const TableSpec kTable{"batch_entries",
                                {{"batch_id", ColumnType::kText},
                                 {"number", ColumnType::kInteger},
                                 {"entry", ColumnType::kText}},
                                2};
  return kTable;
}

const TableSpec& RefusalsTable() {
  static const TableSpec kTable{"batch_refusals",
                                {{"batch_id", ColumnType::kText},
                                 {"number", ColumnType::kInteger},
                                 {"refusal", ColumnType::kText}},
                                2};
  return kTable;
}

const TableSpec& ExceptionsTable() {
  static const TableSpec kTable{"batch_exceptions",
                                {{"batch_id", ColumnType::kText},
                                 {"key", ColumnType::kText},
                                 {"ordinal", ColumnType::kInteger},
                                 {"exception", ColumnType::kText}},
                                2};
  return kTable;
}

const TableSpec& RequestsTable() {
  static const TableSpec kTable{"batch_requests",
                                {{"request_key", ColumnType::kText},
                                 {"batch_id", ColumnType::kText},
                                 {"request_sha256", ColumnType::kText},
                                 {"seq", ColumnType::kInteger},
                                 {"outcome", ColumnType::kText}},
                                1};
  return kTable;
}

int YearOf(Timestamp time) { return std::stoi(time.ToRfc3339().substr(0, 4)); }

Result<Json> ParseStored(const std::string& text, const std::string& what) {
  auto json = ParseJson(text);
  if (!json) return Unexpected(DataLoss(what + " does not read back: " + json.error().Message()));
  return json;
}

// Who and when, written beside a record's own members so that a row stands on its own.
void SetOrigin(Json& json, const ledger::Event& event) {
  json.Set("at", event.time.Micros());
  json.Set("by", event.actor.id);
  json.Set("by_name", event.actor.name);
  json.Set("terminal", event.terminal);
}

struct Origin {
  Timestamp at;
  std::string by;
  std::string by_name;
  std::string terminal;
};

Result<Origin> ReadOrigin(const Json& json, const std::string& what) {
  Origin origin;
  const Json* at = json.Find("at");
  const Json* by = json.Find("by");
  const Json* by_name = json.Find("by_name");
  const Json* terminal = json.Find("terminal");
  if (at == nullptr || !at->AsInteger() || by == nullptr || !by->IsString() || by_name == nullptr ||
      !by_name->IsString() || terminal == nullptr || !terminal->IsString()) {
    return Unexpected(DataLoss(what + " has no origin"));
  }
  origin.at = Timestamp::FromMicros(*at->AsInteger());
  origin.by = by->AsString();
  origin.by_name = by_name->AsString();
  origin.terminal = terminal->AsString();
  return origin;
}

Result<EntryRecord> DecodeEntry(const Row& row) {
  const std::string what = "batch " + Text(row, 0) + " entry " + std::to_string(Int(row, 1));
  ALIQUOT_ASSIGN_OR_RETURN(const Json json, ParseStored(Text(row, 2), what));
  ALIQUOT_ASSIGN_OR_RETURN(EntryRecord entry, batches::EntryFromJson(json));
  ALIQUOT_ASSIGN_OR_RETURN(const Origin origin, ReadOrigin(json, what));
  entry.at = origin.at;
  entry.by = origin.by;
  entry.by_name = origin.by_name;
  entry.terminal = origin.terminal;
  return entry;
}

Result<Refusal> DecodeRefusal(const Row& row) {
  const std::string what = "batch " + Text(row, 0) + " refusal " + std::to_string(Int(row, 1));
  ALIQUOT_ASSIGN_OR_RETURN(const Json json, ParseStored(Text(row, 2), what));
  ALIQUOT_ASSIGN_OR_RETURN(Refusal refusal, batches::RefusalFromJson(json));
  ALIQUOT_ASSIGN_OR_RETURN(const Origin origin, ReadOrigin(json, what));
  refusal.at = origin.at;
  refusal.by = origin.by;
  refusal.terminal = origin.terminal;
  return refusal;
}

Result<BatchException> DecodeException(const Row& row) {
  const std::string what = "batch " + Text(row, 0) + " exception " + Text(row, 1);
  ALIQUOT_ASSIGN_OR_RETURN(const Json json, ParseStored(Text(row, 3), what));
  ALIQUOT_ASSIGN_OR_RETURN(BatchException exception, batches::ExceptionFromJson(json));
  const Json* at = json.Find("at");
  if (at == nullptr || !at->AsInteger()) return Unexpected(DataLoss(what + " has no time"));
  exception.at = Timestamp::FromMicros(*at->AsInteger());
  return exception;
}

Result<batches::StepExecution> DecodeStep(const Row& row) {
  const std::string what = "batch " + Text(row, 0) + " step " + Text(row, 1);
  ALIQUOT_ASSIGN_OR_RETURN(const Json json, ParseStored(Text(row, 2), what));
  return batches::StepExecutionFromJson(json, what);
}

batches::BatchCounts CountsFrom(const Row& batch) {
  return {static_cast<int>(Int(batch, 7)), static_cast<int>(Int(batch, 8)),
          static_cast<int>(Int(batch, 9))};
}

// `batch` is the batch's row and `header` its header's.
Result<BatchState> DecodeState(const Row& batch, const Row& header) {
  ALIQUOT_ASSIGN_OR_RETURN(const Json json,
                           ParseStored(Text(header, 1), "batch " + Text(batch, 0)));
  return batches::BatchHeaderFromJson(json, CountsFrom(batch));
}

Json OutcomeJson(const RequestOutcome& outcome) {
  Json json = Json::MakeObject();
  Json entries = Json::MakeArray();
  for (int entry : outcome.entries) entries.Push(entry);
  json.Set("entries", std::move(entries));
  json.Set("deviations", JsonStrings(outcome.deviations));
  if (outcome.refusal) json.Set("refusal", *outcome.refusal);
  return json;
}

// Decoded rows a projector keeps between events, each beside the text its row was written with.
// The row is the truth: a value is taken only while its row still holds that text, so a rolled-back
// commit, a rebuild or a row written by another store's projector is decoded afresh.
template <typename T>
class KeptRows {
 public:
  // Moves the value kept for `key` into `value` if it was kept with `text`.
  bool Take(const std::string& key, const std::string& text, T& value) {
    MutexLock lock(mutex_);
    const auto kept = rows_.find(key);
    if (kept == rows_.end() || kept->second.text != text) return false;
    value = std::move(kept->second.value);
    rows_.erase(kept);
    return true;
  }

  void Keep(const std::string& key, std::string text, T value) {
    MutexLock lock(mutex_);
    // The batches in progress fit many times over; past that, starting afresh costs one decode
    // per batch.
    if (rows_.size() >= kLimit) rows_.clear();
    rows_.insert_or_assign(key, Kept{std::move(text), std::move(value)});
  }

 private:
  static constexpr std::size_t kLimit = 1024;
  struct Kept {
    std::string text;
    T value;
  };
  Mutex mutex_;
  std::unordered_map<std::string, Kept> rows_ GUARDED_BY(mutex_);
};

class BatchesProjector final : public Projector {
 public:
  const std::vector<TableSpec>& Tables() const override {
    static const std::vector<TableSpec> kTables{
        BatchesTable(), HeadersTable(),  StepsTable(),      BatchYearsTable(), LinesTable(),
        EntriesTable(), RefusalsTable(), ExceptionsTable(), RequestsTable()};
    return kTables;
  }

  // An entry's event is applied to the batch's header and the step it records on. Both are kept
  // decoded between events (KeptRows), and the header is rewritten only when it changes: an entry
  // on a running batch rewrites its counters' row and its step's row, not the header.
  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    if (event.stream.type != "batch" || !event.event_type.starts_with("batch.")) return {};
    ALIQUOT_ASSIGN_OR_RETURN(const ledger::PayloadReader payload,
                             ledger::PayloadReader::Parse(event));
    const std::string& id = event.stream.id;
    BatchState state;
    std::string header_text;
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, writer.Get(BatchesTable(), {id}));
    if (row) {
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> header, writer.Get(HeadersTable(), {id}));
      if (!header) return Unexpected(DataLoss("batch " + id + " has no header"));
      header_text = Text(*header, 1);
      if (headers_.Take(id, header_text, state)) {
        const batches::BatchCounts counts = CountsFrom(*row);
        state.entries = counts.entries;
        state.refusals = counts.refusals;
        state.exceptions = counts.exceptions;
      } else {
        ALIQUOT_ASSIGN_OR_RETURN(state, DecodeState(*row, *header));
      }
    } else if (event.event_type == batches::kBatchCreated) {
      const int year = YearOf(event.time);
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> count,
                               writer.Get(BatchYearsTable(), {std::int64_t{year}}));
      ALIQUOT_RETURN_IF_ERROR(
          writer.Upsert(BatchYearsTable(), {std::int64_t{year}, (count ? Int(*count, 1) : 0) + 1}));
    }
    // The steps the event changes are read and written whole; the others stay summaries.
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> touched,
                             batches::StepsTouchedBy(payload));
    for (const std::string& step : touched) {
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> step_row,
                               writer.Get(StepsTable(), {id, step}));
      if (!step_row) continue;
      if (!steps_.Take(StepKey(id, step), Text(*step_row, 2), state.steps[step])) {
        ALIQUOT_ASSIGN_OR_RETURN(state.steps[step], DecodeStep(*step_row));
      }
    }
    ALIQUOT_RETURN_IF_ERROR(batches::ApplyBatchEvent(state, event, payload));
    for (const std::string& step : touched) {
      const auto execution = state.steps.find(step);
      if (execution == state.steps.end()) continue;
      std::string text = CanonicalJson(batches::StepExecutionToJson(execution->second));
      ALIQUOT_RETURN_IF_ERROR(writer.Upsert(StepsTable(), {id, step, text}));
      // The header keeps the step's summary, as it reads back.
      steps_.Keep(StepKey(id, step), std::move(text),
                  std::exchange(execution->second, batches::StepSummary(execution->second)));
    }
    std::string text = CanonicalJson(batches::BatchHeaderToJson(state));
    if (!row || text != header_text) {
      ALIQUOT_RETURN_IF_ERROR(writer.Upsert(HeadersTable(), {id, text}));
    }
    // The executed record's line number: the count of the batch's events.
    const std::int64_t line = (row ? Int(*row, 6) : 0) + 1;
    ALIQUOT_RETURN_IF_ERROR(writer.Upsert(
        BatchesTable(), {id, state.product, state.master_batch_record, std::int64_t{state.version},
                         std::string(batches::BatchStatusName(state.status)),
                         state.created_at.Micros(), line, std::int64_t{state.entries},
                         std::int64_t{state.refusals}, std::int64_t{state.exceptions}}));
    ALIQUOT_RETURN_IF_ERROR(writer.Upsert(
        LinesTable(),
        {id, line, static_cast<std::int64_t>(event.seq), event.event_type, event.time.Micros(),
         event.actor.id, event.actor.name, event.terminal, event.payload}));
    RequestOutcome outcome;
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<EntryRecord> entries,
                             batches::EntriesOf(event, payload));
    for (const EntryRecord& entry : entries) {
      Json json = batches::EntryToJson(entry);
      SetOrigin(json, event);
      ALIQUOT_RETURN_IF_ERROR(
          writer.Upsert(EntriesTable(), {id, std::int64_t{entry.number}, CanonicalJson(json)}));
      outcome.entries.push_back(entry.number);
    }
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Refusal> refusal,
                             batches::RefusalOf(event, payload));
    if (refusal) {
      Json json = batches::RefusalToJson(*refusal);
      SetOrigin(json, event);
      ALIQUOT_RETURN_IF_ERROR(
          writer.Upsert(RefusalsTable(), {id, std::int64_t{refusal->number}, CanonicalJson(json)}));
      outcome.refusal = refusal->number;
    }
    ALIQUOT_ASSIGN_OR_RETURN(const std::vector<BatchException> exceptions,
                             batches::ExceptionsOf(event, payload));
    int ordinal = state.exceptions - static_cast<int>(exceptions.size());
    for (const BatchException& exception : exceptions) {
      Json json = batches::ExceptionToJson(exception);
      json.Set("at", event.time.Micros());
      ALIQUOT_RETURN_IF_ERROR(writer.Upsert(
          ExceptionsTable(), {id, exception.key, std::int64_t{++ordinal}, CanonicalJson(json)}));
    }
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<batches::ExceptionReview> review,
                             batches::ReviewOf(event, payload));
    if (review) ALIQUOT_RETURN_IF_ERROR(MarkReviewed(id, *review, writer));
    if (const Json* deviations = payload.Find("deviations"); deviations != nullptr) {
      for (const Json& deviation : deviations->AsArray()) {
        outcome.deviations.push_back(deviation.AsString());
      }
    }
    ALIQUOT_RETURN_IF_ERROR(RecordRequest(event, payload, std::move(outcome), writer));
    headers_.Keep(id, std::move(text), std::move(state));
    return {};
  }

 private:
  static std::string StepKey(const std::string& batch, const std::string& step) {
    return batch + '\n' + step;
  }

  mutable KeptRows<BatchState> headers_;
  mutable KeptRows<batches::StepExecution> steps_;

  static Status MarkReviewed(const std::string& id, const batches::ExceptionReview& review,
                             ProjectionWriter& writer) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                             writer.Get(ExceptionsTable(), {id, review.key}));
    if (!row) {
      return Unexpected(DataLoss("batch " + id + ": review of unknown exception " + review.key));
    }
    ALIQUOT_ASSIGN_OR_RETURN(
        Json json, ParseStored(Text(*row, 3), "batch " + id + " exception " + review.key));
    json.Set("reviewed_at", review.at.Micros());
    json.Set("reviewed_by", review.by);
    json.Set("review_comment", review.comment);
    return writer.Upsert(ExceptionsTable(), {id, review.key, Int(*row, 2), CanonicalJson(json)});
  }

  // The outcome of the request the event was decided for, merged over the events of one request.
  static Status RecordRequest(const ledger::Event& event, const ledger::PayloadReader& payload,
                              RequestOutcome outcome, ProjectionWriter& writer) {
    const Json* key = payload.Find(batches::kRequestMember);
    if (key == nullptr) return {};
    if (!key->IsString()) return Unexpected(payload.Corrupt("request is not text"));
    ALIQUOT_ASSIGN_OR_RETURN(const std::string sha, payload.String(batches::kRequestShaMember));
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                             writer.Get(RequestsTable(), {key->AsString()}));
    std::int64_t seq = static_cast<std::int64_t>(event.seq);
    if (row) {
      // Events of one request are sealed together; a later request reusing the key was refused
      // before deciding anything, so a row from another batch or request means a corrupt ledger.
      if (Text(*row, 1) != event.stream.id || Text(*row, 2) != sha) {
        return Unexpected(payload.Corrupt("request key " + key->AsString() + " reused"));
      }
      seq = Int(*row, 3);
      ALIQUOT_ASSIGN_OR_RETURN(const std::optional<RequestOutcome> earlier, LoadOutcomeRow(*row));
      outcome.entries.insert(outcome.entries.begin(), earlier->entries.begin(),
                             earlier->entries.end());
      outcome.deviations.insert(outcome.deviations.begin(), earlier->deviations.begin(),
                                earlier->deviations.end());
      if (!outcome.refusal) outcome.refusal = earlier->refusal;
    }
    return writer.Upsert(RequestsTable(), {key->AsString(), event.stream.id, sha, seq,
                                           CanonicalJson(OutcomeJson(outcome))});
  }

 public:
  static Result<std::optional<RequestOutcome>> LoadOutcomeRow(const Row& row) {
    RequestOutcome outcome;
    outcome.batch = Text(row, 1);
    outcome.request_sha256 = Text(row, 2);
    ALIQUOT_ASSIGN_OR_RETURN(const Json json, ParseStored(Text(row, 4), "request " + Text(row, 0)));
    const Json* entries = json.Find("entries");
    const Json* deviations = json.Find("deviations");
    if (entries == nullptr || !entries->IsArray() || deviations == nullptr ||
        !deviations->IsArray()) {
      return Unexpected(DataLoss("request " + Text(row, 0) + " has no outcome"));
    }
    for (const Json& entry : entries->AsArray()) {
      outcome.entries.push_back(static_cast<int>(entry.AsInteger().value_or(0)));
    }
    for (const Json& deviation : deviations->AsArray()) {
      outcome.deviations.push_back(deviation.AsString());
    }
    if (const Json* refusal = json.Find("refusal"); refusal != nullptr) {
      outcome.refusal = static_cast<int>(refusal->AsInteger().value_or(0));
    }
    return std::optional<RequestOutcome>(std::move(outcome));
  }
};

}  // namespace

std::unique_ptr<Projector> MakeBatchesProjector() { return std::make_unique<BatchesProjector>(); }

Result<BatchState> LoadBatch(StoreReader& reader, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(BatchState state, LoadBatchHeader(reader, id));
  if (!state.exists) return state;
  ALIQUOT_RETURN_IF_ERROR(
      reader.ScanRowsWithPrefix(StepsTable(), {id}, [&](const Row& row) -> Status {
        ALIQUOT_ASSIGN_OR_RETURN(state.steps[Text(row, 1)], DecodeStep(row));
        return {};
      }));
  return state;
}

Result<BatchState> LoadBatchHeader(StoreReader& reader, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> batch, reader.GetRow(BatchesTable(), {id}));
  if (!batch) return BatchState();
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> header, reader.GetRow(HeadersTable(), {id}));
  if (!header) return Unexpected(DataLoss("batch " + id + " has no header"));
  return DecodeState(*batch, *header);
}

Result<BatchState> LoadBatchWith(StoreReader& reader, const std::string& id,
                                 const std::vector<std::string>& steps) {
  ALIQUOT_ASSIGN_OR_RETURN(BatchState state, LoadBatchHeader(reader, id));
  if (!state.exists) return state;
  ALIQUOT_RETURN_IF_ERROR(LoadStepsInto(reader, state, steps));
  return state;
}

Status LoadStepsInto(StoreReader& reader, BatchState& state,
                     const std::vector<std::string>& steps) {
  for (const std::string& step : steps) {
    ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                             reader.GetRow(StepsTable(), {state.id, step}));
    if (row) {
      ALIQUOT_ASSIGN_OR_RETURN(state.steps[step], DecodeStep(*row));
    }
  }
  return {};
}

Result<std::vector<BatchState>> LoadBatchHeaders(StoreReader& reader) {
  std::map<std::string, Row> rows;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(BatchesTable(), [&](const Row& row) -> Status {
    rows.emplace(Text(row, 0), row);
    return {};
  }));
  std::vector<BatchState> all;
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRows(HeadersTable(), [&](const Row& header) -> Status {
    const auto row = rows.find(Text(header, 0));
    if (row == rows.end()) return Unexpected(DataLoss("header of no batch " + Text(header, 0)));
    ALIQUOT_ASSIGN_OR_RETURN(BatchState state, DecodeState(row->second, header));
    all.push_back(std::move(state));
    return {};
  }));
  if (all.size() != rows.size()) return Unexpected(DataLoss("a batch has no header"));
  std::stable_sort(all.begin(), all.end(), [](const BatchState& a, const BatchState& b) {
    return a.created_at < b.created_at;
  });
  return all;
}

Result<int> BatchesCreatedIn(StoreReader& reader, int year) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                           reader.GetRow(BatchYearsTable(), {std::int64_t{year}}));
  return row ? static_cast<int>(Int(*row, 1)) : 0;
}

Result<std::vector<BatchLine>> LoadBatchLines(StoreReader& reader, const std::string& batch) {
  std::vector<BatchLine> lines;
  RowRange range;
  range.prefix = {batch};
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRowRange(LinesTable(), range, [&](const Row& row) -> Status {
    BatchLine line;
    line.line = static_cast<int>(Int(row, 1));
    line.seq = static_cast<std::uint64_t>(Int(row, 2));
    line.event_type = Text(row, 3);
    line.time = Timestamp::FromMicros(Int(row, 4));
    line.actor = Text(row, 5);
    line.actor_name = Text(row, 6);
    line.terminal = Text(row, 7);
    ALIQUOT_ASSIGN_OR_RETURN(
        line.payload,
        ParseStored(Text(row, 8), "batch " + batch + " line " + std::to_string(line.line)));
    lines.push_back(std::move(line));
    return {};
  }));
  return lines;
}

Result<std::optional<EntryRecord>> LoadEntry(StoreReader& reader, const std::string& batch,
                                             int number) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                           reader.GetRow(EntriesTable(), {batch, std::int64_t{number}}));
  if (!row) return std::optional<EntryRecord>();
  ALIQUOT_ASSIGN_OR_RETURN(EntryRecord entry, DecodeEntry(*row));
  return std::optional<EntryRecord>(std::move(entry));
}

Result<std::vector<EntryRecord>> LoadEntries(StoreReader& reader, const std::string& batch) {
  std::vector<EntryRecord> entries;
  RowRange range;
  range.prefix = {batch};
  ALIQUOT_RETURN_IF_ERROR(reader.ScanRowRange(EntriesTable(), range, [&](const Row& row) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(EntryRecord entry, DecodeEntry(row));
    entries.push_back(std::move(entry));
    return {};
  }));
  return entries;
}

Result<std::optional<Refusal>> LoadRefusal(StoreReader& reader, const std::string& batch,
                                           int number) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row,
                           reader.GetRow(RefusalsTable(), {batch, std::int64_t{number}}));
  if (!row) return std::optional<Refusal>();
  ALIQUOT_ASSIGN_OR_RETURN(Refusal refusal, DecodeRefusal(*row));
  return std::optional<Refusal>(std::move(refusal));
}

Result<std::vector<Refusal>> LoadRefusals(StoreReader& reader, const std::string& batch) {
  std::vector<Refusal> refusals;
  RowRange range;
  range.prefix = {batch};
  ALIQUOT_RETURN_IF_ERROR(
      reader.ScanRowRange(RefusalsTable(), range, [&](const Row& row) -> Status {
        ALIQUOT_ASSIGN_OR_RETURN(Refusal refusal, DecodeRefusal(row));
        refusals.push_back(std::move(refusal));
        return {};
      }));
  return refusals;
}

Result<std::vector<BatchException>> LoadExceptions(StoreReader& reader, const std::string& batch) {
  std::vector<std::pair<std::int64_t, BatchException>> ordered;
  ALIQUOT_RETURN_IF_ERROR(
      reader.ScanRowsWithPrefix(ExceptionsTable(), {batch}, [&](const Row& row) -> Status {
        ALIQUOT_ASSIGN_OR_RETURN(BatchException exception, DecodeException(row));
        ordered.emplace_back(Int(row, 2), std::move(exception));
        return {};
      }));
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<BatchException> exceptions;
  exceptions.reserve(ordered.size());
  for (auto& [ordinal, exception] : ordered) exceptions.push_back(std::move(exception));
  return exceptions;
}

Result<std::optional<RequestOutcome>> LoadRequestOutcome(StoreReader& reader,
                                                         const std::string& key) {
  ALIQUOT_ASSIGN_OR_RETURN(const std::optional<Row> row, reader.GetRow(RequestsTable(), {key}));
  if (!row) return std::optional<RequestOutcome>();
  return BatchesProjector::LoadOutcomeRow(*row);
}

}  // namespace aliquot::app
