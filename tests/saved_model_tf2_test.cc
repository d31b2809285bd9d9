// TF2 SavedModels built by hand: nested calls inline to the numbers the
// functions compute, an If on a constant predicate (or on the default of
// keras_learning_phase) becomes its branch, and what cannot be made static
// is refused in one line naming the file, the node and the reason: a While
// loop, an If on a computed predicate, a string lookup table, a signature
// that is not there.
#include <gtest/gtest.h>

#include "eval_test_support.h"
#include "test_support.h"
#include "tf2_saved_model_support.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/model_source.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

const std::string kX = R"(
node { name: "serving_default_x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 3 } } } } }
)";

std::string float_const(const std::string& name, float v) {
  return "node_def { name: \"" + name + R"(" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
    attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: )" + std::to_string(v) + "} } } }\n";
}

// then_f(a) = a * 2, else_f(a) = a + 1.
const std::string kBranches = R"(
function { signature { name: "then_f" input_arg { name: "a" type: DT_FLOAT } output_arg { name: "o" type: DT_FLOAT } }
  )" + float_const("two", 2) + R"(
  node_def { name: "m" op: "Mul" input: "a" input: "two:output:0" attr { key: "T" value { type: DT_FLOAT } } }
  ret { key: "o" value: "m:z:0" } }
function { signature { name: "else_f" input_arg { name: "a" type: DT_FLOAT } output_arg { name: "o" type: DT_FLOAT } }
  )" + float_const("one", 1) + R"(
  node_def { name: "s" op: "AddV2" input: "a" input: "one:output:0" attr { key: "T" value { type: DT_FLOAT } } }
  ret { key: "o" value: "s:z:0" } }
)";

std::string if_node(const std::string& op, const std::string& pred) {
  return R"(node_def { name: "cond" op: ")" + op + R"(" input: ")" + pred + R"(" input: "a"
    attr { key: "then_branch" value { func { name: "then_f" } } } attr { key: "else_branch" value { func { name: "else_f" } } }
    attr { key: "Tin" value { list { type: DT_FLOAT } } } attr { key: "Tout" value { list { type: DT_FLOAT } } } }
)";
}

const std::string kCall = R"(
node { name: "StatefulPartitionedCall" op: "StatefulPartitionedCall" input: "serving_default_x"
       attr { key: "f" value { func { name: "model" } } } attr { key: "Tout" value { list { type: DT_FLOAT } } } }
)";

const test::Tf2Signature kSig = {{{"x", "serving_default_x:0"}}, {{"y", "StatefulPartitionedCall:0"}}};

std::vector<double> run_y(const fs::path& dir) {
  ModelSource src = open_model_source(dir);
  EXPECT_EQ(src.signature_inputs, std::vector<std::string>{"x:0"});
  EXPECT_EQ(src.signature_outputs, std::vector<std::string>{"y:0"});
  Graph g = Graph::from_graphdef(src.meta.graph_def(), dir.string());
  for (const Node* n : g.nodes()) {
    EXPECT_NE(n->op, "StatefulPartitionedCall") << n->name();
    EXPECT_NE(n->op, "StatelessIf") << n->name();
  }
  Evaluator eval(g);
  return test::to_doubles(eval.run({{"x", test::tensor_f({3}, {1, 2, 3})}}, {"y"})[0]);
}

TEST(Tf2SavedModel, NestedCallsInlineToWhatTheFunctionsCompute) {
  // model(a) = inner(a) * 2 + 1, inner calling then_f and else_f through calls.
  fs::path dir = test::write_tf2_saved_model(test::scratch_dir(), kX + kCall + "library {" + kBranches + R"(
function { signature { name: "model" input_arg { name: "a" type: DT_FLOAT } output_arg { name: "o" type: DT_FLOAT } }
  node_def { name: "c1" op: "PartitionedCall" input: "a" attr { key: "f" value { func { name: "then_f" } } } }
  node_def { name: "c2" op: "StatefulPartitionedCall" input: "c1:output:0" attr { key: "f" value { func { name: "else_f" } } } }
  node_def { name: "id" op: "Identity" input: "c2:output:0" input: "^c1" attr { key: "T" value { type: DT_FLOAT } } }
  ret { key: "o" value: "id:output:0" } } })",
                                             kSig);
  EXPECT_EQ(run_y(dir), (std::vector<double>{3, 5, 7}));
}

