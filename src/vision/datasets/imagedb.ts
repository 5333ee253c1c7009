/**
 * ImageDB: images as blobs in a SQLite database (better-sqlite3), the embedded store for collections too
 * large for a folder tree. Schema (version 1):
 *
 *   CREATE TABLE classes (idx INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
 *   CREATE TABLE images  (id INTEGER PRIMARY KEY, label INTEGER NOT NULL REFERENCES classes(idx),
 *                         path TEXT, data BLOB NOT NULL);
 *   CREATE TABLE meta    (key TEXT PRIMARY KEY, value TEXT);   -- ('schema', 'flowbook.imagedb/1')
 *
 * Sample i is the row with the i-th smallest id. When ids are dense (min..max with no gaps, as the importer
 * writes them) the row is found by arithmetic; otherwise the ids are read once into an index array.
 */
import * as fs from "fs";
import * as path from "path";
import Database from "better-sqlite3";
import { Dataset, WorkerRecipe } from "../../data/dataset";
import type { Generator } from "../../data/random";
import { checkJpegDecoder, decodeImage, JpegDecoder, RawImage } from "../transforms/image";
import { Transform, TransformSpec, fromSpec, specOf } from "../transforms/transforms";
import { IMG_EXTENSIONS, scanFolder } from "./folder";

const SCHEMA = "flowbook.imagedb/1";

/** Options of ImageDB. */
export interface ImageDBOptions {
  transform?: Transform | TransformSpec;
  targetTransform?: Transform | TransformSpec;
  /** JPEG decoder: "exact" (default: PIL's pixels) or "fast" (about 4x cheaper, within 8/255); as ImageFolder's option (see JpegDecoder). */
  jpegDecoder?: JpegDecoder;
}

type Row = { label: number; path: string | null; data: Buffer };

/** A dataset over an ImageDB SQLite file; items are [transform(image), label]. */
export class ImageDB extends Dataset<[unknown, unknown]> {
  readonly classes: string[];
  private readonly db: Database.Database;
  private readonly stmt: Database.Statement;
  private readonly n: number;
  private readonly minId: number;
  private readonly ids: Float64Array | null;
  private readonly transform?: Transform;
  private readonly targetTransform?: Transform;

  constructor(readonly dbPath: string, private readonly opts: ImageDBOptions = {}) {
    super();
    checkJpegDecoder(opts.jpegDecoder, "ImageDB: jpegDecoder");
    if (!fs.existsSync(dbPath)) throw new Error(`ImageDB: no such database: ${dbPath}`);
    this.db = new Database(dbPath, { readonly: true, fileMustExist: true });
    const schema = this.tryGet<{ value: string }>("SELECT value FROM meta WHERE key = 'schema'");
    if (schema?.value !== SCHEMA) throw new Error(`ImageDB: ${dbPath} is not an ImageDB (schema ${schema?.value ?? "missing"}); create one with ImageDB.create(dbPath, folder)`);
    this.classes = (this.db.prepare("SELECT name FROM classes ORDER BY idx").all() as { name: string }[]).map((r) => r.name);
    const st = this.db.prepare("SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM images").get() as { n: number; lo: number; hi: number };
    this.n = st.n;
    this.minId = st.lo ?? 0;
    this.ids = st.n && st.hi - st.lo + 1 !== st.n ? Float64Array.from((this.db.prepare("SELECT id FROM images ORDER BY id").raw().all() as number[][]).map((r) => r[0])) : null;
    this.stmt = this.db.prepare("SELECT label, path, data FROM images WHERE id = ?");
    this.transform = opts.transform && fromSpec(opts.transform);
    this.targetTransform = opts.targetTransform && fromSpec(opts.targetTransform);
  }

  private tryGet<T>(sql: string): T | undefined {
    try { return this.db.prepare(sql).get() as T | undefined; } catch { return undefined; }
  }

  get length(): number { return this.n; }

  /** The database id of sample i. */
  idOf(i: number): number {
    if (!(Number.isInteger(i) && i >= 0 && i < this.n)) throw new RangeError(`ImageDB: index ${i} out of range for ${this.n} images`);
    return this.ids ? this.ids[i] : this.minId + i;
  }

