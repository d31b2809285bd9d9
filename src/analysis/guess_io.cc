// Guessing a training graph's model inputs and outputs.
#include <algorithm>
#include <cctype>
#include <unordered_set>

#include <fmt/format.h>

#include "tfprod/analysis.h"
#include "tfprod/freeze.h"

namespace tfprod {

namespace {

struct EndpointHash {
  std::size_t operator()(const Endpoint& e) const { return std::hash<const void*>()(e.node) * 31 + e.index; }
};
using EndpointSet = std::unordered_set<Endpoint, EndpointHash>;

std::string tensor_name(const Endpoint& e) {
  return e.index == 0 ? e.node->name() : fmt::format("{}:{}", e.node->name(), e.index);
}

class Analysis {
 public:
  explicit Analysis(const Graph& graph) : graph_(graph), roles_(training_roles(graph)) {}

  Role role(const Node* n) const {
    auto it = roles_.find(n);
    return it == roles_.end() ? Role::kModel : it->second;
  }

  // A tensor the model could be fed: a model placeholder or a cut point.
  bool is_input_node(const Node* n) const {
    if (is_pipeline_cut_point(n->op)) return true;
    if (n->op != "Placeholder" && n->op != "PlaceholderWithDefault") return false;
    // A DT_RESOURCE placeholder is a variable handle a TF2 function captured, not data.
    const auto* dtype = n->attr("dtype");
    if (dtype && dtype->type() == tfprod::tf::DT_RESOURCE) return false;
    return role(n) == Role::kModel;
  }

  // Input tensors the roots read (not looking past inputs), in graph order.
  std::vector<Endpoint> reads(const std::vector<const Node*>& roots) const {
    EndpointSet found;
    std::unordered_set<const Node*> seen;
    std::vector<const Node*> stack(roots);
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (!seen.insert(n).second || is_input_node(n)) continue;
      for (const auto& in : n->inputs) {
        if (is_input_node(in.node)) found.insert(in);
        stack.push_back(in.node);
      }
      for (const Node* c : n->control_inputs) stack.push_back(c);
    }
    for (const Node* r : roots)
      if (is_input_node(r)) found.insert({const_cast<Node*>(r), 0});
    return ordered(found);
  }

  // Tensors a loss takes as its labels, and placeholders named like labels.
  EndpointSet labels() const {
    EndpointSet out;
    for (const Node* n : graph_.nodes()) {
      if ((n->op == "SparseSoftmaxCrossEntropyWithLogits" || n->op == "SoftmaxCrossEntropyWithLogits") &&
          n->inputs.size() >= 2) {
        const Endpoint label = n->inputs[1];
        if (is_input_node(label.node))
          out.insert(label);
        else
          for (const auto& e : reads({label.node})) out.insert(e);
      }
      if (n->op == "Placeholder" && role(n) == Role::kModel) {
        std::string last = n->name().substr(n->name().rfind('/') + 1);
        std::string lower = last;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower.find("label") != std::string::npos || lower.find("target") != std::string::npos || last == "y_" || last == "Y")
          out.insert({const_cast<Node*>(n), 0});
      }
    }
    return out;
  }

  // Forward nodes TF wrote gradients for ("gradients/dense/MatMul_grad/..."
  // -> "dense/MatMul"): a sink among them is the loss being minimised.
  std::unordered_set<std::string> differentiated() const {
    std::unordered_set<std::string> out;
    for (const Node* n : graph_.nodes()) {
      const std::string& name = n->name();
      if (!name.starts_with("gradients")) continue;
      std::size_t slash = name.find('/');
      std::size_t grad = name.find("_grad/", slash);
      if (slash != std::string::npos && grad != std::string::npos) out.insert(name.substr(slash + 1, grad - slash - 1));
    }
    return out;
  }

  std::vector<Endpoint> ordered(const EndpointSet& set) const {
    std::vector<Endpoint> v(set.begin(), set.end());
    std::unordered_map<const Node*, std::size_t> order;
    std::size_t i = 0;
    for (const Node* n : graph_.nodes()) order[n] = i++;
    std::sort(v.begin(), v.end(), [&](const Endpoint& a, const Endpoint& b) {
      return order[a.node] != order[b.node] ? order[a.node] < order[b.node] : a.index < b.index;
    });
    return v;
  }

 private:
  const Graph& graph_;
  std::unordered_map<const Node*, Role> roles_;
};

std::string names(const std::vector<Endpoint>& v) {
  std::string out;
  for (const auto& e : v) out += (out.empty() ? "" : ", ") + tensor_name(e);
  return out;
}

}  // namespace

