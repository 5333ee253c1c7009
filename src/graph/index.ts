/**
 * nn.Graph: tracing eager code into one compiled ONNX Runtime program, its optimisation passes, its text
 * form and picture, and saving it as a Triton model repository entry.
 */
export { Graph, onGraphCall } from "./graph";
export type { CallTiming, ModuleLike } from "./graph";
export { GraphConfig } from "./config";
export type { AmpOptions, OptionReport, OrtOptimizationLevel } from "./config";
export type { OptimizerLike, SchedulerLike, Compiled, CompileTimes } from "./compile";
export type { DisplayOptions } from "./display";
export { saveGraph, loadGraph, LoadedGraph } from "./save";
export type { SaveGraphOptions } from "./save";
export { enterModule, exitModule, withScope, currentScope } from "./scope";
