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

// Per-call times of one kind of call: wall time, which the target is about, and the calling
// thread's CPU time, which leaves out the time the thread waited for a CPU. On a shared, loaded
// machine a descheduled call shows in the first and not in the second.
struct Samples {
  std::vector<double> wall;  // Microseconds.
  std::vector<double> cpu;   // Microseconds.

  void Append(const Samples& other) {
    wall.insert(wall.end(), other.wall.begin(), other.wall.end());
    cpu.insert(cpu.end(), other.cpu.begin(), other.cpu.end());
  }
};

// CPU time of the calling thread so far, in microseconds.
double ThreadCpuMicros();

// Runs `call` once and adds its wall time and its thread's CPU time to `samples`.
template <typename Call>
void TimeCall(Samples& samples, const Call& call) {
  const double cpu_began = ThreadCpuMicros();
  const std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now();
  call();
  samples.wall.push_back(Micros(std::chrono::steady_clock::now() - began));
  samples.cpu.push_back(ThreadCpuMicros() - cpu_began);
}

// Records "<name>_p50", "_p99", "_p999" (wall) and "<name>_cpu_p50", "_cpu_p99", "_cpu_p999".
void RecordPercentiles(const std::string& name, const Samples& samples);

// A figure and its unit for the append benchmarks' tables: "18,790 events/s", with tenths below
// 100 ("4.2 events/commit"); "n/a" for nullopt.
std::string Number(std::optional<double> value, const char* unit);

// value / limit; nullopt when either is missing or the limit is 0.
std::optional<double> Ratio(std::optional<double> value, std::optional<double> limit);

// "37.2x" for 37.2; "n/a" for nullopt.
std::string Times(std::optional<double> value);

// A ratio to a target: "12.3%" below 1, "1.6x" from 1; "n/a" for nullopt.
std::string Share(std::optional<double> ratio);

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