namespace {

// What a loss does to a prediction before comparing it with a target:
// Log(clip_by_value(softmax, eps, 1)) -> softmax.
const Node* before_loss_prep(const Node* n) {
  for (;;) {
    const bool unary = n->op == "Log" || n->op == "Neg" || n->op == "Identity" || n->op == "StopGradient" ||
                       n->op == "ClipByValue" || n->op == "Reshape";
    const bool with_const = (n->op == "Maximum" || n->op == "Minimum" || n->op == "Add" || n->op == "AddV2") &&
                            n->inputs.size() == 2 && n->inputs[1].node->op == "Const";
    if ((!unary && !with_const) || n->inputs.empty()) return n;
    n = n->inputs[0].node;
  }
}

}  // namespace

namespace {

// guess_io's steps, sharing the analysis, the labels and what has been kept.
class IoGuesser {
 public:
  IoGuesser(const Graph& graph, const std::vector<std::string>& given)
      : graph_(graph), given_(given), a_(graph), labels_(a_.labels()) {}

  IoGuess run() {
    for (const auto& l : a_.ordered(labels_)) guess_.labels.push_back(tensor_name(l));
    if (!given_.empty()) {
      keep_given();
    } else {
      std::vector<const Node*> anchors = sort_sinks();
      // No output and no loss among the sinks: the loss is read only by its
      // summary and the gradients (an Estimator's L2Loss under a ScalarSummary).
      if (anchors.empty() && kept_.empty()) anchors = losses();
      keep_predictions(anchors);
      drop_top_classes();
      drop_outputs_read_by_outputs();
    }
    report_outputs_and_inputs();
    return std::move(guess_);
  }

 private:
  // The input tensors a node reads, split into features and labels.
  struct Reads {
    std::vector<Endpoint> features, labels;
  };
  struct Kept {
    const Node* node;
    std::vector<Endpoint> features;
    std::string reason;
  };

  // The frontier search asks for every input of every node: computed once each.
  const Reads& split(const Node* n) {
    auto [it, fresh] = reads_cache_.try_emplace(n);
    if (fresh)
      for (const auto& e : a_.reads({n})) (labels_.count(e) ? it->second.labels : it->second.features).push_back(e);
    return it->second;
  }

  void keep_given() {
    for (const auto& name : given_) {
      const Node* n = graph_.find(TensorRef::parse(name).node);
      if (!n) continue;  // the caller reports unknown names
      kept_.push_back({n, a_.reads({n}), "given"});
    }
  }

  // Each node nothing reads is kept as an output or set aside with the
  // reason; returns the losses and what compares predictions with labels.
  std::vector<const Node*> sort_sinks() {
    const auto differentiated = a_.differentiated();
    std::vector<const Node*> anchors;
    for (const auto& name : candidate_outputs(graph_)) {
      const Node* n = graph_.find(name);
      const auto& [features, read_labels] = split(n);
      if (Role r = a_.role(n); r != Role::kModel) {
        guess_.rejected.push_back({name, fmt::format("part of the {}", role_name(r)), {}, false});
        if (r == Role::kLoss || r == Role::kMetrics) anchors.push_back(n);
      } else if (!read_labels.empty()) {
        guess_.rejected.push_back({name, fmt::format("reads the labels ({})", names(read_labels)), {}, false});
        anchors.push_back(n);
      } else if (features.empty()) {
        guess_.rejected.push_back({name, "reads no input", {}, false});
      } else if (differentiated.count(name)) {
        guess_.rejected.push_back({name, "the loss the optimizer minimises", {}, false});
        anchors.push_back(n);
      } else {
        kept_.push_back({n, features, fmt::format("{} that nothing reads, computed from {}", n->op, names(features))});
      }
    }
    return anchors;
  }

  std::vector<const Node*> losses() const {
    std::vector<const Node*> out;
    for (const Node* n : graph_.nodes())
      if (a_.role(n) == Role::kLoss || a_.role(n) == Role::kMetrics) out.push_back(n);
    return out;
  }

  // Where a loss or metric compares a prediction with a target: the
  // prediction is an output (before the loss's Log / clipping). Targets are
  // the labels, or else an input read directly (an autoencoder's).
  void keep_predictions(const std::vector<const Node*>& anchors) {
    const auto all_nodes = graph_.nodes();
    const auto loss_nodes = ancestors(anchors);
    for (int pass = 0; pass < 2; ++pass) {
      std::size_t found = 0;
      for (const Node* j : pass == 0 ? std::vector<const Node*>(all_nodes.begin(), all_nodes.end()) : loss_nodes)
        found += keep_predictions_compared_by(j, pass == 0);
      if (found) break;
    }
  }

