// `tfprod view`'s picture: a Graph as Graphviz DOT (graph_view.h).
#include "tfprod/graph_view.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
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

namespace {

// graph_view's steps, sharing what they find: the likely inputs and outputs,
// the nodes drawn, their scopes and boxes, then the DOT text.
class ViewBuilder {
 public:
  ViewBuilder(const Graph& graph, const GraphViewOptions& options)
      : graph_(graph), options_(options), nodes_(graph.nodes()), roles_(training_roles(graph)) {}

  GraphView build() {
    check_outputs();
    view_.nodes_total = nodes_.size();
    view_.io = guess_io(graph_, options_.outputs);
    mark_inputs_and_outputs();
    choose_nodes();
    group_into_scopes();
    collapse_scopes();
    assign_boxes();
    write_header();
    write_nodes();
    write_edges();
    write_legend();
    view_.dot = std::move(out_);
    return std::move(view_);
  }

 private:
  Role role(const Node* n) const {
    auto it = roles_.find(n);
    return it == roles_.end() ? Role::kModel : it->second;
  }

  void check_outputs() const {
    for (const auto& name : options_.outputs)
      if (!graph_.find(TensorRef::parse(name).node))
        fail("{}: output '{}': no node of that name", graph_.source(), name);
  }

  void mark_inputs_and_outputs() {
    for (const auto& c : view_.io.inputs) {
      const Node* n = graph_.find(node_of(c.name));
      if (!n) continue;
      inputs_.insert(n);
      if (c.cut) cut_points_.insert(n);
    }
    for (const auto& c : view_.io.outputs)
      if (const Node* n = graph_.find(node_of(c.name))) outputs_.insert(n);
    for (const Node* n : nodes_)
      if (is_pipeline_cut_point(n->op)) cut_points_.insert(n);
  }

  // The nodes drawn: all, or what the outputs need down to the inputs.
  void choose_nodes() {
    if (options_.inference_only) {
      if (outputs_.empty())
        fail("{}: no likely output found to keep the ancestors of; name the outputs", graph_.source());
      std::vector<const Node*> stack(outputs_.begin(), outputs_.end());
      while (!stack.empty()) {
        const Node* n = stack.back();
        stack.pop_back();
        if (!kept_.insert(n).second || inputs_.count(n)) continue;
        for (const auto& in : n->inputs) stack.push_back(in.node);
        for (const Node* c : n->control_inputs) stack.push_back(c);
      }
    } else {
      kept_.insert(nodes_.begin(), nodes_.end());
    }
    view_.nodes_drawn = kept_.size();
  }

  // Top-level name scopes; inputs and outputs always stay boxes of their own.
  void group_into_scopes() {
    for (const Node* n : nodes_) {
      if (!kept_.count(n) || inputs_.count(n) || outputs_.count(n)) continue;
      auto [it, added] = scopes_.try_emplace(top_scope(n->name()));
      if (added) scope_order_.push_back(it->first);
      it->second.members.push_back(n);
    }
  }

  // Training-only scopes, scopes over --collapse, then the biggest scopes
  // while there are too many boxes.
  void collapse_scopes() {
    std::size_t boxes = kept_.size();
    auto collapse = [&](Scope& s) {
      s.collapsed = true;
      boxes -= s.members.size() - 1;
    };
    if (!options_.expand_all) {
      for (const auto& key : scope_order_) {
        Scope& s = scopes_[key];
        if (s.members.size() < 2) continue;
        // Dropout and training switches sit on the model's path: worth seeing.
        const bool training_only = std::all_of(s.members.begin(), s.members.end(), [&](const Node* n) {
          const Role r = role(n);
          return r != Role::kModel && r != Role::kDropout && r != Role::kTrainingSwitch;
        });
        if ((training_only && s.members.size() >= kMinCollapse) ||
            (options_.collapse > 0 && s.members.size() > options_.collapse))
          collapse(s);
      }
      std::vector<Scope*> by_size;
      for (const auto& key : scope_order_)
        if (Scope& s = scopes_[key]; !s.collapsed && s.members.size() >= 2) by_size.push_back(&s);
      std::stable_sort(by_size.begin(), by_size.end(),
                       [](const Scope* a, const Scope* b) { return a->members.size() > b->members.size(); });
      for (Scope* s : by_size)
        if (boxes > kMaxBoxes) collapse(*s);
    }
    view_.boxes = boxes;
  }

