#!/usr/bin/python3
"""Where the shipped trained layer's int8 error comes from, stage by stage, in float: the layer
(scenarios/onnx/use_lite_l1.onnx, its real input) computed in numpy with ONE stage quantized as
the integer pipeline does (symmetric per-tensor int8 of an activation: x the input, xn LayerNorm 1's output, qkv Q / K /
V, ctx the attention output, r1 the attention's residual sum as the FFN's residual, x1 LayerNorm
2's output, h the ReLU output, y the layer's output; the probabilities at
round(p x 128) / 128, at most 127 / 128; the weights per output channel), the others exact, and
all stages together; prints each stage's cosine against the exact layer as JSON. The I-BERT
integer kernels (i-softmax's exp, i-LayerNorm, the dyadic requantizations) are not in this
model: what the integer pipeline loses beyond "all" is theirs. docs/results.md#a-trained-model.

  /usr/bin/python3 tools/use_lite/stage_errors.py
"""
import json
import os

import numpy as np
import onnx
from onnx import numpy_helper

ONNX = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "scenarios", "onnx")
from onnx import numpy_helper
m=onnx.load(os.path.join(ONNX, 'use_lite_l1.onnx'))
W={i.name: numpy_helper.to_array(i).astype(np.float64) for i in m.graph.initializer if i.name.endswith(('_w','_b','_g'))}
x=np.load(os.path.join(ONNX, 'use_lite_l1_x.npy')).astype(np.float64)
D,H,DH=512,4,128
def q(a, bits=8):
    s=np.abs(a).max()/(2**(bits-1)-1); return np.clip(np.round(a/s),-(2**(bits-1)-1),2**(bits-1)-1)*s
def qw(w):  # per output channel int8
    s=np.abs(w).max(0,keepdims=True)/127; return np.round(w/s)*s
def fwd(stages):
    Q=lambda name,a: q(a) if name in stages else a
    w=lambda n: qw(W[n]) if 'w' in stages else W[n]
    def ln(p,v):
        mu=v.mean(-1,keepdims=True); var=((v-mu)**2).mean(-1,keepdims=True); return (v-mu)/np.sqrt(var+1e-6)*W[p+'_ln_g']+W[p+'_ln_b']
    s=x.shape[1]
    xi=Q('x',x)
    xn=Q('xn',ln('a',xi))
    qq,kk,vv=(Q('qkv',xn@w(n+'_w')+W[n+'_b']) for n in ('q','k','v'))
    heads=lambda t_: t_.reshape(1,s,H,DH).transpose(0,2,1,3)
    s1=heads(qq)@heads(kk).transpose(0,1,3,2)/np.sqrt(DH)
    e=np.exp(s1-s1.max(-1,keepdims=True)); p=e/e.sum(-1,keepdims=True)
    if 'p' in stages: p=np.minimum(np.round(p*128),127)/128
    ctx=Q('ctx',(p@heads(vv)).transpose(0,2,1,3).reshape(1,s,D))
    r1=ctx@w('out_w')+W['out_b']+xi
    x1=Q('x1',ln('b',r1))
    h=Q('h',np.maximum(x1@w('ffn1_w')+W['ffn1_b'],0))
    return Q('y', h@w('ffn2_w')+W['ffn2_b']+Q('r1',r1))
y = fwd(set())
cos = lambda a, b: float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))
STAGES = ["x", "xn", "qkv", "p", "ctx", "r1", "x1", "h", "y", "w"]
res = {st: cos(fwd({st}), y) for st in STAGES}
res["all"] = cos(fwd(set(STAGES)), y)
res["all_but_p"] = cos(fwd(set(STAGES) - {"p"}), y)
res["x_absmax"] = float(np.abs(x).max())
res["x_p99"] = float(np.percentile(np.abs(x), 99))
print(json.dumps(res))
