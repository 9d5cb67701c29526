#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cut the digits MLP and CNN in two at a layer boundary, for the pipeline
stages across devices (accel_model_pipeline_*, vnpu_multi_test):
  mlp_s1.onnx: input -> a1 (Gemm+Relu)   mlp_s2.onnx: a1 -> probs
  cnn_s1.onnx: input -> a2 (two convs)   cnn_s2.onnx: a2 -> probs
Each part is then compiled like the whole model (vnpu-compile --batch 120).

usage: split_stages.py MODELS_DIR"""
import os
import sys
import tempfile

import onnx
import onnx.utils
from onnx import shape_inference

models = sys.argv[1]
for name, cut in (("mlp", "a1"), ("cnn", "a2")):
    whole = onnx.load(os.path.join(models, name + ".onnx"))
    # the cut tensor needs its shape: extract_model keeps value_info
    inferred = shape_inference.infer_shapes(whole)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name + ".onnx")
        onnx.save(inferred, path)
        onnx.utils.extract_model(path, os.path.join(models, name + "_s1.onnx"),
                                 ["input"], [cut])
        onnx.utils.extract_model(path, os.path.join(models, name + "_s2.onnx"),
                                 [cut], ["probs"])
