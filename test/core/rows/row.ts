/**
 * Format of an op test row (style point 6: adding an op means adding one row). Every row is checked forward
 * against PyTorch, and backward too when some input has `grad`, by test/core/ops.test.ts, on each of its
 * shape sets.
 *   name   - label in test output
 *   shapes - one list of input shapes per case (broadcasting, non-square, batch 1, empty ...)
 *   flow   - the flowbook call over the input tensors
 *   torch  - the PyTorch expression over inputs a, b, c, ... (torch and F in scope)
 *   grad   - which inputs get gradients checked (default: all float inputs when the row has `grad: true`)
 *   dtype  - input dtype (default float32), or one per input
 *   range  - [lo, hi) of the random inputs (default [-2, 2)); ints are floored
 *   rtol/atol - tolerances (default 1e-4 / 1e-5)
 */
import type * as Flow from "../../../src/index";

/** One op test row. */
export interface OpRow {
  name: string;
  shapes: number[][][];
  flow: (flow: typeof Flow, ...x: Flow.Tensor[]) => Flow.Tensor | Flow.Tensor[];
  torch: string;
  grad?: boolean | boolean[];
  dtype?: string | string[];
  range?: [number, number] | [number, number][];
  rtol?: number;
  atol?: number;
}
