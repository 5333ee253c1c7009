/**
 * From IR to ONNX: `lowerGraph` lowers every op node through its op table entry (`lower`) with one
 * OnnxBuilder, keeping each new ONNX node's provenance (scope, source line, phase); `emitModel` writes the
 * all-ONNX IR as one model (opset 17, IR 8) whose inputs are the graph's fed values and whose initializers are
 * its baked constants.
 */
import { getOp } from "../ops/registry";
import { lowerOp } from "../ops/lower";
import { OnnxBuilder } from "../ops/builder";
import { OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo, encodeModel } from "../onnx/proto";
import { IR_VERSION, OPSET } from "../backend/eager";
import { Tensor } from "../tensor/tensor";
import { carrierDType, toCarrier, viewBytes } from "../tensor/dtype";
import { IRGraph, IRNode } from "./ir";

// Builder names start with "_" so they can never collide with traced names (`matmul_3`, `input_0`, params).
const BUILDER_PREFIX = "_t";

/** Lowers every op node of `g` to ONNX nodes; returns a new IR (g is not changed). */
export function lowerGraph(g: IRGraph): IRGraph {
  const out = g.clone();
  out.nodes = [];
  const b = new OnnxBuilder(BUILDER_PREFIX);
  const alias = new Map<string, string>();
  const resolve = (n: string) => alias.get(n) ?? n;
  for (const node of g.nodes) {
    const inputs = node.inputs.map(resolve);
    if (node.kind === "onnx") { out.nodes.push({ ...node, inputs }); continue; }
    const start = b.nodes.length;
    const inMeta = node.inputs.map((i) => metaOf(g, i, node));
    const outMeta = node.outputs.map((o) => metaOf(g, o, node));
    const res = lowerOp(getOp(node.op), b, inputs, node.attrs, inMeta, outMeta);
    if (res.length !== node.outputs.length) throw new Error(`op '${node.op}': lowering produced ${res.length} outputs, shape rule ${node.outputs.length}`);
    const fresh = b.nodes.slice(start);
    res.forEach((r, i) => renameOrAlias(fresh, r, node.outputs[i], alias));
    for (const n of fresh) {
      // A lowering that re-emits a model (an imported ONNX graph) may place its nodes in sub-scopes.
      const sub = (n as { subScope?: string }).subScope;
      out.add({ kind: "onnx", op: n.opType, domain: n.domain, inputs: n.inputs, outputs: n.outputs, attrs: n.attrs ?? {},
        sourceLine: node.sourceLine, scope: sub ? (node.scope ? `${node.scope}.${sub}` : sub) : node.scope, phase: node.phase, fused: node.fused });
    }
  }
  for (const init of b.initializers) {
    out.constants.set(init.name, tensorFromOnnx(init));
    if (!out.meta.has(init.name)) out.meta.set(init.name, { shape: [...init.dims], dtype: init.dtype });
  }
  for (const [v, m] of b.valueMeta) if (!out.meta.has(v)) out.meta.set(v, m);
  for (const o of out.outputs) o.name = resolve(o.name);
  return out;
}

function metaOf(g: IRGraph, name: string, node: IRNode) {
  const m = g.meta.get(name);
  if (!m) throw new Error(`nn.Graph: no shape known for value '${name}' used by op '${node.op}'`);
  return m;
}

/**
 * Gives the lowering's output `produced` the traced name `wanted` when one of this lowering's nodes made it
 * (names stay readable and stable); otherwise (the lowering returned an input) records an alias.
 */
function renameOrAlias(fresh: OnnxNode[], produced: string, wanted: string, alias: Map<string, string>): void {
  const maker = fresh.find((n) => n.outputs.includes(produced));
  if (!maker) { alias.set(wanted, produced); return; }
  for (const n of fresh) {
    n.outputs = n.outputs.map((o) => (o === produced ? wanted : o));
    n.inputs = n.inputs.map((i) => (i === produced ? wanted : i));
  }
}

