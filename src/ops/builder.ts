/**
 * Collects ONNX nodes and constants while an op is lowered. The same builder serves an eager single-op model,
 * a whole traced graph, and export, so a lowering is written once.
 */
import type { OnnxAttr, OnnxNode, OnnxTensor } from "../onnx/proto";
import { DType, allocArray, carrierDType, fromBfloat16, toBfloat16, writeNumber } from "../tensor/dtype";

/** Collects nodes and initializers; names are unique within one builder. */
export class OnnxBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  /** Known shapes/dtypes of values the lowering made (optional hints for displays; e.g. imported ONNX value_info). */
  readonly valueMeta = new Map<string, { shape: number[]; dtype: DType }>();
  private counter = 0;
  private constCache = new Map<string, string>();

  constructor(private readonly prefix = "v") {}

  /** A fresh value name. */
  fresh(hint = ""): string { return `${this.prefix}${this.counter++}${hint ? "_" + hint : ""}`; }

  /** Emits one node with `nOut` outputs and returns their names. */
  node(opType: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, nOut = 1, domain?: string): string[] {
    const outputs = Array.from({ length: nOut }, () => this.fresh());
    this.nodes.push({ opType, inputs, outputs, attrs, name: `${opType}_${outputs[0]}`, ...(domain ? { domain } : {}) });
    return outputs;
  }

  /** Emits a single-output node and returns its name. */
  op(opType: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}): string {
    return this.node(opType, inputs, attrs, 1)[0];
  }

  /** A constant (initializer) holding `values`, deduplicated by content (bfloat16 in its float32 carrier: see ops/lower). */
  constant(type: DType, dims: number[], values: ArrayLike<number | bigint | boolean>): string {
    const dtype = carrierDType(type), arr = allocArray(dtype, values.length);
    for (let i = 0; i < values.length; i++) writeNumber(dtype, arr, i, type === "bfloat16" ? fromBfloat16(toBfloat16(Number(values[i]))) : values[i]);
    const raw = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    const key = `${dtype}|${dims.join(",")}|${Buffer.from(raw).toString("base64")}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh("const");
    this.initializers.push({ name, dtype, dims, raw: raw.slice() });
    this.constCache.set(key, name);
    return name;
  }

  /** A 1-D int64 constant (axes, shapes, pads, slice bounds). */
  int64s(values: number[]): string { return this.constant("int64", [values.length], values); }

  /** A 0-D constant of `dtype`. */
  scalar(dtype: DType, v: number | boolean): string { return this.constant(dtype, [], [v]); }

  /** An initializer from raw bytes (weights captured by nn.Graph). */
  rawInitializer(name: string, dtype: DType, dims: number[], raw: Uint8Array): string {
    this.initializers.push({ name, dtype, dims, raw });
    return name;
  }
}
