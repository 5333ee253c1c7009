/**
 * `graph.config`: the optimisation switches of one nn.Graph (OneFlow's GraphConfig), and `report()`, which
 * says for each switch whether it is on and whether it can act on the graph's device — an option that cannot
 * act is reported "not applicable on <device>", never silently claimed.
 */
import type { Device } from "../backend/device";
import { supportedBackends } from "../backend/ort";
import { getPass } from "./passes/index";

/** ONNX Runtime's graph optimisation levels. */
export type OrtOptimizationLevel = "disabled" | "basic" | "extended" | "all";
const ORT_LEVELS: OrtOptimizationLevel[] = ["disabled", "basic", "extended", "all"];

/** AMP settings. */
export interface AmpOptions {
  /**
   * Reduced-precision dtype (default "float16"). "bfloat16" keeps float32's range (no loss scaling needed);
   * ONNX Runtime has no bfloat16 Conv/MatMul kernels on CPU or WebGPU, so there its values are rounded to
   * bfloat16 and computed in float32: bfloat16's numerics, not a speed-up (see `config.report()`).
   */
  dtype?: "float16" | "bfloat16";
  /** Extra op names to run in reduced precision. */
  allow?: string[];
  /** Extra op names to keep in float32 (wins over allow). */
  deny?: string[];
}

/** One row of `config.report()`. */
export interface OptionReport { option: string; state: string; note: string }

/** The switches of one graph. Methods return `this` so calls chain. */
export class GraphConfig {
  /** @internal */ amp: Required<AmpOptions> & { enabled: boolean } = { enabled: false, dtype: "float16", allow: [], deny: [] };
  /** @internal */ fusePadToConv = false;
  /** @internal */ fuseAddToOutput = false;
  /** @internal */ fuseConvBn = false;
  /** @internal */ cudnnSearch: boolean | null = null;
  /** @internal */ tensorRT = false;
  /** @internal */ accumulationSteps = 1;
  /** @internal */ dynamicBatchDim = false;
  /** @internal */ disabled = new Set<string>();
  /** Compiled signatures kept per graph (least recently used are dropped). */
  maxCachedSignatures = 8;
  private ortLevel: OrtOptimizationLevel = "all";

  /** ONNX Runtime's own graph optimisation level for the compiled session ("disabled" to measure flowbook's passes alone). */
  get ortOptimizationLevel(): OrtOptimizationLevel { return this.ortLevel; }
  set ortOptimizationLevel(v: OrtOptimizationLevel) {
    if (!ORT_LEVELS.includes(v)) throw new RangeError(`ortOptimizationLevel must be one of ${ORT_LEVELS.join(", ")}; got ${JSON.stringify(v)}`);
    this.ortLevel = v;
  }

