// inspect: the checkpoints of a directory (step, size on disk) and the
// variables of the used one, sorted into model variables, optimizer slots
// and training state.
#include <algorithm>
#include <cstring>
#include <regex>

#include "inspect/inspect_internal.h"
#include "tfprod/error.h"

namespace tfprod::inspect_detail {

namespace fs = std::filesystem;

namespace {

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

std::string normal(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return (ec ? p : c).lexically_normal().string();
}

// Bytes of the files that make up the checkpoint at `prefix`.
uint64_t bytes_on_disk(const ResolvedCheckpoint& r) {
  const fs::path p(r.prefix);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  const std::string base = p.filename().string();
  static const std::regex v1_shard(R"(-\d{5}-of-\d{5}$)");
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    bool part = false;
    if (r.format == CheckpointFormat::kV2)
      part = name == base + ".index" || name.starts_with(base + ".data-");
    else
      part = name == base || (name.starts_with(base + "-") && std::regex_search(name, v1_shard));
    std::error_code size_ec;
    if (part && e.is_regular_file(size_ec)) total += e.file_size(size_ec);
  }
  return total;
}

std::optional<int64_t> global_step(const CheckpointReader& reader) {
  const CheckpointTensorInfo* info = reader.find("global_step");
  if (!info || !info->shape.empty()) return std::nullopt;
  Tensor t = reader.read("global_step");
  if (t.dtype == tfprod::tf::DT_INT64 && t.data.size() == 8) {
    int64_t v;
    std::memcpy(&v, t.data.data(), 8);
    return v;
  }
  if (t.dtype == tfprod::tf::DT_INT32 && t.data.size() == 4) {
    int32_t v;
    std::memcpy(&v, t.data.data(), 4);
    return v;
  }
  return std::nullopt;
}

CheckpointFacts describe_checkpoint(const ResolvedCheckpoint& r) {
  CheckpointFacts c;
  c.prefix = r.prefix;
  c.format = r.format == CheckpointFormat::kV2 ? "V2 bundle" : "V1 TensorSlice file";
  c.step = r.step;
  c.bytes_on_disk = bytes_on_disk(r);
  if (!c.step) {
    try {
      c.step = global_step(*open_checkpoint(r));
    } catch (const Error& e) {
      c.error = e.what();
    }
  }
  return c;
}

// Where a path written in a state file lies here: as written (relative to
// the directory), else its last component inside the directory.
std::optional<fs::path> localize(const fs::path& dir, const std::string& written) {
  const bool foreign = written.find('\\') != std::string::npos ||
                       (written.size() > 2 && written[1] == ':');
  std::vector<fs::path> candidates;
  if (!foreign) candidates.push_back(fs::path(written).is_absolute() ? fs::path(written) : dir / written);
  candidates.push_back(dir / written.substr(written.find_last_of("/\\") + 1));
  for (const auto& c : candidates)
    if (path_exists(c.string() + ".index") || path_exists(c)) return c;
  return std::nullopt;
}

}  // namespace

std::vector<CheckpointFacts> list_checkpoints(const ResolvedCheckpoint& used) {
  const fs::path dir = fs::path(used.prefix).parent_path().empty() ? fs::path(".") : fs::path(used.prefix).parent_path();
  std::vector<CheckpointFacts> out;
  std::vector<std::string> seen;
  auto add = [&](const ResolvedCheckpoint& r) {
    const std::string key = normal(r.prefix);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) return;
    seen.push_back(key);
    out.push_back(describe_checkpoint(r));
    out.back().used = key == normal(used.prefix);
  };
  const fs::path state_file = dir / "checkpoint";
  if (path_exists(state_file) && !fs::is_directory(state_file)) {
    CheckpointState state;
    try {
      state = read_checkpoint_state(state_file);
    } catch (const Error&) {
    }
    std::vector<std::string> written = state.all_model_checkpoint_paths;
    if (!state.model_checkpoint_path.empty() &&
        std::find(written.begin(), written.end(), state.model_checkpoint_path) == written.end())
      written.push_back(state.model_checkpoint_path);
    for (const auto& w : written) {
      auto local = localize(dir, w);
      try {
        if (!local) fail("not found");
        add(resolve_checkpoint(*local));
      } catch (const Error& e) {
        CheckpointFacts missing;
        missing.prefix = local ? local->string() : w;
        missing.format = "missing";
        missing.error = e.what();
        out.push_back(missing);
      }
    }
  } else {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() != ".index") continue;
      try {
        add(resolve_checkpoint(fs::path(e.path()).replace_extension()));
      } catch (const Error&) {
      }
    }
    std::sort(out.begin(), out.end(), [](const CheckpointFacts& a, const CheckpointFacts& b) {
      return a.step.value_or(-1) != b.step.value_or(-1) ? a.step.value_or(-1) < b.step.value_or(-1)
                                                        : a.prefix < b.prefix;
    });
  }
  add(used);  // the used one is always listed
  return out;
}

