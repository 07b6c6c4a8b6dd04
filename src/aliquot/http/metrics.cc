#include "aliquot/http/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "aliquot/app/ports/store.h"
#include "aliquot/core/check.h"
#include "aliquot/core/json.h"

namespace aliquot::http {
namespace {

template <typename A, typename B>
bool LexicographicLess(std::span<A> a, std::span<B> b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](std::string_view x, std::string_view y) { return x < y; });
}

// Prometheus metric and label names: [a-zA-Z_:][a-zA-Z0-9_:]*, labels without ':'.
bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

// HELP text escapes backslash and newline; label values also escape the double quote.
void AppendEscaped(std::string_view text, bool escape_quote, std::string& out) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void AppendHeader(std::string_view name, std::string_view help, std::string_view type,
                  std::string& out) {
  out += "# HELP ";
  out += name;
  out += ' ';
  AppendEscaped(help, /*escape_quote=*/false, out);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// Appends `{a="x",b="y"}` (nothing when there are no labels), with `extra` as a last label.
void AppendLabels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                  const std::pair<std::string_view, std::string_view>* extra, std::string& out) {
  if (names.empty() && extra == nullptr) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    AppendEscaped(values[i], /*escape_quote=*/true, out);
    out += '"';
  }
  if (extra != nullptr) {
    if (!names.empty()) out += ',';
    out += extra->first;
    out += "=\"";
    AppendEscaped(extra->second, /*escape_quote=*/true, out);
    out += '"';
  }
  out += '}';
}

void AppendSample(std::string_view name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values,
                  const std::pair<std::string_view, std::string_view>* extra, double value,
                  std::string& out) {
  out += name;
  AppendLabels(label_names, label_values, extra, out);
  out += ' ';
  out += FormatMetricValue(value);
  out += '\n';
}

std::span<const std::string_view> AsSpan(std::initializer_list<std::string_view> values) {
  return {values.begin(), values.size()};
}

std::vector<std::string> ToStrings(std::initializer_list<std::string_view> values) {
  return {values.begin(), values.end()};
}

}  // namespace

bool LabelValuesLess::operator()(std::span<const std::string> a,
                                 std::span<const std::string> b) const {
  return LexicographicLess(a, b);
}
bool LabelValuesLess::operator()(std::span<const std::string> a,
                                 std::span<const std::string_view> b) const {
  return LexicographicLess(a, b);
}
bool LabelValuesLess::operator()(std::span<const std::string_view> a,
                                 std::span<const std::string> b) const {
  return LexicographicLess(a, b);
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // The ECMAScript shortest round-trip form, which Prometheus's float parser reads back exactly.
  return CanonicalNumber(value);
}

MetricFamily::MetricFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {
  ALIQUOT_CHECK_MSG(IsValidName(name_, /*allow_colon=*/true), "invalid metric name");
  for (const std::string& label : label_names_) {
    ALIQUOT_CHECK_MSG(
        IsValidName(label, /*allow_colon=*/false) && label != "le" && !label.starts_with("__"),
        "invalid metric label name");
  }
}

void MetricFamily::CheckLabelCount(std::size_t count) const {
  ALIQUOT_CHECK_MSG(count == label_names_.size(), "metric label values do not match its labels");
}

void Counter::Increment(std::initializer_list<std::string_view> label_values, double amount) {
  CheckLabelCount(label_values.size());
  ALIQUOT_CHECK_MSG(amount >= 0, "a counter only goes up");
  MutexLock lock(mutex_);
  auto it = values_.find(AsSpan(label_values));
  if (it == values_.end()) it = values_.emplace(ToStrings(label_values), 0.0).first;
  it->second += amount;
}

double Counter::Value(std::initializer_list<std::string_view> label_values) const {
  CheckLabelCount(label_values.size());
  MutexLock lock(mutex_);
  const auto it = values_.find(AsSpan(label_values));
  return it == values_.end() ? 0 : it->second;
}

void Counter::AppendText(std::string& out) const {
  AppendHeader(Name(), Help(), TypeName(), out);
  MutexLock lock(mutex_);
  if (values_.empty() && LabelNames().empty()) {
    // A counter without labels exists from its registration: show its zero.
    AppendSample(Name(), {}, {}, nullptr, 0, out);
  }
  for (const auto& [labels, value] : values_) {
    AppendSample(Name(), LabelNames(), labels, nullptr, value, out);
  }
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> label_names,
                     std::vector<double> upper_bounds)
    : MetricFamily(std::move(name), std::move(help), std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    ALIQUOT_CHECK_MSG(std::isfinite(upper_bounds_[i]), "histogram bounds must be finite");
    ALIQUOT_CHECK_MSG(i == 0 || upper_bounds_[i - 1] < upper_bounds_[i],
                      "histogram bounds must increase");
  }
}

