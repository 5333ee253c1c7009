/** A node of the autograd tape: the op that produced some tensors and how to send gradients back through it. */
import type { Tensor } from "../tensor/tensor";
import type { OpDef } from "../ops/registry";

/** One recorded op application. */
export class GradNode {
  /** Op name, shown as `grad_fn=<AddBackward>`. */
  readonly name: string;
  /** @internal freed once backward ran through without retainGraph. */
  freed = false;

  constructor(
    /** @internal */ readonly op: OpDef<any>,
    /** @internal the op's inputs (saved for the gradient rule). */ public inputs: Tensor[],
    /** @internal the op's outputs. */ public outputs: Tensor[],
    /** @internal */ readonly attrs: unknown,
    /** Source line of the user's code that created this node (nn.Graph shows it). */ readonly sourceLine?: string,
  ) {
    this.name = op.name.charAt(0).toUpperCase() + op.name.slice(1);
  }

  /** Nodes this one sends gradients to (null for inputs that need none). */
  get nextFunctions(): (GradNode | null)[] { return this.inputs.map((t) => (t.requiresGrad ? t.gradFn : null)); }

  /** @internal drops saved tensors after backward so their memory can be reused. */
  release(): void { this.freed = true; this.inputs = []; this.outputs = []; }
}
