/**
 * A small zip reader and writer for the archives torch.save writes: entries are stored (method 0) and their
 * data is aligned to 64 bytes. The reader also inflates deflated entries (a re-zipped .pth) and understands
 * zip64 (torch writes it for archives or entries over 4 GiB). It reads through a `ByteSource`, so a
 * multi-gigabyte file is read entry by entry and never needs one Buffer of its whole size.
 */
import * as fs from "fs";
import * as zlib from "zlib";

/** Random-access bytes: a file descriptor or an in-memory buffer. */
export interface ByteSource {
  readonly size: number;
  /** `len` bytes at `pos`, in a buffer that the caller may keep (fresh, or a view of an immutable buffer). */
  read(pos: number, len: number): Uint8Array;
  close(): void;
}

/** A ByteSource over bytes already in memory (views, no copies). */
export function bufferSource(b: Uint8Array): ByteSource {
  b = new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // not a Buffer: Buffer#slice shares memory
  return {
    size: b.byteLength,
    read: (pos, len) => {
      if (pos < 0 || pos + len > b.byteLength) throw new RangeError(`read of ${len} bytes at ${pos} runs past the end (${b.byteLength} bytes)`);
      return b.subarray(pos, pos + len);
    },
    close: () => {},
  };
}

/** A ByteSource over a file; each read allocates a fresh (hence 8-byte-aligned) buffer. */
export function fileSource(path: string): ByteSource {
  let fd = fs.openSync(path, "r");
  const size = fs.fstatSync(fd).size;
  return {
    size,
    read: (pos, len) => {
      if (pos < 0 || pos + len > size) throw new RangeError(`${path}: read of ${len} bytes at ${pos} runs past the end (${size} bytes)`);
      const out = new Uint8Array(new ArrayBuffer(len));
      let done = 0;
      while (done < len) {
        const n = fs.readSync(fd, out, done, len - done, pos + done);
        if (n === 0) throw new Error(`${path}: unexpected end of file at ${pos + done}`);
        done += n;
      }
      return out;
    },
    close: () => { if (fd >= 0) fs.closeSync(fd); fd = -1; },
  };
}

/** One member of an archive. */
export interface ZipEntry { name: string; method: number; compressedSize: number; size: number; localHeaderOffset: number }

const SIG_EOCD = 0x06054b50, SIG_EOCD64 = 0x06064b50, SIG_LOC64 = 0x07064b50, SIG_CEN = 0x02014b50, SIG_LOC = 0x04034b50;
const MAX32 = 0xffffffff, MAX16 = 0xffff;

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u64 = (d: DataView, o: number) => Number(d.getBigUint64(o, true));

