// batch_norm_inference: a FusedBatchNorm left in training mode normalises
// with the batch's statistics; at inference it must use the moving ones.
//
//   x, gamma, beta, Const[0], Const[0]                  x, gamma, beta, bn/moving_mean, bn/moving_variance
//     -> FusedBatchNormV3(is_training=true)       =>      -> FusedBatchNormV3(is_training=false)
//
// FusedBatchNorm / V2 / V3 with is_training=true (TF's default when the attr
// is absent) get is_training=false. Their mean / variance inputs are kept
// when they are the moving statistics (a non-empty Const or a variable,
// through Identity / Switch / ReadVariableOp). Otherwise (empty tensors, or
// statistics computed from the batch) the Consts named PREFIX/moving_mean and
// PREFIX/moving_variance are used, PREFIX taken from the gamma / beta
// variables' names or from the node's own name scopes; the inputs they replace
// go when nothing else reads them.
//
// Preconditions: every training-mode batch norm has moving statistics; the
// pass fails naming the first that has none, except TF's MVN: empty mean and
// variance, no moving statistics, on a batch of one (OpenCV imports that as
// MVN), which stays in training mode with a warning. To keep a tf.cond's training
// branch, run this before resolve_switches(set=is_train:true): resolving
// removes the moving statistics only the inference branch read.
#include <fmt/ranges.h>

#include <algorithm>
#include <unordered_set>

#include "passes/passes.h"
#include "tfprod/error.h"
#include "passes/static_shape.h"

namespace tfprod::passes {

namespace {

// The node a value comes from, looking through pass-through ops.
const Node* source(const Node* n) {
  static const std::unordered_set<std::string> through = {"Identity",       "Snapshot", "Switch",      "RefSwitch",
                                                          "ReadVariableOp", "Enter",    "StopGradient"};
  for (int guard = 0; guard < 32 && through.count(n->op) && !n->inputs.empty(); ++guard) n = n->inputs[0].node;
  return n;
}

bool moving_statistic(const Node* n) {
  const Node* s = source(n);
  if (s->op == "VariableV2" || s->op == "Variable" || s->op == "VarHandleOp") return true;
  if (s->op != "Const" || !s->attr("value")) return false;
  const auto& shape = s->attr("value")->tensor().tensor_shape();
  return !shape.unknown_rank() && shape.dim_size() == 1 && shape.dim(0).size() > 0;
}

std::string scope_of(const std::string& name) {
  auto slash = name.rfind('/');
  return slash == std::string::npos ? "" : name.substr(0, slash + 1);
}

// PREFIX candidates: the scale / offset variables' scopes, then the node's scopes.
std::vector<std::string> prefixes(const Node& bn) {
  std::vector<std::string> out;
  for (int i : {1, 2})
    if (bn.inputs.size() > static_cast<std::size_t>(i)) out.push_back(scope_of(source(bn.inputs[i].node)->name()));
  for (std::string s = scope_of(bn.name()); !s.empty(); s = scope_of(s.substr(0, s.size() - 1))) out.push_back(s);
  for (std::size_t i = out.size(); i-- > 0;)
    if (std::find(out.begin(), out.begin() + i, out[i]) != out.begin() + i) out.erase(out.begin() + i);
  return out;
}

bool empty_const(const Node* n) {
  const Node* s = source(n);
  if (s->op != "Const" || !s->attr("value")) return false;
  const auto& shape = s->attr("value")->tensor().tensor_shape();
  return !shape.unknown_rank() && shape.dim_size() == 1 && shape.dim(0).size() == 0;
}

bool empty_statistics(const Node& bn) { return empty_const(bn.inputs[3].node) && empty_const(bn.inputs[4].node); }

// True when the batch norm's input has a batch of one (static shapes).
bool batch_of_one(const Graph& graph, const Node& bn) {
  auto shapes = static_shapes(graph, {bn.inputs[0]});
  return shapes && !(*shapes)[0].empty() && (*shapes)[0][0] == 1;
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  std::vector<Node*> replaced;
  bool changed = false;
  for (Node* n : graph.nodes()) {
    if (n->op != "FusedBatchNorm" && n->op != "FusedBatchNormV2" && n->op != "FusedBatchNormV3") continue;
    const auto* training = n->attr("is_training");
    if ((training && !training->b()) || n->inputs.size() < 5) continue;
    if (!moving_statistic(n->inputs[3].node) || !moving_statistic(n->inputs[4].node)) {
      Node *mean = nullptr, *variance = nullptr;
      for (const auto& p : prefixes(*n)) {
        mean = graph.find(p + "moving_mean");
        variance = graph.find(p + "moving_variance");
        if (mean && variance && moving_statistic(mean) && moving_statistic(variance)) break;
        mean = variance = nullptr;
      }
      if (!mean && empty_statistics(*n) && batch_of_one(graph, *n)) {
        // TF's way of writing MVN (instance norm): OpenCV 4.6 imports it as
        // MVN, which is exact for a batch of one.
        context.warnings.push_back(fmt::format(
            "batch_norm_inference: kept '{}' in training mode: empty mean / variance and no moving statistics, on a "
            "batch of one: an MVN (OpenCV imports it as MVN)",
            n->name()));
        continue;
      }
      if (!mean)
        fail(
            "'{}' is in training mode (batch statistics) and no moving_mean / moving_variance Consts were found "
            "for it (looked under '{}')",
            n->name(), fmt::join(prefixes(*n), "', '"));
      replaced.push_back(n->inputs[3].node);
      replaced.push_back(n->inputs[4].node);
      graph.set_input(*n, 3, {mean, 0});
      graph.set_input(*n, 4, {variance, 0});
    }
    n->set_attr("is_training").set_b(false);
    n->remove_attr("exponential_avg_factor");
    changed = true;
  }
  // The empty placeholders' Consts (or batch statistics) nothing reads now.
  erase_dead(graph, replaced, io.protected_names());
  return changed;
}

}  // namespace

PassSpec batch_norm_inference() {
  return {"batch_norm_inference",
          "Put FusedBatchNorm(V2/V3) with is_training=true into inference mode on the moving mean / variance",
          {},
          run};
}

}  // namespace tfprod::passes