TEST(Tf2SavedModel, IfOnAConstantPredicateBecomesItsBranch) {
  for (bool pred : {true, false}) {
    fs::path dir = test::write_tf2_saved_model(test::scratch_dir() / (pred ? "t" : "f"), kX + kCall + "library {" +
                                                   kBranches + R"(
function { signature { name: "model" input_arg { name: "a" type: DT_FLOAT } output_arg { name: "o" type: DT_FLOAT } }
  node_def { name: "p" op: "Const" attr { key: "dtype" value { type: DT_BOOL } }
             attr { key: "value" value { tensor { dtype: DT_BOOL tensor_shape {} bool_val: )" +
                                                   (pred ? "true" : "false") + R"( } } } }
  )" + if_node("StatelessIf", "p:output:0") + R"(
  ret { key: "o" value: "cond:output:0" } } })",
                                               kSig);
    EXPECT_EQ(run_y(dir), pred ? (std::vector<double>{2, 4, 6}) : (std::vector<double>{2, 3, 4}));
  }
}

TEST(Tf2SavedModel, KerasLearningPhaseIfTakesTheDefaultInferenceBranch) {
  fs::path dir = test::write_tf2_saved_model(test::scratch_dir(), kX + R"(
node { name: "keras_learning_phase/input" op: "Const" attr { key: "dtype" value { type: DT_BOOL } }
       attr { key: "value" value { tensor { dtype: DT_BOOL tensor_shape {} bool_val: false } } } }
node { name: "keras_learning_phase" op: "PlaceholderWithDefault" input: "keras_learning_phase/input"
       attr { key: "dtype" value { type: DT_BOOL } } attr { key: "shape" value { shape {} } } }
node { name: "StatefulPartitionedCall" op: "StatefulPartitionedCall" input: "serving_default_x" input: "keras_learning_phase"
       attr { key: "f" value { func { name: "model" } } } attr { key: "Tout" value { list { type: DT_FLOAT } } } }
library {)" + kBranches + R"(
function { signature { name: "model" input_arg { name: "a" type: DT_FLOAT } input_arg { name: "training" type: DT_BOOL }
                       output_arg { name: "o" type: DT_FLOAT } }
  )" + if_node("If", "training") + R"(
  ret { key: "o" value: "cond:output:0" } } })",
                                             kSig);
  EXPECT_EQ(run_y(dir), (std::vector<double>{2, 3, 4})) << "else branch: learning phase false";
  ModelSource src = open_model_source(dir);
  bool noted = false;
  for (const auto& n : src.notes) noted |= n.find("the default of 'keras_learning_phase'") != std::string::npos;
  EXPECT_TRUE(noted);
}

std::string refusal(const std::string& graph) {
  fs::path dir = test::write_tf2_saved_model(test::scratch_dir(), graph, kSig);
  std::string e = test::error_of([&] { open_model_source(dir); });
  EXPECT_EQ(e.rfind(dir.string() + ": node '", 0), 0u) << "names the SavedModel first: " << e;
  return e;
}

void expect_parts(const std::string& message, const std::vector<std::string>& parts) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  for (const auto& p : parts) EXPECT_NE(message.find(p), std::string::npos) << "missing '" << p << "' in: " << message;
}

