"""Exports torchvision resnet50 (random weights) to ONNX with a dynamic batch axis: argv[1] = output file.
Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision)."""
import sys

import torch
import torchvision

m = torchvision.models.resnet50(weights=None).eval()
torch.onnx.export(m, torch.randn(1, 3, 224, 224), sys.argv[1], input_names=["INPUT_0"], output_names=["OUTPUT_0"],
                  dynamic_axes={"INPUT_0": {0: "batch"}, "OUTPUT_0": {0: "batch"}}, opset_version=13)
print("ok")
