/** `flow.profiler`: profiles, per-op tables, charts, timelines and Chrome traces. */
export { profile, Profile } from "./profile";
export type { ProfileOptions } from "./profile";
export { OpTable } from "./table";
export type { OpRow, TableOptions } from "./table";
export { activeProfile } from "./events";
export type { ProfileEvent, ProfileSink } from "./events";
export { speedupTable, SpeedupTable, computeSpeedups, resolveStep, SPEEDUP_STEPS } from "./speedup";
export type { SpeedupOptions, SpeedupRow, SpeedupTrainOptions, StepSpec, CustomStep } from "./speedup";
export { batchSweep, inputGradientCost, repeatedForwardCost, CaseTable, fillCaseSpeedups } from "./lessons";
export type { CaseRow, BatchSweepOptions, InputGradientOptions, RepeatedForwardOptions } from "./lessons";
export { stats, timeIt } from "./measure";
export type { TimingStats, ModelLike } from "./measure";
