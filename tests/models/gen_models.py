#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# Build-time model generation for the vnpu compiler tests.
#
#   gen_models.py OUTDIR
#
# Trains two classifiers on scikit-learn's bundled digits data set
# (load_digits(), 1797 8x8 images, no download) with fixed seeds, exports
# them to ONNX with python3-onnx, and writes the test split as .npy:
#
#   mlp.onnx          Gemm/MatMul, Add, Relu, Softmax   (sklearn MLPClassifier)
#   cnn.onnx          Conv (+ depthwise, groups), BatchNormalization, Relu,
#                     Clip, MaxPool, Flatten, Gemm, Softmax (numpy training)
#   mobilenet.onnx    random weights: strided conv, depthwise, BN, Clip,
#                     GlobalAveragePool, Reshape, Gemm
#   transformer.onnx  random weights: one pre-LN transformer block (MatMul,
#                     Add, LayerNormalization, Reshape/Transpose, Div by
#                     Sqrt, Softmax, Gelu in its Erf form, Mul)
#   digits_x.npy      float32 [N, 64], test split, pixels / 16
#   digits_img.npy    float32 [N, 1, 8, 8], the same images
#   digits_y.npy      int64 [N], labels
#   calib_x.npy, calib_img.npy: 128 training images for int8 calibration
#   lnorm.onnx        random weights: decomposed LayerNormalization
#   mobilenet_x.npy, transformer_x.npy, lnorm_x.npy: random inputs
#   accuracy.txt      host (numpy) accuracy of both classifiers
import sys
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

SEED = 1234
OPSET = 17


def save_model(graph, path):
    model = helper.make_model(graph, producer_name="vnpu-tests",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


# ---------------------------------------------------------------- data

def load():
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.2, random_state=SEED,
                            stratify=y)


# ---------------------------------------------------------------- MLP

def train_mlp(xtr, ytr):
    clf = MLPClassifier(hidden_layer_sizes=(64, 32), activation="relu",
                        solver="adam", alpha=1e-4, max_iter=400,
                        random_state=SEED)
    clf.fit(xtr, ytr)
    return clf


def export_mlp(clf, path):
    w1, w2, w3 = [w.astype(np.float32) for w in clf.coefs_]
    b1, b2, b3 = [b.astype(np.float32) for b in clf.intercepts_]
    nodes = [
        # Gemm with transB=1 (weights stored [out, in]), bias fused.
        helper.make_node("Gemm", ["input", "w1t", "b1"], ["h1"],
                         name="fc1", transB=1),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        # MatMul + Add: the compiler must fuse them into one GEMM.
        helper.make_node("MatMul", ["a1", "w2"], ["m2"], name="fc2"),
        helper.make_node("Add", ["m2", "b2"], ["h2"], name="fc2_bias"),
        helper.make_node("Relu", ["h2"], ["a2"], name="relu2"),
        helper.make_node("Gemm", ["a2", "w3", "b3"], ["logits"],
                         name="fc3"),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax",
                         axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 64])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10])],
        [init("w1t", w1.T.copy()), init("b1", b1), init("w2", w2),
         init("b2", b2), init("w3", w3), init("b3", b3)])
    save_model(graph, path)


# ---------------------------------------------------------------- CNN (numpy)

def windows(xp, k, s):
    """xp [N,C,H,W] -> [N,C,Ho,Wo,k,k] (a view)."""
    v = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))
    return v[:, :, ::s, ::s]


