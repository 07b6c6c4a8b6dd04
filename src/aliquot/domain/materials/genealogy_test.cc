#include "aliquot/domain/materials/genealogy.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "aliquot/core/error.h"

namespace aliquot::materials {
namespace {

// 2026-01-01T00:00:00Z.
constexpr std::int64_t kStartMicros = 1'767'225'600 * kMicrosPerSecond;

Timestamp Day(std::int64_t day) {
  return Timestamp::FromMicros(kStartMicros + day * kMicrosPerDay);
}

// An in-memory edge store, each node's edges kept in the order they were added.
class Graph {
 public:
  void Add(const std::string& parent, const std::string& child, Timestamp at) {
    GenealogyEdge edge{parent, child, at};
    into_[child].push_back(edge);
    out_of_[parent].push_back(std::move(edge));
  }

  // Fails with `error` when asked for the edges of `node`.
  void FailOn(std::string node, Error error) {
    failing_node_ = std::move(node);
    failure_ = std::move(error);
  }

  EdgeSource Source() {
    return [this](const std::string& node, Direction direction,
                  const std::function<void(const GenealogyEdge&)>& visit) -> Status {
      ++calls_[node];
      if (node == failing_node_) return Unexpected(failure_);
      const auto& index = direction == Direction::kBackward ? into_ : out_of_;
      if (const auto found = index.find(node); found != index.end()) {
        for (const GenealogyEdge& edge : found->second) visit(edge);
      }
      return {};
    };
  }

  // How often the walk asked for each node's edges.
  const std::map<std::string, int>& Calls() const { return calls_; }