namespace {

bool is_slot_name(const std::string& name) {
  static const std::regex slot(
      R"((^|/)(Adam|Adam_1|Momentum|RMSProp|RMSProp_1|Adagrad|Adadelta|Adadelta_1|Ftrl|Ftrl_1|Nadam|Nadam_1)$|)"
      R"(^beta[12]_power(_\d+)?$|\.OPTIMIZER_SLOT/|^optimizer/|^training(_\d+)?/)");
  return std::regex_search(name, slot);
}

bool is_state_name(const std::string& name) {
  return name == "global_step" || name.ends_with("/global_step") || name.starts_with("save_counter/");
}

VariableKind kind_of(const std::string& name, const Node* node, const std::unordered_map<const Node*, Role>& roles) {
  Role role = Role::kModel;
  if (node)
    if (auto it = roles.find(node); it != roles.end()) role = it->second;
  if (role == Role::kOptimizer || is_slot_name(name)) return VariableKind::kOptimizerSlot;
  if (role != Role::kModel || is_state_name(name)) return VariableKind::kTrainingState;
  return VariableKind::kModel;
}

void add_variable(ModelFacts& facts, VariableFacts v) {
  try {
    v.parameters = num_elements(v.shape);
  } catch (const Error&) {
    v.parameters = 0;  // unknown dims (a graph variable without a full shape)
  }
  VariableTotals& t = v.kind == VariableKind::kModel           ? facts.model
                      : v.kind == VariableKind::kOptimizerSlot ? facts.slots
                                                               : facts.state;
  ++t.count;
  t.parameters += v.parameters;
  t.bytes += v.bytes;
  facts.variables.push_back(std::move(v));
}

}  // namespace

void collect_checkpoint_variables(ModelFacts& facts, const ResolvedCheckpoint& checkpoint, const Graph* graph,
                                  const std::unordered_map<const Node*, Role>& roles) {
  auto reader = open_checkpoint(checkpoint);
  facts.checkpoint_format = checkpoint.format == CheckpointFormat::kV2 ? "V2 bundle" : "V1 TensorSlice file";
  facts.checkpoint_tensors = reader->tensors().size();
  for (const auto& t : reader->tensors()) {
    if (t.name == "_CHECKPOINTABLE_OBJECT_GRAPH") continue;  // TF2 metadata, not a variable
    const Node* node = graph ? graph->find(t.name) : nullptr;
    VariableFacts v{t.name, t.dtype, t.shape, 0, t.bytes, kind_of(t.name, node, roles), t.partitioned, "checkpoint"};
    add_variable(facts, std::move(v));
  }
}

void collect_graph_variables(ModelFacts& facts, const Graph& graph,
                             const std::unordered_map<const Node*, Role>& roles) {
  bool has_variables = false;
  for (const Node* n : graph.nodes())
    has_variables = has_variables || n->op == "VariableV2" || n->op == "Variable" || n->op == "VarHandleOp";
  for (const Node* n : graph.nodes()) {
    VariableFacts v;
    v.name = n->name();
    bool known_shape = true;
    if (has_variables) {
      if (n->op != "VariableV2" && n->op != "Variable" && n->op != "VarHandleOp") continue;
      const auto* dtype = n->attr("dtype");
      const auto* shape = n->attr("shape");
      v.dtype = dtype ? base_type(dtype->type()) : tfprod::tf::DT_INVALID;
      if (shape) v.shape = shape_from_proto(shape->shape());
      known_shape = shape && !shape->shape().unknown_rank();
      v.source = "graph";
    } else {
      if (n->op != "Const" || !n->attr("value")) continue;
      const auto& proto = n->attr("value")->tensor();
      v.dtype = proto.dtype();
      v.shape = shape_from_proto(proto.tensor_shape());
      v.source = "Const";
      int64_t elements = 0;
      try {
        elements = num_elements(v.shape);
      } catch (const Error&) {
      }
      const bool floating = v.dtype == tfprod::tf::DT_FLOAT || v.dtype == tfprod::tf::DT_HALF ||
                            v.dtype == tfprod::tf::DT_BFLOAT16 || v.dtype == tfprod::tf::DT_DOUBLE;
      if (elements <= 1 || !floating) continue;  // scalars, shapes and strings are not weights
    }
    bool known = known_shape;
    for (int64_t d : v.shape) known = known && d >= 0;
    if (known) {
      try {
        v.bytes = static_cast<uint64_t>(num_elements(v.shape)) * dtype_size(v.dtype);
      } catch (const Error&) {
      }
    }
    v.kind = kind_of(v.name, n, roles);
    add_variable(facts, std::move(v));
  }
}

}  // namespace tfprod::inspect_detail
