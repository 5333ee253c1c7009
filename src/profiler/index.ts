/** `flow.profiler`: profiles, per-op tables, charts, timelines and Chrome traces. */
export { profile, Profile } from "./profile";
export type { ProfileOptions } from "./profile";
export { OpTable } from "./table";
export type { OpRow, TableOptions } from "./table";
export { activeProfile } from "./events";
export type { ProfileEvent, ProfileSink } from "./events";