 private:
  std::map<std::string, std::vector<GenealogyEdge>> into_;
  std::map<std::string, std::vector<GenealogyEdge>> out_of_;
  std::map<std::string, int> calls_;
  std::string failing_node_;
  Error failure_ = Internal("unused");
};

using EdgeKey = std::tuple<std::string, std::string, std::int64_t>;

std::vector<EdgeKey> SortedKeys(const std::vector<GenealogyEdge>& edges) {
  std::vector<EdgeKey> keys;
  keys.reserve(edges.size());
  for (const GenealogyEdge& edge : edges)
    keys.emplace_back(edge.parent, edge.child, edge.at.Micros());
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Two raw materials make an intermediate lot, which batch B-1 consumes with a third raw material
// to produce two final product lots; batch B-2 later consumes the first raw material directly.
Graph ProcessGraph() {
  Graph graph;
  graph.Add(LotNode("RM-1"), LotNode("INT-1"), Day(1));
  graph.Add(LotNode("RM-2"), LotNode("INT-1"), Day(1));
  graph.Add(LotNode("INT-1"), BatchNode("B-1"), Day(2));
  graph.Add(LotNode("RM-3"), BatchNode("B-1"), Day(2));
  graph.Add(BatchNode("B-1"), LotNode("FP-1"), Day(3));
  graph.Add(BatchNode("B-1"), LotNode("FP-2"), Day(3));
  graph.Add(LotNode("RM-1"), BatchNode("B-2"), Day(5));
  graph.Add(BatchNode("B-2"), LotNode("FP-3"), Day(6));
  return graph;
}

TEST(Genealogy, NodeKeysNameTheirKindAndId) {
  EXPECT_EQ(LotNode("L-1"), "lot:L-1");
  EXPECT_EQ(BatchNode("B-1"), "batch:B-1");
}

TEST(Genealogy, ParseNodeReadsLotAndBatchKeys) {
  const Result<NodeRef> lot = ParseNode("lot:L-1");
  ASSERT_TRUE(lot) << lot.error().ToString();
  EXPECT_EQ(lot->kind, "lot");
  EXPECT_EQ(lot->id, "L-1");
  const Result<NodeRef> batch = ParseNode(BatchNode("B-17"));
  ASSERT_TRUE(batch) << batch.error().ToString();
  EXPECT_EQ(batch->kind, "batch");
  EXPECT_EQ(batch->id, "B-17");
  // Only the first ':' separates the kind; the id keeps any later one.
  const Result<NodeRef> colon = ParseNode("lot:L:2");
  ASSERT_TRUE(colon) << colon.error().ToString();
  EXPECT_EQ(colon->kind, "lot");
  EXPECT_EQ(colon->id, "L:2");
}

TEST(Genealogy, ParseNodeRefusesKeysOfNeitherKindAsDataLoss) {
  for (const std::string_view key :
       {"", "lot", "lot:", "batch:", ":L-1", "unit:U-1", "Lot:L-1", "lots:L-1", "L-1"}) {
    const Result<NodeRef> parsed = ParseNode(key);
    ASSERT_FALSE(parsed) << "accepted \"" << key << "\"";
    EXPECT_EQ(parsed.error().Code(), ErrorCode::kDataLoss) << key;
  }
}

TEST(Genealogy, BackwardTraceFromABatchReachesRawLotsThroughAnIntermediateLot) {
  // Verifies G-08 (21 CFR 211.184) and T-01: what went into a batch, across intermediates.
  Graph graph = ProcessGraph();
  const Result<Trace> trace =
      TraceGenealogy(BatchNode("B-1"), Direction::kBackward, Day(10), graph.Source(), 100);
  ASSERT_TRUE(trace) << trace.error().ToString();
  EXPECT_EQ(trace->root, "batch:B-1");
  EXPECT_EQ(trace->direction, Direction::kBackward);
  EXPECT_EQ(trace->as_of, Day(10));
  // Breadth first: the batch's direct inputs, then the intermediate's.
  EXPECT_EQ(trace->nodes,
            (std::vector<std::string>{"lot:INT-1", "lot:RM-3", "lot:RM-1", "lot:RM-2"}));
  EXPECT_EQ(SortedKeys(trace->edges),
            (std::vector<EdgeKey>{{"lot:INT-1", "batch:B-1", Day(2).Micros()},
                                  {"lot:RM-1", "lot:INT-1", Day(1).Micros()},
                                  {"lot:RM-2", "lot:INT-1", Day(1).Micros()},
                                  {"lot:RM-3", "batch:B-1", Day(2).Micros()}}));
  EXPECT_FALSE(trace->truncated);
}

TEST(Genealogy, ForwardTraceFromARawLotReachesBatchesAndProductLots) {
  // Verifies G-08 and T-01 (21 CFR 1271.290(b)): where a lot went, to every product lot made
  // from it, directly or through an intermediate.
  Graph graph = ProcessGraph();
  const Result<Trace> trace =
      TraceGenealogy(LotNode("RM-1"), Direction::kForward, Day(10), graph.Source(), 100);
  ASSERT_TRUE(trace) << trace.error().ToString();
  EXPECT_EQ(trace->nodes, (std::vector<std::string>{"lot:INT-1", "batch:B-2", "batch:B-1",
                                                    "lot:FP-3", "lot:FP-1", "lot:FP-2"}));
  EXPECT_EQ(trace->edges.size(), 6U);
  EXPECT_FALSE(trace->truncated);
}

TEST(Genealogy, TraceAsOfAnInstantFollowsOnlyEdgesDatedAtOrBeforeIt) {
  // Verifies G-08 and T-01: the genealogy as it was known at an instant, edges dated exactly
  // then included.
  Graph graph = ProcessGraph();
  const Result<Trace> at_day_three =
      TraceGenealogy(LotNode("RM-1"), Direction::kForward, Day(3), graph.Source(), 100);
  ASSERT_TRUE(at_day_three) << at_day_three.error().ToString();
  EXPECT_EQ(at_day_three->nodes,
            (std::vector<std::string>{"lot:INT-1", "batch:B-1", "lot:FP-1", "lot:FP-2"}));
  for (const GenealogyEdge& edge : at_day_three->edges) EXPECT_LE(edge.at, Day(3));

  const Timestamp just_before = Timestamp::FromMicros(Day(3).Micros() - 1);
  const Result<Trace> before =
      TraceGenealogy(LotNode("RM-1"), Direction::kForward, just_before, graph.Source(), 100);
  ASSERT_TRUE(before) << before.error().ToString();
  EXPECT_EQ(before->nodes, (std::vector<std::string>{"lot:INT-1", "batch:B-1"}));
  EXPECT_EQ(before->edges.size(), 2U);

  const Result<Trace> before_all =
      TraceGenealogy(LotNode("RM-1"), Direction::kForward, Day(0), graph.Source(), 100);
  ASSERT_TRUE(before_all) << before_all.error().ToString();
  EXPECT_TRUE(before_all->nodes.empty());
  EXPECT_TRUE(before_all->edges.empty());
}

TEST(Genealogy, JoinedPathsReachEachNodeOnceAndRecordEveryEdge) {
  // Verifies G-08 and T-01: a lot split into two intermediates that rejoin in one batch is listed
  // once, asked about once, and both paths appear in the edges.
  Graph graph;
  graph.Add(LotNode("RM-1"), LotNode("INT-A"), Day(1));
  graph.Add(LotNode("RM-1"), LotNode("INT-B"), Day(1));
  graph.Add(LotNode("INT-A"), BatchNode("B-1"), Day(2));
  graph.Add(LotNode("INT-B"), BatchNode("B-1"), Day(2));

  const Result<Trace> backward =
      TraceGenealogy(BatchNode("B-1"), Direction::kBackward, Day(10), graph.Source(), 100);
  ASSERT_TRUE(backward) << backward.error().ToString();
  EXPECT_EQ(backward->nodes, (std::vector<std::string>{"lot:INT-A", "lot:INT-B", "lot:RM-1"}));
  EXPECT_EQ(backward->edges.size(), 4U);
  for (const auto& [node, calls] : graph.Calls()) EXPECT_EQ(calls, 1) << node;
  EXPECT_EQ(graph.Calls().size(), 4U);

  const Result<Trace> forward =
      TraceGenealogy(LotNode("RM-1"), Direction::kForward, Day(10), graph.Source(), 100);
  ASSERT_TRUE(forward) << forward.error().ToString();
  EXPECT_EQ(forward->nodes, (std::vector<std::string>{"lot:INT-A", "lot:INT-B", "batch:B-1"}));
  EXPECT_EQ(SortedKeys(forward->edges), SortedKeys(backward->edges));
}

TEST(Genealogy, CycleInTheRecordsEndsTheWalkAndNeverListsTheRoot) {
  // Verifies G-08 and T-01: a damaged record that closes a loop cannot make the walk endless.
  Graph graph;
  graph.Add(LotNode("A"), LotNode("B"), Day(1));
  graph.Add(LotNode("B"), LotNode("A"), Day(1));
  const Result<Trace> trace =
      TraceGenealogy(LotNode("A"), Direction::kBackward, Day(10), graph.Source(), 100);
  ASSERT_TRUE(trace) << trace.error().ToString();
  EXPECT_EQ(trace->nodes, (std::vector<std::string>{"lot:B"}));
  EXPECT_EQ(trace->edges.size(), 2U);
}

// Batch B-1 consumes lots L-1 to L-3; each of those was made from one raw lot.
Graph TwoLevelGraph() {
  Graph graph;
  for (const std::string_view n : {"1", "2", "3"}) {
    graph.Add(LotNode("L-" + std::string(n)), BatchNode("B-1"), Day(2));
  }
  for (const std::string_view n : {"1", "2", "3"}) {
    graph.Add(LotNode("R-" + std::string(n)), LotNode("L-" + std::string(n)), Day(1));
  }
  return graph;
}

TEST(Genealogy, TraceStopsAtMaxNodesAndSaysItIsTruncated) {
  // Verifies G-08 and T-01: a bounded trace keeps the nearest nodes and says something is left
  // out, so nobody reads a partial genealogy as the whole.
  Graph graph = TwoLevelGraph();
  const Result<Trace> trace =
      TraceGenealogy(BatchNode("B-1"), Direction::kBackward, Day(10), graph.Source(), 4);
  ASSERT_TRUE(trace) << trace.error().ToString();
  EXPECT_TRUE(trace->truncated);
  EXPECT_EQ(trace->nodes, (std::vector<std::string>{"lot:L-1", "lot:L-2", "lot:L-3", "lot:R-1"}));
  EXPECT_EQ(trace->edges.size(), 4U);
  for (const GenealogyEdge& edge : trace->edges) EXPECT_NE(edge.parent, "lot:R-2");
  // The limit also bounds the work: nodes reached but not yet expanded are never asked about.
  EXPECT_FALSE(graph.Calls().contains("lot:L-3"));
  EXPECT_FALSE(graph.Calls().contains("lot:R-1"));

  const Result<Trace> none =
      TraceGenealogy(BatchNode("B-1"), Direction::kBackward, Day(10), graph.Source(), 0);
  ASSERT_TRUE(none) << none.error().ToString();
  EXPECT_TRUE(none->truncated);
  EXPECT_TRUE(none->nodes.empty());
  EXPECT_TRUE(none->edges.empty());
}

TEST(Genealogy, TraceOfExactlyMaxNodesIsNotTruncated) {
  // Verifies G-08 and T-01: truncated means a node was left out, not that the limit was met.
  Graph graph = TwoLevelGraph();
  const Result<Trace> trace =
      TraceGenealogy(BatchNode("B-1"), Direction::kBackward, Day(10), graph.Source(), 6);
  ASSERT_TRUE(trace) << trace.error().ToString();
  EXPECT_FALSE(trace->truncated);
  EXPECT_EQ(trace->nodes.size(), 6U);
  EXPECT_EQ(trace->edges.size(), 6U);
}

TEST(Genealogy, SourceErrorIsReturnedAsItIs) {
  // Verifies G-08 and T-01: a genealogy the store could not read fully is an error, never a
  // shorter answer.
  Graph graph = ProcessGraph();
  const Error failure = Unavailable("the lot store is busy");
  graph.FailOn(LotNode("INT-1"), failure);
  const Result<Trace> trace =
      TraceGenealogy(BatchNode("B-1"), Direction::kBackward, Day(10), graph.Source(), 100);
  ASSERT_FALSE(trace);
  EXPECT_EQ(trace.error(), failure);

  graph.FailOn(BatchNode("B-1"), DataLoss("edge record 17 does not verify"));
  const Result<Trace> at_root =
      TraceGenealogy(BatchNode("B-1"), Direction::kBackward, Day(10), graph.Source(), 100);
  ASSERT_FALSE(at_root);
  EXPECT_EQ(at_root.error(), DataLoss("edge record 17 does not verify"));
}

// The nodes reachable from `root` over edges dated at or before `as_of`, each with its distance in
// edges, found by relaxing every edge until nothing changes: no queue, so it shares no logic with
// the walk it checks.
std::map<std::string, int> Distances(const std::vector<GenealogyEdge>& edges,
                                     const std::string& root, Direction direction,
                                     Timestamp as_of) {
  std::map<std::string, int> distance = {{root, 0}};
  for (bool changed = true; changed;) {
    changed = false;
    for (const GenealogyEdge& edge : edges) {
      if (edge.at > as_of) continue;
      const std::string& near = direction == Direction::kBackward ? edge.child : edge.parent;
      const std::string& far = direction == Direction::kBackward ? edge.parent : edge.child;
      const auto from = distance.find(near);
      if (from == distance.end()) continue;
      const int candidate = from->second + 1;
      const auto [to, inserted] = distance.try_emplace(far, candidate);
      if (inserted || candidate < to->second) {
        to->second = candidate;
        changed = true;
      }
    }
  }
  return distance;
}

RC_GTEST_PROP(Genealogy, TraceReachesExactlyTheNodesReachableOverEdgesDatedByAsOf, ()) {
  // Verifies G-08 and T-01 on random process graphs: raw lots -> intermediate lots -> batches ->
  // product lots, some edges skipping a level (a raw lot consumed by a batch directly).
  std::vector<std::vector<std::string>> levels(4);
  for (std::size_t level = 0; level < levels.size(); ++level) {
    const auto count = *rc::gen::inRange<int>(1, 6);
    for (int i = 0; i < count; ++i) {
      const std::string id = "N" + std::to_string(level) + "-" + std::to_string(i);
      levels[level].push_back(level == 2 ? BatchNode(id) : LotNode(id));
    }
  }
  const auto pick = [&](std::size_t level) {
    const auto index = *rc::gen::inRange<std::size_t>(0, levels[level].size());
    return levels[level][index];
  };
  std::vector<GenealogyEdge> edges;
  Graph graph;
  const auto edge_count = *rc::gen::inRange<int>(0, 40);
  for (int i = 0; i < edge_count; ++i) {
    const auto from = *rc::gen::inRange<std::size_t>(0, 3);
    const bool skip = from + 2 < levels.size() && *rc::gen::inRange<int>(0, 4) == 0;
    const std::size_t to = from + (skip ? 2 : 1);
    GenealogyEdge edge{pick(from), pick(to), Day(*rc::gen::inRange<std::int64_t>(0, 20))};
    graph.Add(edge.parent, edge.child, edge.at);
    edges.push_back(std::move(edge));
  }
  const std::string root = pick(*rc::gen::inRange<std::size_t>(0, levels.size()));
  const Timestamp as_of = Day(*rc::gen::inRange<std::int64_t>(-1, 22));
  const auto limit = *rc::gen::inRange<std::size_t>(0, 20);

  for (const Direction direction : {Direction::kBackward, Direction::kForward}) {
    const bool backward = direction == Direction::kBackward;
    const std::map<std::string, int> distance = Distances(edges, root, direction, as_of);
    std::set<std::string> expected;
    for (const auto& [node, d] : distance) {
      if (node != root) expected.insert(node);
    }
    const Result<Trace> trace = TraceGenealogy(root, direction, as_of, graph.Source(), 1000);
    RC_ASSERT(trace.has_value());
    RC_ASSERT(!trace->truncated);
    RC_ASSERT(trace->nodes.size() == expected.size());
    RC_ASSERT(std::set<std::string>(trace->nodes.begin(), trace->nodes.end()) == expected);
    // Breadth first: no node is listed before one nearer the root.
    for (std::size_t i = 1; i < trace->nodes.size(); ++i) {
      RC_ASSERT(distance.at(trace->nodes[i - 1]) <= distance.at(trace->nodes[i]));
    }
    for (const GenealogyEdge& edge : trace->edges) {
      RC_ASSERT(edge.at <= as_of);
      const std::string& near = backward ? edge.child : edge.parent;
      const std::string& far = backward ? edge.parent : edge.child;
      RC_ASSERT(near == root || expected.contains(near));
      RC_ASSERT(expected.contains(far));
    }
    std::vector<GenealogyEdge> expected_edges;
    for (const GenealogyEdge& edge : edges) {
      if (edge.at <= as_of && distance.contains(backward ? edge.child : edge.parent)) {
        expected_edges.push_back(edge);
      }
    }
    RC_ASSERT(SortedKeys(trace->edges) == SortedKeys(expected_edges));

    // A bounded walk is the start of the full one, and says so exactly when it leaves a node out.
    const Result<Trace> bounded = TraceGenealogy(root, direction, as_of, graph.Source(), limit);
    RC_ASSERT(bounded.has_value());
    RC_ASSERT(bounded->truncated == (limit < expected.size()));
    RC_ASSERT(bounded->nodes.size() == std::min(limit, expected.size()));
    RC_ASSERT(std::equal(bounded->nodes.begin(), bounded->nodes.end(), trace->nodes.begin()));
  }
}

}  // namespace
}  // namespace aliquot::materials