  // Each kept node's box id: its own, or its collapsed scope's summary.
  void assign_boxes() {
    std::size_t index = 0;
    for (const Node* n : nodes_) {
      ++index;
      if (kept_.count(n)) box_of_[n] = fmt::format("n{}", index);
    }
    std::size_t summaries = 0;
    for (const auto& key : scope_order_) {
      Scope& s = scopes_[key];
      if (!s.collapsed) continue;
      s.id = fmt::format("s{}", ++summaries);
      for (const Node* n : s.members) box_of_[n] = s.id;
      view_.collapsed.push_back(key + "/");
    }
  }

  void write_header() {
    out_ = "digraph tfprod {\n";
    out_ += fmt::format(
        "  graph [rankdir=TB, fontname=\"Helvetica\", labelloc=t, label=\"{}: {} of {} nodes{}\"];\n",
        dot_quote(graph_.source()), view_.nodes_drawn, view_.nodes_total,
        options_.inference_only ? " (inference only)" : "");
    out_ += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n";
    out_ += "  edge [color=\"#555555\", arrowsize=0.6];\n";
  }

  void write_node(const Node* n, const char* indent) {
    const Role r = role(n);
    roles_drawn_.insert(r);
    std::string label = n->name() + "\n" + n->op + const_shape(*n);
    std::string extra;
    if (inputs_.count(n)) {
      label += cut_points_.count(n) ? "\nlikely input (cut here)" : "\nlikely input";
      extra += fmt::format(", color=\"{}\", penwidth=3", kInputColor);
    } else if (outputs_.count(n)) {
      label += "\nlikely output";
      extra += fmt::format(", color=\"{}\", penwidth=3", kOutputColor);
    }
    if (r != Role::kModel) extra += fmt::format(", fillcolor=\"{}\"", role_color(r));
    const std::string& id = box_of_[n];
    out_ += fmt::format("{}{} [id=\"{}\", label=\"{}\", tooltip=\"{}\"{}];\n", indent, id, id, dot_quote(label),
                        tooltip_quote(fmt::format("{} ({}, {})", n->name(), n->op, role_name(r))), extra);
    view_.search_index.emplace_back(id, n->name() + " " + n->op);
  }