def conv_fwd(x, w, b, pad, groups):
    n, c, h, wd = x.shape
    o, cg, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    xw = windows(xp, k, 1)
    ho, wo = xw.shape[2], xw.shape[3]
    xg = xw.reshape(n, groups, cg, ho, wo, k, k)
    wg = w.reshape(groups, o // groups, cg, k, k)
    y = np.einsum("ngchwij,gocij->ngohw", xg, wg, optimize=True)
    y = y.reshape(n, o, ho, wo) + b[None, :, None, None]
    return y, (xp.shape, xg, wg, pad, groups)


def conv_bwd(dy, w, cache):
    xpshape, xg, wg, pad, groups = cache
    n, o, ho, wo = dy.shape
    k = w.shape[2]
    cg = w.shape[1]
    dyg = dy.reshape(n, groups, o // groups, ho, wo)
    dw = np.einsum("ngohw,ngchwij->gocij", dyg, xg, optimize=True)
    db = dy.sum(axis=(0, 2, 3))
    dxw = np.einsum("ngohw,gocij->ngchwij", dyg, wg, optimize=True)
    dxw = dxw.reshape(n, groups * cg, ho, wo, k, k)
    dxp = np.zeros(xpshape, dtype=dy.dtype)
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + ho, j:j + wo] += dxw[..., i, j]
    h, wd = xpshape[2] - 2 * pad, xpshape[3] - 2 * pad
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw.reshape(w.shape), db


class CNN:
    """conv3x3(1->16) relu, dw3x3(16) relu6, conv1x1(16->32) relu,
    maxpool2, flatten, fc(512->10)."""

    def __init__(self, rng):
        def he(shape, fan_in):
            return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        self.p = {
            "w1": he((16, 1, 3, 3), 9), "b1": np.zeros(16, np.float32),
            "w2": he((16, 1, 3, 3), 9), "b2": np.zeros(16, np.float32),
            "w3": he((32, 16, 1, 1), 16), "b3": np.zeros(32, np.float32),
            "w4": he((512, 10), 512), "b4": np.zeros(10, np.float32),
        }

    def forward(self, x, train=False):
        p = self.p
        c = {}
        y1, c["c1"] = conv_fwd(x, p["w1"], p["b1"], 1, 1)
        a1 = np.maximum(y1, 0)
        y2, c["c2"] = conv_fwd(a1, p["w2"], p["b2"], 1, 16)
        a2 = np.clip(y2, 0, 6)
        y3, c["c3"] = conv_fwd(a2, p["w3"], p["b3"], 0, 1)
        a3 = np.maximum(y3, 0)
        n = x.shape[0]
        r = a3.reshape(n, 32, 4, 2, 4, 2)
        pool = r.max(axis=(3, 5))
        f = pool.reshape(n, 512)
        logits = f @ p["w4"] + p["b4"]
        if train:
            c.update(y1=y1, y2=y2, y3=y3, r=r, pool=pool, f=f)
            return logits, c
        return logits

    def step(self, x, yl, opt):
        p = self.p
        logits, c = self.forward(x, True)
        n = x.shape[0]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        prob = e / e.sum(axis=1, keepdims=True)
        dl = prob.copy()
        dl[np.arange(n), yl] -= 1
        dl /= n
        g = {}
        g["w4"] = c["f"].T @ dl
        g["b4"] = dl.sum(axis=0)
        df = dl @ p["w4"].T
        dpool = df.reshape(c["pool"].shape)
        mask = c["r"] == c["pool"][:, :, :, None, :, None]
        dr = mask * dpool[:, :, :, None, :, None]
        da3 = dr.reshape(c["y3"].shape)
        dy3 = da3 * (c["y3"] > 0)
        da2, g["w3"], g["b3"] = conv_bwd(dy3, p["w3"], c["c3"])
        dy2 = da2 * ((c["y2"] > 0) & (c["y2"] < 6))
        da1, g["w2"], g["b2"] = conv_bwd(dy2, p["w2"], c["c2"])
        dy1 = da1 * (c["y1"] > 0)
        _, g["w1"], g["b1"] = conv_bwd(dy1, p["w1"], c["c1"])
        opt.update(p, g)


class Adam:
    def __init__(self, lr=2e-3):
        self.lr, self.t, self.m, self.v = lr, 0, {}, {}

    def update(self, p, g):
        self.t += 1
        for k in p:
            m = self.m.setdefault(k, np.zeros_like(p[k]))
            v = self.v.setdefault(k, np.zeros_like(p[k]))
            m[:] = 0.9 * m + 0.1 * g[k]
            v[:] = 0.999 * v + 0.001 * g[k] * g[k]
            mh = m / (1 - 0.9 ** self.t)
            vh = v / (1 - 0.999 ** self.t)
            p[k] -= (self.lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)


def train_cnn(xtr, ytr, rng):
    net = CNN(rng)
    opt = Adam()
    x = xtr.reshape(-1, 1, 8, 8)
    for epoch in range(20):
        perm = rng.permutation(len(x))
        for i in range(0, len(x), 32):
            idx = perm[i:i + 32]
            net.step(x[idx], ytr[idx], opt)
    return net


def bn_reparam(w, b, y, rng, eps=1e-5):
    """Re-parameterise a trained conv (output y on the training set) as
    conv' + BatchNormalization computing the same function: conv' = a*conv
    + c with random per-channel a, c; the BN carries the real statistics of
    conv' on the training data and undoes the affine map. Dropping the BN
    (or folding it wrongly) changes the result."""
    o = w.shape[0]
    a = rng.uniform(0.5, 2.0, o).astype(np.float32)
    c = rng.uniform(-0.5, 0.5, o).astype(np.float32)
    w2 = w * a[:, None, None, None]
    b2 = b * a + c
    y2 = y * a[None, :, None, None] + c[None, :, None, None]
    mean = y2.mean(axis=(0, 2, 3)).astype(np.float32)
    var = y2.var(axis=(0, 2, 3)).astype(np.float32)
    mu = (mean - c) / a
    gamma = (np.sqrt(var + eps) / a).astype(np.float32)
    beta = mu.astype(np.float32)
    return w2.astype(np.float32), b2.astype(np.float32), gamma, beta, mean, var


def export_cnn(net, xtr, rng, path):
    p = net.p
    _, c = net.forward(xtr.reshape(-1, 1, 8, 8), True)
    w1, b1, g1, be1, m1, v1 = bn_reparam(p["w1"], p["b1"], c["y1"], rng)
    w2, b2, g2, be2, m2, v2 = bn_reparam(p["w2"], p["b2"], c["y2"], rng)
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g1", "be1", "m1", "v1"],
                         ["n1"], name="bn1", epsilon=1e-5),
        helper.make_node("Relu", ["n1"], ["a1"], name="relu1"),
        helper.make_node("Conv", ["a1", "w2", "b2"], ["c2"], name="dwconv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=16),
        helper.make_node("BatchNormalization", ["c2", "g2", "be2", "m2", "v2"],
                         ["n2"], name="bn2", epsilon=1e-5),
        helper.make_node("Clip", ["n2", "zero", "six"], ["a2"], name="relu6"),
        helper.make_node("Conv", ["a2", "w3", "b3"], ["c3"], name="pwconv3",
                         kernel_shape=[1, 1]),
        helper.make_node("Relu", ["c3"], ["a3"], name="relu3"),
        helper.make_node("MaxPool", ["a3"], ["pool"], name="pool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "w4", "b4"], ["logits"], name="fc"),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax",
                         axis=1),
    ]
    inits = [init("w1", w1), init("b1", b1), init("g1", g1), init("be1", be1),
             init("m1", m1), init("v1", v1),
             init("w2", w2), init("b2", b2), init("g2", g2), init("be2", be2),
             init("m2", m2), init("v2", v2),
             init("w3", p["w3"]), init("b3", p["b3"]),
             init("w4", p["w4"]), init("b4", p["b4"]),
             init("zero", np.array(0, np.float32)),
             init("six", np.array(6, np.float32))]
    graph = helper.make_graph(
        nodes, "digits_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10])],
        inits)
    save_model(graph, path)


