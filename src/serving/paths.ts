/**
 * Path safety: every name that comes from a URL, the repository extension or a config file is
 * checked so that it can never reach outside the model repository — no separators, no `..`, no
 * absolute paths, and no symlinks whose target lies outside the repository's real path.
 */
import * as fs from "fs";
import * as path from "path";
import { servingError } from "./errors";

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-]*$/;

/** Refuses a model name that is not a single plain path component. */
export function checkModelName(name: string): void {
  const why = name.length === 0 ? "it is empty"
    : name.includes("/") || name.includes("\\") ? "it contains a path separator"
    : name === "." || name === ".." || name.includes("..") ? "it contains '..'"
    : !NAME.test(name) ? "use letters, digits, '_', '-' and '.', starting with a letter, digit or '_'"
    : name.length > 255 ? "it is longer than 255 characters"
    : undefined;
  if (why) throw servingError("INVALID_NAME", { model: name, why });
}

/** True when `child` (a real path) is `root` or lies below it. */
function inside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Resolves `parts` below the repository `root`, following symlinks, and refuses any result outside
 * `root`'s real path. Returns undefined when the path does not exist.
 */
export function resolveInside(root: string, ...parts: string[]): string | undefined {
  const realRoot = fs.realpathSync(root);
  const joined = path.join(realRoot, ...parts);
  if (!inside(realRoot, joined)) throw servingError("PATH_REFUSED", { path: parts.join("/"), why: "it leads outside the model repository" });
  let real: string;
  try { real = fs.realpathSync(joined); } catch { return undefined; }
  if (!inside(realRoot, real)) throw servingError("PATH_REFUSED", { path: parts.join("/"), why: "a symlink on its path leads outside the model repository" });
  return real;
}
