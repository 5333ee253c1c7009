/** Python-style value formatting for module reprs, so `print(model)` reads as it does in PyTorch. */

/** A float as Python's repr prints it: `1.0`, `0.1`, `1e-05`, `1e+16`. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const [mant, e] = v.toExponential().split("e");
  const exp = Number(e);
  if (exp >= -4 && exp < 16) {
    const s = String(v);
    if (!s.includes("e")) return s.includes(".") ? s : `${s}.0`;
  }
  return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** Python's repr of a JS value: ints as ints, booleans as True/False, null as None, arrays as tuples. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === "bigint") return String(v);
  if (typeof v === "string") return `'${v}'`;
  if (Array.isArray(v)) return v.length === 1 ? `(${pyRepr(v[0])},)` : `(${v.map(pyRepr).join(", ")})`;
  return String(v);
}

/** Indents every line but the first by `n` spaces (torch.nn.modules.module._addindent). */
export function addIndent(s: string, n: number): string {
  const lines = s.split("\n");
  if (lines.length === 1) return s;
  return [lines[0], ...lines.slice(1).map((l) => " ".repeat(n) + l)].join("\n");
}
