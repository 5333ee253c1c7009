/** A node of the autograd tape: the op that produced some tensors and how to send gradients back through it. */
import type { Tensor, Storage } from "../tensor/tensor";
import type { DType } from "../tensor/dtype";
import type { OpDef } from "../ops/registry";

// PyTorch's node names where flowbook's op differs from the ATen function that PyTorch records.
const TORCH_NODE: Record<string, string> = {
  cast: "ToCopy", concat: "Cat", reshape: "View", matmul: "Mm", linear: "Addmm", tile: "Repeat", floor_divide: "FloorDivide",
  logical_not: "LogicalNot", indexSelect: "IndexSelect", gatherND: "Index", scatterND: "IndexPut", sliceScatter: "SliceScatter",
};
const nodeNames = new Map<string, string>();
/** `AddBackward0` for op "add": PyTorch's grad_fn naming (CamelCase ATen name + "Backward0"). */
function backwardName(op: string): string {
  let n = nodeNames.get(op);
  if (n === undefined) {
    const base = TORCH_NODE[op] ?? op.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
    nodeNames.set(op, (n = `${base}Backward0`));
  }
  return n;
}

/** One recorded op application. */
export class GradNode {
  /** PyTorch's node name (`MulBackward0`), shown as `grad_fn=<MulBackward0>`. */
  readonly name: string;
  /** @internal freed once backward ran through without retainGraph. */
  freed = false;
  /** @internal storage versions of inputs and outputs when the op ran (PyTorch's saved-variable versions). */
  _versions: number[];

  constructor(
    /** @internal */ readonly op: OpDef<any>,
    /** @internal the op's inputs (saved for the gradient rule). */ public inputs: Tensor[],
    /** @internal the op's outputs. */ public outputs: Tensor[],
    /** @internal */ readonly attrs: unknown,
    /** Source line of the user's code that created this node (nn.Graph shows it). */ readonly sourceLine?: string,
  ) {
    this.name = backwardName(op.name);
    const v = new Array<number>(inputs.length + outputs.length);
    for (let i = 0; i < inputs.length; i++) v[i] = inputs[i]._storage?.version ?? 0; // device-resident data gets host storage at version 0 when first read
    for (let i = 0; i < outputs.length; i++) v[inputs.length + i] = outputs[i]._storage?.version ?? 0;
    this._versions = v;
  }

  /** Nodes this one sends gradients to (null for inputs that need none). */
  get nextFunctions(): (GradNode | null)[] { return this.inputs.map((t) => (t.requiresGrad ? t.gradFn : null)); }

  /** @internal drops saved tensors after backward so their memory can be reused. */
  release(): void { this.freed = true; this.inputs = []; this.outputs = []; this._versions = []; }

  /**
   * @internal PyTorch's version-counter check: throws when one of `used` (tensors an op inside this node's
   * gradient rule reads) shares storage with a tensor this node saved and that storage was written in place
   * since the op ran. A rule that never reads a saved tensor's data (add's) is not affected, as in PyTorch,
   * where such tensors are not saved.
   */
  _checkSaved(used: readonly Tensor[]): void {
    const nIn = this.inputs.length;
    for (const u of used) {
      const st = u._storage;
      if (!st) continue;
      for (let j = 0; j < this._versions.length; j++) {
        const saved = j < nIn ? this.inputs[j] : this.outputs[j - nIn];
        if (saved._storage === st && st.version !== this._versions[j]) throw modifiedError(saved, st, this._versions[j]);
      }
    }
  }
}

const TORCH_TYPES: Record<DType, string> = {
  float32: "FloatTensor", float64: "DoubleTensor", float16: "HalfTensor", bfloat16: "BFloat16Tensor", int64: "LongTensor", int32: "IntTensor",
  int8: "CharTensor", uint8: "ByteTensor", bool: "BoolTensor",
};

function modifiedError(t: Tensor, st: Storage, expected: number): Error {
  const of = t.gradFn ? `, which is output ${t._outputIndex} of ${t.gradFn.name},` : "";
  return new Error(
    `one of the variables needed for gradient computation has been modified by an inplace operation: ` +
    `[torch.${TORCH_TYPES[t.dtype]} [${t.shape.join(", ")}]]${of} is at version ${st.version}; expected version ${expected} instead. ` +
    `Hint: make the in-place change after backward(), write it out of place (y = y.add(1) rather than y.add_(1)), or clone() the tensor before changing it.`,
  );
}

/** The node whose gradient rule is running (null outside backward). */
let running: GradNode | null = null;

/** @internal Sets the node whose gradient rule runs now; returns the previous one. */
export function setRunningNode(n: GradNode | null): GradNode | null { const prev = running; running = n; return prev; }

/** @internal Called by the dispatcher for every op: inside a gradient rule, checks the versions of saved tensors it reads. */
export function checkSavedVersions(inputs: readonly Tensor[]): void { if (running !== null) running._checkSaved(inputs); }
