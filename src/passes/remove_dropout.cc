// remove_dropout: dropout is the identity at inference; TF's frozen graphs
// keep the training form, whose RandomUniform OpenCV refuses.
//
//   TF1 tf.nn.dropout(keep):                     TF >= 1.13, tf.layers.dropout(rate):
//     x --> RealDiv(x, keep) --+                    x --> Mul(x, 1/(1-rate)) ------+
//     keep, U --> Add --> Floor --> Mul --> y       U, rate --> GreaterEqual --> Cast --> Mul --> y
//                                                 =>  consumers of y read x
//
// U is RandomUniform / RandomUniformLike, optionally scaled and shifted
// (Add(Mul(R, max - min), min)). Recognised: the mask Floor(Add(keep, U)) or
// [Cast](GreaterEqual(U, rate)) (also LessEqual(rate, U), Greater/Less), on
// either side of the Mul; the other side RealDiv(x, s), Mul(x, s) or x with the
// mask pre-multiplied by s (Mul(mask, s)); or SelectV2(mask, x * s, zeros).
// A scale s is "like keep": its few ancestors are Consts or the placeholders
// keep/rate come from (a keep_prob Placeholder, PlaceholderWithDefault, Const).
//
// Preconditions: the match's inner nodes (mask, random source, the scaling
// node) are used only inside the match, else the dropout is kept with a
// warning. Afterwards keep/rate, Shape and constants that only dropout used
// are removed; nodes named in the inputs or outputs are kept (an output Mul
// becomes Identity(x)). A body-less Defun op "Dropout" (OpenCV's test nets)
// goes the same way, with the training flag it reads. A fixed-point pass: a dropout kept in one run
// because another's removal had not yet freed its nodes goes in the next.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

using NodeSet = std::unordered_set<const Node*>;

bool is_random(const Node* n) { return n->op == "RandomUniform" || n->op == "RandomUniformLike"; }
bool is_add(const Node* n) { return n->op == "Add" || n->op == "AddV2"; }

// Leaves (nodes without data inputs) above `n`; false when the ancestry is
// large (a model activation) or holds a random op.
bool small_ancestry(const Node* n, NodeSet* leaves) {
  NodeSet seen;
  std::vector<const Node*> stack{n};
  while (!stack.empty()) {
    const Node* m = stack.back();
    stack.pop_back();
    if (!seen.insert(m).second) continue;
    if (seen.size() > 64 || is_random(m)) return false;
    if (m->inputs.empty() && leaves) leaves->insert(m);
    for (const auto& in : m->inputs) stack.push_back(in.node);
  }
  return true;
}

// True when `n` is computed from Consts and `allowed` leaves only.
bool scale_like(const Node* n, const NodeSet& allowed) {
  NodeSet leaves;
  if (!small_ancestry(n, &leaves)) return false;
  return std::all_of(leaves.begin(), leaves.end(), [&](const Node* l) { return l->op == "Const" || allowed.count(l); });
}

struct Match {
  Node* top = nullptr;
  Endpoint x;
  std::vector<Node*> inner;  // removed with top; must be used only inside
  NodeSet keep_leaves;
};

// RandomUniform, or it scaled / shifted by constants.
bool uniform(Node* n, int depth, std::vector<Node*>& inner) {
  if (is_random(n)) return inner.push_back(n), true;
  if (depth >= 2 || n->inputs.size() != 2 || !(is_add(n) || n->op == "Mul")) return false;
  for (int i = 0; i < 2; ++i) {
    std::vector<Node*> sub;
    if (uniform(n->inputs[i].node, depth + 1, sub) && scale_like(n->inputs[1 - i].node, {})) {
      inner.insert(inner.end(), sub.begin(), sub.end());
      return inner.push_back(n), true;
    }
  }
  return false;
}

// A keep mask: Floor(Add(keep, U)) or [Cast](GreaterEqual(U, rate)) and kin.
bool mask(Node* n, Match& m, bool allow_bool) {
  std::vector<Node*> inner{n};
  Node* cmp = n;
  if (n->op == "Floor" && n->inputs.size() == 1 && is_add(n->inputs[0].node) && n->inputs[0].node->inputs.size() == 2) {
    Node* add = n->inputs[0].node;
    for (int i = 0; i < 2; ++i) {
      std::vector<Node*> sub{add};
      NodeSet leaves;
      if (uniform(add->inputs[i].node, 0, sub) && small_ancestry(add->inputs[1 - i].node, &leaves)) {
        m.inner.insert(m.inner.end(), inner.begin(), inner.end());
        m.inner.insert(m.inner.end(), sub.begin(), sub.end());
        m.keep_leaves = std::move(leaves);
        return true;
      }
    }
    return false;
  }
  if (n->op == "Cast" && n->inputs.size() == 1) {
    cmp = n->inputs[0].node;
    inner.push_back(cmp);
  } else if (!allow_bool) {
    return false;
  }
  int u_side = -1;
  if (cmp->op == "GreaterEqual" || cmp->op == "Greater") u_side = 0;
  if (cmp->op == "LessEqual" || cmp->op == "Less") u_side = 1;
  if (u_side < 0 || cmp->inputs.size() != 2) return false;
  NodeSet leaves;
  if (!uniform(cmp->inputs[u_side].node, 0, inner) || !small_ancestry(cmp->inputs[1 - u_side].node, &leaves))
    return false;
  m.inner.insert(m.inner.end(), inner.begin(), inner.end());
  m.keep_leaves = std::move(leaves);
  return true;
}

