"""PyTorch side of bench/ops/resnet.ts: torchvision's resnet18 (eval, no_grad) at the batch and size given on
argv, with torch.set_num_threads(argv threads). Reads one line per request on stdin ("run") and answers the
seconds of one forward, so that flowbook's side can interleave its own forwards with PyTorch's."""
import sys, time
import torch
import torchvision

batch, size, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torchvision.models.resnet18().eval()
x = torch.randn(batch, 3, size, size)
print(f"ready {torch.__version__} {torch.get_num_threads()}", flush=True)
for line in sys.stdin:
    with torch.no_grad():
        t0 = time.perf_counter()
        y = model(x)
        dt = time.perf_counter() - t0
    print(f"{dt} {float(y.sum())}", flush=True)
