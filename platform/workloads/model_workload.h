// Whole-model workload (workload.kind model, docs/encoder.md): the synthetic model (weights,
// input, LayerNorm biases from the seed), its integer constants (the I-BERT scale
// bookkeeping, float, offline), the DRAM layout the firmware app `encoder` works on, a
// straightforward reference of the same integer recipe (the accuracy proxy and the tests),
// and the per-op accounting of the commands by descriptor tag.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "apps.h"
#include "common/stats.h"
#include "ctrl/ctrl.h"
#include "platform/config/config.h"
#include "platform/workloads/model_zoo.h"
#include "softmax/softmax_unit.h"
#include "vsquant/vsquant.h"

namespace dtq {

// The dyadic multiplier (m, e) of a requantization by `multiplier`, as the encoder recipe's
// constants hold it: ibert::dyadic, with |m| = 2^31 (not an int32) halved with e - 1.
dtq_rq rq_of(double multiplier);

// One layer's weights as GEMM B operands (N x K, row-major) and LayerNorm biases.
struct layer_weights {
    std::vector<int8_t> wq, wk, wv, wo, w1, w2;
    std::vector<int32_t> ln1_bias, ln2_bias;
    // Imported graphs (docs/workloads.md#biases-and-per-channel-layernorm); empty = none:
    // the six GEMMs' int32 biases (N each, in the units of the GEMM's int32 output), and the
    // LayerNorm outputs' per-channel requantization (d_model (m, e) pairs, replacing ln1 / ln2).
    std::vector<int32_t> bq, bk, bv, bo, b1, b2;
    std::vector<dtq_rq> ln1_rq, ln2_rq;
    // A pre-LN layer (docs/workloads.md#pre-ln): ln1 before the attention, ln2 before the FFN,
    // both on the int32 residual stream; pre_h / pre_y requantize the two residual sums to
    // int8; final_ln (the last layer): the final LayerNorm (lnf_bias, lnf or lnf_rq) gives the output.
    bool pre_ln = false, final_ln = false;
    // relu: the FFN's activation is ReLU (docs/workloads.md#relu): ffn1 requantizes FFN1's
    // output with REQUANT's RELU bit and gives FFN2's input; no GELU, gelu unused.
    bool relu = false;
    dtq_rq pre_h{}, pre_y{}, lnf{};
    std::vector<int32_t> lnf_bias;
    std::vector<dtq_rq> lnf_rq;
};

struct model_instance {
    model_shape shape;
    uint64_t layers = 0, seq = 0, decode_tokens = 0;
    bool causal = false, topk = false;
    bool unfused = false, host_nonlinear = false;  // attention as GEMM/SOFTMAX/GEMM; softmax/LN/GELU on the host
    // Precision modes (workload.model.precision, docs/vsquant.md#in-the-platform):
    bool all4 = false;  // 4bit, vsquant: every token 4-bit (no top-k); linear layers' A rows 4-bit, weights stored 4-bit
    bool vsq = false;   // vsquant, dtqatten_vsquant: the 4-bit operands are VS-Quant
    vsquant::config vsq_cfg;
    softmax::softmax_mode softmax = softmax::softmax_mode::ibert;  // softmax.mode
    bool wcomp = false;             // workload.model.weight_compression nm24 (docs/compression.md)
    double wcomp_fraction = 0.5;    // workload.model.compression_4bit_fraction
    bool outliers = false;  // workload.model.outliers (docs/encoder.md#synthetic-model)
    std::vector<uint32_t> outlier_dims;  // the residual stream's outlier channels (outliers)
    std::vector<int8_t> outlier_sign;    // their signs
    uint64_t attn_seq = 0;               // longest sequence one attention sees (0 = seq; a request stream: its longest request)
    std::vector<layer_weights> weights;
    std::vector<dtq_layer_params> params;  // integer constants (addresses filled by the loader)
    std::vector<int8_t> x;                 // seq x d: layer-0 input
    std::vector<int8_t> dec_x;             // decode_tokens x d
    std::vector<uint8_t> prec0;            // layer-0 precisions (dtqatten; all4: every token 4)
    uint32_t score_shift = 10;
    // The synthetic weight matrices' definition (model_weight_into generates them from it);
    // deferred_weights (make_model's host_weights = false): weights[l]'s six matrices are empty;
    // the loader makes each a generated DRAM range (int8, weight_store generated) or generates
    // it when it writes it, or its 4-bit / NM24 image, to DRAM.
    bool deferred_weights = false;
    uint64_t weight_seed = 0;           // layer l's matrix i (0..5: wq wk wv wo w1 w2) has seed weight_seed + 64 l + i + 1
    std::vector<int8_t> weight_u, weight_v;  // the rank-1 term of wq and wk
};

// The model of a scenario: synthetic weights from the seed, the input from
// workload.model.input or the seed. Throws config_error for a bad input file.
// host_weights = false (with_data): the six weight matrices per layer are not built; the
// loader generates them (the same bytes: model_weight_generator, model_weight_into), so a run
// without host readers of the weights keeps no host copy of them.
model_instance make_model(const scenario_config& c, bool with_data, bool host_weights = true);
// Only what plan_model needs (shapes, layer count, sequence, precision mode): no input tokens,
// precisions or weights; workload.model.input is read, so its errors are thrown as by
// make_model. For the preflight's DRAM size check.
model_instance make_model_layout(const scenario_config& c);
// Matrix i's shape (0..5: wq wk wv wo w1 w2) as a GEMM B operand, {N, K}: d x d, but w1 d_ffn x
// d and w2 d x d_ffn.
inline std::pair<uint64_t, uint64_t> weight_shape(const model_shape& s, int i) {
    return {i == 4 ? s.d_ffn : s.d_model, i == 5 ? s.d_ffn : s.d_model};
}
// Matrix i (0..5: wq wk wv wo w1 w2; N x K as in layer_weights) of layer l of a synthetic
// model (make_model with_data), into dst (N x K bytes): the one definition of the six
// matrices' seeds, shapes and rank-1 terms, for the host copies and the deferred ones alike.
void model_weight_into(const model_instance& m, uint64_t l, int i, int8_t* dst);
// The same matrix as a generator of any of its bytes: (first, dst, len) writes elements
// [first, first + len) of the row-major N x K matrix, the bytes model_weight_into writes there.
// It owns what it needs (seed, K, the rank-1 vectors), so a generated DRAM range can keep it
// (workload.model.weight_store generated: docs/performance.md#generated-weights).
struct weight_generator {
    uint64_t k = 0, seed = 0;
    std::vector<int8_t> u, v;  // empty: no rank-1 term
    void operator()(uint64_t first, uint8_t* dst, uint64_t len) const;
};
weight_generator model_weight_generator(const model_instance& m, uint64_t l, int i);

// A request stream (docs/batching.md): the requests in arrival order, from
// workload.requests.list or its generator (seeded), arrival in cycles of the clock.
struct request_spec {
    uint64_t arrival = 0, seq = 0;
};
std::vector<request_spec> expand_requests(const scenario_config& c);

// Request `index`'s input (seq x d int8, synthetic from the seed and the index, as the
// model's own input is made), its layer-0 precisions and top-k counts (dtqatten: from its
// salience at the scenario's ratios; all4: every token 4-bit).
struct request_input {
    std::vector<int8_t> x;
    std::vector<uint8_t> prec0;
    uint32_t k0 = 0, k1 = 0;
};
request_input make_request_input(const scenario_config& c, const model_instance& m, uint64_t index, uint64_t seq, bool with_data);
// The model instance that request `r` alone is: the model's weights and constants with
// the request's sequence length, input and layer-0 precisions (the reference of a request).
model_instance request_instance(const model_instance& m, uint64_t seq, const request_input& r);

// The DRAM layout (docs/encoder.md#memory-layout); fills args and the params' addresses.
struct model_layout {
    dtq_model_args args{};
    uint64_t params_at = 0, end = 0;
    // per layer WEIGHT_SLOTS addresses: wq, wk, wv, wo, w1, w2, ln1, ln2 (a VS-Quant weight's
    // b_scales follow its codes: dtq_model_wscales)
    std::vector<uint64_t> weights_at;
    static constexpr uint64_t WEIGHT_SLOTS = 8;
    // per layer EXTRA_SLOTS addresses (0 = absent): bq, bk, bv, bo, b1, b2, ln1_rq, ln2_rq,
    // wide (pre-LN: one buffer for all layers), lnf_bias, lnf_rq
    std::vector<uint64_t> extras_at;
    static constexpr uint64_t EXTRA_SLOTS = 11;
};

// One weight (N x K int8, the GEMM B layout) as the loader stores it: int8; with all4
// packed 4-bit codes (two per byte along K, element 2i in the low nibble): per tensor
// vssa::quantize_4bit_code, or, with vsq, VS-Quant's offline per-vector codes, with the
// GEMM's b_scales (N u32 channel maxima, then the packed per-vector scales).
struct weight_image {
    std::vector<uint8_t> b, scales;
};
// A request stream's DRAM (docs/batching.md#memory): the model's layout planned for
// batches of up to `rows` rows (args.seq = rows), then the request table, the batch table
// and each request's input, output and layer-0 precisions.
struct stream_layout {
    model_instance inst;  // seq = rows (the batch buffers' capacity), attn_seq = the longest request
    model_layout layout;
    std::vector<request_spec> specs;
    std::vector<request_input> inputs;
    std::vector<dtq_request> table;
    uint64_t rows = 0, request_table = 0, batch_table = 0, end = 0;
};
stream_layout plan_stream(const scenario_config& c, bool with_data);

weight_image make_weight_image(const model_instance& m, const std::vector<int8_t>& w, uint64_t n, uint64_t k);
// With wcomp, the weights the NM24 images represent (W' = wcomp::represented of each); else a copy.
std::vector<layer_weights> represented_weights(const model_instance& m);
model_layout plan_model(const model_instance& m, uint64_t data_base);

// The reference: every op as plain loops, all in one place, on the model's integer
// constants. `prec[l]` are the precisions layer l ran with (empty = every token 8-bit,
// no pruning); their 4-bit tokens are per-tensor codes (x16). With `quantized`, the
// model's precision mode applies as the VP runs it: all4 also quantizes the linear layers
// (activations and weights), vsq makes every 4-bit operand VS-Quant (models/vsquant's
// quantizers and its reference GEMM), wcomp uses the NM24 weights W' (represented_weights).
// Returns each layer's output (seq x d int8).
std::vector<std::vector<int8_t>> reference_model(const model_instance& m, const std::vector<std::vector<uint8_t>>& prec,
                                                 bool quantized = false);

// Accuracy proxy between two int8 tensors (mean / max absolute error in units of the
// activation scale, cosine similarity) over the rows where `rows` is true and the columns
// where `columns` is true (empty = all).
struct accuracy {
    double mean_abs = 0, max_abs = 0, cosine = 1;
    uint64_t elements = 0;
};
accuracy compare_outputs(const std::vector<int8_t>& a, const std::vector<int8_t>& b, uint64_t cols,
                         const std::vector<bool>& rows = {}, const std::vector<bool>& columns = {});

// Sums each command's cycles and DRAM bytes by the op in its tag (statistics ops.*), and
// reports progress by layer.
class op_accounting {
public:
    op_accounting();
    // dram_read / dram_written: the commands' transfers to and from DRAM addresses (through
    // the L2); dram_device: what the DRAM device itself moved meanwhile (DRAM <-> L2).
    void account(const command& c, uint64_t start, uint64_t end, uint64_t dram_read, uint64_t dram_written,
                 uint64_t dram_device);
    // Adds to one op directly (the fused ATTENTION's DRAM bytes split into qk / sv / other).
    void op_entry(uint32_t op, uint64_t commands, uint64_t cycles, uint64_t dram_read, uint64_t dram_written,
                  uint64_t dram_device);
    std::function<void(uint64_t layer, uint64_t cycle)> on_layer;  // progress
    nlohmann::json to_json() const;

private:
    struct op_stats {
        std::unique_ptr<stat_group> g;
        uint64_t *commands, *cycles, *read, *written, *device;
    };
    std::vector<op_stats> m_ops;
    uint64_t m_layer = UINT64_MAX;
};

const char* op_tag_name(uint32_t op);

}  // namespace dtq