void Histogram::Observe(std::initializer_list<std::string_view> label_values, double value) {
  CheckLabelCount(label_values.size());
  // Buckets are "less than or equal": the first bound not below the value.
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  MutexLock lock(mutex_);
  auto it = series_.find(AsSpan(label_values));
  if (it == series_.end()) {
    Series series;
    series.counts.assign(upper_bounds_.size() + 1, 0);
    it = series_.emplace(ToStrings(label_values), std::move(series)).first;
  }
  ++it->second.counts[bucket];
  it->second.sum += value;
  ++it->second.count;
}

void Histogram::AppendText(std::string& out) const {
  AppendHeader(Name(), Help(), TypeName(), out);
  const std::string bucket_name = Name() + "_bucket";
  const std::string sum_name = Name() + "_sum";
  const std::string count_name = Name() + "_count";
  MutexLock lock(mutex_);
  for (const auto& [labels, series] : series_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
      cumulative += series.counts[i];
      const std::string bound =
          i < upper_bounds_.size() ? FormatMetricValue(upper_bounds_[i]) : "+Inf";
      const std::pair<std::string_view, std::string_view> le{"le", bound};
      AppendSample(bucket_name, LabelNames(), labels, &le, static_cast<double>(cumulative), out);
    }
    AppendSample(sum_name, LabelNames(), labels, nullptr, series.sum, out);
    AppendSample(count_name, LabelNames(), labels, nullptr, static_cast<double>(series.count), out);
  }
}

MetricFamily* Metrics::Find(std::string_view name) {
  for (const auto& family : families_) {
    if (family->Name() == name) return family.get();
  }
  return nullptr;
}

Counter& Metrics::AddCounter(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names) {
  MutexLock lock(mutex_);
  if (MetricFamily* existing = Find(name)) {
    auto* counter = dynamic_cast<Counter*>(existing);
    ALIQUOT_CHECK_MSG(
        counter != nullptr && counter->Help() == help && counter->LabelNames() == label_names,
        "metric registered twice with different definitions");
    return *counter;
  }
  auto counter =
      std::make_unique<Counter>(std::string(name), std::string(help), std::move(label_names));
  Counter& result = *counter;
  families_.push_back(std::move(counter));
  return result;
}

Histogram& Metrics::AddHistogram(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names,
                                 std::vector<double> upper_bounds) {
  MutexLock lock(mutex_);
  if (MetricFamily* existing = Find(name)) {
    auto* histogram = dynamic_cast<Histogram*>(existing);
    ALIQUOT_CHECK_MSG(histogram != nullptr && histogram->Help() == help &&
                          histogram->LabelNames() == label_names &&
                          histogram->UpperBounds() == upper_bounds,
                      "metric registered twice with different definitions");
    return *histogram;
  }
  auto histogram = std::make_unique<Histogram>(std::string(name), std::string(help),
                                               std::move(label_names), std::move(upper_bounds));
  Histogram& result = *histogram;
  families_.push_back(std::move(histogram));
  return result;
}

void Metrics::AddCollector(Collector collector) {
  ALIQUOT_CHECK_MSG(collector != nullptr, "metrics collector must be set");
  MutexLock lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::Render() const {
  std::string out;
  std::vector<Collector> collectors;
  {
    MutexLock lock(mutex_);
    for (const auto& family : families_) family->AppendText(out);
    collectors = collectors_;
  }
  // Collectors run outside the lock: they read other components, which may take their own locks
  // or even register metrics.
  for (const Collector& collector : collectors) {
    for (const CollectedFamily& family : collector()) {
      AppendHeader(family.name, family.help,
                   family.type == CollectedFamily::Type::kCounter ? "counter" : "gauge", out);
      for (const Sample& sample : family.samples) {
        out += family.name;
        if (!sample.labels.empty()) {
          out += '{';
          for (std::size_t i = 0; i < sample.labels.size(); ++i) {
            if (i > 0) out += ',';
            out += sample.labels[i].first;
            out += "=\"";
            AppendEscaped(sample.labels[i].second, /*escape_quote=*/true, out);
            out += '"';
          }
          out += '}';
        }
        out += ' ';
        out += FormatMetricValue(sample.value);
        out += '\n';
      }
    }
  }
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

void AddStoreCollector(Metrics& metrics, app::Store& store) {
  metrics.AddCollector([&store] {
    const app::StoreStats stats = store.Stats();
    const auto counter = [](std::string name, std::string help, double value) {
      return CollectedFamily{
          std::move(name), std::move(help), CollectedFamily::Type::kCounter, {Sample{{}, value}}};
    };
    return std::vector<CollectedFamily>{
        counter("aliquot_store_appends_total", "Append requests the store acknowledged.",
                static_cast<double>(stats.appends)),
        counter("aliquot_store_events_total", "Events this process appended to the ledger.",
                static_cast<double>(stats.events)),
        counter("aliquot_store_commits_total", "Store transactions committed, one sync each.",
                static_cast<double>(stats.commits)),
        counter("aliquot_store_rejected_total", "Append requests the store refused.",
                static_cast<double>(stats.rejected)),
        counter("aliquot_store_commit_seconds_total", "Time spent committing, in seconds.",
                stats.commit_seconds_total),
    };
  });
}

}  // namespace aliquot::http
