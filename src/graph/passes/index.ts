/**
 * The pass registry: which passes run, in which order, for a graph's config. Two levels: "always" passes run
 * on every graph; option passes run when `graph.config` switches them on. Any pass can be disabled by name
 * (`graph.config.disablePass("constant_folding")`); an unknown name throws with the known names.
 *
 * Traced-IR stage, in order:
 *   gradient_pruning                 first: drops backward work for frozen tensors before others look at it.
 *   fuse_conv_bn (allowFuseConvBn)   before AMP: batch norms fold into float32 master weights, which AMP then
 *                                    casts (folding float16 weights would round twice; AMP's Cast between the
 *                                    float16 conv and the float32 batch norm would also hide the pattern).
 *   auto_mixed_precision (enableAmp) before CSE and folding: its casts of baked weights are then folded into
 *                                    float16 constants, and duplicate casts merged.
 *   common_subexpression_elimination before folding, so that a repeated constant expression is evaluated once.
 *   constant_folding                 after CSE; produces the constants the ONNX-stage fusions need.
 *   dead_code_elimination            last: removes what folding and merging orphaned.
 * ONNX stage (after lowering), in order:
 *   maxpool_unused_indices                  first: inference graphs never read MaxPool's Indices; without them
 *                                           the node runs on every provider (webgpu has no Indices output).
 *   maxpool_indices_on_cpu                  after it, so it sees only MaxPools whose indices a gradient reads;
 *                                           acts on webgpu only (places them on ORT's CPU provider).
 *   fuse_pad_to_conv (allowFusePadToConv)   first: later fusions then see plain Conv nodes with final pads.
 *   fuse_conv_bn (allowFuseConvBn)          again, for what lowering exposes (imported ONNX models' nodes);
 *                                           before add fusion: in a residual block the BN sits between the
 *                                           conv and the Add, so folding it exposes Add(Conv, z).
 *   fuse_add_to_output (allowFuseAddToOutput)
 *   dead_code_elimination                   again, for constants the fusions replaced.
 */
import type { IRGraph } from "../ir";
import { Pass, PassContext, runPass } from "./pass";
import { gradientPruning } from "./gradient_pruning";
import { autoMixedPrecision } from "./amp";
import { commonSubexpressionElimination } from "./cse";
import { constantFolding } from "./constant_folding";
import { deadCodeElimination } from "./dce";
import { fusePadToConv } from "./fuse_pad_conv";
import { fuseConvBn } from "./fuse_conv_bn";
import { fuseAddToOutput } from "./fuse_add_to_output";
import { maxPoolUnusedIndices } from "./maxpool_unused_indices";
import { maxPoolIndicesOnCpu } from "./maxpool_indices_on_cpu";

export type { Pass, PassContext, RewritePass, GraphPass, RewriteResult } from "./pass";

/** Every pass by name, in pipeline order within each stage. */
export const PASSES: readonly Pass[] = [
  gradientPruning, fuseConvBn, autoMixedPrecision, commonSubexpressionElimination, constantFolding, deadCodeElimination,
  maxPoolUnusedIndices, maxPoolIndicesOnCpu, fusePadToConv, fuseAddToOutput,
];

/** Passes that run on every graph. */
export const ALWAYS = ["gradient_pruning", "common_subexpression_elimination", "constant_folding", "dead_code_elimination", "maxpool_unused_indices", "maxpool_indices_on_cpu"];
/** The config switch of each optional pass. */
export const OPTIONAL: Record<string, string> = {
  auto_mixed_precision: "enableAmp",
  fuse_pad_to_conv: "allowFusePadToConv",
  fuse_conv_bn: "allowFuseConvBn",
  fuse_add_to_output: "allowFuseAddToOutput",
};

/** Looks up a pass, throwing with the known names when there is none. */
export function getPass(name: string): Pass {
  const p = PASSES.find((x) => x.name === name);
  if (!p) throw new Error(`unknown graph pass '${name}' (known: ${PASSES.map((x) => x.name).join(", ")})`);
  return p;
}

/** The ordered pass names for `stage` given the enabled optional passes and the disabled names. */
export function pipeline(stage: "ir" | "onnx", enabled: ReadonlySet<string>, disabled: ReadonlySet<string> = new Set()): string[] {
  for (const n of [...enabled, ...disabled]) getPass(n);
  const names = PASSES.filter((p) => p.stage === stage || p.stage === "both").map((p) => p.name);
  if (stage === "onnx") names.push("dead_code_elimination");
  return names.filter((n) => (ALWAYS.includes(n) || enabled.has(n)) && !disabled.has(n));
}

/** Runs the named passes in the given order; returns changes per pass and time spent. */
export function runPasses(g: IRGraph, names: readonly string[], ctx: PassContext): { name: string; changes: number; ms: number }[] {
  return names.map((name) => {
    const t0 = performance.now();
    const changes = runPass(g, getPass(name), ctx);
    return { name, changes, ms: performance.now() - t0 };
  });
}
