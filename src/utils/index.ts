/**
 * `flow.utils`: `data` (Dataset, DataLoader, samplers; as torch.utils.data).
 */
export * as data from "../data/index";
// The kernel engineer adds the progress bar here: export { progress } from "../display/progress";
