/**
 * PyTorch (Debian's python3-torch) as the numerical reference: cases are evaluated in one python process per
 * call. Tests compare flowbook against it with `assertClose`.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import * as assert from "node:assert/strict";

/** The Debian python that sees python3-torch (another python3 may come first on PATH). */
export const PYTHON = process.env.FLOWBOOK_PYTHON ?? "/usr/bin/python3";

/** One input of a reference case. */
export interface RefInput { data: number[]; shape: number[]; dtype: string; grad?: boolean }
/** One reference case: `expr` is a Python expression over inputs a, b, c... with torch and F in scope. */
export interface RefCase { inputs: RefInput[]; expr: string; seed?: number[] }
/** A flat result tensor from PyTorch. */
export interface RefTensor { data: number[]; shape: number[]; dtype: string }
/** PyTorch's output and, when a seed was given, the input gradients. */
export interface RefResult { out?: RefTensor | RefTensor[]; grads?: (RefTensor | null)[]; error?: string }

/** Evaluates cases with PyTorch. */
export function torchEval(cases: RefCase[]): RefResult[] {
  const script = path.join(__dirname, "..", "..", "..", "test", "helpers", "torch_ref.py");
  const r = spawnSync(PYTHON, [script], { input: JSON.stringify(cases), maxBuffer: 1 << 30, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`torch_ref.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Runs a python script with the Debian python and returns stdout (throws with stderr on failure). */
export function python(code: string, args: string[] = [], input?: string): string {
  const r = spawnSync(PYTHON, ["-c", code, ...args], { input, maxBuffer: 1 << 30, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Asserts |a - b| <= atol + rtol*|b| elementwise, naming the first offending index. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]), e = Number(expected[i]);
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      assert.fail(`${what}: element ${i} is ${a}, PyTorch gives ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

/** Deterministic pseudo-random numbers for test inputs (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` normal-ish values in [-2, 2) from `r`. */
export function randomData(r: () => number, n: number, lo = -2, hi = 2): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}
