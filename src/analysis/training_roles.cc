// Which nodes of a training graph only matter for training, and why.
//
// Seeds come from ops (SaveV2, Apply*, *Summary, iterators and queues, loss
// ops, bool placeholders) and from the name scopes TensorFlow's libraries
// write (save/, gradients/, Adam, report_uninitialized_variables, acc_op...).
// Then roles spread: a node that reads only training nodes and constants
// belongs to their part (the Mean of a loss, a concat of report ops), and a
// node read only by one part belongs to it (a save/ Const, an optimizer slot,
// a dropout's shape). The input pipeline, dropout and switches spread only
// upwards (the model reads them); loss, gradients and metrics only downwards
// (they read the model).
#include <string_view>
#include <unordered_set>

#include "tfprod/analysis.h"

namespace tfprod {

namespace {

// Name components, "a/b/c" -> {"a", "b", "c"}.
std::vector<std::string_view> components(std::string_view name) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    out.push_back(name.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// "save", "save_1", "save_12" match "save".
bool is_numbered(std::string_view part, std::string_view base) {
  if (!part.starts_with(base)) return false;
  std::string_view rest = part.substr(base.size());
  if (rest.empty()) return true;
  if (rest[0] != '_' || rest.size() == 1) return false;
  for (char c : rest.substr(1))
    if (c < '0' || c > '9') return false;
  return true;
}

std::optional<Role> op_role(const Node& n) {
  const std::string& op = n.op;
  static const std::unordered_set<std::string> saver = {"SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore",
                                                        "RestoreSlice", "MergeV2Checkpoints", "ShardedFilename",
                                                        "ShardedFilespec"};
  static const std::unordered_set<std::string> loss = {"SparseSoftmaxCrossEntropyWithLogits",
                                                       "SoftmaxCrossEntropyWithLogits", "L2Loss"};
  static const std::unordered_set<std::string> init = {"IsVariableInitialized", "VarIsInitializedOp",
                                                       "ReportUninitializedVariables", "InitializeTableV2",
                                                       "InitializeTableFromTextFileV2"};
  if (saver.count(op)) return Role::kSaver;
  if (op.ends_with("Summary") || op.ends_with("SummaryV2") || op == "WriteSummary") return Role::kSummary;
  if (op.starts_with("Apply") || op.starts_with("ResourceApply") || op.starts_with("SparseApply") ||
      op.starts_with("ResourceSparseApply"))
    return Role::kOptimizer;
  if (loss.count(op)) return Role::kLoss;
  if (init.count(op)) return Role::kInitializer;
  if (is_pipeline_cut_point(op) || op.find("Dataset") != std::string::npos || op.starts_with("Iterator") ||
      op == "OneShotIterator" || op == "MakeIterator" || op.starts_with("Queue") || op.ends_with("QueueV2") ||
      op.ends_with("Queue") || op.starts_with("ReaderRead") || op.ends_with("ReaderV2") || op == "ReadFile" ||
      op == "MatchingFiles")
    return Role::kInputPipeline;
  if ((op == "Placeholder" || op == "PlaceholderWithDefault") && n.attr("dtype") &&
      n.attr("dtype")->type() == tfprod::tf::DT_BOOL)
    return Role::kTrainingSwitch;
  return std::nullopt;
}

std::optional<Role> scope_role(const Node& n) {
  const auto parts = components(n.name());
  const std::string_view first = parts.front(), last = parts.back();
  if (is_numbered(first, "save")) return Role::kSaver;
  if (is_numbered(first, "gradients") || n.name().find("/gradients/") != std::string::npos) return Role::kGradients;
  static const char* const optimizers[] = {"Adam", "GradientDescent", "Momentum", "RMSProp", "Adagrad",
                                           "Adadelta", "Ftrl", "SGD", "beta1_power", "beta2_power",
                                           "train", "training", "OptimizeLoss", "learning_rate"};
  for (const char* o : optimizers)
    if (is_numbered(first, o)) return Role::kOptimizer;
  // Slots: "dense/kernel/Adam", "w/Momentum", "w/RMSProp_1".
  for (const char* slot : {"Adam", "Momentum", "RMSProp", "Adagrad", "Adadelta", "Ftrl"})
    if (parts.size() > 1 && is_numbered(last, slot)) return Role::kOptimizer;
  if (first == "init" || is_numbered(first, "init") || first.starts_with("report_uninitialized") ||
      first == "init_all_tables" || first == "group_deps")
    return Role::kInitializer;
  for (std::size_t i = 1; i < parts.size(); ++i)
    if (parts[i] == "Initializer" || parts[i] == "Assign" || parts[i] == "initial_value") return Role::kInitializer;
  if (first == "summaries" || first.ends_with("_summary")) return Role::kSummary;
  for (const char* m : {"metrics", "accuracy", "Accuracy", "BinaryAccuracy", "acc_op", "mean_iou", "Top-k"})
    if (is_numbered(first, m)) return Role::kMetrics;
  if (first == "global_step" || first == "global_step_1") return Role::kGlobalStep;
  if (first == "loss" || first == "losses" || first == "total_loss" || first == "regularization_loss" ||
      first == "softmax_cross_entropy_loss" || first == "sparse_softmax_cross_entropy_loss")
    return Role::kLoss;
  if (first == "enqueue_input" || first == "input_producer" || first == "batch" || first == "shuffle_batch")
    return Role::kInputPipeline;
  return std::nullopt;
}

bool is_random(const Node& n) {
  return n.op == "RandomUniform" || n.op == "RandomUniformLike" || n.op == "RandomUniformV2" ||
         n.op == "StatelessRandomUniformV2";
}

// The scope prefix of a dropout ("model/dropout_1/") holding a random op.
std::unordered_set<std::string> dropout_scopes(const Graph& graph) {
  std::unordered_set<std::string> scopes;
  for (const Node* n : graph.nodes()) {
    if (!is_random(*n)) continue;
    const auto parts = components(n->name());
    std::string prefix;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      prefix += std::string(parts[i]) + "/";
      if (parts[i].starts_with("dropout")) {
        scopes.insert(prefix);
        break;
      }
    }
  }
  return scopes;
}

// Nodes that carry the model's data: reachable from a model input (a
// placeholder that is not a bool switch, or a pipeline cut point) along data
// edges, not through Shape-like ops (their value is only the shape). Dropout
// and training switches never claim them by spreading up: in a frozen graph
// the activation a dropout multiplies is read by the dropout alone.
std::unordered_set<const Node*> data_carrying(const Graph& graph) {
  std::unordered_set<const Node*> out;
  std::vector<const Node*> stack;
  for (const Node* n : graph.nodes()) {
    const bool source = is_pipeline_cut_point(n->op) ||
                        ((n->op == "Placeholder" || n->op == "PlaceholderWithDefault") &&
                         op_role(*n) != Role::kTrainingSwitch);
    if (source && out.insert(n).second) stack.push_back(n);
  }
  const auto uses = graph.uses();
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    auto it = uses.find(n);
    if (it == uses.end()) continue;
    for (const Use& u : it->second) {
      const std::string& op = u.node->op;
      if (u.input_index < 0 || op == "Shape" || op == "ShapeN" || op == "Size" || op == "Rank") continue;
      if (out.insert(u.node).second) stack.push_back(u.node);
    }
  }
  return out;
}

bool spreads_down(Role r) {
  return r != Role::kModel && r != Role::kInputPipeline && r != Role::kDropout && r != Role::kTrainingSwitch;
}

// Loss, gradients and metrics read model activations: being read by them
// says nothing about a node.
bool spreads_up(Role r) { return r != Role::kModel && r != Role::kLoss && r != Role::kGradients && r != Role::kMetrics; }

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::kModel: return "model";
    case Role::kInputPipeline: return "input pipeline";
    case Role::kLoss: return "loss";
    case Role::kGradients: return "gradients";
    case Role::kOptimizer: return "optimizer";
    case Role::kSaver: return "saver";
    case Role::kSummary: return "summaries";
    case Role::kInitializer: return "initializers";
    case Role::kMetrics: return "metrics";
    case Role::kGlobalStep: return "global step";
    case Role::kDropout: return "dropout";
    case Role::kTrainingSwitch: return "training switch";
  }
  return "model";
}

