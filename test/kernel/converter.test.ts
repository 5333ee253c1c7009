/** Golden tests of the cell converter (a pure function): one case per TypeScript feature it rewrites. */
import * as assert from "node:assert/strict";
import { test } from "node:test";
import * as vm from "vm";
import { convert } from "../../kernel/converter";

const cases: { name: string; source: string; js: string; names: string[]; isAsync: boolean; shows: boolean }[] = [
  { name: "expression", source: "1 + 1", js: "1 + 1;", names: [], isAsync: false, shows: true },
  { name: "trailing semicolon hides the value", source: "1 + 1; // note", js: "1 + 1; // note", names: [], isAsync: false, shows: false },
  { name: "spaces before a comment inside a block (no regex backtracking)", source: `if (a) {${" ".repeat(40)}// note\n  b();\n}`, js: "if (a) { // note\n    b();\n}", names: [], isAsync: false, shows: false },
  { name: "const with a type becomes var", source: "const x: number = 2;", js: "var x = 2;", names: ["x"], isAsync: false, shows: false },
  { name: "destructuring let", source: "let { a, b: [c] } = o;", js: "var { a, b: [c] } = o;", names: ["a", "c"], isAsync: false, shows: false },
  { name: "class becomes a redeclarable var", source: "class A { p: number = 1 }", js: "var A = class A {\n    p = 1;\n};", names: ["A"], isAsync: false, shows: false },
  { name: "types and interfaces vanish", source: "type T = number; interface I { x: T }", js: "", names: [], isAsync: false, shows: false },
  { name: "export modifier dropped", source: "export const e = 1;", js: "var e = 1;", names: ["e"], isAsync: false, shows: false },
  { name: "top-level await → async wrapper with global assignments", source: "const v = await p;\nv", js: "(async () => {void (v = await p);\nreturn v;\n\n\n})()", names: ["v"], isAsync: true, shows: true },
  { name: "uninitialised let under await", source: "let u; await 0;", js: "(async () => {void (u = void 0);\nawait 0;\n\n\n})()", names: ["u"], isAsync: true, shows: false },
  { name: "functions are published from the async wrapper", source: "function f() {}\nawait f();", js: "(async () => {globalThis.f = f;function f() { }\nawait f();\n\n\n})()", names: ["f"], isAsync: true, shows: false },
];

for (const c of cases) {
  test(`convert: ${c.name}`, () => {
    const out = convert(c.source);
    assert.equal(out.js.trim(), c.js);
    assert.deepEqual(out.declaredNames, c.names);
    assert.equal(out.isAsync, c.isAsync);
    assert.equal(out.showsLastValue, c.shows);
    assert.deepEqual(out.diagnostics, []);
  });
}

test("convert: imports call the kernel's loader with interop", () => {
  const out = convert("import d, { a as b } from 'm';\nimport * as ns from 'n';\nimport type { T } from 'x';");
  assert.equal(out.js, `(async () => {{ const $m = await __flowbook.import("m"); d = __flowbook.defaultOf($m); b = $m["a"]; }\n{ const $m = await __flowbook.import("n"); ns = $m; }\n\n})()`);
  assert.deepEqual(out.declaredNames, ["d", "b", "ns"]);
});

test("convert: syntax errors carry cell line and column", () => {
  assert.deepEqual(convert("let ok = 1;\nif (x {").diagnostics[0], { line: 2, column: 7, message: "')' expected." });
});

test("convert: positions in the generated script map back to the cell", () => {
  const out = convert("const a: string = 'x';\n\nfoo.bar();");
  const script = new vm.Script(out.js, { filename: "golden" });
  try { script.runInNewContext({}); assert.fail("should throw"); } catch (err) {
    const [, line, column] = /golden:(\d+):(\d+)/.exec((err as Error).stack!)!;
    assert.deepEqual(out.mapPosition(Number(line), Number(column)), { line: 3, column: 1 });
  }
});

test("convert: redeclaration across runs works as scripts in one realm", () => {
  const context = vm.createContext({});
  new vm.Script(convert("const k = 1; class C {}").js).runInContext(context);
  assert.equal(new vm.Script(convert("const k = 2; class C { v = 3 }\nk + new C().v").js).runInContext(context), 5);
});