  // The predictions `j` compares with a target (the labels when
  // `with_labels`, else an input): how many were kept.
  std::size_t keep_predictions_compared_by(const Node* j, bool with_labels) {
    if (a_.role(j) == Role::kGradients || a_.role(j) == Role::kOptimizer) return 0;
    bool target = false;
    for (const auto& in : j->inputs) {
      if (in.node->op == "Const") continue;
      const auto& [f, l] = split(in.node);
      if (with_labels ? (!l.empty() && f.empty()) : a_.is_input_node(in.node)) target = true;
    }
    if (!target) return 0;
    std::size_t found = 0;
    for (const auto& in : j->inputs) {
      if (in.node->op == "Const" || a_.is_input_node(in.node)) continue;
      const auto& [f, l] = split(in.node);
      if (f.empty() || !l.empty()) continue;
      // Back out of the loss's own scope (Keras normalises and clips the
      // prediction inside loss/...), then past the loss's preparations.
      const Node* p = in.node;
      for (int depth = 0; depth < 16 && a_.role(p) != Role::kModel && !p->inputs.empty(); ++depth)
        p = before_loss_prep(p)->inputs.empty() ? p : before_loss_prep(p)->inputs[0].node;
      p = before_loss_prep(p);
      if (a_.role(p) != Role::kModel || a_.is_input_node(p)) continue;
      bool dup = false;
      for (const auto& k : kept_) dup = dup || k.node == p;
      if (dup) continue;
      kept_.push_back({p, split(p).features,
                       fmt::format("{} compared with the {} by {}", p->op, with_labels ? "labels" : "target", j->name())});
      ++found;
    }
    return found;
  }

  void drop(std::size_t i, std::string why) {
    guess_.rejected.push_back({kept_[i].node->name(), std::move(why), {}, false});
    kept_.erase(kept_.begin() + static_cast<long>(i));
  }

  // The ArgMax of an output, or of what a Softmax output reads, is that
  // output's top class.
  void drop_top_classes() {
    for (std::size_t i = 0; i < kept_.size();) {
      const Node* n = kept_[i].node;
      const Node* over = nullptr;
      for (const auto& k : kept_) {
        if (k.node == n || n->op != "ArgMax" || n->inputs.empty()) continue;
        for (const Node* up = n->inputs[0].node;;) {
          if (up == k.node || (k.node->op == "Softmax" && k.node->inputs[0].node == up)) over = k.node;
          const bool through = up->op == "Identity" || up->op == "Softmax" || up->op == "Sigmoid" ||
                               up->op == "Reshape" || up->op == "Squeeze";
          if (over || !through || up->inputs.empty()) break;
          up = up->inputs[0].node;
        }
        if (over) break;
      }
      if (over)
        drop(i, fmt::format("the top class of {}", over->name()));
      else
        ++i;
    }
  }

  // An output another output is computed from is not one (logits under a softmax).
  void drop_outputs_read_by_outputs() {
    for (std::size_t i = 0; i < kept_.size();) {
      const Node* n = kept_[i].node;
      const Node* over = nullptr;
      for (const auto& k : kept_) {
        if (k.node == n) continue;
        auto up = ancestors({k.node});
        if (std::find(up.begin(), up.end(), n) != up.end()) {
          over = k.node;
          break;
        }
      }
      if (over)
        drop(i, fmt::format("{} is computed from it", over->name()));
      else
        ++i;
    }
  }

  // The kept outputs, and the inputs they read (labels only when given).
  void report_outputs_and_inputs() {
    EndpointSet inputs;
    for (const auto& k : kept_) {
      guess_.outputs.push_back({k.node->name(), k.reason, declared_output(*k.node, 0), false});
      for (const auto& e : k.features)
        if (!labels_.count(e) || !given_.empty()) inputs.insert(e);
    }
    if (!given_.empty())
      for (std::size_t i = 0; i < given_.size() && i < guess_.outputs.size(); ++i) guess_.outputs[i].name = given_[i];
    for (const auto& e : a_.ordered(inputs)) {
      const bool cut = is_pipeline_cut_point(e.node->op);
      std::string reason = cut ? fmt::format("{} output {}: the input pipeline feeds the model here; cut it",
                                             e.node->op, e.index)
                               : fmt::format("{} the outputs read", e.node->op);
      guess_.inputs.push_back({tensor_name(e), std::move(reason), declared_output(*e.node, e.index), cut});
    }
  }

  const Graph& graph_;
  const std::vector<std::string>& given_;
  Analysis a_;
  const EndpointSet labels_;
  IoGuess guess_;
  std::unordered_map<const Node*, Reads> reads_cache_;
  std::vector<Kept> kept_;
};

}  // namespace

IoGuess guess_io(const Graph& graph, const std::vector<std::string>& given) { return IoGuesser(graph, given).run(); }

}  // namespace tfprod
