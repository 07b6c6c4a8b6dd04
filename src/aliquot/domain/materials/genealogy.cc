#include "aliquot/domain/materials/genealogy.h"

#include <algorithm>
#include <deque>
#include <iterator>
#include <unordered_set>
#include <utility>

#include "aliquot/core/error.h"

namespace aliquot::materials {
namespace {

constexpr std::string_view kLotKind = "lot";
constexpr std::string_view kBatchKind = "batch";

std::string NodeKey(std::string_view kind, std::string_view id) {
  std::string key;
  key.reserve(kind.size() + 1 + id.size());
  key.append(kind).append(1, ':').append(id);
  return key;
}

}  // namespace

std::string LotNode(std::string_view lot_id) { return NodeKey(kLotKind, lot_id); }

std::string BatchNode(std::string_view batch_id) { return NodeKey(kBatchKind, batch_id); }

Result<NodeRef> ParseNode(std::string_view node) {
  const std::size_t colon = node.find(':');
  if (colon != std::string_view::npos && colon + 1 < node.size()) {
    const std::string_view kind = node.substr(0, colon);
    if (kind == kLotKind || kind == kBatchKind) {
      return NodeRef{std::string(kind), std::string(node.substr(colon + 1))};
    }
  }
  // Keys are written only by LotNode and BatchNode, so any other shape is a damaged record.
  return Unexpected(DataLoss("genealogy node \"" + std::string(node.substr(0, 80)) +
                             "\" is neither lot:<id> nor batch:<id>"));
}

Result<Trace> TraceGenealogy(const std::string& root, Direction direction, Timestamp as_of,
                             const EdgeSource& source, std::size_t max_nodes) {
  Trace trace;
  trace.root = root;
  trace.direction = direction;
  trace.as_of = as_of;
  // A deque never moves its elements, so the views in `visited` stay valid as it grows; the
  // strings move into trace.nodes once the walk ends. Its order is the order nodes were first
  // reached, which is also the breadth-first queue.
  std::deque<std::string> reached;
  std::unordered_set<std::string_view> visited = {root};
  bool stopped = false;
  // Built once: the source takes a std::function, and wrapping the lambda per call would allocate.
  const std::function<void(const GenealogyEdge&)> visit = [&](const GenealogyEdge& edge) {
    // The source cannot be told to stop, so edges after the stop are ignored here.
    if (stopped || as_of < edge.at) return;
    const std::string& next = direction == Direction::kBackward ? edge.parent : edge.child;
    if (!visited.contains(next)) {
      // Truncated means a node was left out, never merely that the limit was met, so a trace of
      // exactly max_nodes nodes reads as complete.
      if (reached.size() == max_nodes) {
        stopped = true;
        trace.truncated = true;
        return;
      }
      visited.insert(reached.emplace_back(next));
    }
    // Each node is expanded once and every edge has one end at the node being expanded, so an
    // edge is recorded once, including one into a node reached before (a join).
    trace.edges.push_back(edge);
  };
  const std::string* node = &root;
  for (std::size_t next = 0;; ++next) {
    ALIQUOT_RETURN_IF_ERROR(source(*node, direction, visit));
    if (stopped || next == reached.size()) break;
    node = &reached[next];
  }
  trace.nodes.reserve(reached.size());
  std::move(reached.begin(), reached.end(), std::back_inserter(trace.nodes));
  return trace;
}

}  // namespace aliquot::materials
