/**
 * A restricted unpickler (protocols 0-5). A pickle is a program for Python's pickle virtual machine: its
 * GLOBAL/STACK_GLOBAL opcodes name any importable callable and REDUCE calls it, which is how a malicious
 * .pth runs `os.system`. This machine never imports or calls anything: every global is looked up in a table
 * that the caller supplies (`globals`), and a name not in it is refused with an error naming it.
 *
 * Python values map to JS as: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number,
 * str → string, bytes → Uint8Array, list and tuple → array, dict → PyDict (a Map; the caller converts).
 */

/** A Python dict: keys keep their Python values and order. */
export class PyDict extends Map<unknown, unknown> {
  /** Attributes set by BUILD (e.g. a state dict's `_metadata`). */
  attrs: Record<string, unknown> | null = null;
}

/** What a global resolves to: a function called by REDUCE/NEWOBJ, with an optional BUILD handler. */
export interface PyGlobal {
  call(args: unknown[]): unknown;
  /** Applies BUILD's state to an object this global made; omitted: BUILD on it is refused. */
  build?(obj: unknown, state: unknown): unknown;
}

/** Options for {@link unpickle}. */
export interface UnpickleOptions {
  /** `"module.name"` → implementation. Anything else is refused. */
  globals: Record<string, PyGlobal>;
  /** Resolves BINPERSID/PERSID ids (torch's storages). Without it, persistent ids are refused. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Names the file in errors. */
  what: string;
  /** Extra words for the refusal error. */
  refusalHint?: string;
}

/** Thrown for a global outside the allowed table. */
export class UnpicklingRefused extends Error {
  constructor(readonly global: string, what: string, hint: string) {
    super(`${what}: refusing to load global '${global}'. ${hint}`);
    this.name = "UnpicklingRefused";
  }
}

const MARK = Symbol("mark");
type Made = { value: unknown; global: PyGlobal };