/** A tensor holding an ONNX initializer's bytes. */
export function tensorFromOnnx(init: OnnxTensor): Tensor {
  const bytes = init.raw.slice();
  return Tensor._fromArray(viewBytes(init.dtype, bytes), [...init.dims], init.dtype);
}

/** Raw little-endian bytes of a tensor's data (bfloat16 in its float32 carrier: see ops/lower). */
export function tensorBytes(t: Tensor): Uint8Array {
  const a = toCarrier(t.dtype, t._host("saving a graph constant"));
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Options of emitModel. */
export interface EmitOptions {
  /** Name of the ONNX graph. */
  name?: string;
  /** Make dimension 0 of user inputs and outputs symbolic ("batch"). */
  dynamicBatch?: boolean;
  /** Names for the model's inputs and outputs, by position (Triton's INPUT_0.., OUTPUT_0..). */
  inputNames?: string[];
  outputNames?: string[];
}

/** Encodes an all-ONNX IR as a model; returns the bytes and the model's input/output names. */
export function emitModel(g: IRGraph, opts: EmitOptions = {}): { bytes: Uint8Array; model: OnnxModel; inputNames: string[]; outputNames: string[] } {
  const nodes: OnnxNode[] = [];
  const usesMs = g.nodes.some((n) => n.domain === "com.microsoft");
  for (const n of g.nodes) {
    if (n.kind !== "onnx") throw new Error(`nn.Graph: op node '${n.op}' reached the ONNX emitter unlowered`);
    nodes.push({ opType: n.op, domain: n.domain || undefined, inputs: n.inputs, outputs: n.outputs, attrs: n.attrs,
      name: `${n.scope ? n.scope + "/" : ""}${n.op}_${n.id}`, docString: n.sourceLine });
  }
  const valueInfo = (name: string, batch: boolean): OnnxValueInfo => {
    const m = g.meta.get(name);
    if (!m) throw new Error(`nn.Graph: no shape known for graph input/output '${name}'`);
    const dims: (number | string)[] = [...m.shape];
    if (batch && dims.length) dims[0] = "batch";
    return { name, dtype: carrierDType(m.dtype), dims };
  };
  const inputs = g.inputs.map((i) => valueInfo(i.name, !!opts.dynamicBatch && i.kind === "input"));
  // A graph output must be a distinct value produced by a node: Identity separates inputs, constants, repeats
  // and outputs given another name for the outside.
  const produced = new Set(nodes.flatMap((n) => n.outputs));
  const seen = new Set<string>();
  const outputs = g.outputs.map((o, i) => {
    const info = valueInfo(o.name, !!opts.dynamicBatch && o.kind === "output");
    const outer = opts.outputNames?.[i];
    let name = o.name;
    if (outer || !produced.has(name) || seen.has(name)) {
      name = outer ?? `${o.name}_out${i}`;
      nodes.push({ opType: "Identity", inputs: [o.name], outputs: [name], name: `Identity_${name}` });
    }
    seen.add(name);
    return { ...info, name };
  });
  const initializers: OnnxTensor[] = [...g.constants].map(([name, t]) => ({ name, dtype: carrierDType(t.dtype), dims: [...t.shape], raw: tensorBytes(t) }));
  const inputsOut = inputs.map((vi, i) => {
    const outer = opts.inputNames?.[i];
    if (!outer) return vi;
    nodes.unshift({ opType: "Identity", inputs: [outer], outputs: [vi.name], name: `Identity_${outer}` });
    return { ...vi, name: outer };
  });
  const model: OnnxModel = {
    irVersion: IR_VERSION,
    opsets: [{ domain: "", version: OPSET }, ...(usesMs ? [{ domain: "com.microsoft", version: 1 }] : [])],
    producerName: "flowbook",
    graph: { name: opts.name ?? "graph", nodes, initializers, inputs: inputsOut, outputs },
  };
  return { bytes: encodeModel(model), model, inputNames: inputsOut.map((i) => i.name), outputNames: outputs.map((o) => o.name) };
}
