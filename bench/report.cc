#include "bench/report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <map>
#include <utility>

#include <time.h>

#include "aliquot/core/check.h"

namespace aliquot::bench {
namespace {

std::map<std::string, std::vector<double>>& Figures() {
  static std::map<std::string, std::vector<double>> figures;
  return figures;
}

}  // namespace

double ProcessCpuSeconds() {
  timespec now{};
  ALIQUOT_CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now) == 0);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double Seconds(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

void Record(const std::string& name, double value) { Figures()[name].push_back(value); }

std::optional<double> Figure(const std::string& name) {
  const auto found = Figures().find(name);
  if (found == Figures().end() || found->second.empty()) return std::nullopt;
  return Median(found->second);
}

std::string ThousandsSeparated(double value) {
  std::string digits = std::to_string(std::llround(value));
  for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3) {
    digits.insert(static_cast<std::size_t>(at), ",");
  }
  return digits;
}

std::string Percent(std::optional<double> value) {
  if (!value) return "n/a";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", *value * 100);
  return text;
}

double Micros(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration<double, std::micro>(duration).count();
}

double Percentile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(samples.size()));
  return samples[std::min(rank, samples.size() - 1)];
}

double ThreadCpuMicros() {
  timespec now{};
  ALIQUOT_CHECK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) == 0);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) * 1e-3;
}

void RecordPercentiles(const std::string& name, const Samples& samples) {
  for (const auto& [suffix, values] :
       {std::pair<std::string, const std::vector<double>*>{"", &samples.wall},
        std::pair<std::string, const std::vector<double>*>{"_cpu", &samples.cpu}}) {
    Record(name + suffix + "_p50", Percentile(*values, 0.50));
    Record(name + suffix + "_p99", Percentile(*values, 0.99));
    Record(name + suffix + "_p999", Percentile(*values, 0.999));
  }
}

std::string Number(std::optional<double> value, const char* unit) {
  if (!value) return "n/a";
  const char* sign = *value < 0 ? "-" : "";
  const double magnitude = std::fabs(*value);
  char text[64];
  if (magnitude >= 100) {
    std::snprintf(text, sizeof text, "%s%s %s", sign, ThousandsSeparated(magnitude).c_str(), unit);
  } else {
    std::snprintf(text, sizeof text, "%s%.1f %s", sign, magnitude, unit);
  }
  return text;
}

std::optional<double> Ratio(std::optional<double> value, std::optional<double> limit) {
  if (!value || !limit || *limit == 0) return std::nullopt;
  return *value / *limit;
}

std::string Times(std::optional<double> value) {
  if (!value) return "n/a";
  char text[32];
  std::snprintf(text, sizeof text, "%.1fx", *value);
  return text;
}

std::string Share(std::optional<double> ratio) {
  if (ratio && *ratio >= 1) return Times(ratio);
  return Percent(ratio);
}

std::string Met(std::optional<bool> met) {
  if (!met) return "n/a";
  return *met ? "yes" : "NO";
}

std::string Appenders(int threads) {
  return std::to_string(threads) + (threads == 1 ? " appender" : " appenders");
}

void TakeOwnFlags(int& argc, char** argv, const std::vector<OwnFlag>& flags) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    bool taken = false;
    for (const OwnFlag& flag : flags) {
      if (!arg.starts_with(flag.prefix)) continue;
      flag.take(arg.substr(flag.prefix.size()));
      taken = true;
      break;
    }
    if (!taken) argv[kept++] = argv[i];
  }
  argc = kept;
}

void PrintTable(const std::vector<Line>& lines) {
  std::array<std::size_t, 6> width{6, 8, 5, 5, 4, 4};
  const auto cells = [](const Line& line) {
    return std::array<const std::string*, 6>{&line.figure, &line.measured, &line.limit,
                                             &line.ratio,  &line.goal,     &line.met};
  };
  for (const Line& line : lines) {
    const auto row = cells(line);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i]->size());
  }
  const auto print = [&](const Line& line) {
    const auto row = cells(line);
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::printf(i == 0 ? "%-*s" : " | %-*s", static_cast<int>(width[i]), row[i]->c_str());
    }
    std::printf("\n");
  };
  print({"figure", "measured", "limit", "ratio", "goal", "met?"});
  std::size_t total = 3 * (width.size() - 1);
  for (const std::size_t w : width) total += w;
  std::printf("%s\n", std::string(total, '-').c_str());
  for (const Line& line : lines) print(line);
}

}  // namespace aliquot::bench
