#include "freeze/variable_keys.h"

#include <charconv>
#include <sstream>

#include "tfprod/tf/protobuf/trackable_object_graph.pb.h"
#include "tfprod/error.h"

namespace tfprod {

namespace {

const char* const kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

int64_t parse_int(std::string_view s, const std::string& spec) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) fail("malformed shape_and_slices '{}'", spec);
  return v;
}

// Strings held by a Const node (e.g. a restore op's tensor_names).
std::vector<std::string> const_strings(const Node& node) {
  std::vector<std::string> out;
  if (node.op != "Const") return out;
  const auto* value = node.attr("value");
  if (!value || !value->has_tensor()) return out;
  for (const auto& s : value->tensor().string_val()) out.push_back(s);
  return out;
}

// Follows Identity chains downstream of `start` to the assignments it feeds.
void collect_assigned(const Node& start, const std::unordered_map<const Node*, std::vector<Use>>& uses,
                      int depth, std::vector<const Node*>* variables) {
  auto it = uses.find(&start);
  if (it == uses.end() || depth > 8) return;
  for (const Use& use : it->second) {
    const Node& consumer = *use.node;
    if (consumer.op == "Identity" && use.input_index == 0) {
      collect_assigned(consumer, uses, depth + 1, variables);
    } else if ((consumer.op == "Assign" || consumer.op == "AssignVariableOp") && use.input_index == 1) {
      const Node* target = consumer.inputs[0].node;
      while (target->op == "Identity" && !target->inputs.empty()) target = target->inputs[0].node;
      variables->push_back(target);
    }
  }
}

}  // namespace

std::optional<std::pair<Shape, std::vector<SliceExtent>>> parse_shape_and_slice(const std::string& spec) {
  if (spec.empty()) return std::nullopt;
  std::istringstream in(spec);
  std::vector<std::string> parts;
  for (std::string p; in >> p;) parts.push_back(p);
  if (parts.size() < 2) fail("malformed shape_and_slices '{}'", spec);
  Shape full;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) full.push_back(parse_int(parts[i], spec));
  std::vector<SliceExtent> extents;
  std::string_view rest = parts.back();
  while (true) {
    auto colon = rest.find(':');
    std::string_view dim = rest.substr(0, colon);
    if (dim == "-") {
      extents.push_back({0, -1});
    } else {
      auto comma = dim.find(',');
      if (comma == std::string_view::npos) fail("malformed shape_and_slices '{}'", spec);
      extents.push_back({parse_int(dim.substr(0, comma), spec), parse_int(dim.substr(comma + 1), spec)});
    }
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  if (extents.size() != full.size()) fail("malformed shape_and_slices '{}': rank mismatch", spec);
  return std::make_pair(full, extents);
}

VariableKeys::VariableKeys(const Graph& graph, const CheckpointReader& checkpoint) {
  auto uses = graph.uses();
  for (const Node* node : graph.nodes()) {
    bool v2 = node->op == "RestoreV2";
    if (!v2 && node->op != "RestoreSlice" && node->op != "Restore") continue;
    if (node->inputs.size() < 2) continue;
    std::vector<std::string> names = const_strings(*node->inputs[1].node);
    std::vector<std::string> specs;
    if (node->inputs.size() >= 3 && (v2 || node->op == "RestoreSlice"))
      specs = const_strings(*node->inputs[2].node);
    auto it = uses.find(node);
    if (it == uses.end()) continue;
    for (const Use& use : it->second) {
      if (use.input_index < 0) continue;
      // Which output of the restore op feeds this consumer.
      int port = use.node->inputs[use.input_index].index;
      std::size_t slot = v2 ? static_cast<std::size_t>(port) : 0;
      if (slot >= names.size()) continue;
      std::vector<const Node*> variables;
      if (use.node->op == "Identity") {
        collect_assigned(*use.node, uses, 0, &variables);
      } else if ((use.node->op == "Assign" || use.node->op == "AssignVariableOp") && use.input_index == 1) {
        const Node* target = use.node->inputs[0].node;
        while (target->op == "Identity" && !target->inputs.empty()) target = target->inputs[0].node;
        variables.push_back(target);
      }
      for (const Node* variable : variables) {
        VariableKey key;
        key.key = names[slot];
        key.origin = "restore op " + node->name();
        if (slot < specs.size()) {
          if (auto parsed = parse_shape_and_slice(specs[slot])) {
            key.full_shape = parsed->first;
            key.extents = parsed->second;
          }
        }
        from_restore_ops_.emplace(variable->name(), std::move(key));
      }
    }
  }

  if (checkpoint.find(kObjectGraphKey)) {
    Tensor t = checkpoint.read(kObjectGraphKey);
    tfprod::tf::TrackableObjectGraph object_graph;
    if (t.strings.size() != 1 || !object_graph.ParseFromString(t.strings[0]))
      fail("{}: {}: not a serialized TrackableObjectGraph", checkpoint.prefix(), kObjectGraphKey);
    for (const auto& obj : object_graph.nodes())
      for (const auto& attr : obj.attributes())
        if (!attr.full_name().empty()) from_object_graph_[attr.full_name()] = attr.checkpoint_key();
  }
}

VariableKey VariableKeys::lookup(const Node& variable) const {
  if (auto it = from_restore_ops_.find(variable.name()); it != from_restore_ops_.end()) return it->second;
  std::string name = variable.name();
  if (variable.op == "VarHandleOp") {
    const auto* shared = variable.attr("shared_name");
    if (shared && !shared->s().empty()) name = shared->s();
  }
  if (auto it = from_object_graph_.find(name); it != from_object_graph_.end())
    return VariableKey{it->second, std::nullopt, {}, "object graph"};
  return VariableKey{name, std::nullopt, {}, "variable name"};
}

}  // namespace tfprod
