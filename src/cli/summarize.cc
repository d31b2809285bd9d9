#include "cli/summarize.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <map>
#include <unordered_set>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/dtype.h"
#include "tfprod/model_file.h"

namespace tfprod::cli {

namespace {

std::string shape_text(const tfprod::tf::AttrValue* attr) {
  if (!attr || !attr->has_shape() || attr->shape().unknown_rank()) return "None";
  std::string s = "[";
  for (int i = 0; i < attr->shape().dim_size(); ++i) {
    int64_t d = attr->shape().dim(i).size();
    s += (i ? "," : "") + (d < 0 ? std::string("?") : std::to_string(d));
  }
  return s + "]";
}

std::string type_text(const tfprod::tf::AttrValue* attr) {
  if (!attr) return "unknown";
  std::string name = dtype_name(attr->type());
  std::string lower;
  for (char c : name.substr(3)) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return fmt::format("{}({})", lower, static_cast<int>(attr->type()));
}

std::string human(uint64_t n) {
  if (n >= 1000000) return fmt::format("{:.2f}M", n / 1e6);
  if (n >= 1000) return fmt::format("{:.2f}k", n / 1e3);
  return std::to_string(n);
}

}  // namespace

std::string summarize(const Graph& graph, const std::string& path, bool print_structure) {
  std::string out;
  std::vector<const Node*> inputs, variables, outputs;
  const auto uses = graph.uses();
  static const std::unordered_set<std::string> unlikely_outputs = {"Const", "Assign", "NoOp", "Placeholder"};
  uint64_t const_params = 0, variable_params = 0, control_edges = 0;
  std::map<std::string, int> ops;
  for (const Node* n : graph.nodes()) {
    ++ops[n->op];
    control_edges += n->control_inputs.size();
    if (n->op == "Placeholder") inputs.push_back(n);
    if (n->op == "Variable" || n->op == "VariableV2" || n->op == "VarHandleOp") {
      variables.push_back(n);
      if (const auto* s = n->attr("shape"); s && s->has_shape()) {
        uint64_t c = 1;
        for (const auto& d : s->shape().dim()) c *= d.size() > 0 ? static_cast<uint64_t>(d.size()) : 0;
        variable_params += c;
      }
    }
    if (n->op == "Const")
      if (const auto* v = n->attr("value"); v && v->has_tensor()) {
        uint64_t c = 1;
        for (const auto& d : v->tensor().tensor_shape().dim()) c *= static_cast<uint64_t>(std::max<int64_t>(d.size(), 0));
        const_params += c;
      }
    if (!uses.count(n) && !unlikely_outputs.count(n->op)) outputs.push_back(n);
  }
  if (inputs.empty()) {
    out += "No inputs spotted.\n";
  } else {
    out += fmt::format("Found {} possible inputs: ", inputs.size());
    for (const Node* n : inputs)
      out += fmt::format("(name={}, type={}, shape={}) ", n->name(), type_text(n->attr("dtype")), shape_text(n->attr("shape")));
    out += "\n";
  }
  if (variables.empty()) {
    out += "No variables spotted.\n";
  } else {
    out += fmt::format("Found {} variables: ", variables.size());
    for (const Node* n : variables)
      out += fmt::format("(name={}, type={}, shape={}) ", n->name(), type_text(n->attr("dtype")), shape_text(n->attr("shape")));
    out += "\n";
  }
  out += fmt::format("Found {} possible outputs: ", outputs.size());
  for (const Node* n : outputs) out += fmt::format("(name={}, op={}) ", n->name(), n->op);
  out += "\n";
  out += fmt::format("Found {} ({}) const parameters, {} ({}) variable parameters, and {} control_edges\n", const_params,
                     human(const_params), variable_params, human(variable_params), control_edges);
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [op, count] : ops) sorted.emplace_back(-count, op);
  std::sort(sorted.begin(), sorted.end());
  out += "Op types used: ";
  for (std::size_t i = 0; i < sorted.size(); ++i) out += fmt::format("{}{} {}", i ? ", " : "", -sorted[i].first, sorted[i].second);
  out += "\n";
  if (!inputs.empty() && !outputs.empty()) {
    out += "To use with tensorflow/tools/benchmark:benchmark_model try these arguments:\n";
    out += fmt::format("bazel run tensorflow/tools/benchmark:benchmark_model -- --graph={} --show_flops --input_layer={} "
                       "--input_layer_type={} --input_layer_shape={} --output_layer={}\n",
                       path, inputs[0]->name(), type_text(inputs[0]->attr("dtype")).substr(0, type_text(inputs[0]->attr("dtype")).find('(')),
                       shape_text(inputs[0]->attr("shape")), outputs[0]->name());
  }
  if (print_structure) {
    for (const Node* n : graph.nodes()) {
      out += fmt::format("{} ({}): [", n->name(), n->op);
      std::vector<std::string> ins;
      for (const auto& in : n->inputs) ins.push_back(TensorRef{in.node->name(), in.index, false}.str());
      for (const Node* c : n->control_inputs) ins.push_back("^" + c->name());
      out += fmt::format("{}]\n", fmt::join(ins, ", "));
    }
  }
  return out;
}

void add_summarize_command(CLI::App& app, std::function<int()>* action) {
  auto path = std::make_shared<std::string>();
  auto structure = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("summarize", "summarize_graph's report on a graph file");
  cmd->add_option("graph", *path, "Graph file")->required();
  cmd->add_flag("--print-structure", *structure, "List every node with its inputs");
  cmd->callback([=] {
    *action = [=] {
      ModelFile f = load_model_file(*path);
      Graph g = Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), *path);
      std::fputs(summarize(g, *path, *structure).c_str(), stdout);
      return 0;
    };
  });
}

}  // namespace tfprod::cli
