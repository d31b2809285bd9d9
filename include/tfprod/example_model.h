// A small Estimator-style training directory that tfprod writes itself, so a
// fresh clone can try every command without TensorFlow or downloads:
//
//   graph.pbtxt               training graph: OneShotIterator -> IteratorGetNext
//                             input, conv -> relu -> dropout (training mode,
//                             RandomUniform) -> dense -> softmax_tensor, a
//                             loss, real gradients, GradientDescent updates,
//                             initializers and a Saver (save/RestoreV2)
//   model.ckpt-1000.index     V2 checkpoint written by tfprod's BundleWriter
//   model.ckpt-1000.data-00000-of-00001
//   checkpoint                checkpoint state naming model.ckpt-1000
//   digit.pgm                 a 20x20 grey image of a 5, to classify
#pragma once

#include <filesystem>
#include <string>

#include "tfprod/tf/framework/graph.pb.h"

namespace tfprod {

// The training graph (deterministic).
tfprod::tf::GraphDef example_training_graph();

// Writes the whole directory (created if needed). Weights are deterministic
// pseudo-random values. Throws Error.
void write_example_training_dir(const std::filesystem::path& dir);

// digit.pgm's bytes: a binary PGM (P5) of a hand-drawn 5, 20x20.
std::string example_image();

}  // namespace tfprod
