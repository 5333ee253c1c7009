"""Test fixtures for the serving tests: small ONNX models written into the directory given as argv[1].

Run with Debian's /usr/bin/python3 (python3-torch, python3-onnx). Each model is raw ONNX (model.onnx in
the out dir, named by file); the TypeScript tests lay out the Triton repository around them.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
OPSET = [helper.make_opsetid("", 13)]


def save(model, name):
    model.ir_version = 7  # readable by onnxruntime and Triton's ORT backend alike
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name))


def mlp():
    """INPUT_0 float32 [N,4] -> OUTPUT_0 float32 [N,3]: a fixed linear layer, so tests know the answer."""
    import torch

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.l = torch.nn.Linear(4, 3)
            with torch.no_grad():
                self.l.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 1.0]]))
                self.l.bias.copy_(torch.tensor([0.0, 0.5, -1.0]))

        def forward(self, x):
            return self.l(x)

    torch.onnx.export(M(), torch.randn(2, 4), os.path.join(out, "mlp.onnx"), input_names=["INPUT_0"], output_names=["OUTPUT_0"],
                      dynamic_axes={"INPUT_0": {0: "batch"}, "OUTPUT_0": {0: "batch"}}, opset_version=13)


def cnn():
    """INPUT_0 float32 [N,1,8,8] -> OUTPUT_0 float32 [N,10]: a small CNN with random weights."""
    import torch
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(16, 10))
    torch.onnx.export(m.eval(), torch.randn(1, 1, 8, 8), os.path.join(out, "cnn.onnx"), input_names=["INPUT_0"], output_names=["OUTPUT_0"],
                      dynamic_axes={"INPUT_0": {0: "batch"}, "OUTPUT_0": {0: "batch"}}, opset_version=13)


TYPES = [("FP32", TensorProto.FLOAT), ("FP16", TensorProto.FLOAT16), ("FP64", TensorProto.DOUBLE), ("INT8", TensorProto.INT8),
         ("INT16", TensorProto.INT16), ("INT32", TensorProto.INT32), ("INT64", TensorProto.INT64), ("UINT8", TensorProto.UINT8),
         ("UINT16", TensorProto.UINT16), ("UINT32", TensorProto.UINT32), ("UINT64", TensorProto.UINT64), ("BOOL", TensorProto.BOOL),
         ("BYTES", TensorProto.STRING)]


def types():
    """IN_<T> [N,2] -> OUT_<T> [N,2] (Identity) for every KServe datatype."""
    nodes, ins, outs = [], [], []
    for name, t in TYPES:
        ins.append(helper.make_tensor_value_info(f"IN_{name}", t, ["N", 2]))
        outs.append(helper.make_tensor_value_info(f"OUT_{name}", t, ["N", 2]))
        nodes.append(helper.make_node("Identity", [f"IN_{name}"], [f"OUT_{name}"]))
    save(helper.make_model(helper.make_graph(nodes, "types", ins, outs), opset_imports=OPSET), "types.onnx")


def reshape():
    """X float32 [N,2,2] -> Y float32 [N,2,2] = X*2; served with config dims [4] and reshape [2,2]."""
    two = numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two")
    g = helper.make_graph([helper.make_node("Mul", ["X", "two"], ["Y"])], "reshape",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 2, 2])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 2, 2])], [two])
    save(helper.make_model(g, opset_imports=OPSET), "reshape.onnx")


def slow():
    """X float32 [R,512] -> Y [R,512]: 48 x (MatMul + Tanh) with one shared weight; time grows with R."""
    w = numpy_helper.from_array((np.random.RandomState(0).randn(512, 512) / 32).astype(np.float32), "W")
    nodes, prev = [], "X"
    for i in range(48):
        nodes.append(helper.make_node("MatMul", [prev, "W"], [f"m{i}"]))
        nodes.append(helper.make_node("Tanh", [f"m{i}"], [f"t{i}" if i < 47 else "Y"]))
        prev = f"t{i}"
    g = helper.make_graph(nodes, "slow", [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["R", 512])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["R", 512])], [w])
    save(helper.make_model(g, opset_imports=OPSET), "slow.onnx")


for f in sys.argv[2:] or ["mlp", "cnn", "types", "reshape", "slow"]:
    globals()[f]()
print("ok")
