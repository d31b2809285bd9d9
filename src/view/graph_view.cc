// `tfprod view`'s picture: a Graph as Graphviz DOT (graph_view.h).
#include "tfprod/graph_view.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "tfprod/error.h"
#include "tfprod/tensor.h"
#include "tfprod/tensor_name.h"

namespace tfprod {

namespace {

// A training-only scope this big or bigger is drawn as one summary box.
constexpr std::size_t kMinCollapse = 3;
// Above this many boxes, the biggest scopes are collapsed too, so that dot
// finishes in seconds (unless everything is asked for).
constexpr std::size_t kMaxBoxes = 1500;

constexpr const char* kInputColor = "#1a7f37";
constexpr const char* kOutputColor = "#0b5cad";
constexpr const char* kCutColor = "#d1242f";

const char* role_color(Role role) {
  switch (role) {
    case Role::kModel: return "#ffffff";
    case Role::kInputPipeline: return "#fdd9b5";
    case Role::kLoss: return "#f4b6b6";
    case Role::kGradients: return "#ddd0f2";
    case Role::kOptimizer: return "#c5b3e6";
    case Role::kSaver: return "#d9d9d9";
    case Role::kSummary: return "#fff2a8";
    case Role::kInitializer: return "#e3e3c0";
    case Role::kMetrics: return "#bfeaea";
    case Role::kGlobalStep: return "#e8cfb0";
    case Role::kDropout: return "#ffc8e4";
    case Role::kTrainingSwitch: return "#ff9e9e";
  }
  return "#ffffff";
}

constexpr Role kAllRoles[] = {Role::kModel,       Role::kInputPipeline, Role::kLoss,    Role::kGradients,
                              Role::kOptimizer,   Role::kSaver,         Role::kSummary, Role::kInitializer,
                              Role::kMetrics,     Role::kGlobalStep,    Role::kDropout, Role::kTrainingSwitch};

// "dense/MatMul" -> "dense"; "softmax_tensor" -> "softmax_tensor" (a node
// named like a scope belongs to it, as in TensorBoard).
std::string top_scope(const std::string& name) { return name.substr(0, name.find('/')); }

std::string const_shape(const Node& n) {
  if (n.op != "Const") return "";
  const auto* v = n.attr("value");
  if (!v || !v->has_tensor()) return "";
  const auto& s = v->tensor().tensor_shape();
  if (s.unknown_rank()) return " [?]";
  std::string out = " [";
  for (int i = 0; i < s.dim_size(); ++i) out += fmt::format("{}{}", i ? "," : "", s.dim(i).size());
  return out + "]";
}

// dot_quote for a tooltip: Graphviz expands \N, \G, ... there even after an
// escaped backslash, so such a backslash is escaped twice.
std::string tooltip_quote(std::string_view text) {
  std::string out = dot_quote(text);
  for (std::size_t at = out.find("\\\\"); at != std::string::npos; at = out.find("\\\\", at + 2)) {
    if (at + 2 < out.size() && std::string_view("GNEHTL").find(out[at + 2]) != std::string_view::npos) {
      out.insert(at, "\\\\");
      at += 2;
    }
  }
  return out;
}

struct Scope {
  std::vector<const Node*> members;  // kept nodes, graph order
  bool collapsed = false;
  std::string id;  // summary box id when collapsed
};

}  // namespace

std::string dot_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else if (c == '&') out += "&amp;";
    else if ((static_cast<unsigned char>(c) < 0x20) || c == 0x7f) continue;
    else out += c;
  }
  return out;
}