  describeItem(i: number): string {
    try {
      const id = this.idOf(i);
      const p = (this.db.prepare("SELECT path FROM images WHERE id = ?").get(id) as { path: string | null } | undefined)?.path;
      return `${this.dbPath} row id=${id}${p ? ` (${p})` : ""}`;
    } catch { return `${this.dbPath} sample ${i}`; }
  }

  /** The raw row of sample i. */
  row(i: number): Row {
    const id = this.idOf(i);
    const r = this.stmt.get(id) as Row | undefined;
    if (!r) throw new Error(`${this.dbPath}: row id=${id} is missing`);
    return r;
  }

  /** The decoded (untransformed) image of sample i. */
  loadImage(i: number): Promise<RawImage> {
    const r = this.row(i);
    return decodeImage(r.data ?? new Uint8Array(), `${this.dbPath} row id=${this.idOf(i)}${r.path ? ` (${r.path})` : ""}`, { jpeg: this.opts.jpegDecoder ?? "exact" });
  }

  async getItem(i: number, gen?: Generator): Promise<[unknown, unknown]> {
    const r = this.row(i);
    const img = await decodeImage(r.data ?? new Uint8Array(), `${this.dbPath} row id=${this.idOf(i)}${r.path ? ` (${r.path})` : ""}`, { jpeg: this.opts.jpegDecoder ?? "exact" });
    const x = this.transform ? await this.transform(img, gen) : img;
    const y = this.targetTransform ? await this.targetTransform(r.label, gen) : r.label;
    return [x, y];
  }

  /** Class index per sample (one query). */
  get targets(): number[] {
    return (this.db.prepare("SELECT label FROM images ORDER BY id").raw().all() as number[][]).map((r) => r[0]);
  }

  workerRecipe(): WorkerRecipe {
    const spec = (t?: Transform) => (t ? specOf(t) : undefined);
    return { module: __filename, exportName: "ImageDB", args: [this.dbPath, { jpegDecoder: this.opts.jpegDecoder, transform: spec(this.transform), targetTransform: spec(this.targetTransform) }] };
  }

  /** Closes the database. */
  close(): void { this.db.close(); }

  toString(): string { return `ImageDB(${this.dbPath}: ${this.n} images, ${this.classes.length} classes)`; }

  /**
   * Imports an ImageFolder-style tree (`folder/<class>/.../<image>`) into a new database at `dbPath`, with
   * torchvision's class order and sample order (ids 1..N). Files are stored as they are (not decoded).
   * @example const ds = flow.vision.datasets.ImageDB.create("train.db", "train/", {transform});
   */
  static create(dbPath: string, folder: string, opts: ImageDBOptions & { extensions?: string[] } = {}): ImageDB {
    if (fs.existsSync(dbPath)) throw new Error(`ImageDB.create: ${dbPath} already exists`);
    const { classes, samples } = scanFolder(folder, opts.extensions ?? IMG_EXTENSIONS);
    const db = new Database(dbPath);
    try {
      db.pragma("journal_mode = WAL");
      db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE classes (idx INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE images (id INTEGER PRIMARY KEY, label INTEGER NOT NULL REFERENCES classes(idx), path TEXT, data BLOB NOT NULL);`);
      const insClass = db.prepare("INSERT INTO classes (idx, name) VALUES (?, ?)");
      const insImage = db.prepare("INSERT INTO images (id, label, path, data) VALUES (?, ?, ?, ?)");
      db.transaction(() => {
        db.prepare("INSERT INTO meta VALUES ('schema', ?)").run(SCHEMA);
        classes.forEach((c, i) => insClass.run(i, c));
        samples.forEach(([p, label], i) => insImage.run(i + 1, label, path.relative(folder, p), fs.readFileSync(p)));
      })();
      db.pragma("journal_mode = DELETE");
    } finally {
      db.close();
    }
    return new ImageDB(dbPath, opts);
  }
}
