// What the benchmarks share: the clocks they measure with, the figures they record, and the
// summary table that prints each figure beside the limit it chases (docs/benchmarks.md).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aliquot::bench {

// CPU time of the whole process (every thread), for CPU cost per event. On a shared machine a rate
// per CPU second also moves less with the neighbours' load than a rate per wall second.
double ProcessCpuSeconds();

double Seconds(std::chrono::steady_clock::duration duration);

// The median; of an even count, the mean of the middle two. 0 for no values.
double Median(std::vector<double> values);

// Figures for the summary table, by name: Record adds one sample per benchmark run (more with
// --benchmark_repetitions or rounds), Figure returns their median, or nullopt if none was
// recorded. Called from the benchmarks' main thread only.
void Record(const std::string& name, double value);
std::optional<double> Figure(const std::string& name);

// The digits of `value` rounded to a whole number, thousands separated by commas so that 401,233
// reads at a glance.
std::string ThousandsSeparated(double value);

// "12.3%" for 0.123; "n/a" for nullopt.
std::string Percent(std::optional<double> value);

double Micros(std::chrono::steady_clock::duration duration);

// The q-quantile (nearest rank) of `samples`; 0 for none.
double Percentile(std::vector<double> samples, double q);

// A figure and its unit for the append benchmarks' tables: "18,790 events/s", with tenths below
// 100 ("4.2 events/commit"); "n/a" for nullopt.
std::string Number(std::optional<double> value, const char* unit);

// value / limit; nullopt when either is missing or the limit is 0.
std::optional<double> Ratio(std::optional<double> value, std::optional<double> limit);

// "yes", "NO", or "n/a" for nullopt.
std::string Met(std::optional<bool> met);

// "1 appender", "64 appenders".
std::string Appenders(int threads);

// One of a benchmark's own flags: its "--name=" prefix and what to do with the value after it.
struct OwnFlag {
  std::string_view prefix;
  std::function<void(std::string_view value)> take;
};

// Takes the benchmark's own flags out of argv, leaving the rest for Google Benchmark to check.
void TakeOwnFlags(int& argc, char** argv, const std::vector<OwnFlag>& flags);

// One row of the summary table.
struct Line {
  std::string figure, measured, limit, ratio, goal, met;
};

// Prints `lines` to stdout under a header row, each column as wide as its widest cell.
void PrintTable(const std::vector<Line>& lines);

}  // namespace aliquot::bench