# ---------------------------------------------------------------- random-weight models

def export_mobilenet(rng, path):
    def w(*shape):
        return (rng.standard_normal(shape) * 0.3).astype(np.float32)

    def pos(n):
        return rng.uniform(0.5, 1.5, n).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["input", "w1"], ["c1"], name="stem",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c1", "g1", "b1", "m1", "v1"],
                         ["n1"], name="stem_bn"),
        helper.make_node("Clip", ["n1", "zero", "six"], ["a1"], name="stem_relu6"),
        helper.make_node("Conv", ["a1", "w2", "cb2"], ["c2"], name="dw",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8),
        helper.make_node("Relu", ["c2"], ["a2"], name="dw_relu"),
        helper.make_node("Conv", ["a2", "w3", "cb3"], ["c3"], name="pw",
                         kernel_shape=[1, 1]),
        helper.make_node("Clip", ["c3", "zero", "six"], ["a3"], name="pw_relu6"),
        helper.make_node("AveragePool", ["a3"], ["p3"], name="avgpool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p3"], ["gap"], name="gap"),
        helper.make_node("Reshape", ["gap", "shape"], ["flat"], name="reshape"),
        helper.make_node("Gemm", ["flat", "w4", "b4"], ["logits"], name="fc",
                         transB=1),
    ]
    inits = [init("w1", w(8, 3, 3, 3)), init("g1", pos(8)),
             init("b1", w(8)), init("m1", w(8)), init("v1", pos(8)),
             init("w2", w(8, 1, 3, 3)), init("cb2", w(8)),
             init("w3", w(16, 8, 1, 1)), init("cb3", w(16)),
             init("w4", w(5, 16)), init("b4", w(5)),
             init("shape", np.array([-1, 16], np.int64)),
             init("zero", np.array(0, np.float32)),
             init("six", np.array(6, np.float32))]
    graph = helper.make_graph(
        nodes, "mobilenet_tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 5])],
        inits)
    save_model(graph, path)


