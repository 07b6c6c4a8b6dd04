#include "aliquot/storage/sql/rows.h"

#include <algorithm>

namespace aliquot::storage {

Hash256 ReadHash(const SqlRow& row, int column) {
  Hash256 hash;
  const auto blob = row.Blob(column);
  std::copy_n(blob.begin(), std::min(blob.size(), hash.bytes.size()), hash.bytes.begin());
  return hash;
}

void ReadEvent(const SqlRow& row, ledger::Event& event) {
  event.seq = static_cast<std::uint64_t>(row.Int64(0));
  event.stream.type = row.Text(1);
  event.stream.id = row.Text(2);
  event.event_type = row.Text(3);
  event.payload = row.Text(4);
  event.actor.id = row.Text(5);
  event.actor.name = row.Text(6);
  event.terminal = row.Text(7);
  event.time = Timestamp::FromMicros(row.Int64(8));
  if (row.IsNull(9)) {
    event.reason.reset();
  } else {
    event.reason = std::string(row.Text(9));
  }
  event.prev_hash = ReadHash(row, 10);
  event.hash = ReadHash(row, 11);
}

ledger::Checkpoint ReadCheckpoint(const SqlRow& row) {
  ledger::Checkpoint checkpoint;
  checkpoint.tree_size = static_cast<std::uint64_t>(row.Int64(0));
  checkpoint.root_hash = ReadHash(row, 1);
  checkpoint.time = Timestamp::FromMicros(row.Int64(2));
  checkpoint.key_id = ReadHash(row, 3);
  const auto signature = row.Blob(4);
  std::copy_n(signature.begin(), std::min(signature.size(), checkpoint.signature.size()),
              checkpoint.signature.begin());
  return checkpoint;
}

app::Row ReadProjectionRow(const SqlRow& row, const app::TableSpec& table) {
  app::Row values;
  values.reserve(table.columns.size());
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    values.push_back(row.Value(static_cast<int>(i), table.columns[i].type));
  }
  return values;
}

}  // namespace aliquot::storage
