"""PyTorch side of bench/ops: reads one JSON spec {name, inputs: [[shape...]], grad, torch: statement} per
line on stdin, times the statement like the flowbook side (calibrated batches, median per call) and answers
one JSON line {name, seconds, threads, version}. The flowbook side interleaves its own timing of each op, so
both frameworks see the same machine load."""
import json, sys, time
import torch
import torch.nn.functional as F

torch.manual_seed(0)

def median_time(fn, target=0.004, reps=15):
    for _ in range(3):
        fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= target or n >= 1 << 20:
            break
        n *= 2
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n)
    times.sort()
    return times[len(times) // 2]

for line in sys.stdin:
    spec = json.loads(line)
    env = {"torch": torch, "F": F}
    for i, shape in enumerate(spec["inputs"]):
        env["abcdefgh"[i]] = torch.randn(*shape, requires_grad=bool(spec.get("grad")))
    code = compile(spec["torch"], spec["name"], "exec")
    t = median_time(lambda: exec(code, env))
    print(json.dumps({"name": spec["name"], "seconds": t, "threads": torch.get_num_threads(), "version": torch.__version__}), flush=True)
