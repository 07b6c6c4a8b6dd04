// SqlRow: the current row of a result, as either engine's cursor presents it, so that events,
// checkpoints and projection rows are decoded by one piece of code.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "aliquot/app/projection.h"
#include "aliquot/core/sha256.h"
#include "aliquot/ledger/checkpoint.h"
#include "aliquot/ledger/event.h"

namespace aliquot::storage {

class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual std::int64_t Int64(int column) const = 0;
  virtual std::string_view Text(int column) const = 0;
  virtual std::span<const std::uint8_t> Blob(int column) const = 0;
  virtual bool IsNull(int column) const = 0;
  // A projection cell of the declared type. A cell edited behind the system's back to another
  // type comes back as text, so verify reports the difference rather than failing to read it.
  virtual app::Value Value(int column, app::ColumnType type) const = 0;
};

// A hash column. One of the wrong length was edited behind our back: what fits is kept, so verify
// reports a hash mismatch at that event rather than the store refusing to read it.
Hash256 ReadHash(const SqlRow& row, int column);

// Reads a row of sql::kEventColumns into `event`, reusing its strings' storage.
void ReadEvent(const SqlRow& row, ledger::Event& event);

// Reads a row of sql::kSelectCheckpoints.
ledger::Checkpoint ReadCheckpoint(const SqlRow& row);

// Reads a row of `table`'s columns, in its column order.
app::Row ReadProjectionRow(const SqlRow& row, const app::TableSpec& table);

}  // namespace aliquot::storage
