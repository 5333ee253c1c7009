"""PyTorch side of bench/graph/resnet_bench.ts (run with Debian's /usr/bin/python3: python3-torch 1.13, torchvision).

  export OUT_DIR               writes resnet{18,50,101}.pth (torchvision's state_dict, seeded random weights) and
                               resnet{50,101}.onnx (torch.onnx.export, opset 17, dynamic batch) into OUT_DIR
  time OUT_DIR WARMUP REPEAT   PyTorch eager timings on the same weights: ResNet-50 inference at batch 1 and 16
                               (eval, no_grad) and a ResNet-18 training step at batch 16 (SGD, cross-entropy);
                               prints one JSON object (ms per call: median, min, max, samples)
"""
import json
import os
import statistics
import sys
import time

import torch
import torchvision

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", os.cpu_count() or 1)))


def build(arch):
    torch.manual_seed({"resnet18": 18, "resnet50": 50, "resnet101": 101}[arch])
    return getattr(torchvision.models, arch)(weights=None)


def export(out):
    os.makedirs(out, exist_ok=True)
    for arch in ["resnet18", "resnet50", "resnet101"]:
        m = build(arch).eval()
        torch.save(m.state_dict(), os.path.join(out, f"{arch}.pth"))
        if arch != "resnet18":
            torch.onnx.export(m, torch.randn(1, 3, 224, 224), os.path.join(out, f"{arch}.onnx"), input_names=["input"],
                              output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)
    print("exported", out)


def timed(fn, warmup, repeat):
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1000)
    return {"median": statistics.median(t), "min": min(t), "max": max(t), "samples": t}


def bench(out, warmup, repeat):
    res = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    m = build("resnet50")
    m.load_state_dict(torch.load(os.path.join(out, "resnet50.pth")))
    m.eval()
    for b in [1, 16]:
        x = torch.randn(b, 3, 224, 224)
        with torch.no_grad():
            res[f"resnet50_infer_b{b}"] = timed(lambda: m(x), warmup, repeat)
    m = build("resnet18")
    m.load_state_dict(torch.load(os.path.join(out, "resnet18.pth")))
    m.train()
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(16, 3, 224, 224), torch.randint(0, 1000, (16,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(m(x), y).backward()
        opt.step()
    res["resnet18_train_b16"] = timed(step, max(1, warmup // 2), repeat)
    print(json.dumps(res))


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2])
    else:
        bench(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
