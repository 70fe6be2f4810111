// The integer pipeline of an imported ONNX graph (workload.kind onnx, workload.onnx.pipeline
// integer; docs/workloads.md#integer-pipeline): the graph, recognised as a stack of the
// encoder recipe's layers (onnx_match_encoder), becomes a model_instance of the `encoder`
// firmware (docs/encoder.md) with the graph's own weights quantized to int8 and every I-BERT
// integer constant from scales calibrated on the float reference; the firmware then issues
// its GEMM / ATTENTION / REQUANT / RESADD / LAYERNORM / GELU commands, and reference_model
// (model_workload.h) is the bit-exact integer reference of the same quantized graph.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "platform/config/config.h"
#include "platform/workloads/model_workload.h"
#include "platform/workloads/onnx_import.h"

namespace dtq {

struct onnx_pipeline {
    model_instance inst;                        // the encoder recipe's model: weights, constants, input, layer-0 precisions
    onnx_encoder_graph graph;                   // what was recognised
    std::vector<double> out_scale;              // per layer: the int8 scale of its output (the next layer's input)
    double in_scale = 0;                        // the layer-0 input's int8 scale
    std::vector<std::vector<float>> float_out;  // per layer: the float reference's output of sample 0 (seq x d_model)
    std::vector<bool> padding;                  // per token: a padding token (masked; pruned from layer 0 on)
    uint64_t samples = 0;                       // calibration samples
    double import_seconds = 0, calibration_seconds = 0;
};

// The float samples of workload.onnx.input (the first input's shape, or N stacked on a
// leading axis); empty when the key is empty (the float reference then draws N(0, 1)).
std::vector<std::vector<float>> onnx_input_samples(const scenario_config& c);

// Throws config_error (exit 2) naming the node for a graph the recipe cannot run.
onnx_pipeline make_onnx_pipeline(const scenario_config& c);

}  // namespace dtq
