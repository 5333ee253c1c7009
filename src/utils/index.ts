/**
 * `flow.utils`: `data` (Dataset, DataLoader, samplers; as torch.utils.data) and `progress` (a progress bar).
 */
import { setProgressHook } from "../data/progress";
import { progress } from "../display/progress";
import { currentDisplay } from "../display/hook";

export * as data from "../data/index";
export { progress };
export type { ProgressOptions } from "../display/progress";

// A DataLoader iterated inside a notebook cell shows a progress bar (updated in place); in scripts and tests,
// where no cell is displaying, it stays silent.
setProgressHook((it, opts) => (currentDisplay() ? progress(it, opts) : it));
