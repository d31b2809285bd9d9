// --input NAME[:DTYPE][:SHAPE] and --feed NAME=FILE.npy (model_inputs.h).
#include "cli/model_inputs.h"

#include <cctype>
#include <cstdio>
#include <random>

#include "cli/cli_util.h"
#include "tfprod/tensor_values.h"
#include "tfprod/npy.h"

namespace tfprod::cli {

InputSpec parse_input_flag(const std::string& text) {
  if (is_old_feed_spelling(text))
    usage_fail("--input '{}': expected NAME[:DTYPE][:SHAPE]; values from a file are given with --feed NAME=FILE.npy "
               "(run, verify)",
               text);
  try {
    return InputSpec::parse(text);
  } catch (const Error& e) {
    throw UsageError(e.what());  // InputSpec's messages name --input already
  }
}

bool is_old_feed_spelling(const std::string& input_value) { return input_value.find('=') != std::string::npos; }

std::pair<std::string, Tensor> parse_feed_flag(const std::string& text, const std::string& flag) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    usage_fail("{} '{}': expected NAME=FILE.npy", flag, text);
  return {text.substr(0, eq), read_npy(text.substr(eq + 1))};
}

Tensor random_input(const Graph& graph, const InputSpec& spec, uint64_t seed) {
  const Node* node = graph.find(TensorRef::parse(spec.name).node);
  if (!node) fail("{}: --input '{}': no node of that name", graph.source(), spec.name);
  DataType dtype = tfprod::tf::DT_FLOAT;
  if (spec.dtype)
    dtype = *spec.dtype;
  else if (const auto* d = node->attr("dtype"))
    dtype = d->type();
  std::optional<Shape> shape = spec.shape;
  if (!shape)
    if (const auto* s = node->attr("shape"); s && s->has_shape() && !s->shape().unknown_rank())
      shape = shape_from_proto(s->shape());
  if (!shape) {
    std::string type = dtype_name(dtype).substr(3);
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    fail("{}: --input '{}': the graph declares no shape; give one, as in --input {}:{}:1,28,28,1", graph.source(),
         spec.name, spec.name, type);
  }
  for (int64_t& d : *shape)
    if (d < 0) d = 1;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  Tensor values = eval::make_tensor(tfprod::tf::DT_FLOAT, *shape);
  if (dtype != tfprod::tf::DT_BOOL)
    for (float& v : eval::values<float>(values)) v = normal(rng);
  return eval::cast(values, dtype);
}

InputFlags read_input_flags(const char* command, const std::vector<std::string>& inputs,
                            const std::vector<std::string>& feeds) {
  InputFlags out;
  for (const auto& f : feeds) out.feeds.push_back(parse_feed_flag(f));
  for (const auto& i : inputs) {
    if (is_old_feed_spelling(i)) {
      std::fprintf(stderr, "tfprod: note: --input %s is deprecated: write --feed %s (in %s, --input is NAME[:DTYPE][:SHAPE])\n",
                   i.c_str(), i.c_str(), command);
      out.feeds.push_back(parse_feed_flag(i, "--input"));
    } else {
      out.random.push_back(parse_input_flag(i));
    }
  }
  return out;
}

std::vector<std::pair<std::string, Tensor>> feeds_for(const Graph& graph, const InputFlags& flags, uint64_t seed) {
  std::vector<std::pair<std::string, Tensor>> feeds = flags.feeds;
  for (std::size_t i = 0; i < flags.random.size(); ++i)
    feeds.emplace_back(flags.random[i].name, random_input(graph, flags.random[i], seed + i));
  return feeds;
}

}  // namespace tfprod::cli
