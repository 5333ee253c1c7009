#!/usr/bin/env node
// flowbook command line: one table of subcommands, each a module in dist/ that exports main(argv).
"use strict";
const path = require("path");
const commands = {
  kernel: ["kernel/main.js", "run the Jupyter kernel: flowbook kernel <connection_file>"],
  serve: ["src/serving/cli.js", "serve a Triton model repository over HTTP: flowbook serve --model-repository DIR"],
  "run-notebook": ["kernel/run-notebook.js", "execute a notebook headless and write .nbconvert.ipynb and .html"],
};
function usage() {
  const lines = Object.entries(commands).map(([n, [, d]]) => `  ${n.padEnd(14)} ${d}`);
  return `usage: flowbook <command> [args]\n\ncommands:\n${lines.join("\n")}\n`;
}
const [name, ...rest] = process.argv.slice(2);
if (!name || name === "--help" || name === "-h") { process.stdout.write(usage()); process.exit(name ? 0 : 2); }
const entry = commands[name];
if (!entry) { process.stderr.write(`flowbook: unknown command '${name}'\n\n${usage()}`); process.exit(2); }
const mod = require(path.join(__dirname, "..", "dist", entry[0]));
Promise.resolve(mod.main(rest)).then(
  (code) => { if (typeof code === "number") process.exitCode = code; },
  (err) => { process.stderr.write(`flowbook ${name}: ${err && err.message ? err.message : err}\n`); process.exit(1); },
);
