#include "aliquot/http/metrics.h"

#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace aliquot::http {
namespace {

TEST(Metrics, RendersCountersInTheTextExpositionFormat) {
  Metrics metrics;
  Counter& requests =
      metrics.AddCounter("aliquot_test_requests_total", "Requests served.", {"method", "status"});
  requests.Increment({"POST", "201"});
  requests.Increment({"GET", "200"}, 2);
  requests.Increment({"GET", "200"});
  metrics.AddCounter("aliquot_test_restarts_total", "Restarts.", {});

  EXPECT_EQ(metrics.Render(),
            "# HELP aliquot_test_requests_total Requests served.\n"
            "# TYPE aliquot_test_requests_total counter\n"
            "aliquot_test_requests_total{method=\"GET\",status=\"200\"} 3\n"
            "aliquot_test_requests_total{method=\"POST\",status=\"201\"} 1\n"
            "# HELP aliquot_test_restarts_total Restarts.\n"
            "# TYPE aliquot_test_restarts_total counter\n"
            "aliquot_test_restarts_total 0\n");
}

TEST(Metrics, EscapesLabelValuesAndHelpText) {
  Metrics metrics;
  Counter& counter =
      metrics.AddCounter("aliquot_test_total", "Help with \\ and\na newline.", {"path"});
  counter.Increment({"a\\b \"quoted\"\nnext"});
  EXPECT_EQ(metrics.Render(),
            "# HELP aliquot_test_total Help with \\\\ and\\na newline.\n"
            "# TYPE aliquot_test_total counter\n"
            "aliquot_test_total{path=\"a\\\\b \\\"quoted\\\"\\nnext\"} 1\n");
}

TEST(Metrics, RendersHistogramsWithCumulativeBucketsSumAndCount) {
  Metrics metrics;
  Histogram& latency =
      metrics.AddHistogram("aliquot_test_seconds", "Request latency.", {"route"}, {0.125, 1, 2.5});
  latency.Observe({"/b"}, 0.0625);
  latency.Observe({"/b"}, 1);  // A bound is "less than or equal": this lands in le="1".
  latency.Observe({"/b"}, 4);
  latency.Observe({"/a"}, 0.5);

  EXPECT_EQ(metrics.Render(),
            "# HELP aliquot_test_seconds Request latency.\n"
            "# TYPE aliquot_test_seconds histogram\n"
            "aliquot_test_seconds_bucket{route=\"/a\",le=\"0.125\"} 0\n"
            "aliquot_test_seconds_bucket{route=\"/a\",le=\"1\"} 1\n"
            "aliquot_test_seconds_bucket{route=\"/a\",le=\"2.5\"} 1\n"
            "aliquot_test_seconds_bucket{route=\"/a\",le=\"+Inf\"} 1\n"
            "aliquot_test_seconds_sum{route=\"/a\"} 0.5\n"
            "aliquot_test_seconds_count{route=\"/a\"} 1\n"
            "aliquot_test_seconds_bucket{route=\"/b\",le=\"0.125\"} 1\n"
            "aliquot_test_seconds_bucket{route=\"/b\",le=\"1\"} 2\n"
            "aliquot_test_seconds_bucket{route=\"/b\",le=\"2.5\"} 2\n"
            "aliquot_test_seconds_bucket{route=\"/b\",le=\"+Inf\"} 3\n"
            "aliquot_test_seconds_sum{route=\"/b\"} 5.0625\n"
            "aliquot_test_seconds_count{route=\"/b\"} 3\n");
}

TEST(Metrics, RendersAHistogramWithoutLabels) {
  Metrics metrics;
  Histogram& sizes = metrics.AddHistogram("aliquot_test_bytes", "Sizes.", {}, {1024});
  sizes.Observe({}, 100);
  EXPECT_EQ(metrics.Render(),
            "# HELP aliquot_test_bytes Sizes.\n"
            "# TYPE aliquot_test_bytes histogram\n"
            "aliquot_test_bytes_bucket{le=\"1024\"} 1\n"
            "aliquot_test_bytes_bucket{le=\"+Inf\"} 1\n"
            "aliquot_test_bytes_sum 100\n"
            "aliquot_test_bytes_count 1\n");
}

TEST(Metrics, AsksCollectorsAtEveryScrapeAfterTheRegisteredFamilies) {
  Metrics metrics;
  int scrapes = 0;
  metrics.AddCollector([&scrapes] {
    ++scrapes;
    return std::vector<CollectedFamily>{
        {"aliquot_test_open_connections",
         "Connections open now.",
         CollectedFamily::Type::kGauge,
         {Sample{{{"pool", "read"}}, 2}, Sample{{{"pool", "write \"w\""}}, 0.25}}},
        {"aliquot_test_commits_total",
         "Commits.",
         CollectedFamily::Type::kCounter,
         {Sample{{}, static_cast<double>(scrapes)}}},
    };
  });
  metrics.AddCounter("aliquot_test_total", "Registered after the collector.", {});

  const std::string expected_head =
      "# HELP aliquot_test_total Registered after the collector.\n"
      "# TYPE aliquot_test_total counter\n"
      "aliquot_test_total 0\n"
      "# HELP aliquot_test_open_connections Connections open now.\n"
      "# TYPE aliquot_test_open_connections gauge\n"
      "aliquot_test_open_connections{pool=\"read\"} 2\n"
      "aliquot_test_open_connections{pool=\"write \\\"w\\\"\"} 0.25\n"
      "# HELP aliquot_test_commits_total Commits.\n"
      "# TYPE aliquot_test_commits_total counter\n";
  EXPECT_EQ(metrics.Render(), expected_head + "aliquot_test_commits_total 1\n");
  EXPECT_EQ(metrics.Render(), expected_head + "aliquot_test_commits_total 2\n");
}

TEST(Metrics, FormatsValuesAsPrometheusReadsThem) {
  EXPECT_EQ(FormatMetricValue(3), "3");
  EXPECT_EQ(FormatMetricValue(0.005), "0.005");
  EXPECT_EQ(FormatMetricValue(-2.5), "-2.5");
  EXPECT_EQ(FormatMetricValue(1e21), "1e+21");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(Metrics, ReturnsTheSameFamilyWhenRegisteredAgainAlike) {
  Metrics metrics;
  Counter& first = metrics.AddCounter("aliquot_test_total", "Help.", {"route"});
  Counter& second = metrics.AddCounter("aliquot_test_total", "Help.", {"route"});
  EXPECT_EQ(&first, &second);
  first.Increment({"/x"});
  EXPECT_EQ(second.Value({"/x"}), 1);
  EXPECT_EQ(second.Value({"/y"}), 0);
}

TEST(Metrics, CountsEveryIncrementFromConcurrentThreads) {
  Metrics metrics;
  Counter& counter = metrics.AddCounter("aliquot_test_total", "Help.", {"thread"});
  Histogram& histogram =
      metrics.AddHistogram("aliquot_test_seconds", "Help.", {}, LatencyBuckets());
  constexpr int kThreads = 4;
  constexpr int kIncrements = 2000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string label = t % 2 == 0 ? "even" : "odd";
      for (int i = 0; i < kIncrements; ++i) {
        counter.Increment({label});
        histogram.Observe({}, 0.001);
        if (i % 500 == 0) (void)metrics.Render();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter.Value({"even"}), kThreads / 2 * kIncrements);
  EXPECT_EQ(counter.Value({"odd"}), kThreads / 2 * kIncrements);
  EXPECT_NE(metrics.Render().find("aliquot_test_seconds_count 8000\n"), std::string::npos);
}

}  // namespace
}  // namespace aliquot::http
