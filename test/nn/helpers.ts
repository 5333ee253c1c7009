/** Helpers for the nn/optim tests: run PyTorch code that prints JSON, and move tensors between the two. */
import * as flow from "../../src/index";
import { python } from "../helpers/torch";

/** A tensor as the python side writes it. */
export interface JsonTensor { data: number[]; shape: number[]; dtype: string }

/** Python prelude: torch, nn, and `enc(t)` / `sd(model)` encoders. */
const PRELUDE = `
import json, math, torch, torch.nn as nn, torch.nn.functional as F
torch.set_default_dtype(torch.float32)
def enc(t):
    t = t.detach()
    return {"data": t.double().flatten().tolist(), "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")}
def dec(j):
    return torch.tensor(j["data"], dtype=torch.float64).to(getattr(torch, j["dtype"])).reshape(j["shape"])
def sd(m):
    return {k: enc(v) for k, v in m.state_dict().items()}
`;

/** Runs `code` (with the prelude) in Debian's python3-torch; the code must print one JSON value. `input` is available as INPUT. */
export function torchJson<T = any>(code: string, input?: unknown): T {
  const src = `${PRELUDE}\nimport sys\nINPUT = json.loads(sys.stdin.read() or "null")\n${code}`;
  return JSON.parse(python(src, [], JSON.stringify(input ?? null)));
}

/** A flowbook tensor from the JSON form. */
export function fromJson(j: JsonTensor): flow.Tensor {
  return flow.tensor(Float64Array.from(j.data), { dtype: j.dtype as flow.DType }).reshape(j.shape);
}

/** The JSON form of a flowbook tensor. */
export function toJson(t: flow.Tensor): JsonTensor {
  return { data: flat(t), shape: [...t.shape], dtype: t.dtype };
}

/** A tensor's values as a flat list of numbers. */
export function flat(t: flow.Tensor): number[] {
  const l = t.tolist();
  return Array.isArray(l) ? (l as unknown[]).flat(Infinity).map(Number) : [Number(l)];
}

/** A state dict from its JSON form. */
export function stateFromJson(sd: Record<string, JsonTensor>): Record<string, flow.Tensor> {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, fromJson(v)]));
}
