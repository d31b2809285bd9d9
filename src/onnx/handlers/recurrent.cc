// TF's fused LSTM ops as ONNX LSTM: BlockLSTM (a whole sequence, [T, B, I])
// and LSTMBlockCell (one step, [B, I]). TF's kernel [I + H, 4H] holds the
// gates as columns in the order i, c (the cell input), f, o; ONNX wants W
// [1, 4H, I] and R [1, 4H, H] as rows in the order i, o, f, c, and a bias
// [1, 8H] (input bias, then recurrence bias). TF's forget_bias goes into the
// f bias. The initial state (cs_prev, h_prev) becomes initial_c / initial_h;
// peepholes (wci, wcf, wco) become P.
// Only the h output (and cs, for a cell) can be read: TF's other outputs are
// gate activations ONNX's LSTM does not give.
#include <cstring>

#include <fmt/format.h>

#include "onnx/registry.h"
#include "tfprod/tensor_values.h"

namespace tfprod::onnx_export {

namespace {

// TF's column block of each ONNX gate (i, o, f, c).
constexpr int kTfGate[4] = {0, 3, 2, 1};

struct Weights {
  std::string w, r, bias;
};

Weights lstm_weights(const Node& n, Builder& b, std::size_t w_index, std::size_t b_index, int64_t input_size,
                     int64_t hidden) {
  const Tensor* w = b.constant(n, w_index);
  const Tensor* bias = b.constant(n, b_index);
  if (!w || !bias) unsupported(n, "weights or bias that are not constant");
  if (w->dtype != tfprod::tf::DT_FLOAT || bias->dtype != tfprod::tf::DT_FLOAT) unsupported(n, "weights that are not float32");
  if (w->shape != Shape{input_size + hidden, 4 * hidden} || bias->shape != Shape{4 * hidden})
    unsupported(n, fmt::format("weights {} / bias {} for input size {} and {} units", shape_string(w->shape),
                               shape_string(bias->shape), input_size, hidden));
  const float* wv = reinterpret_cast<const float*>(w->data.data());
  const float* bv = reinterpret_cast<const float*>(bias->data.data());
  const float forget_bias = tf_float(n, "forget_bias", 1.0f);
  Tensor W = eval::make_tensor(tfprod::tf::DT_FLOAT, {1, 4 * hidden, input_size});
  Tensor R = eval::make_tensor(tfprod::tf::DT_FLOAT, {1, 4 * hidden, hidden});
  Tensor B = eval::make_tensor(tfprod::tf::DT_FLOAT, {1, 8 * hidden});
  float* Wv = reinterpret_cast<float*>(W.data.data());
  float* Rv = reinterpret_cast<float*>(R.data.data());
  float* Bv = reinterpret_cast<float*>(B.data.data());
  const int64_t cols = 4 * hidden;
  for (int g = 0; g < 4; ++g)
    for (int64_t j = 0; j < hidden; ++j) {
      const int64_t row = g * hidden + j, col = kTfGate[g] * hidden + j;
      for (int64_t k = 0; k < input_size; ++k) Wv[row * input_size + k] = wv[k * cols + col];
      for (int64_t k = 0; k < hidden; ++k) Rv[row * hidden + k] = wv[(input_size + k) * cols + col];
      Bv[row] = bv[col] + (g == 2 ? forget_bias : 0.0f);  // Rb (second half) stays 0
    }
  return {b.initializer(n.name() + "/onnx/W", std::move(W)), b.initializer(n.name() + "/onnx/R", std::move(R)),
          b.initializer(n.name() + "/onnx/B", std::move(B))};
}

// [B, H] state -> [1, B, H]: a constant is stored so (OpenCV needs constant states).
std::string state(const Node& n, Builder& b, std::size_t i, const char* what) {
  const Shape& s = b.info(n, i).shape;
  if (s.size() != 2) unsupported(n, fmt::format("a {} of shape {}", what, shape_string(s)));
  if (const Tensor* c = b.constant(n, i)) {
    Tensor t = *c;
    t.shape = {1, s[0], s[1]};
    return b.initializer(n.name() + "/onnx/" + what, std::move(t));
  }
  const std::string out = b.fresh(n.name() + "/onnx/" + what);
  b.add("Reshape", {b.in(n, i), b.ints(n.name() + "/onnx/" + what + "_shape", {1, s[0], s[1]})}, {out});
  return out;
}

// The ports of `n` that some node reads.
std::vector<int> read_ports(const Node& n) {
  std::vector<int> ports;
  for (const Use& u : n.uses())
    if (u.node && u.input_index >= 0) ports.push_back(u.node->inputs[static_cast<std::size_t>(u.input_index)].index);
  return ports;
}

// Peepholes: ONNX's P [1, 3H] in the order i, o, f = TF's wci, wco, wcf (i and
// f read the previous cell state, o the new one, in both); "" without them.
// ONNX Runtime follows that order; OpenCV 4.6 reads P as i, f, o (measured:
// OnnxRecurrent.Peepholes...), so a peephole LSTM fails its verification.
std::string peepholes(const Node& n, Builder& b, std::size_t wci, int64_t hidden) {
  if (!tf_bool(n, "use_peephole")) return "";
  Tensor p = eval::make_tensor(tfprod::tf::DT_FLOAT, {1, 3 * hidden});
  std::size_t at = 0;
  for (std::size_t k : {wci, wci + 2, wci + 1}) {
    const Tensor* c = b.constant(n, k);
    if (!c || c->dtype != tfprod::tf::DT_FLOAT || c->num_elements() != hidden)
      unsupported(n, "peephole weights that are not constant float32 [units]");
    std::memcpy(p.data.data() + at, c->data.data(), c->data.size());
    at += c->data.size();
  }
  return b.initializer(n.name() + "/onnx/P", std::move(p));
}

void check_common(const Node& n) {
  if (tf_float(n, "cell_clip", 3.0f) > 0) unsupported(n, fmt::format("cell_clip {} (ONNX's clip bounds the gates)",
                                                                      tf_float(n, "cell_clip", 3.0f)));
}

// BlockLSTM(seq_len_max, x [T,B,I], cs_prev, h_prev, w, wci, wcf, wco, b) -> h (port 6) [T,B,H].
void block_lstm(const Node& n, Builder& b) {
  check_common(n);
  for (int p : read_ports(n))
    if (p != 6) unsupported(n, fmt::format("a consumer of output {} (only h, output 6, has an ONNX form)", p));
  const Shape& x = b.info(n, 1).shape;
  if (x.size() != 3) unsupported(n, "an input that is not [T, B, I]");
  if (const Tensor* len = b.constant(n, 0); !len || eval::element_as_int(*len, 0) < x[0])
    unsupported(n, "a seq_len_max below the sequence length");
  const int64_t hidden = b.info(n, 4).shape.at(1) / 4;
  const Weights wts = lstm_weights(n, b, 4, 8, x[2], hidden);
  const std::string c0 = state(n, b, 2, "initial_c"), h0 = state(n, b, 3, "initial_h");
  const std::string y = b.fresh(n.name() + "/onnx/Y");
  auto& op = b.add("LSTM", {b.in(n, 1), wts.w, wts.r, wts.bias, "", h0, c0, peepholes(n, b, 5, hidden)}, {y}, n.name());
  set_attr(op, "hidden_size", hidden);
  // Y [T, 1, B, H] -> h [T, B, H].
  b.add("Reshape", {y, b.ints(n.name() + "/onnx/h_shape", {x[0], x[1], hidden})}, {b.out(n, 6)});
}

// LSTMBlockCell(x [B,I], cs_prev, h_prev, w, wci, wcf, wco, b) -> cs (port 1), h (port 6): one step.
void lstm_block_cell(const Node& n, Builder& b) {
  check_common(n);
  bool want_c = false;
  for (int p : read_ports(n)) {
    if (p != 6 && p != 1) unsupported(n, fmt::format("a consumer of output {} (only cs and h have an ONNX form)", p));
    want_c = want_c || p == 1;
  }
  const Shape& x = b.info(n, 0).shape;
  if (x.size() != 2) unsupported(n, "an input that is not [B, I]");
  const int64_t hidden = b.info(n, 3).shape.at(1) / 4;
  const Weights wts = lstm_weights(n, b, 3, 7, x[1], hidden);
  const std::string c0 = state(n, b, 1, "initial_c"), h0 = state(n, b, 2, "initial_h");
  const std::string seq = b.fresh(n.name() + "/onnx/x");
  b.add("Reshape", {b.in(n, 0), b.ints(n.name() + "/onnx/x_shape", {1, x[0], x[1]})}, {seq});
  const std::string y = b.fresh(n.name() + "/onnx/Y"), yc = b.fresh(n.name() + "/onnx/Y_c");
  // Y_h named too: OpenCV 4.6 imports nothing from an LSTM with an unnamed output before Y_c.
  const std::vector<std::string> outs =
      want_c ? std::vector<std::string>{y, b.fresh(n.name() + "/onnx/Y_h"), yc} : std::vector<std::string>{y};
  auto& op = b.add("LSTM", {seq, wts.w, wts.r, wts.bias, "", h0, c0, peepholes(n, b, 4, hidden)}, outs, n.name());
  set_attr(op, "hidden_size", hidden);
  const std::string shape = b.ints(n.name() + "/onnx/state_shape", {x[0], hidden});
  b.add("Reshape", {y, shape}, {b.out(n, 6)});
  if (want_c) b.add("Reshape", {yc, shape}, {b.out(n, 1)});
}

}  // namespace

void register_recurrent(HandlerTable& t) {
  t["BlockLSTM"] = &block_lstm;  // BlockLSTMV2 orders its gates otherwise: not handled
  t["LSTMBlockCell"] = &lstm_block_cell;
}

}  // namespace tfprod::onnx_export
