/** A dataset module that refuses to load in a worker thread: the loader must fall back, not fail. */
import { isMainThread } from "worker_threads";
import * as flow from "../../../src/index";

if (!isMainThread) throw new Error("this module only loads in the main thread");

export class MainOnlyDataset extends flow.utils.data.Dataset<number> {
  get length(): number { return 9; }
  getItem(i: number): number { return i; }
}
