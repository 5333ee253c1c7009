/**
 * `flow.utils`: `data` (Dataset, DataLoader, samplers; as torch.utils.data) and `progress` (a progress bar).
 */
export * as data from "../data/index";
export { progress } from "../display/progress";
export type { ProgressOptions } from "../display/progress";