/** Unpickles one pickle from `b` starting at `pos`; returns the value and the position after STOP. */
export function unpickle(b: Uint8Array, opts: UnpickleOptions, pos = 0): { value: unknown; end: number } {
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const madeBy = new WeakMap<object, PyGlobal>();
  let p = pos;
  const need = (n: number) => { if (p + n > b.length) throw new Error(`${opts.what}: pickle is truncated at byte ${p}`); };
  const u8 = () => { need(1); return b[p++]; };
  const u16 = () => { need(2); const v = d.getUint16(p, true); p += 2; return v; };
  const u32 = () => { need(4); const v = d.getUint32(p, true); p += 4; return v; };
  const i32 = () => { need(4); const v = d.getInt32(p, true); p += 4; return v; };
  const u64 = () => { need(8); const v = Number(d.getBigUint64(p, true)); p += 8; return v; };
  const bytes = (n: number) => { need(n); const v = b.subarray(p, p + n); p += n; return v; };
  const utf8 = (n: number) => new TextDecoder().decode(bytes(n));
  const line = () => { const e = b.indexOf(10, p); if (e < 0) throw new Error(`${opts.what}: pickle is truncated (no newline)`); const s = new TextDecoder("latin1").decode(b.subarray(p, e)); p = e + 1; return s; };
  const pop = () => { if (!stack.length) throw new Error(`${opts.what}: pickle stack underflow at byte ${p}`); return stack.pop(); };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new Error(`${opts.what}: pickle has no MARK at byte ${p}`);
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = () => stack[stack.length - 1];
  const lookup = (module: string, name: string): PyGlobal => {
    const key = `${PY2_MODULES[module] ?? module}.${name}`;
    const g = Object.prototype.hasOwnProperty.call(opts.globals, key) ? opts.globals[key] : undefined;
    if (!g) throw new UnpicklingRefused(key, opts.what, opts.refusalHint ?? "");
    return g;
  };
  const call = (g: unknown, args: unknown): unknown => {
    if (!isGlobal(g)) throw new Error(`${opts.what}: pickle calls a value that is not an allowed global`);
    const v = g.call(args as unknown[]);
    if (v !== null && typeof v === "object") madeBy.set(v, g);
    return v;
  };
  const setItems = (dict: unknown, kv: unknown[]) => {
    if (!(dict instanceof PyDict)) throw new Error(`${opts.what}: SETITEM on a non-dict`);
    for (let i = 0; i + 1 < kv.length; i += 2) dict.set(hashable(kv[i]), kv[i + 1]);
  };
  const append = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) throw new Error(`${opts.what}: APPEND on a non-list`);
    for (const x of items) list.push(x);
  };
  const long = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    let v = 0n;
    for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
    if (raw[raw.length - 1] & 0x80) v -= 1n << BigInt(raw.length * 8);
    return smallInt(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME
      case 0x2e: return { value: pop(), end: p }; // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(bytes(u8()))); break; // LONG1
      case 0x8b: stack.push(long(bytes(i32()))); break; // LONG4
      case 0x49: { const s = line(); stack.push(s === "01" ? true : s === "00" ? false : smallInt(BigInt(s))); break; } // INT
      case 0x4c: stack.push(smallInt(BigInt(line().replace(/L$/, "")))); break; // LONG
      case 0x46: stack.push(parseFloat(line())); break; // FLOAT
      case 0x47: { need(8); stack.push(d.getFloat64(p, false)); p += 8; break; } // BINFLOAT (big-endian)
      case 0x58: stack.push(utf8(u32())); break; // BINUNICODE
      case 0x8c: stack.push(utf8(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8(u64())); break; // BINUNICODE8
      case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x54: stack.push(new TextDecoder("latin1").decode(bytes(i32()))); break; // BINSTRING (py2 str)
      case 0x55: stack.push(new TextDecoder("latin1").decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytes(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(bytes(u64()).slice()); break; // BYTEARRAY8
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x8f: stack.push([]); break; // EMPTY_SET (as a list)
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const y = pop(); stack.push([pop(), y]); break; } // TUPLE2
      case 0x87: { const z = pop(), y = pop(); stack.push([pop(), y, z]); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x91: stack.push(popMark()); break; // FROZENSET
      case 0x90: { const items = popMark(); append(top(), items); break; } // ADDITEMS
      case 0x64: { const kv = popMark(); const dict = new PyDict(); setItems(dict, kv); stack.push(dict); break; } // DICT
      case 0x61: { const x = pop(); append(top(), [x]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: stack.push(memoGet(memo, Number(line()), opts.what)); break; // GET
      case 0x68: stack.push(memoGet(memo, u8(), opts.what)); break; // BINGET
      case 0x6a: stack.push(memoGet(memo, u32(), opts.what)); break; // LONG_BINGET
      case 0x63: { const module = line(), name = line(); stack.push(lookup(module, name)); break; } // GLOBAL
      case 0x93: { const name = pop(), module = pop(); stack.push(lookup(String(module), String(name))); break; } // STACK_GLOBAL
      case 0x52: { const args = pop(), g = pop(); stack.push(call(g, args)); break; } // REDUCE
      case 0x81: { const args = pop(), g = pop(); stack.push(call(g, args)); break; } // NEWOBJ
      case 0x92: { pop(); const args = pop(), g = pop(); stack.push(call(g, args)); break; } // NEWOBJ_EX (kwargs dropped)
      case 0x62: { // BUILD
        const state = pop(), obj = top();
        const g = obj !== null && typeof obj === "object" ? madeBy.get(obj) : undefined;
        if (obj instanceof PyDict && !g?.build) { obj.attrs = toAttrs(state); break; }
        if (!g?.build) throw new Error(`${opts.what}: pickle sets state (BUILD) on an object flowbook does not rebuild`);
        stack[stack.length - 1] = g.build(obj, state);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) throw new Error(`${opts.what}: pickle refers to external data (persistent id) that this loader does not allow`);
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x50: { const pid = line(); if (!opts.persistentLoad) throw new Error(`${opts.what}: pickle refers to external data`); stack.push(opts.persistentLoad(pid)); break; } // PERSID
      case 0x82: case 0x83: case 0x84: // EXT1/2/4: the copyreg extension registry names globals indirectly
        throw new UnpicklingRefused(`copyreg extension code (opcode 0x${op.toString(16)})`, opts.what, opts.refusalHint ?? "");
      case 0x69: // INST: a global plus a call in one opcode
      case 0x6f: // OBJ
        throw new UnpicklingRefused(op === 0x69 ? `${line()}.${line()}` : "OBJ (class instantiation)", opts.what, opts.refusalHint ?? "");
      default:
        throw new Error(`${opts.what}: unknown pickle opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}

// Protocol < 3 pickles name Python 2 modules; Python's Unpickler maps them (fix_imports), and so do we.
const PY2_MODULES: Record<string, string> = { __builtin__: "builtins", copy_reg: "copyreg" };

function isGlobal(g: unknown): g is PyGlobal {
  return g !== null && typeof g === "object" && typeof (g as PyGlobal).call === "function" && !(g instanceof PyDict) && !Array.isArray(g);
}
function memoGet(memo: Map<number, unknown>, k: number, what: string): unknown {
  if (!memo.has(k)) throw new Error(`${what}: pickle reads memo entry ${k} before writing it`);
  return memo.get(k);
}
function smallInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
// Tuples used as dict keys arrive as arrays; key them by their text so equal tuples meet.
function hashable(k: unknown): unknown {
  return Array.isArray(k) ? JSON.stringify(k, (_x, v) => (typeof v === "bigint" ? v.toString() : v)) : k;
}
function toAttrs(state: unknown): Record<string, unknown> | null {
  if (state instanceof PyDict) return Object.fromEntries([...state].map(([k, v]) => [String(k), v]));
  return null;
}
