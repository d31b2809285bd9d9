// Hand-built TF2 SavedModels for tests: a meta graph (text GraphDef with a
// function library), one serving_default signature, written as
// DIR/saved_model.pb, optionally with the corpus's Keras variables beside it.
#pragma once

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tfprod/tf/protobuf/saved_model.pb.h"
#include "test_support.h"

namespace tfprod::test {

struct Tf2Signature {
  std::vector<std::pair<std::string, std::string>> inputs;   // key -> tensor
  std::vector<std::pair<std::string, std::string>> outputs;  // key -> tensor
};

// Writes DIR/saved_model.pb holding `graph_pbtxt` (a text GraphDef) under
// tags {serve} with the signature serving_default. `library_from`, when set,
// is a SavedModel whose function library is copied in (the corpus's Keras
// functions). Returns DIR.
inline std::filesystem::path write_tf2_saved_model(const std::filesystem::path& dir, const std::string& graph_pbtxt,
                                                   const Tf2Signature& sig,
                                                   const std::filesystem::path& library_from = {}) {
  tfprod::tf::SavedModel model;
  model.set_saved_model_schema_version(1);
  auto* meta = model.add_meta_graphs();
  meta->mutable_meta_info_def()->add_tags("serve");
  if (!google::protobuf::TextFormat::ParseFromString(graph_pbtxt, meta->mutable_graph_def()))
    ADD_FAILURE() << "bad GraphDef text";
  if (!library_from.empty()) {
    tfprod::tf::SavedModel source;
    std::ifstream in(library_from, std::ios::binary);
    if (!source.ParseFromIstream(&in)) ADD_FAILURE() << "cannot read " << library_from;
    *meta->mutable_graph_def()->mutable_library() = source.meta_graphs(0).graph_def().library();
  }
  auto* entry = meta->add_signature_def();
  entry->set_key("serving_default");
  for (const auto& [k, t] : sig.inputs) {
    auto* e = entry->mutable_value()->add_inputs();
    e->set_key(k);
    e->mutable_value()->set_name(t);
    e->mutable_value()->set_dtype(tfprod::tf::DT_FLOAT);
  }
  for (const auto& [k, t] : sig.outputs) {
    auto* e = entry->mutable_value()->add_outputs();
    e->set_key(k);
    e->mutable_value()->set_name(t);
    e->mutable_value()->set_dtype(tfprod::tf::DT_FLOAT);
  }
  entry->mutable_value()->set_method_name("tensorflow/serving/predict");
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / "saved_model.pb", std::ios::binary);
  model.SerializeToOstream(&out);
  return dir;
}

// Copies the corpus Keras model's variables (checkpoint with its object
// graph) into DIR/variables.
inline void copy_keras_variables(const std::filesystem::path& dir) {
  std::filesystem::copy(corpus_dir() / "keras_mnist_savedmodel_tf210/variables", dir / "variables",
                        std::filesystem::copy_options::recursive);
}

}  // namespace tfprod::test
