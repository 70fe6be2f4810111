#!/usr/bin/python3
"""Builds the small ONNX transformers of the ONNX import tests with python3-onnx's helper API
(docs/workloads.md#onnx-graphs), random float weights (numpy, seeded):

  encoder2.onnx  2 BERT-style post-LN encoder layers, d_model 64, 4 heads, d_ffn 256, input
                 [batch, seq, 64] with symbolic batch and seq; layer 0 uses LayerNormalization and
                 Gelu's erf form, layer 1 the decomposed LayerNorm and Gelu's tanh form; heads by
                 Reshape + Transpose, an additive attention mask initializer
  decoder.onnx   one GPT-2-style decoder block, seq 16: a fused QKV weight and Split, a causal
                 additive mask, the output projection as Gemm (transB) on a 2-D Reshape
  encoder2_int.onnx  the same 2-layer encoder as the integer pipeline's recipe takes it (docs/workloads.md
                 #integer-pipeline): no projection biases, one LayerNorm gamma per tensor (1.0, 0.8), the
                 padding mask; encoder2_int_y.npy: the numpy float output of each layer on encoder2_x.npy
  decoder_int.onnx   one post-LN decoder block: fused QKV + Split, causal mask, Gemm output projection,
                 no biases; decoder_int_y.npy: its numpy float output on encoder2_x.npy
  encoder2_bias.onnx, decoder_bias.onnx  the two above as frameworks export them: projection and FFN
                 biases (MatMul + Add, the fused QKV's Add, Gemm's C) and per-channel LayerNorm gamma (|gamma| in
                 [0.5, 1.5], every 8th channel negative) and beta; *_bias_y.npy their numpy float outputs
  encoder2_preln.onnx, decoder_preln.onnx  pre-LN (GPT-2 style) versions with biases, per-channel
                 LayerNorms and a final LayerNorm; *_preln_y.npy their numpy float outputs (each layer's
                 residual stream, the last layer's through the final LayerNorm)
  encoder2_preln_relu.onnx  encoder2_preln.onnx's structure with a Relu as the FFN activation (new weights)
  bad_*.onnx     malformed variants (truncated, a missing initializer, an unknown op, wrong shapes) and
                 integer-pipeline rejections (bad_int_gamma: a gamma of 0; bad_int_tiny_gelu: FFN1
                 weights x 1e-4, GELU's constants beyond int32)
  expected.json  the GEMMs each graph must map to (name, m, n, k), from this construction

Usage: make_onnx_models.py OUT_DIR
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

S, D, H, F = 16, 64, 4, 256
DH = D // H
rng = np.random.default_rng(25)


def w(name, *shape):
    return numpy_helper.from_array((rng.standard_normal(shape) * 0.05).astype(np.float32), name)


def const_i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def scalar(name, v):
    return numpy_helper.from_array(np.array(v, dtype=np.float32), name)


def layernorm(nodes, inits, p, x, out, decomposed, gamma=None):
    if gamma is None:
        inits += [w(p + "ln_g", D), w(p + "ln_b", D)]
    elif isinstance(gamma, str):  # per channel, as trained models have: |gamma| in [0.5, 1.5], every 8th negative; beta N(0, 0.1)
        g = rng.uniform(0.5, 1.5, D) * np.where(np.arange(D) % 8 == 3, -1.0, 1.0)
        inits += [numpy_helper.from_array(g.astype(np.float32), p + "ln_g"),
                  numpy_helper.from_array((rng.standard_normal(D) * 0.1).astype(np.float32), p + "ln_b")]
    else:  # one gamma for every channel (the integer pipeline's LayerNorm)
        inits += [numpy_helper.from_array(np.full(D, gamma, np.float32), p + "ln_g"), w(p + "ln_b", D)]
    if not decomposed:
        nodes.append(helper.make_node("LayerNormalization", [x, p + "ln_g", p + "ln_b"], [out], name=p + "ln", axis=-1, epsilon=1e-12))
        return
    inits += [scalar(p + "two", 2.0), scalar(p + "eps", 1e-12)]
    nodes += [
        helper.make_node("ReduceMean", [x], [p + "mu"], name=p + "ln_mean", axes=[-1], keepdims=1),
        helper.make_node("Sub", [x, p + "mu"], [p + "xc"], name=p + "ln_sub"),
        helper.make_node("Pow", [p + "xc", p + "two"], [p + "sq"], name=p + "ln_pow"),
        helper.make_node("ReduceMean", [p + "sq"], [p + "var"], name=p + "ln_var", axes=[-1], keepdims=1),
        helper.make_node("Add", [p + "var", p + "eps"], [p + "vare"], name=p + "ln_addeps"),
        helper.make_node("Sqrt", [p + "vare"], [p + "std"], name=p + "ln_sqrt"),
        helper.make_node("Div", [p + "xc", p + "std"], [p + "xn"], name=p + "ln_div"),
        helper.make_node("Mul", [p + "xn", p + "ln_g"], [p + "xg"], name=p + "ln_mul"),
        helper.make_node("Add", [p + "xg", p + "ln_b"], [out], name=p + "ln_add"),
    ]


def gelu(nodes, inits, p, x, out, tanh_form):
    p = p + "gelu_"
    inits += [scalar(p + "half", 0.5), scalar(p + "one", 1.0)]
    if not tanh_form:  # 0.5 x (1 + erf(x / sqrt 2))
        inits += [scalar(p + "sqrt2", float(np.sqrt(2.0)))]
        nodes += [
            helper.make_node("Div", [x, p + "sqrt2"], [p + "g0"], name=p + "gelu_div"),
            helper.make_node("Erf", [p + "g0"], [p + "g1"], name=p + "gelu_erf"),
        ]
    else:  # 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
        inits += [scalar(p + "three", 3.0), scalar(p + "c", 0.044715), scalar(p + "k", float(np.sqrt(2 / np.pi)))]
        nodes += [
            helper.make_node("Pow", [x, p + "three"], [p + "x3"], name=p + "gelu_pow"),
            helper.make_node("Mul", [p + "x3", p + "c"], [p + "cx3"], name=p + "gelu_mulc"),
            helper.make_node("Add", [x, p + "cx3"], [p + "inner"], name=p + "gelu_add"),
            helper.make_node("Mul", [p + "inner", p + "k"], [p + "g0"], name=p + "gelu_mulk"),
            helper.make_node("Tanh", [p + "g0"], [p + "g1"], name=p + "gelu_tanh"),
        ]
    nodes += [
        helper.make_node("Add", [p + "g1", p + "one"], [p + "g2"], name=p + "gelu_add1"),
        helper.make_node("Mul", [x, p + "g2"], [p + "g3"], name=p + "gelu_mulx"),
        helper.make_node("Mul", [p + "g3", p + "half"], [out], name=p + "gelu_half"),
    ]


def attention_core(nodes, inits, p, q, k, v, mask, out, expect):
    """q, k, v: [b, s, D] -> out [b, s, D]; heads by Reshape + Transpose."""
    inits += [const_i64(p + "heads_shape", [0, 0, H, DH]), const_i64(p + "merge_shape", [0, 0, D]), scalar(p + "scale", float(np.sqrt(DH)))]
    nodes += [
        helper.make_node("Reshape", [q, p + "heads_shape"], [p + "q4"], name=p + "q_reshape"),
        helper.make_node("Transpose", [p + "q4"], [p + "qh"], name=p + "q_transpose", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", [k, p + "heads_shape"], [p + "k4"], name=p + "k_reshape"),
        helper.make_node("Transpose", [p + "k4"], [p + "kt"], name=p + "k_transpose", perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", [v, p + "heads_shape"], [p + "v4"], name=p + "v_reshape"),
        helper.make_node("Transpose", [p + "v4"], [p + "vh"], name=p + "v_transpose", perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", [p + "qh", p + "kt"], [p + "s0"], name=p + "qk"),
        helper.make_node("Div", [p + "s0", p + "scale"], [p + "s1"], name=p + "scale_div"),
        helper.make_node("Add", [p + "s1", mask], [p + "s2"], name=p + "mask_add"),
        helper.make_node("Softmax", [p + "s2"], [p + "probs"], name=p + "softmax", axis=-1),
        helper.make_node("MatMul", [p + "probs", p + "vh"], [p + "ctx"], name=p + "pv"),
        helper.make_node("Transpose", [p + "ctx"], [p + "ctx_t"], name=p + "ctx_transpose", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", [p + "ctx_t", p + "merge_shape"], [out], name=p + "ctx_reshape"),
    ]
    expect += [{"name": f"{p}qk[{h}]", "m": S, "n": S, "k": DH} for h in range(H)]
    expect += [{"name": f"{p}pv[{h}]", "m": S, "n": DH, "k": S} for h in range(H)]


def linear(nodes, inits, p, x, name, n_in, n_out, out, expect, bias=True):
    if not bias:
        inits.append(w(p + name + "_w", n_in, n_out))
        nodes.append(helper.make_node("MatMul", [x, p + name + "_w"], [out], name=p + name))
        expect.append({"name": p + name, "m": S, "n": n_out, "k": n_in})
        return
    inits += [w(p + name + "_w", n_in, n_out), w(p + name + "_b", n_out)]
    nodes += [
        helper.make_node("MatMul", [x, p + name + "_w"], [p + name + "_mm"], name=p + name),
        helper.make_node("Add", [p + name + "_mm", p + name + "_b"], [out], name=p + name + "_bias"),
    ]
    expect.append({"name": p + name, "m": S, "n": n_out, "k": n_in})


def encoder():
    nodes, inits, expect = [], [], []
    mask = np.zeros((1, 1, 1, S), np.float32)
    mask[..., -3:] = -10000.0  # the last 3 tokens are padding
    inits.append(numpy_helper.from_array(mask, "attention_mask"))
    x = "x"
    for l in range(2):
        p = f"l{l}_"
        for nm in ("q", "k", "v"):
            linear(nodes, inits, p, x, nm, D, D, p + nm, expect)
        # expected order: q, k, v projections, then the heads' QK and PV, then out, ffn1, ffn2
        attention_core(nodes, inits, p, p + "q", p + "k", p + "v", "attention_mask", p + "ctx2", expect)
        linear(nodes, inits, p, p + "ctx2", "out", D, D, p + "attn", expect)
        nodes.append(helper.make_node("Add", [p + "attn", x], [p + "res1"], name=p + "res1"))
        layernorm(nodes, inits, p + "a", p + "res1", p + "x1", decomposed=l == 1)
        linear(nodes, inits, p, p + "x1", "ffn1", D, F, p + "h", expect)
        gelu(nodes, inits, p, p + "h", p + "hg", tanh_form=l == 1)
        linear(nodes, inits, p, p + "hg", "ffn2", F, D, p + "f2", expect)
        nodes.append(helper.make_node("Add", [p + "f2", p + "x1"], [p + "res2"], name=p + "res2"))
        layernorm(nodes, inits, p + "b", p + "res2", f"y{l}", decomposed=l == 1)
        x = f"y{l}"
    graph = helper.make_graph(nodes, "encoder2", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", D])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "seq", D])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), expect


def decoder():
    nodes, inits, expect = [], [], []
    causal = np.triu(np.full((S, S), -10000.0, np.float32), k=1).reshape(1, 1, S, S)
    inits.append(numpy_helper.from_array(causal, "causal_mask"))
    p = "dec_"
    inits += [w(p + "qkv_w", D, 3 * D), w(p + "qkv_b", 3 * D), const_i64(p + "split", [D, D, D])]
    nodes += [
        helper.make_node("MatMul", ["x", p + "qkv_w"], [p + "qkv_mm"], name=p + "qkv"),
        helper.make_node("Add", [p + "qkv_mm", p + "qkv_b"], [p + "qkv_o"], name=p + "qkv_bias"),
        helper.make_node("Split", [p + "qkv_o", p + "split"], [p + "q", p + "k", p + "v"], name=p + "split_qkv", axis=-1),
    ]
    expect.append({"name": p + "qkv", "m": S, "n": 3 * D, "k": D})
    attention_core(nodes, inits, p, p + "q", p + "k", p + "v", "causal_mask", p + "ctx2", expect)
    # GPT-2 exports the projections as Gemm on 2-D activations
    inits += [const_i64(p + "flat", [S, D]), const_i64(p + "unflat", [1, S, D]), w(p + "out_wt", D, D), w(p + "out_b", D)]
    nodes += [
        helper.make_node("Reshape", [p + "ctx2", p + "flat"], [p + "ctx2d"], name=p + "flatten"),
        helper.make_node("Gemm", [p + "ctx2d", p + "out_wt", p + "out_b"], [p + "o2d"], name=p + "out", transB=1),
        helper.make_node("Reshape", [p + "o2d", p + "unflat"], [p + "attn"], name=p + "unflatten"),
        helper.make_node("Add", [p + "attn", "x"], [p + "res1"], name=p + "res1"),
    ]
    expect.append({"name": p + "out", "m": S, "n": D, "k": D})
    layernorm(nodes, inits, p + "a", p + "res1", p + "x1", decomposed=False)
    linear(nodes, inits, p, p + "x1", "ffn1", D, F, p + "h", expect)
    gelu(nodes, inits, p, p + "h", p + "hg", tanh_form=True)
    linear(nodes, inits, p, p + "hg", "ffn2", F, D, p + "f2", expect)
    nodes.append(helper.make_node("Add", [p + "f2", p + "x1"], ["y"], name=p + "res2"))
    graph = helper.make_graph(nodes, "decoder", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, S, D])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, S, D])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), expect


def encoder_int():
    """encoder(), as the integer pipeline takes it: no biases, uniform gammas 1.0 and 0.8."""
    nodes, inits, expect = [], [], []
    mask = np.zeros((1, 1, 1, S), np.float32)
    mask[..., -3:] = -10000.0
    inits.append(numpy_helper.from_array(mask, "attention_mask"))
    x = "x"
    for l in range(2):
        p = f"l{l}_"
        for nm in ("q", "k", "v"):
            linear(nodes, inits, p, x, nm, D, D, p + nm, expect, bias=False)
        attention_core(nodes, inits, p, p + "q", p + "k", p + "v", "attention_mask", p + "ctx2", expect)
        linear(nodes, inits, p, p + "ctx2", "out", D, D, p + "attn", expect, bias=False)
        nodes.append(helper.make_node("Add", [p + "attn", x], [p + "res1"], name=p + "res1"))
        layernorm(nodes, inits, p + "a", p + "res1", p + "x1", decomposed=l == 1, gamma=1.0)
        linear(nodes, inits, p, p + "x1", "ffn1", D, F, p + "h", expect, bias=False)
        gelu(nodes, inits, p, p + "h", p + "hg", tanh_form=l == 1)
        linear(nodes, inits, p, p + "hg", "ffn2", F, D, p + "f2", expect, bias=False)
        nodes.append(helper.make_node("Add", [p + "f2", p + "x1"], [p + "res2"], name=p + "res2"))
        layernorm(nodes, inits, p + "b", p + "res2", f"y{l}", decomposed=l == 1, gamma=0.8)
        x = f"y{l}"
    graph = helper.make_graph(nodes, "encoder2_int", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", D])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "seq", D])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def decoder_int():
    """A post-LN decoder block: fused QKV + Split, causal mask, Gemm (transB) output projection, no biases."""
    nodes, inits, expect = [], [], []
    causal = np.triu(np.full((S, S), -10000.0, np.float32), k=1).reshape(1, 1, S, S)
    inits.append(numpy_helper.from_array(causal, "causal_mask"))
    p = "dec_"
    inits += [w(p + "qkv_w", D, 3 * D), const_i64(p + "split", [D, D, D])]
    nodes += [
        helper.make_node("MatMul", ["x", p + "qkv_w"], [p + "qkv_o"], name=p + "qkv"),
        helper.make_node("Split", [p + "qkv_o", p + "split"], [p + "q", p + "k", p + "v"], name=p + "split_qkv", axis=-1),
    ]
    attention_core(nodes, inits, p, p + "q", p + "k", p + "v", "causal_mask", p + "ctx2", expect)
    inits += [const_i64(p + "flat", [S, D]), const_i64(p + "unflat", [1, S, D]), w(p + "out_wt", D, D)]
    nodes += [
        helper.make_node("Reshape", [p + "ctx2", p + "flat"], [p + "ctx2d"], name=p + "flatten"),
        helper.make_node("Gemm", [p + "ctx2d", p + "out_wt"], [p + "o2d"], name=p + "out", transB=1),
        helper.make_node("Reshape", [p + "o2d", p + "unflat"], [p + "attn"], name=p + "unflatten"),
        helper.make_node("Add", [p + "attn", "x"], [p + "res1"], name=p + "res1"),
    ]
    layernorm(nodes, inits, p + "a", p + "res1", p + "x1", decomposed=False, gamma=1.0)
    linear(nodes, inits, p, p + "x1", "ffn1", D, F, p + "h", expect, bias=False)
    gelu(nodes, inits, p, p + "h", p + "hg", tanh_form=True)
    linear(nodes, inits, p, p + "hg", "ffn2", F, D, p + "f2", expect, bias=False)
    nodes.append(helper.make_node("Add", [p + "f2", p + "x1"], [p + "res2"], name=p + "res2"))
    layernorm(nodes, inits, p + "b", p + "res2", "y", decomposed=False, gamma=1.0)
    graph = helper.make_graph(nodes, "decoder_int", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, S, D])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, S, D])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def encoder_bias():
    """encoder_int() as frameworks export it: projection and FFN biases (MatMul + Add of a 1-D
    initializer) and per-channel LayerNorm gamma / beta (layer 0 LayerNormalization, layer 1 the
    decomposed form)."""
    nodes, inits, expect = [], [], []
    mask = np.zeros((1, 1, 1, S), np.float32)
    mask[..., -3:] = -10000.0
    inits.append(numpy_helper.from_array(mask, "attention_mask"))
    x = "x"
    for l in range(2):
        p = f"l{l}_"
        for nm in ("q", "k", "v"):
            linear(nodes, inits, p, x, nm, D, D, p + nm, expect)
        attention_core(nodes, inits, p, p + "q", p + "k", p + "v", "attention_mask", p + "ctx2", expect)
        linear(nodes, inits, p, p + "ctx2", "out", D, D, p + "attn", expect)
        nodes.append(helper.make_node("Add", [p + "attn", x], [p + "res1"], name=p + "res1"))
        layernorm(nodes, inits, p + "a", p + "res1", p + "x1", decomposed=l == 1, gamma="channels")
        linear(nodes, inits, p, p + "x1", "ffn1", D, F, p + "h", expect)
        gelu(nodes, inits, p, p + "h", p + "hg", tanh_form=l == 1)
        linear(nodes, inits, p, p + "hg", "ffn2", F, D, p + "f2", expect)
        nodes.append(helper.make_node("Add", [p + "f2", p + "x1"], [p + "res2"], name=p + "res2"))
        layernorm(nodes, inits, p + "b", p + "res2", f"y{l}", decomposed=l == 1, gamma="channels")
        x = f"y{l}"
    graph = helper.make_graph(nodes, "encoder2_bias", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", D])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "seq", D])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def decoder_bias():
    """decoder_int() with GPT-2's biases: the fused QKV's (an Add before the Split), the output
    projection's as Gemm's C, the FFN's; per-channel LayerNorm gamma / beta."""
    nodes, inits, expect = [], [], []
    causal = np.triu(np.full((S, S), -10000.0, np.float32), k=1).reshape(1, 1, S, S)
    inits.append(numpy_helper.from_array(causal, "causal_mask"))
    p = "dec_"
    inits += [w(p + "qkv_w", D, 3 * D), w(p + "qkv_b", 3 * D), const_i64(p + "split", [D, D, D])]
    nodes += [
        helper.make_node("MatMul", ["x", p + "qkv_w"], [p + "qkv_mm"], name=p + "qkv"),
        helper.make_node("Add", [p + "qkv_mm", p + "qkv_b"], [p + "qkv_o"], name=p + "qkv_bias"),
        helper.make_node("Split", [p + "qkv_o", p + "split"], [p + "q", p + "k", p + "v"], name=p + "split_qkv", axis=-1),
    ]
    attention_core(nodes, inits, p, p + "q", p + "k", p + "v", "causal_mask", p + "ctx2", expect)
    inits += [const_i64(p + "flat", [S, D]), const_i64(p + "unflat", [1, S, D]), w(p + "out_wt", D, D), w(p + "out_b", D)]
    nodes += [
        helper.make_node("Reshape", [p + "ctx2", p + "flat"], [p + "ctx2d"], name=p + "flatten"),
        helper.make_node("Gemm", [p + "ctx2d", p + "out_wt", p + "out_b"], [p + "o2d"], name=p + "out", transB=1),
        helper.make_node("Reshape", [p + "o2d", p + "unflat"], [p + "attn"], name=p + "unflatten"),
        helper.make_node("Add", [p + "attn", "x"], [p + "res1"], name=p + "res1"),
    ]
    layernorm(nodes, inits, p + "a", p + "res1", p + "x1", decomposed=False, gamma="channels")
    linear(nodes, inits, p, p + "x1", "ffn1", D, F, p + "h", expect)
    gelu(nodes, inits, p, p + "h", p + "hg", tanh_form=True)
    linear(nodes, inits, p, p + "hg", "ffn2", F, D, p + "f2", expect)
    nodes.append(helper.make_node("Add", [p + "f2", p + "x1"], [p + "res2"], name=p + "res2"))
    layernorm(nodes, inits, p + "b", p + "res2", "y", decomposed=False, gamma="channels")
    graph = helper.make_graph(nodes, "decoder_bias", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, S, D])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, S, D])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def pre_ln(causal, relu=False):
    """Pre-LN layers as GPT-2 exports them (LayerNorm before the attention and before the FFN, the
    residual sums after; biases everywhere; per-channel gamma / beta) and a final LayerNorm:
    2 layers with separate Q, K, V MatMuls and the padding mask (encoder2_preln.onnx; layer 0
    LayerNormalization + erf-GELU, layer 1 the decomposed form + tanh-GELU), or one causal block
    with the fused QKV + Split and Gemm output projection (decoder_preln.onnx). relu: the FFN's
    activation is one Relu node instead of GELU (encoder2_preln_relu.onnx, docs/workloads.md#relu)."""
    nodes, inits, expect = [], [], []
    if causal:
        mask = np.triu(np.full((S, S), -10000.0, np.float32), k=1).reshape(1, 1, S, S)
    else:
        mask = np.zeros((1, 1, 1, S), np.float32)
        mask[..., -3:] = -10000.0
    inits.append(numpy_helper.from_array(mask, "causal_mask" if causal else "attention_mask"))
    x = "x"
    layers = 1 if causal else 2
    for l in range(layers):
        p = "dec_" if causal else f"l{l}_"
        layernorm(nodes, inits, p + "a", x, p + "xn", decomposed=l == 1, gamma="channels")
        if causal:
            inits += [w(p + "qkv_w", D, 3 * D), w(p + "qkv_b", 3 * D), const_i64(p + "split", [D, D, D])]
            nodes += [
                helper.make_node("MatMul", [p + "xn", p + "qkv_w"], [p + "qkv_mm"], name=p + "qkv"),
                helper.make_node("Add", [p + "qkv_mm", p + "qkv_b"], [p + "qkv_o"], name=p + "qkv_bias"),
                helper.make_node("Split", [p + "qkv_o", p + "split"], [p + "q", p + "k", p + "v"], name=p + "split_qkv", axis=-1),
            ]
        else:
            for nm in ("q", "k", "v"):
                linear(nodes, inits, p, p + "xn", nm, D, D, p + nm, expect)
        attention_core(nodes, inits, p, p + "q", p + "k", p + "v", "causal_mask" if causal else "attention_mask", p + "ctx2", expect)
        if causal:
            inits += [const_i64(p + "flat", [S, D]), const_i64(p + "unflat", [1, S, D]), w(p + "out_wt", D, D), w(p + "out_b", D)]
            nodes += [
                helper.make_node("Reshape", [p + "ctx2", p + "flat"], [p + "ctx2d"], name=p + "flatten"),
                helper.make_node("Gemm", [p + "ctx2d", p + "out_wt", p + "out_b"], [p + "o2d"], name=p + "out", transB=1),
                helper.make_node("Reshape", [p + "o2d", p + "unflat"], [p + "attn"], name=p + "unflatten"),
            ]
        else:
            linear(nodes, inits, p, p + "ctx2", "out", D, D, p + "attn", expect)
        nodes.append(helper.make_node("Add", [p + "attn", x], [p + "res1"], name=p + "res1"))
        layernorm(nodes, inits, p + "b", p + "res1", p + "x1", decomposed=l == 1, gamma="channels")
        linear(nodes, inits, p, p + "x1", "ffn1", D, F, p + "h", expect)
        if relu:
            nodes.append(helper.make_node("Relu", [p + "h"], [p + "hg"], name=p + "relu"))
        else:
            gelu(nodes, inits, p, p + "h", p + "hg", tanh_form=causal or l == 1)
        linear(nodes, inits, p, p + "hg", "ffn2", F, D, p + "f2", expect)
        nodes.append(helper.make_node("Add", [p + "f2", p + "res1"], [p + "res2"], name=p + "res2"))
        x = p + "res2"
    layernorm(nodes, inits, "f", x, "y", decomposed=False, gamma="channels")
    shape = [1, S, D] if causal else ["batch", "seq", D]
    graph = helper.make_graph(nodes, "decoder_preln" if causal else "encoder2_preln",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def np_ln(W, p, v):
    """LayerNorm p (initializers p + "ln_g" / "ln_b") in float64."""
    mu = v.mean(-1, keepdims=True)
    var = ((v - mu) ** 2).mean(-1, keepdims=True)
    return (v - mu) / np.sqrt(var + 1e-12) * W[p + "ln_g"] + W[p + "ln_b"]


def np_gelu(v, tanh_form):
    """GELU, its tanh or its erf form."""
    if tanh_form:
        return 0.5 * v * (1 + np.tanh(np.sqrt(2 / np.pi) * (v + 0.044715 * v ** 3)))
    from math import erf
    return 0.5 * v * (1 + np.vectorize(erf)(v / np.sqrt(2)))


def np_attention(W, p, xin, causal):
    """Layer p's attention on xin through its output projection (biases 0 where the model has
    none; a decoder's fused QKV and transposed output weight), no residual."""
    b = lambda name: W.get(name, 0.0)
    if causal:
        qkv = xin @ W[p + "qkv_w"] + b(p + "qkv_b")
        q, k, v = qkv[..., :D], qkv[..., D:2 * D], qkv[..., 2 * D:]
    else:
        q, k, v = (xin @ W[p + nm + "_w"] + b(p + nm + "_b") for nm in ("q", "k", "v"))
    heads = lambda t: t.reshape(1, S, H, DH).transpose(0, 2, 1, 3)
    s1 = heads(q) @ heads(k).transpose(0, 1, 3, 2) / np.sqrt(DH) + (W["causal_mask"] if causal else W["attention_mask"])
    e = np.exp(s1 - s1.max(-1, keepdims=True))
    ctx2 = ((e / e.sum(-1, keepdims=True)) @ heads(v)).transpose(0, 2, 1, 3).reshape(1, S, D)
    return ctx2 @ (W[p + "out_wt"].T if causal else W[p + "out_w"]) + b(p + "out_b")


def numpy_preln_outputs(model, x, layers, causal, relu=False):
    """The float forward pass of pre_ln() in numpy, from its construction: each layer's output
    (the residual stream), the last one through the final LayerNorm, [layers, S, D]."""
    W = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    x = x.astype(np.float64)
    outs = []
    for l in range(layers):
        p = "dec_" if causal else f"l{l}_"
        r1 = np_attention(W, p, np_ln(W, p + "a", x), causal) + x
        h = np_ln(W, p + "b", r1) @ W[p + "ffn1_w"] + W[p + "ffn1_b"]
        hg = np.maximum(h, 0.0) if relu else np_gelu(h, causal or l == 1)
        x = hg @ W[p + "ffn2_w"] + W[p + "ffn2_b"] + r1
        outs.append(np_ln(W, "f", x)[0] if l == layers - 1 else x[0])
    return np.stack(outs)


def numpy_int_outputs(model, x, layers, causal):
    """The float forward pass of encoder_int / decoder_int in numpy, written from their
    construction (not from dtqvp): each layer's output, [layers, S, D]."""
    W = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    b = lambda name: W.get(name, 0.0)  # a bias, 0 where the model has none
    x = x.astype(np.float64)
    outs = []
    for l in range(layers):
        p = "dec_" if causal else f"l{l}_"
        x1 = np_ln(W, p + "a", np_attention(W, p, x, causal) + x)
        hg = np_gelu(x1 @ W[p + "ffn1_w"] + b(p + "ffn1_b"), causal or l == 1)
        x = np_ln(W, p + "b", hg @ W[p + "ffn2_w"] + b(p + "ffn2_b") + x1)
        outs.append(x[0])
    return np.stack(outs)


def numpy_encoder_gemms(model, x):
    """The encoder's float forward pass in numpy, written from the construction above (not
    from dtqvp's float reference): every MatMul's output, in graph order, per head for the
    attention products."""
    W = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    outs = []

    def lin(p, name, v):
        mm = v @ W[p + name + "_w"]
        outs.append(mm.reshape(-1, mm.shape[-1]))
        return mm + W[p + name + "_b"]

    x = x.astype(np.float64)
    for l in range(2):
        p = f"l{l}_"
        q, k, v = (lin(p, nm, x) for nm in ("q", "k", "v"))
        heads = lambda t: t.reshape(1, S, H, DH).transpose(0, 2, 1, 3)
        qh, kh, vh = heads(q), heads(k), heads(v)
        s0 = qh @ kh.transpose(0, 1, 3, 2)
        outs += [s0[0, h] for h in range(H)]
        s1 = s0 / np.sqrt(DH) + W["attention_mask"]
        e = np.exp(s1 - s1.max(-1, keepdims=True))
        pr = e / e.sum(-1, keepdims=True)
        ctx = pr @ vh
        outs += [ctx[0, h] for h in range(H)]
        ctx2 = ctx.transpose(0, 2, 1, 3).reshape(1, S, D)
        x1 = np_ln(W, p + "a", lin(p, "out", ctx2) + x)
        hg = np_gelu(lin(p, "ffn1", x1), l == 1)
        x = np_ln(W, p + "b", lin(p, "ffn2", hg) + x1)
    return outs


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    enc, enc_expect = encoder()
    dec, dec_expect = decoder()
    onnx.checker.check_model(enc)
    onnx.checker.check_model(dec)
    onnx.save(enc, os.path.join(out, "encoder2.onnx"))
    onnx.save(dec, os.path.join(out, "decoder.onnx"))
    # The order of the graph's MatMul / Gemm nodes (the importer keeps graph order).
    order = [n.name for n in enc.graph.node if n.op_type in ("MatMul", "Gemm")]
    enc_expect.sort(key=lambda e: order.index(e["name"].split("[")[0]))
    order = [n.name for n in dec.graph.node if n.op_type in ("MatMul", "Gemm")]
    dec_expect.sort(key=lambda e: order.index(e["name"].split("[")[0]))
    # Malformed variants of the encoder.
    data = enc.SerializeToString()
    with open(os.path.join(out, "bad_truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])
    m = onnx.ModelProto()
    m.CopyFrom(enc)
    kept = [t for t in m.graph.initializer if t.name != "l1_ffn1_w"]
    del m.graph.initializer[:]
    m.graph.initializer.extend(kept)
    onnx.save(m, os.path.join(out, "bad_missing_initializer.onnx"))
    m = onnx.ModelProto()
    m.CopyFrom(enc)
    for n in m.graph.node:
        if n.name == "l0_softmax":
            n.op_type = "FancySoftmax"
    onnx.save(m, os.path.join(out, "bad_unknown_op.onnx"))
    m = onnx.ModelProto()
    m.CopyFrom(enc)
    for t in m.graph.initializer:
        if t.name == "l0_out_w":  # 64 x 64 -> 32 x 128: the same values, the wrong inner dimension
            t.dims[:] = [32, 128]
    onnx.save(m, os.path.join(out, "bad_shapes.onnx"))
    # A sample input and the numpy reference of every GEMM's float output (concatenated, C order).
    x = np.random.default_rng(7).standard_normal((1, S, D)).astype(np.float32)
    np.save(os.path.join(out, "encoder2_x.npy"), x)
    # Four calibration samples stacked on a leading axis, the first one x.
    more = np.random.default_rng(8).standard_normal((3, 1, S, D)).astype(np.float32)
    np.save(os.path.join(out, "encoder2_x4.npy"), np.concatenate([x[None], more]))
    ref = numpy_encoder_gemms(enc, x)
    np.save(os.path.join(out, "encoder2_gemm_c.npy"), np.concatenate([r.ravel() for r in ref]).astype(np.float32))
    # The integer pipeline's models (built last: the models above keep their weights).
    enc_i, dec_i = encoder_int(), decoder_int()
    onnx.checker.check_model(enc_i)
    onnx.checker.check_model(dec_i)
    onnx.save(enc_i, os.path.join(out, "encoder2_int.onnx"))
    onnx.save(dec_i, os.path.join(out, "decoder_int.onnx"))
    np.save(os.path.join(out, "encoder2_int_y.npy"), numpy_int_outputs(enc_i, x, 2, False).astype(np.float32))
    np.save(os.path.join(out, "decoder_int_y.npy"), numpy_int_outputs(dec_i, x, 1, True).astype(np.float32))
    # The integer pipeline's models with biases and per-channel LayerNorms (built after the ones above).
    enc_b, dec_b = encoder_bias(), decoder_bias()
    onnx.checker.check_model(enc_b)
    onnx.checker.check_model(dec_b)
    onnx.save(enc_b, os.path.join(out, "encoder2_bias.onnx"))
    onnx.save(dec_b, os.path.join(out, "decoder_bias.onnx"))
    np.save(os.path.join(out, "encoder2_bias_y.npy"), numpy_int_outputs(enc_b, x, 2, False).astype(np.float32))
    np.save(os.path.join(out, "decoder_bias_y.npy"), numpy_int_outputs(dec_b, x, 1, True).astype(np.float32))
    # Pre-LN models (GPT-2 style) with biases, per-channel LayerNorms and a final LayerNorm.
    enc_p, dec_p = pre_ln(False), pre_ln(True)
    onnx.checker.check_model(enc_p)
    onnx.checker.check_model(dec_p)
    onnx.save(enc_p, os.path.join(out, "encoder2_preln.onnx"))
    onnx.save(dec_p, os.path.join(out, "decoder_preln.onnx"))
    np.save(os.path.join(out, "encoder2_preln_y.npy"), numpy_preln_outputs(enc_p, x, 2, False).astype(np.float32))
    np.save(os.path.join(out, "decoder_preln_y.npy"), numpy_preln_outputs(dec_p, x, 1, True).astype(np.float32))
    # An integer-pipeline rejection: a LayerNorm gamma of 0 (I-BERT's LayerNorm divides beta by it).
    m = onnx.ModelProto()
    m.CopyFrom(enc_i)
    for t in m.graph.initializer:
        if t.name == "l1_bln_g":
            g = np.linspace(0.5, 1.5, D).astype(np.float32)
            g[5] = 0.0
            t.CopyFrom(numpy_helper.from_array(g, "l1_bln_g"))
    onnx.save(m, os.path.join(out, "bad_int_gamma.onnx"))
    # Another: FFN1 weights 1e-4 of the model's, so GELU's input is tiny and its int8 scale gives
    # i-GELU constants beyond int32 (c_int = floor(1 / (a S^2)) grows as 1 / S^2).
    m = onnx.ModelProto()
    m.CopyFrom(enc_i)
    for t in m.graph.initializer:
        if t.name == "l0_ffn1_w":
            t.CopyFrom(numpy_helper.from_array((numpy_helper.to_array(t) * 1e-4).astype(np.float32), t.name))
    onnx.save(m, os.path.join(out, "bad_int_tiny_gelu.onnx"))
    # A pre-LN encoder whose FFN activation is ReLU (built last: the models above keep their weights).
    enc_r = pre_ln(False, relu=True)
    onnx.checker.check_model(enc_r)
    onnx.save(enc_r, os.path.join(out, "encoder2_preln_relu.onnx"))
    np.save(os.path.join(out, "encoder2_preln_relu_y.npy"), numpy_preln_outputs(enc_r, x, 2, False, relu=True).astype(np.float32))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"encoder2": enc_expect, "decoder": dec_expect, "seq": S}, f, indent=1)


if __name__ == "__main__":
    main()
