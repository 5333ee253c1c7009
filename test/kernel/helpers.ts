/** Shared set-up of the kernel tests: a temporary Jupyter data dir with the kernelspec that install.js writes. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Project root (tests run from dist/test/kernel). */
export const ROOT = path.resolve(__dirname, "..", "..", "..");
/** The Debian python that has jupyter_client, nbclient, jupyter_server, jupyter_kernel_test. */
export const PYTHON = "/usr/bin/python3";

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `flowbook-${prefix}-`));
}

/** Runs install.js with `args` and `env`; returns its stdout (throws with its stderr on failure). */
export function runInstall(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, "install.js"), ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`install.js ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Installs the kernelspec into a temporary data dir; returns the env that makes Jupyter find it. */
export function jupyterEnvWithKernel(): NodeJS.ProcessEnv {
  const dataDir = tempDir("jupyter-data");
  runInstall([], { JUPYTER_DATA_DIR: dataDir });
  const runtime = tempDir("jupyter-runtime");
  return {
    ...process.env,
    JUPYTER_DATA_DIR: dataDir,
    JUPYTER_PATH: dataDir,
    JUPYTER_RUNTIME_DIR: runtime,
    JUPYTER_CONFIG_DIR: tempDir("jupyter-config"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    PYTHONWARNINGS: "ignore",
  };
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