def export_transformer(rng, path, s=8, d=32, h=4, ff=64):
    dk = d // h

    def w(*shape):
        return (rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32)
    mk = helper.make_node
    nodes = [
        mk("LayerNormalization", ["input", "ln1_g", "ln1_b"], ["ln1"],
           name="ln1", axis=-1, epsilon=1e-5),
        mk("MatMul", ["ln1", "wq"], ["q0"], name="q_proj"),
        mk("Add", ["q0", "bq"], ["q1"], name="q_bias"),
        mk("MatMul", ["ln1", "wk"], ["k0"], name="k_proj"),
        mk("Add", ["k0", "bk"], ["k1"], name="k_bias"),
        mk("MatMul", ["ln1", "wv"], ["v0"], name="v_proj"),
        mk("Add", ["v0", "bv"], ["v1"], name="v_bias"),
        mk("Reshape", ["q1", "heads_shape"], ["q2"], name="q_split"),
        mk("Transpose", ["q2"], ["q"], name="q_heads", perm=[0, 2, 1, 3]),
        mk("Reshape", ["k1", "heads_shape"], ["k2"], name="k_split"),
        mk("Transpose", ["k2"], ["kt"], name="k_heads_t", perm=[0, 2, 3, 1]),
        mk("Reshape", ["v1", "heads_shape"], ["v2"], name="v_split"),
        mk("Transpose", ["v2"], ["v"], name="v_heads", perm=[0, 2, 1, 3]),
        mk("MatMul", ["q", "kt"], ["scores0"], name="qk"),
        mk("Sqrt", ["dk"], ["sqrt_dk"], name="sqrt_dk"),
        mk("Div", ["scores0", "sqrt_dk"], ["scores"], name="scale"),
        mk("Softmax", ["scores"], ["attn"], name="attn_softmax", axis=-1),
        mk("MatMul", ["attn", "v"], ["ctx0"], name="attn_v"),
        mk("Transpose", ["ctx0"], ["ctx1"], name="merge_t", perm=[0, 2, 1, 3]),
        mk("Reshape", ["ctx1", "model_shape"], ["ctx"], name="merge"),
        mk("MatMul", ["ctx", "wo"], ["o0"], name="o_proj"),
        mk("Add", ["o0", "bo"], ["o1"], name="o_bias"),
        mk("Add", ["input", "o1"], ["res1"], name="residual1"),
        mk("LayerNormalization", ["res1", "ln2_g", "ln2_b"], ["ln2"],
           name="ln2", axis=-1, epsilon=1e-5),
        mk("MatMul", ["ln2", "w1"], ["f0"], name="ff1"),
        mk("Add", ["f0", "b1"], ["f1"], name="ff1_bias"),
        # GELU, Erf form: 0.5 * x * (1 + erf(x / sqrt(2)))
        mk("Div", ["f1", "sqrt2"], ["g0"], name="gelu_div"),
        mk("Erf", ["g0"], ["g1"], name="gelu_erf"),
        mk("Add", ["g1", "one"], ["g2"], name="gelu_add"),
        mk("Mul", ["f1", "g2"], ["g3"], name="gelu_mul"),
        mk("Mul", ["g3", "half"], ["g4"], name="gelu_half"),
        mk("MatMul", ["g4", "w2"], ["f2"], name="ff2"),
        mk("Add", ["f2", "b2"], ["f3"], name="ff2_bias"),
        mk("Add", ["res1", "f3"], ["output"], name="residual2"),
    ]
    inits = [
        init("ln1_g", rng.uniform(0.8, 1.2, d).astype(np.float32)),
        init("ln1_b", (rng.standard_normal(d) * 0.1).astype(np.float32)),
        init("ln2_g", rng.uniform(0.8, 1.2, d).astype(np.float32)),
        init("ln2_b", (rng.standard_normal(d) * 0.1).astype(np.float32)),
        init("wq", w(d, d)), init("bq", w(d)), init("wk", w(d, d)),
        init("bk", w(d)), init("wv", w(d, d)), init("bv", w(d)),
        init("wo", w(d, d)), init("bo", w(d)),
        init("w1", w(d, ff)), init("b1", w(ff)),
        init("w2", w(ff, d)), init("b2", w(d)),
        init("heads_shape", np.array([1, s, h, dk], np.int64)),
        init("model_shape", np.array([1, s, d], np.int64)),
        init("dk", np.array(dk, np.float32)),
        init("sqrt2", np.array(np.sqrt(2.0), np.float32)),
        init("one", np.array(1.0, np.float32)),
        init("half", np.array(0.5, np.float32)),
    ]
    graph = helper.make_graph(
        nodes, "transformer_block",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, s, d])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, s, d])],
        inits)
    save_model(graph, path)


