// Lot genealogy (21 CFR 211.184, G-08; 1271.290(b), T-01): which lots, suppliers and starting
// material went into a batch, and which batches, product units and patients a lot reached, across
// any number of intermediate lots, as of any instant. The graph's nodes are lots and batches; its
// edges are consumptions (lot -> batch, lot -> lot) and production (batch -> lot), each dated by
// the event that recorded it. The walk here is pure: the caller supplies each node's edges.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"

namespace aliquot::materials {

// A node's key: "lot:<id>" or "batch:<id>".
std::string LotNode(std::string_view lot_id);
std::string BatchNode(std::string_view batch_id);
// The kind ("lot", "batch") and id of a node key; kDataLoss for a key of neither kind.
struct NodeRef {
  std::string kind;
  std::string id;
};
Result<NodeRef> ParseNode(std::string_view node);

struct GenealogyEdge {
  std::string parent;  // Where the material came from.
  std::string child;   // Where it went.
  Timestamp at;
};

enum class Direction { kBackward, kForward };

// The edges leading from `node` in the walk's direction: for kBackward those whose child is
// `node`, for kForward those whose parent is `node`. Calls `visit` for each.
using EdgeSource = std::function<Status(const std::string& node, Direction direction,
                                        const std::function<void(const GenealogyEdge&)>& visit)>;

struct Trace {
  std::string root;
  Direction direction = Direction::kBackward;
  Timestamp as_of;
  std::vector<std::string> nodes;    // Every node reached, root excluded, each once, in walk order.
  std::vector<GenealogyEdge> edges;  // Every edge followed, dated at or before as_of.
  bool truncated = false;            // The walk stopped at max_nodes.
};

// Walks from `root` in `direction`, following only edges dated at or before `as_of` (what was
// known then), breadth first, each node once (the graph may join: a lot feeds two intermediates
// that feed one batch). Stops after `max_nodes` nodes with `truncated` set. Returns the source's
// errors as they are.
Result<Trace> TraceGenealogy(const std::string& root, Direction direction, Timestamp as_of,
                             const EdgeSource& source, std::size_t max_nodes);

}  // namespace aliquot::materials
