/**
 * flow.optim: optimizers (PyTorch 1.13's update rules) and `lrScheduler`.
 * @packageDocumentation
 */
export { Optimizer } from "./optimizer";
export type { ParamGroup, ParamGroupSpec, ParamState, OptimizerStateDict } from "./optimizer";
export { SGD } from "./sgd";
export type { SGDOptions } from "./sgd";
export { Adam } from "./adam";
export type { AdamOptions } from "./adam";
export { AdamW } from "./adamw";
export { RMSprop } from "./rmsprop";
export type { RMSpropOptions } from "./rmsprop";
export * as lrScheduler from "./lr_scheduler";
