"""PyTorch reference for bench/gpu/run.sh: ResNet-101 (ResNet-18 at 64x64 with --quick) inference at batch
1, 16, 64 (eval, no_grad; float32 and autocast float16) and a training step at batch 32 (SGD, cross-entropy),
on the CUDA GPU when torch sees one (else says so, and with --quick measures the CPU)."""
import statistics
import sys
import time

import torch
import torchvision

quick = "--quick" in sys.argv
arch, size, batches, tb, warm, rep = ("resnet18", 64, [1, 2], 2, 1, 2) if quick else ("resnet101", 224, [1, 16, 64], 32, 2, 5)
if torch.cuda.is_available():
    dev = torch.device("cuda")
    print(f"## PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}: {arch} at {size}x{size}")
else:
    if not quick:
        print(f"## PyTorch {torch.__version__}: not available on GPU: torch.cuda.is_available() is False here")
        sys.exit(0)
    dev = torch.device("cpu")
    print(f"## PyTorch {torch.__version__}: no CUDA GPU here (torch.cuda.is_available() is False); --quick measures the CPU")


def timed(fn):
    for _ in range(warm):
        fn()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t = []
    for _ in range(rep):
        t0 = time.perf_counter()
        fn()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t.append((time.perf_counter() - t0) * 1000)
    return statistics.median(t)


m = getattr(torchvision.models, arch)(weights=None).to(dev)
m.eval()
print(f"{'run':<28}{'ms/batch':>10}{'images/s':>10}")
for b in batches:
    x = torch.randn(b, 3, size, size, device=dev)
    with torch.no_grad():
        ms = timed(lambda: m(x))
        print(f"{'inference b%d float32' % b:<28}{ms:>10.2f}{b * 1000 / ms:>10.1f}")
        if dev.type == "cuda":
            with torch.autocast("cuda", dtype=torch.float16):
                ms = timed(lambda: m(x))
            print(f"{'inference b%d autocast fp16' % b:<28}{ms:>10.2f}{b * 1000 / ms:>10.1f}")
m.train()
opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
x, y = torch.randn(tb, 3, size, size, device=dev), torch.randint(0, 1000, (tb,), device=dev)
lf = torch.nn.CrossEntropyLoss()


def step():
    opt.zero_grad()
    lf(m(x), y).backward()
    opt.step()


ms = timed(step)
print(f"{'training step b%d' % tb:<28}{ms:>10.2f}{tb * 1000 / ms:>10.1f}")