def export_lnorm(rng, path, s=8, d=32):
    """LayerNormalization in its decomposed form (ReduceMean, Sub, Pow,
    Add, Sqrt, Div, Mul, Add) as exporters write it, then a projection."""
    mk = helper.make_node
    nodes = [
        mk("ReduceMean", ["input"], ["mean"], name="ln_mean", axes=[-1]),
        mk("Sub", ["input", "mean"], ["diff"], name="ln_sub"),
        mk("Pow", ["diff", "two"], ["sq"], name="ln_pow"),
        mk("ReduceMean", ["sq"], ["var"], name="ln_var", axes=[-1]),
        mk("Add", ["var", "eps"], ["ve"], name="ln_eps"),
        mk("Sqrt", ["ve"], ["std"], name="ln_sqrt"),
        mk("Div", ["diff", "std"], ["norm"], name="ln_div"),
        mk("Mul", ["norm", "gamma"], ["scaled"], name="ln_gamma"),
        mk("Add", ["scaled", "beta"], ["ln"], name="ln_beta"),
        mk("MatMul", ["ln", "w"], ["proj"], name="proj"),
        mk("Tanh", ["proj"], ["output"], name="tanh"),
    ]
    inits = [init("two", np.array(2, np.float32)),
             init("eps", np.array(1e-5, np.float32)),
             init("gamma", rng.uniform(0.5, 1.5, d).astype(np.float32)),
             init("beta", (rng.standard_normal(d) * 0.2).astype(np.float32)),
             init("w", (rng.standard_normal((d, d)) / np.sqrt(d)).astype(np.float32))]
    graph = helper.make_graph(
        nodes, "layernorm_decomposed",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, s, d])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, s, d])],
        inits)
    save_model(graph, path)


