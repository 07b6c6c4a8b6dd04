#include "bench/support.h"

#include <cstdint>
#include <filesystem>
#include <system_error>

namespace aliquot::bench {

void MustSucceed(const Status& status, const char* what) {
  if (!status) {
    std::fprintf(stderr, "%s: %s\n", what, status.error().Message().c_str());
    ALIQUOT_CHECK(false);
  }
}

void LedgerBuilder::At(Timestamp t) {
  ALIQUOT_CHECK(t >= Now());
  if (t == Now()) return;
  Flush();
  clock_.Set(t);
}

void LedgerBuilder::Add(ledger::NewEvent event) {
  request_.events.push_back(std::move(event));
  if (request_.events.size() >= kEventsPerRequest) Flush();
}

void LedgerBuilder::Flush() {
  if (request_.events.empty()) return;
  events_ += static_cast<std::int64_t>(request_.events.size());
  (void)Must(store_.Append(request_), "appending");
  ++requests_;
  request_.events.clear();
}

const app::TableSpec& TableNamed(const app::Projector& projector, std::string_view name) {
  for (const app::TableSpec& table : projector.Tables()) {
    if (table.name == name) return table;
  }
  std::fprintf(stderr, "no projection table %.*s\n", static_cast<int>(name.size()), name.data());
  ALIQUOT_CHECK(false);
  return projector.Tables().front();
}

std::size_t ColumnOf(const app::TableSpec& table, std::string_view name) {
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i].name == name) return i;
  }
  std::fprintf(stderr, "projection table %s has no column %.*s\n", table.name.c_str(),
               static_cast<int>(name.size()), name.data());
  ALIQUOT_CHECK(false);
  return 0;
}

double FileMegabytes(const std::string& path) {
  std::error_code error;
  double bytes = 0;
  for (const std::string& name : {path, path + "-wal"}) {
    const std::uintmax_t size = std::filesystem::file_size(name, error);
    if (!error) bytes += static_cast<double>(size);
  }
  return bytes / 1e6;
}

}  // namespace aliquot::bench
