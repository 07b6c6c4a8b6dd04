// Names that reach SQL text: projection tables and columns come from TableSpecs, which are ours,
// but a stray name must never reach a statement unchecked, on either engine.
#pragma once

#include <string_view>

#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"

namespace aliquot::storage {

// Lower-case ASCII letters, digits and '_', starting with a letter, at most 63 bytes (PostgreSQL's
// identifier limit): a name that needs no quoting on either engine.
bool IsSqlName(std::string_view name);

// The store's own tables (and each engine's system prefixes), which no projection may take.
bool IsReservedTable(std::string_view name);

// Returns kInternal (a projector bug) for a table whose name, columns or key are not allowed.
Status CheckTableSpec(const app::TableSpec& table);

}  // namespace aliquot::storage
