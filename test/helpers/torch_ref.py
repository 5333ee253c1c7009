"""Evaluates flowbook test cases with PyTorch (the numerical reference). Reads JSON cases on stdin, writes
JSON results on stdout. Each case: {"inputs": [{"data", "shape", "dtype", "grad"}], "expr": python
expression over a, b, c, ... and torch/F, "seed": optional cotangent (flat list) for backward}."""
import json, sys
import torch
import torch.nn.functional as F

torch.set_grad_enabled(True)
DT = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16, "int64": torch.int64,
      "int32": torch.int32, "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool}

def enc(t):
    if t is None:
        return None
    if isinstance(t, (tuple, list)):
        return [enc(x) for x in t]
    t = t.detach()
    return {"data": t.double().flatten().tolist() if t.dtype != torch.bool else t.flatten().int().tolist(),
            "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")}

def run(case):
    env = {"torch": torch, "F": F}
    ins = []
    for i, spec in enumerate(case["inputs"]):
        t = torch.tensor(spec["data"], dtype=torch.float64).to(DT[spec["dtype"]]).reshape(spec["shape"])
        if spec.get("grad"):
            t.requires_grad_(True)
        env["abcdefgh"[i]] = t
        ins.append(t)
    try:
        out = eval(case["expr"], env)
    except Exception as e:  # the flowbook side asserts on errors separately
        return {"error": f"{type(e).__name__}: {e}"}
    res = {"out": enc(out)}
    if case.get("seed") is not None and any(t.requires_grad for t in ins):
        o = out[0] if isinstance(out, (tuple, list)) else out
        seed = torch.tensor(case["seed"], dtype=torch.float64).to(o.dtype).reshape(o.shape)
        grads = torch.autograd.grad(o, [t for t in ins if t.requires_grad], seed, allow_unused=True)
        it = iter(grads)
        res["grads"] = [enc(next(it)) if t.requires_grad else None for t in ins]
    return res

cases = json.load(sys.stdin)
json.dump([run(c) for c in cases], sys.stdout)