TEST(Tf2SavedModel, RefusesAnIfOnAComputedPredicate) {
  std::string e = refusal(kX + kCall + "library {" + kBranches + R"(
function { signature { name: "model" input_arg { name: "a" type: DT_FLOAT } output_arg { name: "o" type: DT_FLOAT } }
  node_def { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
             attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 0 } } } }
  node_def { name: "sum" op: "Sum" input: "a" input: "axis:output:0" attr { key: "T" value { type: DT_FLOAT } } }
  )" + float_const("zero", 0) + R"(
  node_def { name: "p" op: "Greater" input: "sum:output:0" input: "zero:output:0" attr { key: "T" value { type: DT_FLOAT } } }
  )" + if_node("StatelessIf", "p:z:0") + R"(
  ret { key: "o" value: "cond:output:0" } } })");
  expect_parts(e, {"node 'StatefulPartitionedCall/cond' (StatelessIf)",
                   "predicate 'StatefulPartitionedCall/p' is computed at run time"});
}

TEST(Tf2SavedModel, RefusesAWhileLoop) {
  std::string e = refusal(kX + R"(
node { name: "n" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "shape" value { shape {} } } }
node { name: "StatefulPartitionedCall" op: "StatefulPartitionedCall" input: "serving_default_x" input: "n"
       attr { key: "f" value { func { name: "model" } } } attr { key: "Tout" value { list { type: DT_FLOAT } } } }
library { function {
  signature { name: "model" input_arg { name: "a" type: DT_FLOAT } input_arg { name: "n" type: DT_INT32 }
              output_arg { name: "o" type: DT_FLOAT } }
  node_def { name: "i0" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
             attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 0 } } } }
  node_def { name: "while" op: "StatelessWhile" input: "i0:output:0" input: "n" input: "a"
             attr { key: "T" value { list { type: DT_INT32 type: DT_INT32 type: DT_FLOAT } } }
             attr { key: "cond" value { func { name: "loop_cond" } } } attr { key: "body" value { func { name: "loop_body" } } } }
  ret { key: "o" value: "while:output:2" } } })");
  expect_parts(e, {"node 'StatefulPartitionedCall/while' (StatelessWhile)",
                   "While loop (cond 'loop_cond', body 'loop_body') cannot be made static"});
}

TEST(Tf2SavedModel, RefusesAStringLookupTable) {
  std::string e = refusal(R"(
node { name: "serving_default_x" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
node { name: "table" op: "HashTableV2" attr { key: "key_dtype" value { type: DT_STRING } }
       attr { key: "value_dtype" value { type: DT_INT64 } } attr { key: "shared_name" value { s: "vocab" } } }
node { name: "StatefulPartitionedCall" op: "StatefulPartitionedCall" input: "serving_default_x" input: "table"
       attr { key: "f" value { func { name: "model" } } } attr { key: "Tout" value { list { type: DT_INT64 } } } }
library { function {
  signature { name: "model" input_arg { name: "s" type: DT_STRING } input_arg { name: "t" type: DT_RESOURCE }
              output_arg { name: "o" type: DT_INT64 } }
  node_def { name: "d" op: "Const" attr { key: "dtype" value { type: DT_INT64 } }
             attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape {} int64_val: -1 } } } }
  node_def { name: "find" op: "LookupTableFindV2" input: "t" input: "s" input: "d:output:0"
             attr { key: "Tin" value { type: DT_STRING } } attr { key: "Tout" value { type: DT_INT64 } } }
  ret { key: "o" value: "find:values:0" } } })");
  expect_parts(e, {"node 'table' (HashTableV2)", "lookup table"});
}

TEST(Tf2SavedModel, RefusesAMissingSignatureListingThoseThere) {
  fs::path dir = test::write_tf2_saved_model(test::scratch_dir(), kX + kCall + "library {" + kBranches + R"(
function { signature { name: "model" input_arg { name: "a" type: DT_FLOAT } output_arg { name: "o" type: DT_FLOAT } }
  ret { key: "o" value: "a" } } })",
                                             kSig);
  std::string e = test::error_of([&] { open_model_source(dir, {.signature = "predict"}); });
  expect_parts(e, {dir.string(), "no signature 'predict'", "signatures present: serving_default"});
  EXPECT_EQ(run_y(dir), (std::vector<double>{1, 2, 3})) << "the identity model";
}

}  // namespace
}  // namespace tfprod