GraphView graph_view(const Graph& graph, const GraphViewOptions& options) {
  for (const auto& name : options.outputs)
    if (!graph.find(TensorRef::parse(name).node))
      fail("{}: output '{}': no node of that name", graph.source(), name);
  GraphView view;
  const auto nodes = graph.nodes();
  view.nodes_total = nodes.size();
  const auto roles = training_roles(graph);
  auto role = [&](const Node* n) {
    auto it = roles.find(n);
    return it == roles.end() ? Role::kModel : it->second;
  };
  view.io = guess_io(graph, options.outputs);

  std::unordered_set<const Node*> inputs, outputs, cut_points;
  for (const auto& c : view.io.inputs) {
    const Node* n = graph.find(node_of(c.name));
    if (!n) continue;
    inputs.insert(n);
    if (c.cut) cut_points.insert(n);
  }
  for (const auto& c : view.io.outputs)
    if (const Node* n = graph.find(node_of(c.name))) outputs.insert(n);
  for (const Node* n : nodes)
    if (is_pipeline_cut_point(n->op)) cut_points.insert(n);

  // The nodes drawn: all, or what the outputs need down to the inputs.
  std::unordered_set<const Node*> kept;
  if (options.inference_only) {
    if (outputs.empty())
      fail("{}: no likely output found to keep the ancestors of; name the outputs", graph.source());
    std::vector<const Node*> stack(outputs.begin(), outputs.end());
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (!kept.insert(n).second || inputs.count(n)) continue;
      for (const auto& in : n->inputs) stack.push_back(in.node);
      for (const Node* c : n->control_inputs) stack.push_back(c);
    }
  } else {
    kept.insert(nodes.begin(), nodes.end());
  }
  view.nodes_drawn = kept.size();

  // Top-level name scopes; inputs and outputs always stay boxes of their own.
  std::map<std::string, Scope> scopes;
  std::vector<std::string> scope_order;
  for (const Node* n : nodes) {
    if (!kept.count(n) || inputs.count(n) || outputs.count(n)) continue;
    auto [it, added] = scopes.try_emplace(top_scope(n->name()));
    if (added) scope_order.push_back(it->first);
    it->second.members.push_back(n);
  }
  std::size_t boxes = kept.size();
  auto collapse = [&](Scope& s) {
    s.collapsed = true;
    boxes -= s.members.size() - 1;
  };
  if (!options.expand_all) {
    for (const auto& key : scope_order) {
      Scope& s = scopes[key];
      if (s.members.size() < 2) continue;
      // Dropout and training switches sit on the model's path: worth seeing.
      const bool training_only = std::all_of(s.members.begin(), s.members.end(), [&](const Node* n) {
        const Role r = role(n);
        return r != Role::kModel && r != Role::kDropout && r != Role::kTrainingSwitch;
      });
      if ((training_only && s.members.size() >= kMinCollapse) ||
          (options.collapse > 0 && s.members.size() > options.collapse))
        collapse(s);
    }
    std::vector<Scope*> by_size;
    for (const auto& key : scope_order)
      if (Scope& s = scopes[key]; !s.collapsed && s.members.size() >= 2) by_size.push_back(&s);
    std::stable_sort(by_size.begin(), by_size.end(),
                     [](const Scope* a, const Scope* b) { return a->members.size() > b->members.size(); });
    for (Scope* s : by_size)
      if (boxes > kMaxBoxes) collapse(*s);
  }
  view.boxes = boxes;

  std::unordered_map<const Node*, std::string> box_of;
  std::size_t index = 0;
  for (const Node* n : nodes) {
    ++index;
    if (kept.count(n)) box_of[n] = fmt::format("n{}", index);
  }
  std::size_t summaries = 0;
  for (const auto& key : scope_order) {
    Scope& s = scopes[key];
    if (!s.collapsed) continue;
    s.id = fmt::format("s{}", ++summaries);
    for (const Node* n : s.members) box_of[n] = s.id;
    view.collapsed.push_back(key + "/");
  }

  std::set<Role> roles_drawn;
  std::string out = "digraph tfprod {\n";
  out += fmt::format(
      "  graph [rankdir=TB, fontname=\"Helvetica\", labelloc=t, label=\"{}: {} of {} nodes{}\"];\n",
      dot_quote(graph.source()), view.nodes_drawn, view.nodes_total,
      options.inference_only ? " (inference only)" : "");
  out += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [color=\"#555555\", arrowsize=0.6];\n";

  auto emit_node = [&](const Node* n, const char* indent) {
    const Role r = role(n);
    roles_drawn.insert(r);
    std::string label = n->name() + "\n" + n->op + const_shape(*n);
    std::string extra;
    if (inputs.count(n)) {
      label += cut_points.count(n) ? "\nlikely input (cut here)" : "\nlikely input";
      extra += fmt::format(", color=\"{}\", penwidth=3", kInputColor);
    } else if (outputs.count(n)) {
      label += "\nlikely output";
      extra += fmt::format(", color=\"{}\", penwidth=3", kOutputColor);
    }
    if (r != Role::kModel) extra += fmt::format(", fillcolor=\"{}\"", role_color(r));
    const std::string& id = box_of[n];
    out += fmt::format("{}{} [id=\"{}\", label=\"{}\", tooltip=\"{}\"{}];\n", indent, id, id, dot_quote(label),
                       tooltip_quote(fmt::format("{} ({}, {})", n->name(), n->op, role_name(r))), extra);
    view.search_index.emplace_back(id, n->name() + " " + n->op);
  };

  // Inputs, outputs and scope-less nodes first, then one cluster per scope.
  for (const Node* n : nodes) {
    if (!kept.count(n)) continue;
    const bool own = inputs.count(n) || outputs.count(n);
    auto it = scopes.find(top_scope(n->name()));
    if (own || it == scopes.end() || it->second.members.size() < 2) emit_node(n, "  ");
  }
  std::size_t cluster = 0;
  for (const auto& key : scope_order) {
    const Scope& s = scopes[key];
    if (s.members.size() < 2) continue;
    if (s.collapsed) {
      std::map<Role, std::size_t> count;
      for (const Node* n : s.members) ++count[role(n)];
      auto most = std::max_element(count.begin(), count.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
      roles_drawn.insert(most->first);
      const std::string what = count.size() == 1 ? role_name(most->first) : "mostly " + std::string(role_name(most->first));
      out += fmt::format(
          "  {} [id=\"{}\", shape=box3d, style=filled, fillcolor=\"{}\", label=\"{}\", tooltip=\"{}\"];\n", s.id, s.id,
          role_color(most->first), dot_quote(fmt::format("{}/\n{} nodes collapsed\n{}", key, s.members.size(), what)),
          tooltip_quote(fmt::format("{}/: {} nodes collapsed ({})", key, s.members.size(), what)));
      std::string text = key + "/";
      for (const Node* n : s.members) text += " " + n->name();
      view.search_index.emplace_back(s.id, std::move(text));
      continue;
    }
    out += fmt::format("  subgraph cluster_{} {{\n    label=\"{}/\"; style=\"rounded,dashed\"; color=\"#aaaaaa\";\n",
                       ++cluster, dot_quote(key));
    for (const Node* n : s.members) emit_node(n, "    ");
    out += "  }\n";
  }

  // Edges between boxes, each drawn once per kind.
  std::set<std::tuple<std::string, std::string, int>> drawn;
  for (const Node* n : nodes) {
    if (!kept.count(n)) continue;
    const std::string& to = box_of[n];
    auto edge = [&](const Node* from_node, int kind) {  // 0 data, 1 control, 2 cut
      auto it = box_of.find(from_node);
      if (it == box_of.end() || it->second == to) return;
      if (!drawn.insert({it->second, to, kind}).second) return;
      std::string style = kind == 1   ? " [style=dotted]"
                          : kind == 2 ? fmt::format(" [style=dashed, color=\"{0}\", fontcolor=\"{0}\", penwidth=2, "
                                                    "label=\"cut\"]", kCutColor)
                                      : "";
      out += fmt::format("  {} -> {}{};\n", it->second, to, style);
    };
    const bool into_model = role(n) == Role::kModel;
    for (const auto& in : n->inputs) edge(in.node, cut_points.count(in.node) && into_model ? 2 : 0);
    for (const Node* c : n->control_inputs) edge(c, 1);
  }

  // Legend: the colours drawn, the borders and the edge styles.
  out += "  subgraph cluster_legend {\n    label=\"Legend\"; style=rounded; color=\"#888888\"; fontsize=11;\n";
  std::size_t k = 0;
  for (Role r : kAllRoles)
    if (roles_drawn.count(r))
      out += fmt::format("    legend_{} [label=\"{}\", fillcolor=\"{}\"];\n", ++k, role_name(r), role_color(r));
  out += fmt::format("    legend_in [label=\"likely input\", color=\"{}\", penwidth=3];\n", kInputColor);
  out += fmt::format("    legend_out [label=\"likely output\", color=\"{}\", penwidth=3];\n", kOutputColor);
  out += "    legend_a [label=\"pipeline output\", fillcolor=\"" + std::string(role_color(Role::kInputPipeline)) +
         "\"]; legend_b [label=\"model op\"];\n";
  out += fmt::format("    legend_a -> legend_b [style=dashed, color=\"{}\", fontcolor=\"{}\", penwidth=2, label=\"cut\"];\n",
                     kCutColor, kCutColor);
  out += "    legend_c [label=\"node\"]; legend_d [label=\"runs after\"];\n";
  out += "    legend_c -> legend_d [style=dotted, label=\"control\"];\n  }\n}\n";
  view.dot = std::move(out);
  return view;
}

}  // namespace tfprod
