// Family: recurrent cells. BlockLSTM runs TF's fused LSTM over a sequence:
//
//   xh    = [x_t, h_{t-1}]                      (batch, input + cell)
//   icfo  = xh * w + b                          gates in the order i, ci, f, o
//   i     = sigmoid(icfo_i + cs_{t-1} * wci)    (peephole terms when use_peephole)
//   ci    = tanh(icfo_ci)
//   f     = sigmoid(icfo_f + forget_bias + cs_{t-1} * wcf)
//   cs_t  = ci * i + cs_{t-1} * f               clipped to +-cell_clip when > 0
//   o     = sigmoid(icfo_o + cs_t * wco)
//   co    = tanh(cs_t);   h_t = co * o
//
// Outputs (each [time, batch, cell]): i, cs, f, o, ci, co, h. Steps at or past
// seq_len_max produce zeros. LSTMBlockCell is one step of it: x [batch, input]
// and no seq_len_max; outputs [batch, cell].
#include <cmath>

#include "eval/kernel.h"
#include "eval/tensor_util.h"

namespace tfprod::eval {

namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// The 7 outputs [time, batch, cell] of the LSTM over x [time, batch, input];
// inputs cs_prev, h_prev, w, wci, wcf, wco, b are ctx's inputs base.. base + 6.
std::vector<Tensor> lstm(KernelContext& ctx, int64_t seq_len_max, const Tensor& x, std::size_t base) {
  const Tensor cs_prev0 = to_float32(ctx.input(base)), h_prev0 = to_float32(ctx.input(base + 1));
  const Tensor w = to_float32(ctx.input(base + 2));
  const Tensor wci = to_float32(ctx.input(base + 3)), wcf = to_float32(ctx.input(base + 4)),
               wco = to_float32(ctx.input(base + 5));
  const Tensor b = to_float32(ctx.input(base + 6));
  const float forget_bias = ctx.attr_float("forget_bias", 1.0f);
  const float cell_clip = ctx.attr_float("cell_clip", 3.0f);
  const bool peephole = ctx.attr_bool("use_peephole", false);
  if (x.shape.size() != 3) ctx.fail("x must be [time, batch, input], got {}", shape_string(x.shape));
  const int64_t T = x.shape[0], B = x.shape[1], I = x.shape[2];
  if (w.shape.size() != 2 || w.shape[1] % 4 != 0) ctx.fail("w must be [input + cell, 4 * cell], got {}", shape_string(w.shape));
  const int64_t C = w.shape[1] / 4;
  if (w.shape[0] != I + C) ctx.fail("w has {} rows, expected input {} + cell {}", w.shape[0], I, C);
  if (b.num_elements() != 4 * C) ctx.fail("b must have {} elements", 4 * C);
  if (cs_prev0.num_elements() != B * C || h_prev0.num_elements() != B * C)
    ctx.fail("cs_prev and h_prev must be [batch {}, cell {}]", B, C);
  if (peephole && (wci.num_elements() != C || wcf.num_elements() != C || wco.num_elements() != C))
    ctx.fail("peephole weights must have {} elements", C);

  std::vector<Tensor> out;
  for (int k = 0; k < 7; ++k) out.push_back(make_tensor(tfprod::tf::DT_FLOAT, {T, B, C}));
  auto xv = values<float>(x), wv = values<float>(w), bv = values<float>(b);
  std::vector<float> cs_prev(values<float>(cs_prev0).begin(), values<float>(cs_prev0).end());
  std::vector<float> h_prev(values<float>(h_prev0).begin(), values<float>(h_prev0).end());
  std::vector<float> gates(static_cast<std::size_t>(4 * C));
  for (int64_t t = 0; t < std::min(T, seq_len_max); ++t) {
    for (int64_t n = 0; n < B; ++n) {
      for (int64_t g = 0; g < 4 * C; ++g) {
        double acc = bv[g];
        for (int64_t k = 0; k < I; ++k) acc += static_cast<double>(xv[(t * B + n) * I + k]) * wv[k * 4 * C + g];
        for (int64_t k = 0; k < C; ++k) acc += static_cast<double>(h_prev[n * C + k]) * wv[(I + k) * 4 * C + g];
        gates[g] = static_cast<float>(acc);
      }
      for (int64_t c = 0; c < C; ++c) {
        const float csp = cs_prev[n * C + c];
        const float i = sigmoid(gates[c] + (peephole ? csp * values<float>(wci)[c] : 0.0f));
        const float ci = std::tanh(gates[C + c]);
        const float f = sigmoid(gates[2 * C + c] + forget_bias + (peephole ? csp * values<float>(wcf)[c] : 0.0f));
        float cs = ci * i + csp * f;
        if (cell_clip > 0) cs = std::clamp(cs, -cell_clip, cell_clip);
        const float o = sigmoid(gates[3 * C + c] + (peephole ? cs * values<float>(wco)[c] : 0.0f));
        const float co = std::tanh(cs);
        const float h = co * o;
        const int64_t at = (t * B + n) * C + c;
        const float vals[7] = {i, cs, f, o, ci, co, h};
        for (int k = 0; k < 7; ++k) values<float>(out[k])[at] = vals[k];
      }
    }
    for (int64_t n = 0; n < B; ++n)
      for (int64_t c = 0; c < C; ++c) {
        cs_prev[n * C + c] = values<float>(out[1])[(t * B + n) * C + c];
        h_prev[n * C + c] = values<float>(out[6])[(t * B + n) * C + c];
      }
  }
  return out;
}

void block_lstm(KernelContext& ctx) {
  std::vector<Tensor> out = lstm(ctx, element_as_int(ctx.input(0), 0), to_float32(ctx.input(1)), 2);
  const DataType dtype = ctx.input(1).dtype;
  for (int k = 0; k < 7; ++k) ctx.set_output(static_cast<std::size_t>(k), from_float32(out[k], dtype));
}

// LSTMBlockCell: one step of the same cell; x [batch, input], outputs [batch, cell].
void lstm_block_cell(KernelContext& ctx) {
  Tensor x = to_float32(ctx.input(0));
  if (x.shape.size() != 2) ctx.fail("x must be [batch, input], got {}", shape_string(x.shape));
  x.shape.insert(x.shape.begin(), 1);
  std::vector<Tensor> out = lstm(ctx, 1, x, 1);
  const DataType dtype = ctx.input(0).dtype;
  for (int k = 0; k < 7; ++k) {
    out[k].shape.erase(out[k].shape.begin());
    ctx.set_output(static_cast<std::size_t>(k), from_float32(out[k], dtype));
  }
}

}  // namespace

void register_recurrent(KernelTable& t) {
  t["BlockLSTM"] = {block_lstm};
  t["LSTMBlockCell"] = {lstm_block_cell};
}

}  // namespace tfprod::eval
