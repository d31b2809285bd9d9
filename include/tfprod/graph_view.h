// A training graph as a picture (`tfprod view`): Graphviz DOT with every node
// a box labelled name and op, coloured by its training role (analysis.h), the
// likely inputs and outputs highlighted, the cut between an input pipeline and
// the model drawn as dashed red edges, and big training-only name scopes
// collapsed into one summary node each. Also: DOT -> SVG through Graphviz's
// `dot`, and a self-contained HTML page with the SVG and a search box.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tfprod/analysis.h"
#include "tfprod/graph.h"

namespace tfprod {

struct GraphViewOptions {
  std::vector<std::string> outputs;  // given outputs ("node" or "node:port"); empty: guessed
  // Only the ancestors of the outputs, not looking past the inputs: what an
  // exported model holds.
  bool inference_only = false;
  // Draw every node: no scope is collapsed.
  bool expand_all = false;
  // Also collapse any top-level name scope holding more than this many nodes
  // (0: only training-only scopes are collapsed).
  std::size_t collapse = 0;
};

struct GraphView {
  std::string dot;
  IoGuess io;                    // the inputs and outputs highlighted, with reasons
  std::size_t nodes_total = 0;   // nodes of the graph
  std::size_t nodes_drawn = 0;   // nodes kept (all, or the inference ancestors)
  std::size_t boxes = 0;         // boxes drawn: kept nodes outside collapsed scopes + summaries
  std::vector<std::string> collapsed;  // scopes drawn as one summary node ("gradients/")
  // Searchable text of each box, by its SVG element id ("n12" -> "dense/MatMul MatMul").
  std::vector<std::pair<std::string, std::string>> search_index;
};

// Throws Error naming the graph's source for a given output that names no
// node, or (inference_only) when no output is given or found.
GraphView graph_view(const Graph& graph, const GraphViewOptions& options = {});

// Text for a double-quoted DOT string used as a label or tooltip: \ " and
// newlines escaped, & written as an entity, control characters dropped.
std::string dot_quote(std::string_view text);
// Text for HTML element content and attribute values.
std::string html_escape(std::string_view text);

// The path of Graphviz's `dot` on PATH, or empty.
std::string find_dot();
// Runs `dot -Tsvg` on `dot`. Throws Error when Graphviz is not installed
// (saying to install it or write .dot) or when dot fails (with its message).
std::string dot_to_svg(const std::string& dot);

// One self-contained page: the SVG inline, a search box (matching boxes
// highlighted and scrolled to) and a table of the likely inputs and outputs.
std::string graph_view_html(const GraphView& view, const std::string& svg, const std::string& title);

}  // namespace tfprod