  // A collapsed scope's one box, coloured by its most frequent role.
  void write_summary(const std::string& key, const Scope& s) {
    std::map<Role, std::size_t> count;
    for (const Node* n : s.members) ++count[role(n)];
    auto most = std::max_element(count.begin(), count.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    roles_drawn_.insert(most->first);
    const std::string what = count.size() == 1 ? role_name(most->first) : "mostly " + std::string(role_name(most->first));
    out_ += fmt::format(
        "  {} [id=\"{}\", shape=box3d, style=filled, fillcolor=\"{}\", label=\"{}\", tooltip=\"{}\"];\n", s.id, s.id,
        role_color(most->first), dot_quote(fmt::format("{}/\n{} nodes collapsed\n{}", key, s.members.size(), what)),
        tooltip_quote(fmt::format("{}/: {} nodes collapsed ({})", key, s.members.size(), what)));
    std::string text = key + "/";
    for (const Node* n : s.members) text += " " + n->name();
    view_.search_index.emplace_back(s.id, std::move(text));
  }

  // Inputs, outputs and scope-less nodes first, then one cluster per scope.
  void write_nodes() {
    for (const Node* n : nodes_) {
      if (!kept_.count(n)) continue;
      const bool own = inputs_.count(n) || outputs_.count(n);
      auto it = scopes_.find(top_scope(n->name()));
      if (own || it == scopes_.end() || it->second.members.size() < 2) write_node(n, "  ");
    }
    std::size_t cluster = 0;
    for (const auto& key : scope_order_) {
      const Scope& s = scopes_[key];
      if (s.members.size() < 2) continue;
      if (s.collapsed) {
        write_summary(key, s);
        continue;
      }
      out_ += fmt::format("  subgraph cluster_{} {{\n    label=\"{}/\"; style=\"rounded,dashed\"; color=\"#aaaaaa\";\n",
                          ++cluster, dot_quote(key));
      for (const Node* n : s.members) write_node(n, "    ");
      out_ += "  }\n";
    }
  }

  // Edges between boxes, each drawn once per kind.
  void write_edges() {
    std::set<std::tuple<std::string, std::string, int>> drawn;
    for (const Node* n : nodes_) {
      if (!kept_.count(n)) continue;
      const std::string& to = box_of_[n];
      auto edge = [&](const Node* from_node, int kind) {  // 0 data, 1 control, 2 cut
        auto it = box_of_.find(from_node);
        if (it == box_of_.end() || it->second == to) return;
        if (!drawn.insert({it->second, to, kind}).second) return;
        std::string style = kind == 1   ? " [style=dotted]"
                            : kind == 2 ? fmt::format(" [style=dashed, color=\"{0}\", fontcolor=\"{0}\", penwidth=2, "
                                                      "label=\"cut\"]", kCutColor)
                                        : "";
        out_ += fmt::format("  {} -> {}{};\n", it->second, to, style);
      };
      const bool into_model = role(n) == Role::kModel;
      for (const auto& in : n->inputs) edge(in.node, cut_points_.count(in.node) && into_model ? 2 : 0);
      for (const Node* c : n->control_inputs) edge(c, 1);
    }
  }

  // Legend: the colours drawn, the borders and the edge styles.
  void write_legend() {
    out_ += "  subgraph cluster_legend {\n    label=\"Legend\"; style=rounded; color=\"#888888\"; fontsize=11;\n";
    std::size_t k = 0;
    for (Role r : kAllRoles)
      if (roles_drawn_.count(r))
        out_ += fmt::format("    legend_{} [label=\"{}\", fillcolor=\"{}\"];\n", ++k, role_name(r), role_color(r));
    out_ += fmt::format("    legend_in [label=\"likely input\", color=\"{}\", penwidth=3];\n", kInputColor);
    out_ += fmt::format("    legend_out [label=\"likely output\", color=\"{}\", penwidth=3];\n", kOutputColor);
    out_ += "    legend_a [label=\"pipeline output\", fillcolor=\"" + std::string(role_color(Role::kInputPipeline)) +
            "\"]; legend_b [label=\"model op\"];\n";
    out_ += fmt::format(
        "    legend_a -> legend_b [style=dashed, color=\"{}\", fontcolor=\"{}\", penwidth=2, label=\"cut\"];\n",
        kCutColor, kCutColor);
    out_ += "    legend_c [label=\"node\"]; legend_d [label=\"runs after\"];\n";
    out_ += "    legend_c -> legend_d [style=dotted, label=\"control\"];\n  }\n}\n";
  }

  const Graph& graph_;
  const GraphViewOptions& options_;
  const std::vector<Node*> nodes_;
  const std::unordered_map<const Node*, Role> roles_;
  GraphView view_;
  std::unordered_set<const Node*> inputs_, outputs_, cut_points_, kept_;
  std::map<std::string, Scope> scopes_;
  std::vector<std::string> scope_order_;
  std::unordered_map<const Node*, std::string> box_of_;
  std::set<Role> roles_drawn_;
  std::string out_;
};

}  // namespace

GraphView graph_view(const Graph& graph, const GraphViewOptions& options) { return ViewBuilder(graph, options).build(); }

}  // namespace tfprod
