// The transform-string parser: parse, resolve and type-check the pipeline,
// parse every value as a shape too, then run it on a five-node graph (so
// hostile option values reach the passes).
#include "fuzz_util.h"
#include "tfprod/error.h"
#include "tfprod/graph.h"
#include "tfprod/transform.h"

namespace {

inline tfprod::tf::AttrValue& attr(tfprod::tf::NodeDef* node, const char* key) {
  auto* entry = node->add_attr();
  entry->set_key(key);
  return *entry->mutable_value();
}

tfprod::tf::GraphDef tiny_graph() {
  tfprod::tf::GraphDef def;
  auto add = [&](const char* name, const char* op, std::initializer_list<const char*> inputs) {
    auto* n = def.add_node();
    n->set_name(name);
    n->set_op(op);
    for (const char* i : inputs) n->add_input(i);
    return n;
  };
  auto* x = add("x", "Placeholder", {});
  attr(x, "dtype").set_type(tfprod::tf::DT_FLOAT);
  auto* c = add("c", "Const", {});
  attr(c, "dtype").set_type(tfprod::tf::DT_FLOAT);
  auto* value = attr(c, "value").mutable_tensor();
  value->set_dtype(tfprod::tf::DT_FLOAT);
  value->add_float_val(2.0f);
  auto* m = add("m", "Mul", {"x", "c"});
  attr(m, "T").set_type(tfprod::tf::DT_FLOAT);
  auto* r = add("r", "Relu", {"m"});
  attr(r, "T").set_type(tfprod::tf::DT_FLOAT);
  auto* y = add("y", "Identity", {"r"});
  attr(y, "T").set_type(tfprod::tf::DT_FLOAT);
  return def;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view text = tfprod::fuzz::as_view(data, size);
  tfprod::fuzz::guarded([&] {
    auto calls = tfprod::parse_transforms(text);
    for (const auto& call : calls)
      for (const auto& [name, value] : call.args) {
        try {
          (void)tfprod::PassOptions::parse_shape(value);
        } catch (const tfprod::Error&) {
        }
      }
    auto steps = tfprod::build_pipeline(calls);
    if (steps.size() > 8) return;
    static const tfprod::tf::GraphDef def = tiny_graph();
    tfprod::Graph graph = tfprod::Graph::from_graphdef(def, "tiny");
    tfprod::PassContext context;
    context.inputs = {"x"};
    context.outputs = {"y"};
    tfprod::run_pipeline(graph, steps, context);
  });
  return 0;
}
