// Metrics: a small thread-safe registry of counters and histograms with labels, plus collectors
// read at scrape time, rendered in the Prometheus text exposition format 0.0.4 for GET /metrics.
// Our own rather than prometheus-cpp's: it is two hundred lines, and a scrape needs nothing more.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aliquot/core/mutex.h"
#include "aliquot/core/thread_annotations.h"

namespace aliquot::app {
class Store;
}  // namespace aliquot::app

namespace aliquot::http {

// Orders label-value tuples and lets a lookup by string_views find them without allocating.
struct LabelValuesLess {
  using is_transparent = void;  // NOLINT(readability-identifier-naming): the standard's name.
  bool operator()(std::span<const std::string> a, std::span<const std::string> b) const;
  bool operator()(std::span<const std::string> a, std::span<const std::string_view> b) const;
  bool operator()(std::span<const std::string_view> a, std::span<const std::string> b) const;
};

// What every registered family shares: a name, a help text, the names of its labels.
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~MetricFamily() = default;
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  const std::string& Name() const { return name_; }
  const std::string& Help() const { return help_; }
  const std::vector<std::string>& LabelNames() const { return label_names_; }
  virtual std::string_view TypeName() const = 0;

  // Appends "# HELP", "# TYPE" and every sample line.
  virtual void AppendText(std::string& out) const = 0;

 protected:
  // Checks that as many values as label names were given (ALIQUOT_CHECK).
  void CheckLabelCount(std::size_t count) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

// A monotonically increasing count per combination of label values.
class Counter final : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;

  // Adds `amount` (>= 0) to the sample with `label_values`, given in the order of the label
  // names: requests.Increment({"GET", "/healthz", "200"}).
  void Increment(std::initializer_list<std::string_view> label_values, double amount = 1);
  // The current value, 0 for a combination never incremented.
  double Value(std::initializer_list<std::string_view> label_values) const;

  std::string_view TypeName() const override { return "counter"; }
  void AppendText(std::string& out) const override;

 private:
  mutable Mutex mutex_;
  std::map<std::vector<std::string>, double, LabelValuesLess> values_ GUARDED_BY(mutex_);
};

// Observations counted into fixed buckets, with their sum and count, per label combination.
class Histogram final : public MetricFamily {
 public:
  // `upper_bounds` must be strictly increasing and finite; +Inf is implied.
  Histogram(std::string name, std::string help, std::vector<std::string> label_names,
            std::vector<double> upper_bounds);

  void Observe(std::initializer_list<std::string_view> label_values, double value);

  const std::vector<double>& UpperBounds() const { return upper_bounds_; }
  std::string_view TypeName() const override { return "histogram"; }
  void AppendText(std::string& out) const override;

 private:
  struct Series {
    std::vector<std::uint64_t> counts;  // Per bucket, not cumulative; the last is +Inf.
    double sum = 0;
    std::uint64_t count = 0;
  };
  const std::vector<double> upper_bounds_;
  mutable Mutex mutex_;
  std::map<std::vector<std::string>, Series, LabelValuesLess> series_ GUARDED_BY(mutex_);
};

// A sample produced by a collector at scrape time.
struct Sample {
  std::vector<std::pair<std::string, std::string>> labels;  // Name, value.
  double value = 0;
};

struct CollectedFamily {
  enum class Type { kCounter, kGauge };
  std::string name;
  std::string help;
  Type type = Type::kGauge;
  std::vector<Sample> samples;
};

// Called on every scrape, from the scraping thread; must be thread-safe and quick.
using Collector = std::function<std::vector<CollectedFamily>()>;

// The registry. Families live as long as the registry; the references returned stay valid.
class Metrics {
 public:
  // Registers a counter, or returns the one registered under `name` if help and labels agree
  // (so that a server restarted in one process reuses its families). A name that is not a valid
  // Prometheus name, or one registered with another type, help or labels, is a programming error
  // (ALIQUOT_CHECK).
  Counter& AddCounter(std::string_view name, std::string_view help,
                      std::vector<std::string> label_names) EXCLUDES(mutex_);
  // The same for a histogram; `upper_bounds` as Histogram's.
  Histogram& AddHistogram(std::string_view name, std::string_view help,
                          std::vector<std::string> label_names, std::vector<double> upper_bounds)
      EXCLUDES(mutex_);
  void AddCollector(Collector collector) EXCLUDES(mutex_);

  // The text exposition: registered families in the order registered, then the collectors'
  // families in the order their collectors were added.
  std::string Render() const EXCLUDES(mutex_);

 private:
  MetricFamily* Find(std::string_view name) REQUIRES(mutex_);

  mutable Mutex mutex_;
  std::vector<std::unique_ptr<MetricFamily>> families_ GUARDED_BY(mutex_);
  std::vector<Collector> collectors_ GUARDED_BY(mutex_);
};

// Request latency buckets in seconds, from 100 us to 10 s: the server answers in well under a
// millisecond, and a slow commit or scan should still land in a bucket of its own.
std::vector<double> LatencyBuckets();

// Registers a collector exposing app::Store::Stats() as aliquot_store_* counters. `store` must
// outlive `metrics`.
void AddStoreCollector(Metrics& metrics, app::Store& store);

// The text form of a sample value or bucket bound: "3", "0.005", "1e+21", "+Inf", "NaN".
std::string FormatMetricValue(double value);

}  // namespace aliquot::http