/** True when the bytes start like a zip archive (a local file header). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && dv(head).getUint32(0, true) === SIG_LOC;
}

/** Reads a zip archive's central directory; `read(name)` returns an entry's (inflated) bytes. */
export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();

  constructor(private readonly src: ByteSource, private readonly what = "zip archive") {
    const tailLen = Math.min(src.size, 22 + 0xffff);
    const tail = src.read(src.size - tailLen, tailLen);
    const t = dv(tail);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) if (t.getUint32(i, true) === SIG_EOCD) { eocd = i; break; }
    if (eocd < 0) throw new Error(`${what}: not a zip archive (no end-of-central-directory record)`);
    let count = t.getUint16(eocd + 10, true);
    let cdSize = t.getUint32(eocd + 12, true);
    let cdOffset = t.getUint32(eocd + 16, true);
    if (count === MAX16 || cdSize === MAX32 || cdOffset === MAX32) ({ count, cdSize, cdOffset } = this.zip64End(src.size - tailLen + eocd));
    this.readCentralDirectory(src.read(cdOffset, cdSize), count);
  }

  private zip64End(eocdPos: number): { count: number; cdSize: number; cdOffset: number } {
    const loc = dv(this.src.read(eocdPos - 20, 20));
    if (loc.getUint32(0, true) !== SIG_LOC64) throw new Error(`${this.what}: zip64 archive without a zip64 locator`);
    const rec = dv(this.src.read(u64(loc, 8), 56));
    if (rec.getUint32(0, true) !== SIG_EOCD64) throw new Error(`${this.what}: bad zip64 end-of-central-directory record`);
    return { count: u64(rec, 32), cdSize: u64(rec, 40), cdOffset: u64(rec, 48) };
  }

  private readCentralDirectory(cd: Uint8Array, count: number): void {
    const d = dv(cd);
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (d.getUint32(p, true) !== SIG_CEN) throw new Error(`${this.what}: corrupt central directory at entry ${i}`);
      const method = d.getUint16(p + 10, true);
      let compressedSize = d.getUint32(p + 20, true), size = d.getUint32(p + 24, true);
      const nameLen = d.getUint16(p + 28, true), extraLen = d.getUint16(p + 30, true), commentLen = d.getUint16(p + 32, true);
      let localHeaderOffset = d.getUint32(p + 42, true);
      const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen));
      // zip64 extra field (id 1): the 64-bit values, in this order, only for fields saturated at 0xffffffff.
      for (let e = p + 46 + nameLen; e < p + 46 + nameLen + extraLen;) {
        const id = d.getUint16(e, true), len = d.getUint16(e + 2, true);
        if (id === 1) {
          let q = e + 4;
          if (size === MAX32) { size = u64(d, q); q += 8; }
          if (compressedSize === MAX32) { compressedSize = u64(d, q); q += 8; }
          if (localHeaderOffset === MAX32) { localHeaderOffset = u64(d, q); q += 8; }
        }
        e += 4 + len;
      }
      this.entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  /** Member names, in archive order. */
  names(): string[] { return [...this.entries.keys()]; }

  /** The bytes of member `name` (a view or a fresh buffer; stored members are not copied twice). */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.what}: no member '${name}'`);
    const h = dv(this.src.read(e.localHeaderOffset, 30));
    if (h.getUint32(0, true) !== SIG_LOC) throw new Error(`${this.what}: bad local header for '${name}'`);
    const start = e.localHeaderOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
    const raw = this.src.read(start, e.compressedSize);
    if (e.method === 0) return raw;
    if (e.method === 8) return new Uint8Array(zlib.inflateRawSync(raw));
    throw new Error(`${this.what}: member '${name}' uses compression method ${e.method}; only stored and deflate are supported`);
  }

  close(): void { this.src.close(); }
}

// ---- writer --------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; t[n] = c >>> 0; }
  return t;
})();
/** CRC-32 as zip uses it. */
export function crc32(b: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Writes a stored (uncompressed) zip to a file, padding each member's data to `align` bytes with an extra
 * field, as torch.save does, and switching to zip64 records when an offset or size passes 4 GiB.
 */
export class ZipWriter {
  private fd: number;
  private pos = 0;
  private central: { name: Uint8Array; crc: number; size: number; offset: number }[] = [];

  constructor(path: string, private readonly align = 64) { this.fd = fs.openSync(path, "w"); }

  private write(b: Uint8Array): void { fs.writeSync(this.fd, b); this.pos += b.length; }

  /** Appends one stored member. */
  add(name: string, data: Uint8Array): void {
    const nameBytes = new TextEncoder().encode(name);
    const big = data.length >= MAX32 || this.pos >= MAX32;
    const zip64Len = big ? 20 : 0;
    const headerEnd = this.pos + 30 + nameBytes.length + zip64Len + 4;
    const pad = (this.align - (headerEnd % this.align)) % this.align;
    const h = new Uint8Array(30 + nameBytes.length + zip64Len + 4 + pad);
    const d = dv(h);
    const crc = crc32(data);
    d.setUint32(0, SIG_LOC, true); d.setUint16(4, big ? 45 : 20, true);
    d.setUint32(14, crc, true);
    d.setUint32(18, big ? MAX32 : data.length, true); d.setUint32(22, big ? MAX32 : data.length, true);
    d.setUint16(26, nameBytes.length, true); d.setUint16(28, zip64Len + 4 + pad, true);
    h.set(nameBytes, 30);
    let e = 30 + nameBytes.length;
    if (big) { d.setUint16(e, 1, true); d.setUint16(e + 2, 16, true); d.setBigUint64(e + 4, BigInt(data.length), true); d.setBigUint64(e + 12, BigInt(data.length), true); e += 20; }
    d.setUint16(e, 0x4646, true); d.setUint16(e + 2, pad, true); // "FF": torch's padding field id
    this.central.push({ name: nameBytes, crc, size: data.length, offset: this.pos });
    this.write(h);
    this.write(data);
  }

  /** Writes the central directory and closes the file. */
  close(): void {
    const cdStart = this.pos;
    for (const c of this.central) {
      const big = c.size >= MAX32 || c.offset >= MAX32;
      const h = new Uint8Array(46 + c.name.length + (big ? 28 : 0));
      const d = dv(h);
      d.setUint32(0, SIG_CEN, true); d.setUint16(4, 45, true); d.setUint16(6, big ? 45 : 20, true);
      d.setUint32(16, c.crc, true);
      d.setUint32(20, big ? MAX32 : c.size, true); d.setUint32(24, big ? MAX32 : c.size, true);
      d.setUint16(28, c.name.length, true); d.setUint16(30, big ? 28 : 0, true);
      d.setUint32(42, big ? MAX32 : c.offset, true);
      h.set(c.name, 46);
      if (big) {
        const e = 46 + c.name.length;
        d.setUint16(e, 1, true); d.setUint16(e + 2, 24, true);
        d.setBigUint64(e + 4, BigInt(c.size), true); d.setBigUint64(e + 12, BigInt(c.size), true); d.setBigUint64(e + 20, BigInt(c.offset), true);
      }
      this.write(h);
    }
    const cdSize = this.pos - cdStart, n = this.central.length;
    if (cdStart >= MAX32 || n >= MAX16) this.writeZip64End(cdStart, cdSize, n);
    const end = new Uint8Array(22); const d = dv(end);
    d.setUint32(0, SIG_EOCD, true);
    d.setUint16(8, Math.min(n, MAX16), true); d.setUint16(10, Math.min(n, MAX16), true);
    d.setUint32(12, Math.min(cdSize, MAX32), true); d.setUint32(16, Math.min(cdStart, MAX32), true);
    this.write(end);
    fs.closeSync(this.fd);
  }

  private writeZip64End(cdStart: number, cdSize: number, n: number): void {
    const recPos = this.pos;
    const b = new Uint8Array(56 + 20); const d = dv(b);
    d.setUint32(0, SIG_EOCD64, true); d.setBigUint64(4, 44n, true); d.setUint16(12, 45, true); d.setUint16(14, 45, true);
    d.setBigUint64(24, BigInt(n), true); d.setBigUint64(32, BigInt(n), true);
    d.setBigUint64(40, BigInt(cdSize), true); d.setBigUint64(48, BigInt(cdStart), true);
    d.setUint32(56, SIG_LOC64, true); d.setBigUint64(64, BigInt(recPos), true); d.setUint32(72, 1, true);
    this.write(b);
  }
}