def bad(out, name, nodes, inputs=None, outputs=None, inits=(), opset=OPSET,
        check=True):
    vi = helper.make_tensor_value_info
    inputs = inputs or [vi("x", TensorProto.FLOAT, [1, 4])]
    outputs = outputs or [vi("y", TensorProto.FLOAT, [1, 4])]
    model = helper.make_model(helper.make_graph(nodes, name, inputs, outputs,
                                                list(inits)),
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def export_bad(out):
    """Models the compiler must refuse with a clear error (the expected
    messages are in tests/models/test_compiler.c)."""
    mk = helper.make_node
    vi = helper.make_tensor_value_info
    F = TensorProto.FLOAT
    img = [vi("x", F, [1, 1, 4, 4])]
    w = init("w", np.ones((1, 1, 3, 3), np.float32))
    bad(out, "bad_autopad", [mk("Conv", ["x", "w"], ["y"], name="c", auto_pad="SAME_UPPER")],
        img, [vi("y", F, [1, 1, 4, 4])], [w])
    bad(out, "bad_ceil", [mk("MaxPool", ["x"], ["y"], name="p", kernel_shape=[3, 3],
                             ceil_mode=1)], img, [vi("y", F, [1, 1, 2, 2])])
    bad(out, "bad_countpad", [mk("AveragePool", ["x"], ["y"], name="p", kernel_shape=[3, 3],
                                 pads=[1, 1, 1, 1], count_include_pad=1)],
        img, [vi("y", F, [1, 1, 4, 4])])
    bad(out, "bad_transa", [mk("Gemm", ["x", "w4"], ["y"], name="g", transA=1)],
        [vi("x", F, [4, 4])], [vi("y", F, [4, 4])], [init("w4", np.eye(4, dtype=np.float32))])
    bad(out, "bad_two_inputs", [mk("Add", ["x", "x2"], ["y"], name="a")],
        [vi("x", F, [1, 4]), vi("x2", F, [1, 4])])
    bad(out, "bad_symbolic", [mk("Relu", ["x"], ["y"], name="r")],
        [vi("x", F, ["N", "C"])], [vi("y", F, ["N", "C"])])
    bad(out, "bad_int_input", [mk("Identity", ["x"], ["y"], name="i")],
        [vi("x", TensorProto.INT64, [1, 4])], [vi("y", TensorProto.INT64, [1, 4])])
    bad(out, "bad_opset", [mk("Relu", ["x"], ["y"], name="r")], opset=9)
    bad(out, "bad_softmax_axis", [mk("Softmax", ["x"], ["y"], name="sm", axis=1)],
        [vi("x", F, [1, 4, 8])], [vi("y", F, [1, 4, 8])])
    bad(out, "bad_ln_axis", [mk("LayerNormalization", ["x", "g"], ["y"], name="ln", axis=1)],
        [vi("x", F, [1, 4, 8])], [vi("y", F, [1, 4, 8])],
        [init("g", np.ones((4, 8), np.float32))])
    bad(out, "bad_pow", [mk("Pow", ["x", "three"], ["y"], name="cube")],
        inits=[init("three", np.array(3, np.float32))])
    bad(out, "bad_sqrt", [mk("Sqrt", ["x"], ["y"], name="root")])
    bad(out, "bad_bn", [mk("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="lonely_bn")],
        img, [vi("y", F, [1, 1, 4, 4])],
        [init(n, np.ones(1, np.float32)) for n in "sbmv"])
    bad(out, "bad_int8_init", [mk("Add", ["x", "k"], ["y"], name="a")],
        inits=[init("k", np.ones(4, np.int8))])
    bad(out, "bad_domain", [mk("FusedGemm", ["x"], ["y"], name="ms", domain="com.microsoft")],
        check=False)
    bad(out, "bad_rank5", [mk("Relu", ["x"], ["y"], name="r")],
        [vi("x", F, [1, 1, 1, 2, 2])], [vi("y", F, [1, 1, 1, 2, 2])])
    bad(out, "bad_keepdims", [mk("ReduceMean", ["x"], ["y"], name="rm", axes=[1], keepdims=0)],
        outputs=[vi("y", F, [1])])
    bad(out, "bad_inner", [mk("MatMul", ["x", "w5"], ["y"], name="mm")],
        inits=[init("w5", np.ones((5, 4), np.float32))])
    bad(out, "bad_broadcast", [mk("Add", ["x", "k3"], ["y"], name="a3")],
        inits=[init("k3", np.ones(3, np.float32))])
    bad(out, "bad_reshape", [mk("Reshape", ["x", "s3"], ["y"], name="rs")],
        outputs=[vi("y", F, [3])], inits=[init("s3", np.array([3], np.int64))])
    bad(out, "bad_undefined_output", [mk("Relu", ["x"], ["r"], name="r")], check=False)
    bad(out, "bad_use_before_def", [mk("Relu", ["later"], ["y"], name="early"),
                                     mk("Relu", ["x"], ["later"], name="late")], check=False)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    save_model(helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="fine_relu"),
         helper.make_node("Cos", ["r"], ["y"], name="mystery_node")],
        "bad_unsupported", [x], [y]), os.path.join(out, "bad_unsupported.onnx"))
    save_model(helper.make_graph(
        [helper.make_node("Erf", ["x"], ["y"], name="lonely_erf")],
        "bad_erf", [x], [y]), os.path.join(out, "bad_erf.onnx"))
    save_model(helper.make_graph(
        [helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="clip_pm1")],
        "bad_clip", [x], [y],
        [init("lo", np.array(-1, np.float32)), init("hi", np.array(1, np.float32))]),
        os.path.join(out, "bad_clip.onnx"))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    xtr, xte, ytr, yte = load()

    mlp = train_mlp(xtr, ytr)
    export_mlp(mlp, os.path.join(out, "mlp.onnx"))
    acc_mlp = (mlp.predict(xte) == yte).mean()

    cnn = train_cnn(xtr, ytr, rng)
    acc_cnn = (cnn.forward(xte.reshape(-1, 1, 8, 8)).argmax(1) == yte).mean()
    export_cnn(cnn, xtr, rng, os.path.join(out, "cnn.onnx"))

    export_mobilenet(rng, os.path.join(out, "mobilenet.onnx"))
    export_transformer(rng, os.path.join(out, "transformer.onnx"))
    export_lnorm(rng, os.path.join(out, "lnorm.onnx"))
    export_bad(out)

    np.save(os.path.join(out, "digits_x.npy"), xte)
    np.save(os.path.join(out, "digits_img.npy"), xte.reshape(-1, 1, 8, 8))
    np.save(os.path.join(out, "digits_y.npy"), yte)
    calib = xtr[:128]
    np.save(os.path.join(out, "calib_x.npy"), calib)
    np.save(os.path.join(out, "calib_img.npy"), calib.reshape(-1, 1, 8, 8))
    np.save(os.path.join(out, "mobilenet_x.npy"),
            rng.uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32))
    np.save(os.path.join(out, "transformer_x.npy"),
            rng.standard_normal((1, 8, 32)).astype(np.float32))
    np.save(os.path.join(out, "lnorm_x.npy"),
            (rng.standard_normal((1, 8, 32)) * 2 + 0.5).astype(np.float32))
    # calibration sets for int8 builds of the random-weight models
    np.save(os.path.join(out, "mobilenet_calib.npy"),
            rng.uniform(-1, 1, (16, 3, 16, 16)).astype(np.float32))
    np.save(os.path.join(out, "transformer_calib.npy"),
            rng.standard_normal((16, 8, 32)).astype(np.float32))
    with open(os.path.join(out, "accuracy.txt"), "w") as f:
        f.write("mlp %.4f\ncnn %.4f\n" % (acc_mlp, acc_cnn))
    print("models: mlp %.2f%%, cnn %.2f%% on %d test images"
          % (100 * acc_mlp, 100 * acc_cnn, len(yte)))


if __name__ == "__main__":
    main()