std::unordered_map<const Node*, Role> training_roles(const Graph& graph) {
  std::unordered_map<const Node*, Role> roles;
  const auto dropouts = dropout_scopes(graph);
  for (const Node* n : graph.nodes()) {
    std::optional<Role> r = op_role(*n);
    if (!r) r = scope_role(*n);
    if (!r && !dropouts.empty()) {
      for (const auto& s : dropouts)
        if (n->name().starts_with(s) && n->op != "Identity") r = Role::kDropout;
    }
    // Switches on a bool placeholder (tf.cond(is_training, ...)).
    if (!r && n->op == "Switch" && n->inputs.size() == 2) {
      const Node* pred = n->inputs[1].node;
      while (pred->op == "Identity" && !pred->inputs.empty()) pred = pred->inputs[0].node;
      std::optional<Role> pr = op_role(*pred);
      if (pr == Role::kTrainingSwitch) r = Role::kTrainingSwitch;
    }
    if (r) roles[n] = *r;
  }
  auto role_of = [&](const Node* n) {
    auto it = roles.find(n);
    return it == roles.end() ? Role::kModel : it->second;
  };
  const auto uses = graph.uses();
  const auto nodes = graph.nodes();
  const auto carries_data = data_carrying(graph);
  for (bool changed = true; changed;) {
    changed = false;
    for (const Node* n : nodes) {
      if (roles.count(n)) continue;
      // Down: everything it reads is one training part (or a constant).
      std::optional<Role> down;
      bool model_input = false;
      for (const auto& in : n->inputs) {
        Role r = role_of(in.node);
        if (r == Role::kModel && in.node->op == "Const") continue;
        if (!spreads_down(r)) {
          model_input = true;
          break;
        }
        if (!down) down = r;
      }
      if (!model_input && down) {
        roles[n] = *down;
        changed = true;
        continue;
      }
      // Up: every reader is one non-model part. A placeholder holding a
      // tensor (not a scalar flag or rate) stays an input of the model.
      if (n->op.starts_with("Placeholder")) {
        const auto* s = n->attr("shape");
        if (s && s->has_shape() && !s->shape().unknown_rank() && s->shape().dim_size() > 0) continue;
      }
      auto it = uses.find(n);
      if (it == uses.end() || it->second.empty()) continue;
      std::optional<Role> up;
      bool mixed = false;
      for (const Use& u : it->second) {
        Role r = role_of(u.node);
        if (!spreads_up(r) || (up && *up != r)) {
          mixed = true;
          break;
        }
        up = r;
      }
      if (!mixed && up && (*up == Role::kDropout || *up == Role::kTrainingSwitch) && carries_data.count(n)) continue;
      if (!mixed && up) {
        roles[n] = *up;
        changed = true;
      }
    }
  }
  return roles;
}

}  // namespace tfprod