  /**
   * Mixed precision: matmuls and convolutions in float16 (or `{dtype: "bfloat16"}`) with float32 master
   * weights; softmax, norms, losses and reductions stay float32. Use `graph.setGradScaler` for loss scaling
   * in float16 training graphs.
   * @example graph.config.enableAmp(true, { dtype: "bfloat16" })
   */
  enableAmp(on = true, opts: AmpOptions = {}): this {
    const dtype = opts.dtype ?? "float16";
    if (dtype !== "float16" && dtype !== "bfloat16") throw new TypeError(`enableAmp: dtype must be "float16" or "bfloat16", got ${JSON.stringify(opts.dtype)}`);
    for (const k of ["allow", "deny"] as const) {
      const v = opts[k];
      if (v !== undefined && !(Array.isArray(v) && v.every((s) => typeof s === "string"))) throw new TypeError(`enableAmp: ${k} must be an array of op names, got ${JSON.stringify(v)}`);
    }
    this.amp = { enabled: on, dtype, allow: opts.allow ?? [], deny: opts.deny ?? [] };
    return this;
  }
  /** Folds an explicit zero `pad` feeding a conv into the conv's padding. */
  allowFusePadToConv(on = true): this { this.fusePadToConv = on; return this; }
  /** Fuses a residual add (and a following relu) into the producing conv (ONNX Runtime FusedConv). */
  allowFuseAddToOutput(on = true): this { this.fuseAddToOutput = on; return this; }
  /** Folds inference batch norms into the preceding conv's weights. */
  allowFuseConvBn(on = true): this { this.fuseConvBn = on; return this; }
  /** cuDNN convolution algorithm search (CUDA provider). */
  enableCudnnConvHeuristicSearchAlgo(on = true): this { this.cudnnSearch = on; return this; }
  /** Runs the graph with ONNX Runtime's TensorRT execution provider (CUDA devices). */
  enableTensorRT(on = true): this { this.tensorRT = on; return this; }
  /**
   * Gradient accumulation: each graph call is one micro-batch; gradients are summed over `n` calls and the
   * optimizer steps on every n-th call (divide the loss by n in build() for the mean, as in PyTorch).
   */
  setGradientAccumulationSteps(n: number): this {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setGradientAccumulationSteps: expected a positive integer, got ${n}`);
    this.accumulationSteps = n;
    return this;
  }
  /** Declares dimension 0 of every input and output a dynamic batch dimension (one compile for all batch sizes). */
  dynamicBatch(on = true): this { this.dynamicBatchDim = on; return this; }
  /** Switches a pass off by name (`"constant_folding"`, ...); unknown names throw. */
  disablePass(name: string, off = true): this {
    getPass(name);
    if (off) this.disabled.add(name); else this.disabled.delete(name);
    return this;
  }

  /** A copy of these switches (for graphs built to measure this one, e.g. `graph.speedupTable`). */
  clone(): GraphConfig {
    const c = new GraphConfig();
    for (const [k, v] of Object.entries(this)) {
      (c as unknown as Record<string, unknown>)[k] = v instanceof Set ? new Set(v) : v && typeof v === "object" ? JSON.parse(JSON.stringify(v)) : v;
    }
    return c;
  }

  /** @internal Names of the optional passes switched on. */
  enabledPasses(dev: Device): Set<string> {
    const s = new Set<string>();
    if (this.amp.enabled) s.add("auto_mixed_precision");
    if (this.fusePadToConv) s.add("fuse_pad_to_conv");
    if (this.fuseConvBn) s.add("fuse_conv_bn");
    if (this.fuseAddToOutput && addFusionWhy(dev) === null) s.add("fuse_add_to_output");
    return s;
  }

  /** Each option, its state on `device`, and why where it cannot act. */
  report(dev: Device): OptionReport[] {
    const onOff = (b: boolean) => (b ? "on" : "off");
    const na = (why: string) => `not applicable on ${dev.name}`.concat(why ? ` (${why})` : "");
    const addWhy = addFusionWhy(dev);
    const rows: OptionReport[] = [
      { option: "enableAmp", state: onOff(this.amp.enabled), note: this.amp.enabled ? ampNote(this.amp.dtype, dev) : "" },
      { option: "allowFusePadToConv", state: onOff(this.fusePadToConv), note: "" },
      { option: "allowFuseConvBn", state: onOff(this.fuseConvBn), note: this.fuseConvBn ? "inference graphs only" : "" },
      { option: "allowFuseAddToOutput", state: this.fuseAddToOutput && addWhy ? na(addWhy) : onOff(this.fuseAddToOutput), note: this.fuseAddToOutput && !addWhy ? "com.microsoft FusedConv with Z input" : "" },
      { option: "enableCudnnConvHeuristicSearchAlgo", state: this.cudnnSearch === null ? "default" : this.cudnnSearch ? (dev.type === "cuda" ? na("onnxruntime-node's CUDA provider options accept only deviceId, so the cuDNN search mode cannot be set") : na("it needs the CUDA provider")) : "off", note: "" },
      { option: "enableTensorRT", state: this.tensorRT ? (tensorRTWhy(dev) ? na(tensorRTWhy(dev)!) : "on") : "off", note: "" },
      { option: "ortOptimizationLevel", state: this.ortLevel, note: "ONNX Runtime's own graph rewrites" },
      { option: "gradientAccumulationSteps", state: String(this.accumulationSteps), note: "" },
      { option: "dynamicBatch", state: onOff(this.dynamicBatchDim), note: "" },
    ];
    if (this.disabled.size) rows.push({ option: "disabled passes", state: [...this.disabled].join(", "), note: "" });
    return rows;
  }
}

function ampNote(dtype: "float16" | "bfloat16", dev: Device): string {
  if (dtype === "float16") return "float16 compute, float32 master weights" + (dev.type === "cpu" ? "; ONNX Runtime's CPU float16 kernels are often slower than float32" : "");
  return `bfloat16 numerics, float32 master weights: values rounded to bfloat16 and computed in float32 (ONNX Runtime's ${dev.type} provider has no bfloat16 Conv/MatMul kernels), so no speed-up on ${dev.name}`;
}

function addFusionWhy(dev: Device): string | null {
  return dev.type === "cpu" ? null : "ONNX Runtime's FusedConv with a Z input has a CPU kernel only";
}

/** Why TensorRT cannot run on `dev`, or null when it can. */
export function tensorRTWhy(dev: Device): string | null {
  if (dev.type !== "cuda") return "TensorRT needs a CUDA device";
  const trt = supportedBackends().find((b) => b.name === "tensorrt");
  return trt ? null : "this onnxruntime-node build has no TensorRT provider";
}
