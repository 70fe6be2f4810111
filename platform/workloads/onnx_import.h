// ONNX import (workload.kind onnx, docs/workloads.md#onnx-graphs): reads a transformer graph
// with the ONNX protobuf reader (Debian libonnx-dev: libonnx_proto), checks every node
// against the supported ops, infers every tensor's static shape and maps each MatMul / Gemm
// onto GEMM commands: a MatMul with a weight initializer is one GEMM (the batch and sequence
// dimensions fold into M); a MatMul of two activations (Q x K^T, P x V per head) is one
// GEMM per batch x head. Anything it cannot map is a config_error naming the node, its op
// type and the supported list (exit 2).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "platform/config/config.h"

namespace dtq {

struct onnx_import_result {
    std::vector<gemm_entry> gemms;          // in graph order
    std::map<std::string, uint64_t> ops;    // node count per op type
    uint64_t nodes = 0, initializers = 0, parameters = 0;  // parameters: elements of the float initializers
    uint64_t weight_gemms = 0, activation_gemms = 0;
};

// True when this dtqvp was built with the ONNX reader.
bool onnx_available();
// The supported op types, comma-separated (for messages and docs).
std::string onnx_supported_ops();
// `seq` replaces symbolic dimensions that are not named batch* (those become 1).
onnx_import_result import_onnx(const std::string& path, uint64_t seq);
onnx_import_result import_onnx_bytes(const std::string& bytes, const std::string& origin, uint64_t seq);

// The float reference of an imported graph (float32 arithmetic, node by node, as ONNX defines
// the ops): per GEMM of import_onnx, in the same order, its float operands and result.
// `inputs`: the graph inputs' values in graph order (C order); an empty vector = seeded
// N(0, 1) values. Call after import_onnx accepted the file.
struct onnx_gemm_data {
    std::vector<float> a;  // m x k, row-major
    std::vector<float> b;  // k x n, row-major
    std::vector<float> c;  // m x n: A B (alpha x A B for Gemm, without its bias)
    bool weight = false;   // B is an initializer (per-channel quantization applies)
    uint64_t softmax_before = 0;  // Softmax nodes computed before this GEMM (its attention layer: the count)
};
// A Softmax node's output (the attention probabilities): heads x rows x cols, row-major.
struct onnx_softmax_data {
    std::string node;
    std::vector<float> p;
    uint64_t heads = 0, rows = 0, cols = 0;
};
// `values`: when given, every tensor's float value by name (initializers, inputs, node outputs).
struct onnx_value {
    std::vector<int64_t> dims;
    std::vector<float> v;
};
std::vector<onnx_gemm_data> onnx_float_reference(const std::string& path, uint64_t seq, std::vector<std::vector<float>> inputs,
                                                 uint64_t seed, std::vector<onnx_softmax_data>* softmax = nullptr,
                                                 std::map<std::string, onnx_value>* values = nullptr);
// The integer pipeline (workload.onnx.pipeline integer, docs/workloads.md#integer-pipeline):
// the graph recognised as a stack of post-LN transformer layers of the VP's encoder recipe
// (docs/encoder.md), or of pre-LN layers (GPT-2 style, docs/workloads.md#pre-ln): x -> Q, K, V projections (3 MatMul, or one with a Split) -> heads ->
// Q K^T / sqrt(d_head) [+ padding or causal mask] -> Softmax -> P V -> output projection ->
// + x -> LayerNorm -> FFN1 -> GELU (erf or tanh form, or the Gelu op) or ReLU -> FFN2 -> + x1 ->
// LayerNorm. The projections may have biases (Gemm's C, or an Add of a 1-D initializer
// after the MatMul) and the LayerNorms per-channel gamma and beta (LayerNormalization's
// Scale and B, or the decomposed form's Mul and Add). What the recipe cannot express exactly
// (a gamma of 0, another mask or scale) is a config_error naming the node (exit 2).
struct onnx_encoder_layer {
    // Weights as the graph multiplies them: K x N row-major (x W).
    std::vector<float> wq, wk, wv, wo, w1, w2;
    std::vector<float> bq, bk, bv, bo, b1, b2;  // biases (N each; empty = none)
    std::vector<float> ln1_gamma, ln2_gamma;    // d_model, none 0
    std::vector<float> ln1_beta, ln2_beta;      // d_model
    // Tensor names (for the float reference's values): the layer input, Q, K, V (before the
    // heads' reshape), the attention context (the output projection's input), the residual
    // sums, the LayerNorm outputs, FFN1's output and GELU's output.
    std::string x, q, k, v, ctx, res1, x1, h, g, res2, y;
    // Pre-LN (docs/workloads.md#pre-ln): ln1 is the LayerNorm before the attention (output xn1),
    // ln2 the one before the FFN (output x1); y = res2 (no LayerNorm after the sums).
    std::string xn1;
    // The FFN's activation is ReLU (a Relu node reading FFN1's output h; g its output) instead
    // of GELU (docs/workloads.md#relu).
    bool relu = false;
};
struct onnx_encoder_graph {
    uint64_t d_model = 0, heads = 0, d_ffn = 0, seq = 0;
    bool causal = false;
    bool pre_ln = false;    // GPT-2 style layers (every layer alike)
    bool final_ln = false;  // pre-LN: a LayerNorm after the last layer gives the graph output yf
    std::vector<float> lnf_gamma, lnf_beta;
    std::string yf;
    std::vector<bool> padding;  // per token: masked out by a padding mask (attends nothing, is attended by none)
    std::vector<onnx_encoder_layer> layers;
};
onnx_encoder_graph onnx_match_encoder(const std::string& path, uint64_t seq);

// The shapes of the graph inputs (symbolic dimensions resolved), in graph order.
std::vector<std::vector<int64_t>> onnx_input_shapes(const std::string& path, uint64_t seq);

}  // namespace dtq
