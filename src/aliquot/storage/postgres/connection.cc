#include "aliquot/storage/postgres/connection.h"

#include <bit>
#include <cstring>

#include <libpq-fe.h>

namespace aliquot::storage {
namespace {

// Built-in type OIDs (pg_type.dat); fixed across PostgreSQL releases.
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kInt8Oid = 20;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;

Oid ElementOid(PgType type) {
  switch (type) {
    case PgType::kInt8:
      return kInt8Oid;
    case PgType::kFloat8:
      return kFloat8Oid;
    case PgType::kText:
      return kTextOid;
    case PgType::kBytea:
      return kByteaOid;
  }
  return kTextOid;
}

Oid ArrayOid(PgType type) {
  switch (type) {
    case PgType::kInt8:
      return 1016;
    case PgType::kFloat8:
      return 1022;
    case PgType::kText:
      return 1009;
    case PgType::kBytea:
      return 1001;
  }
  return 1009;
}

// Network byte order, as PostgreSQL's binary format wants.
template <typename Int>
void PutBigEndian(std::string& out, Int value) {
  using Unsigned = std::make_unsigned_t<Int>;
  auto bits = static_cast<Unsigned>(value);
  char bytes[sizeof(Int)];
  for (std::size_t i = sizeof(Int); i-- > 0;) {
    bytes[i] = static_cast<char>(bits & 0xff);
    bits = static_cast<Unsigned>(bits >> 8);
  }
  out.append(bytes, sizeof(Int));
}

std::uint64_t GetBigEndian(const char* bytes, int size) {
  std::uint64_t value = 0;
  for (int i = 0; i < size; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::string BigEndianInt64(std::int64_t value) {
  std::string out;
  PutBigEndian(out, value);
  return out;
}

std::string BigEndianFloat8(double value) {
  std::string out;
  PutBigEndian(out, std::bit_cast<std::int64_t>(value));
  return out;
}

// SQLSTATE classes that mean the server or the connection is gone, or the server cannot take the
// work now: the request may be retried later.
bool IsUnavailable(std::string_view state) {
  return state.starts_with("08") ||  // connection exception
         state.starts_with("53") ||  // insufficient resources: disk full, out of memory
         state.starts_with("57") ||  // operator intervention: shutdown, terminated backend
         state == "55P03";           // lock not available
}

std::string TrimMessage(const char* message) {
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

std::string WithDatabase(std::string_view url, std::string_view database) {
  const std::string name(database);
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url) + " dbname=" + name;
  const auto query = url.find('?', scheme + 3);
  const auto path = url.find('/', scheme + 3);
  const auto authority_end = path < query ? path : query;
  return std::string(url.substr(0, authority_end)) + "/" + name +
         (query == std::string_view::npos ? "" : std::string(url.substr(query)));
}

std::string RedactUrl(std::string_view url) {
  std::string text(url);
  // scheme://user:password@host...: the password lies between the first ':' after the scheme and
  // the '@' that ends the user information.
  const std::size_t scheme = text.find("://");
  if (scheme != std::string::npos) {
    const std::size_t start = scheme + 3;
    const std::size_t at = text.find('@', start);
    const std::size_t slash = text.find('/', start);
    const std::size_t colon = text.find(':', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash) &&
        colon != std::string::npos && colon < at) {
      text.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // ...?password=secret&... and key=value strings: "password=" up to the next '&' or space.
  for (std::size_t at = text.find("password="); at != std::string::npos;
       at = text.find("password=", at + 1)) {
    const std::size_t value = at + 9;
    const std::size_t end = text.find_first_of("& ", value);
    text.replace(value, (end == std::string::npos ? text.size() : end) - value, "***");
  }
  return text;
}

PgType PgTypeOf(app::ColumnType type) {
  switch (type) {
    case app::ColumnType::kInteger:
      return PgType::kInt8;
    case app::ColumnType::kReal:
      return PgType::kFloat8;
    case app::ColumnType::kText:
      return PgType::kText;
  }
  return PgType::kText;
}

PgParams& PgParams::Add(unsigned type, std::string bytes, bool null) {
  types_.push_back(type);
  values_.push_back(std::move(bytes));
  nulls_.push_back(null);
  return *this;
}

PgParams& PgParams::Int64(std::int64_t value) { return Add(kInt8Oid, BigEndianInt64(value)); }
PgParams& PgParams::Float8(double value) { return Add(kFloat8Oid, BigEndianFloat8(value)); }
PgParams& PgParams::Text(std::string_view value) { return Add(kTextOid, std::string(value)); }
PgParams& PgParams::NullText() { return Add(kTextOid, {}, /*null=*/true); }
PgParams& PgParams::Bytes(std::span<const std::uint8_t> value) {
  return Add(kByteaOid, std::string(reinterpret_cast<const char*>(value.data()), value.size()));
}

PgParams& PgParams::Value(const app::Value& value, app::ColumnType type) {
  const Oid oid = ElementOid(PgTypeOf(type));
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    return Add(oid, BigEndianInt64(*integer));
  }
  if (const auto* real = std::get_if<double>(&value)) return Add(oid, BigEndianFloat8(*real));
  if (const auto* text = std::get_if<std::string>(&value)) return Add(oid, *text);
  return Add(oid, {}, /*null=*/true);
}

void PgParams::Array::Element(const void* bytes, std::size_t size) {
  PutBigEndian(elements_, static_cast<std::int32_t>(size));
  elements_.append(static_cast<const char*>(bytes), size);
  ++count_;
}

void PgParams::Array::Int64(std::int64_t value) {
  const std::string bytes = BigEndianInt64(value);
  Element(bytes.data(), bytes.size());
}

void PgParams::Array::Float8(double value) {
  const std::string bytes = BigEndianFloat8(value);
  Element(bytes.data(), bytes.size());
}

void PgParams::Array::Text(std::string_view value) { Element(value.data(), value.size()); }

void PgParams::Array::Bytes(std::span<const std::uint8_t> value) {
  Element(value.data(), value.size());
}

void PgParams::Array::Null() {
  PutBigEndian(elements_, std::int32_t{-1});
  has_null_ = true;
  ++count_;
}

void PgParams::Array::Value(const app::Value& value) {
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    Int64(*integer);
  } else if (const auto* real = std::get_if<double>(&value)) {
    Float8(*real);
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    Text(*text);
  } else {
    Null();
  }
}

PgParams& PgParams::AddArray(const Array& array) {
  // The binary array format (array_send): dimensions, null flag, element type, then per
  // dimension its length and lower bound, then each element's length (-1: NULL) and bytes.
  std::string bytes;
  bytes.reserve(20 + array.elements_.size());
  PutBigEndian(bytes, std::int32_t{1});
  PutBigEndian(bytes, std::int32_t{array.has_null_ ? 1 : 0});
  PutBigEndian(bytes, ElementOid(array.type_));
  PutBigEndian(bytes, array.count_);
  PutBigEndian(bytes, std::int32_t{1});
  bytes += array.elements_;
  return Add(ArrayOid(array.type_), std::move(bytes));
}

PgResult::~PgResult() { PQclear(result_); }

int PgResult::Rows() const { return PQntuples(result_); }

std::uint64_t PgResult::Changed() const {
  const char* count = PQcmdTuples(result_);
  return count == nullptr || *count == '\0' ? 0 : std::strtoull(count, nullptr, 10);
}

std::int64_t PgResult::Int64(int column) const {
  const char* bytes = PQgetvalue(result_, row_, column);
  const int size = PQgetlength(result_, row_, column);
  const std::uint64_t bits = GetBigEndian(bytes, size);
  // Sign-extend the narrower integer types.
  switch (size) {
    case 2:
      return static_cast<std::int16_t>(bits);
    case 4:
      return static_cast<std::int32_t>(bits);
    default:
      return static_cast<std::int64_t>(bits);
  }
}

std::string_view PgResult::Text(int column) const {
  return {PQgetvalue(result_, row_, column),
          static_cast<std::size_t>(PQgetlength(result_, row_, column))};
}

std::span<const std::uint8_t> PgResult::Blob(int column) const {
  return {reinterpret_cast<const std::uint8_t*>(PQgetvalue(result_, row_, column)),
          static_cast<std::size_t>(PQgetlength(result_, row_, column))};
}

bool PgResult::IsNull(int column) const { return PQgetisnull(result_, row_, column) != 0; }

app::Value PgResult::Value(int column, app::ColumnType type) const {
  (void)type;  // PostgreSQL's columns are typed: the value is read as what the column holds.
  if (IsNull(column)) return std::monostate{};
  switch (PQftype(result_, column)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
      return Int64(column);
    case kFloat8Oid:
      return std::bit_cast<double>(
          GetBigEndian(PQgetvalue(result_, row_, column), PQgetlength(result_, row_, column)));
    default:
      return std::string(Text(column));
  }
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url,
                                                         int connect_timeout_seconds) {
  const std::string timeout = std::to_string(connect_timeout_seconds);
  // Settings before "dbname" are defaults the URL may override; those after it are ours.
  // Notices ("relation already exists, skipping") are for a DBA's console, not our output.
  const char* keywords[] = {"connect_timeout", "application_name", "options",
                            "dbname",          "client_encoding",  nullptr};
  const char* values[] = {timeout.c_str(), "aliquot", "-c client_min_messages=warning",
                          url.c_str(),     "UTF8",    nullptr};
  pg_conn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Unexpected(Unavailable("out of memory connecting to PostgreSQL"));
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string reason = TrimMessage(PQerrorMessage(conn));
    PQfinish(conn);
    // A server that answers and refuses (no such database or role, a wrong password) will refuse
    // again: retrying is for a server that is down, starting, stopping or full.
    const bool refused = reason.find("FATAL:") != std::string::npos &&
                         reason.find("starting up") == std::string::npos &&
                         reason.find("shutting down") == std::string::npos &&
                         reason.find("recovery") == std::string::npos &&
                         reason.find("too many") == std::string::npos;
    if (refused) {
      return Unexpected(FailedPrecondition("PostgreSQL refused the connection: " + reason));
    }
    return Unexpected(Unavailable("cannot connect to PostgreSQL: " + reason));
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::Broken() const { return PQstatus(conn_) != CONNECTION_OK; }

bool PgConnection::InTransaction() const {
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

int PgConnection::BackendPid() const { return PQbackendPID(conn_); }

Error PgConnection::LastError(pg_result* result, std::string_view context) const {
  const char* state_text =
      result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string state = state_text == nullptr ? "" : state_text;
  std::string message = TrimMessage(result != nullptr && PQresultErrorMessage(result)[0] != '\0'
                                        ? PQresultErrorMessage(result)
                                        : PQerrorMessage(conn_));
  if (Broken()) {
    return Unavailable("the connection to PostgreSQL was lost while " + std::string(context) +
                       ": " + message);
  }
  message = "PostgreSQL, " + std::string(context) + ": " + message;
  if (!state.empty()) message += " (SQLSTATE " + state + ")";
  if (IsUnavailable(state)) return Unavailable(message);
  if (state == "40001" || state == "40P01") return Aborted(message);  // serialization, deadlock
  if (state.starts_with("XX")) return DataLoss(message);              // corruption, internal
  return Internal(message);
}

Status PgConnection::Exec(std::string_view sql) {
  const std::string text(sql);
  pg_result* result = PQexec(conn_, text.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    PQclear(result);
    return {};
  }
  Error error = LastError(result, "executing " + text.substr(0, 60));
  PQclear(result);
  return Unexpected(error);
}

Result<PgResult> PgConnection::Query(std::string_view sql, const PgParams& params) {
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    const std::string name = "s" + std::to_string(prepared_.size() + 1);
    const std::string text(sql);
    pg_result* result = PQprepare(conn_, name.c_str(), text.c_str(),
                                  static_cast<int>(params.Size()), params.types_.data());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      Error error = LastError(result, "preparing " + text.substr(0, 60));
      PQclear(result);
      return Unexpected(error);
    }
    PQclear(result);
    found = prepared_.emplace(text, name).first;
  }
  std::vector<const char*> values(params.Size());
  std::vector<int> lengths(params.Size());
  std::vector<int> formats(params.Size(), 1);
  for (std::size_t i = 0; i < params.Size(); ++i) {
    values[i] = params.nulls_[i] ? nullptr : params.values_[i].data();
    lengths[i] = static_cast<int>(params.values_[i].size());
  }
  PgResult result(PQexecPrepared(conn_, found->second.c_str(), static_cast<int>(params.Size()),
                                 values.data(), lengths.data(), formats.data(),
                                 /*resultFormat=*/1));
  const ExecStatusType status = PQresultStatus(result.result_);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return Unexpected(LastError(result.result_, "running " + found->first.substr(0, 60)));
}

}  // namespace aliquot::storage