// x from RealDiv(x, s) / Mul(x, s) / Mul(s, x), s scale-like.
bool scaled(Node* n, Match& m) {
  if ((n->op == "RealDiv" || n->op == "Div") && n->inputs.size() == 2 && scale_like(n->inputs[1].node, m.keep_leaves) &&
      !scale_like(n->inputs[0].node, m.keep_leaves)) {
    m.x = n->inputs[0];
    return m.inner.push_back(n), true;
  }
  if (n->op != "Mul" || n->inputs.size() != 2) return false;
  for (int i = 0; i < 2; ++i)
    if (scale_like(n->inputs[1 - i].node, m.keep_leaves) && !scale_like(n->inputs[i].node, m.keep_leaves)) {
      m.x = n->inputs[i];
      return m.inner.push_back(n), true;
    }
  return false;
}

bool match(Node* top, Match& m) {
  m = Match{top};
  if ((top->op == "SelectV2" || top->op == "Select") && top->inputs.size() == 3)
    return mask(top->inputs[0].node, m, true) && scaled(top->inputs[1].node, m);
  if (top->op != "Mul" || top->inputs.size() != 2) return false;
  for (int i = 0; i < 2; ++i) {
    Node* p = top->inputs[i].node;
    Node* q = top->inputs[1 - i].node;
    m = Match{top};
    if (mask(p, m, true) && scaled(q, m)) return true;
    // Mul(Mul(mask, s), x): the mask pre-scaled.
    m = Match{top};
    if (p->op == "Mul" && p->inputs.size() == 2)
      for (int j = 0; j < 2; ++j) {
        Match k{top};
        if (mask(p->inputs[j].node, k, true) && scale_like(p->inputs[1 - j].node, k.keep_leaves) &&
            !scale_like(q, k.keep_leaves)) {
          m = std::move(k);
          m.inner.push_back(p);
          m.x = top->inputs[1 - i];
          return true;
        }
      }
  }
  return false;
}

// Matches that can go: their inner nodes are read only inside the match
// and are not named; overlapping ones are kept with a warning.
std::vector<Match> removable_matches(Graph& graph, const IoRefs& io, PassContext& context) {
  NodeSet taken;
  std::vector<Match> found;
  for (Node* n : graph.nodes()) {
    Match m;
    if (!match(n, m)) continue;
    NodeSet inner(m.inner.begin(), m.inner.end());
    inner.insert(m.top);
    bool closed = true;
    for (const Node* i : m.inner)
      for (const Use& u : i->uses())
        if (!inner.count(u.node) || io.is_protected(*i)) closed = false;
    if (!closed || std::any_of(m.inner.begin(), m.inner.end(), [&](Node* i) { return taken.count(i); })) {
      context.warnings.push_back("remove_dropout: kept the dropout at '" + n->name() +
                                 "': a node inside it is used elsewhere");
      continue;
    }
    taken.insert(inner.begin(), inner.end());
    found.push_back(std::move(m));
  }
  return found;
}

// A body-less Defun "Dropout" (x, is_training) as OpenCV's tests write it
// (no function of that name in the library): OpenCV splices it out, and so
// do we. Returns the nodes it dropped.
std::vector<Node*> remove_defun_dropouts(Graph& graph, const IoRefs& io) {
  for (const auto& f : graph.rest().library().function())
    if (f.signature().name() == "Dropout") return {};
  std::vector<Node*> dropped;
  for (Node* n : graph.nodes()) {
    if (n->op != "Dropout" || n->inputs.empty() || io.is_protected(*n)) continue;
    replace_node_uses(graph, *n, n->inputs[0]);
    for (const auto& in : n->inputs) dropped.push_back(in.node);
    dropped.push_back(n);
  }
  return dropped;
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  std::vector<Node*> defuns = remove_defun_dropouts(graph, io);
  if (!defuns.empty()) {
    erase_dead(graph, defuns, io.protected_names());
    return true;
  }
  std::vector<Match> found = removable_matches(graph, io, context);
  std::vector<Node*> dropped;                          // the matches' nodes, then what may have lost its last reader
  std::unordered_map<const Node*, Endpoint> replaced;  // chained dropouts: x may be another's top
  for (const Match& m : found) replaced[m.top] = m.x;
  for (Match& m : found) {
    for (auto r = replaced.find(m.x.node); r != replaced.end(); r = replaced.find(m.x.node)) m.x = r->second;
    replace_node_uses(graph, *m.top, m.x);
    dropped.insert(dropped.end(), m.inner.begin(), m.inner.end());
    if (io.is_protected(*m.top)) {  // keep the output's name: Identity(x)
      for (const auto& in : m.top->inputs) dropped.push_back(in.node);
      m.top->op = "Identity";
      graph.set_inputs(*m.top, {m.x});
      for (int i = m.top->attrs().size() - 1; i >= 0; --i)
        if (m.top->attrs().Get(i).key() != "T") m.top->attrs().DeleteSubrange(i, 1);
    } else {
      dropped.push_back(m.top);
    }
  }
  // Remove what only the dropouts used (keep_prob, Shape, constants).
  erase_dead(graph, dropped, io.protected_names());
  return !found.empty();
}

}  // namespace

PassSpec remove_dropout() {
  return {"remove_dropout",
          "Replace every training-mode dropout (tf.nn.dropout, tf.layers.dropout) by its input: identity at inference",
          {},
          run,
          /*fixed_point=*/true};
}

}  // namespace tfprod::passes
