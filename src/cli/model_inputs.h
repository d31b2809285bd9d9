// The two flags through which tfprod's commands are told about model inputs,
// one meaning each across commands:
//   --input NAME[:DTYPE][:SHAPE]  names an input, with its dtype and shape
//                                 when the graph does not say (export,
//                                 inspect, run, verify, classify);
//   --feed NAME=FILE.npy          gives an input its values (run, verify).
// `run` and `verify` once spelled --feed as --input NAME=FILE.npy; that is
// still accepted, with a note, since no tensor name holds '='.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tfprod/export.h"
#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod::cli {

// --input NAME[:DTYPE][:SHAPE] (InputSpec::parse); a malformed one is a
// usage error.
InputSpec parse_input_flag(const std::string& text);

// --feed NAME=FILE.npy: the name and the file's tensor. A malformed spec is a
// usage error; an unreadable file an Error naming it.
std::pair<std::string, Tensor> parse_feed_flag(const std::string& text, const std::string& flag = "--feed");

// The old spelling of --feed (--input NAME=FILE.npy).
bool is_old_feed_spelling(const std::string& input_value);

// Values for an input named by --input without a file: standard normal
// (false for bool) from `seed`, dtype and shape from the spec, else from the
// placeholder in `graph` (unknown dims: 1). Throws Error when the input is
// not in the graph or no shape is known.
Tensor random_input(const Graph& graph, const InputSpec& spec, uint64_t seed);

// What `run` and `verify` were given: the values of --feed (and of the old
// --input NAME=FILE.npy, with a deprecation note on stderr for `command`),
// and the inputs of --input that get random values.
struct InputFlags {
  std::vector<std::pair<std::string, Tensor>> feeds;
  std::vector<InputSpec> random;
};
InputFlags read_input_flags(const char* command, const std::vector<std::string>& inputs,
                            const std::vector<std::string>& feeds);

// The feeds for a run: `flags.feeds` and a seeded random value per `flags.random`.
std::vector<std::pair<std::string, Tensor>> feeds_for(const Graph& graph, const InputFlags& flags, uint64_t seed);

}  // namespace tfprod::cli
