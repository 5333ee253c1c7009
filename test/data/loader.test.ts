/**
 * ImageFolder's class/sample order against torchvision; ImageDB import and reads; DataLoader with worker
 * threads: every sample exactly once per epoch, reproducible with a seed (and identical with 0 or 2 workers),
 * bad input raised (naming the file or row) or skipped and counted, and no worker left running after break,
 * a throw in the loop, a failing sample or a crashed worker.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Database from "better-sqlite3";
import * as flow from "../../src/index";
import { python } from "../helpers/torch";
import { IndexDataset } from "./helpers/index_dataset";

const { DataLoader, activeWorkerCount } = flow.utils.data;
const T = flow.vision.transforms;
const { ImageFolder, ImageDB } = flow.vision.datasets;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-data-"));
const root = path.join(dir, "tree");

// A tree with awkward names: case, underscores, non-ASCII, nesting, upper-case extensions, non-images.
python(String.raw`
import sys, os, numpy as np
from PIL import Image
root = sys.argv[1]
rng = np.random.default_rng(1)
layout = {"b": ["x.jpg", "a.png", "sub/z.JPG", "sub/deeper/y.jpeg", "notes.txt"], "A": ["1.jpg", "10.jpg", "2.jpg"],
          "a_1": ["img.PNG", "grey.jpg"], "Zeta": ["q.webp", "c.bmp"], "\u00e9t\u00e9": ["e.jpg"], "a-2": ["k.jpg", "sub-x/m.jpg", "sub/n.jpg"]}
for cls, files in layout.items():
    for f in files:
        p = os.path.join(root, cls, f)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if f.endswith(".txt"):
            open(p, "w").write("not an image"); continue
        w, h = int(rng.integers(40, 90)), int(rng.integers(40, 90))
        img = Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8))
        if "grey" in f: img = img.convert("L")
        img.save(p)
`, [root]);

test("ImageFolder: classes, class_to_idx and sample order match torchvision", () => {
  const ref = JSON.parse(python(String.raw`
import sys, json
from torchvision.datasets import ImageFolder
ds = ImageFolder(sys.argv[1])
print(json.dumps({"classes": ds.classes, "class_to_idx": ds.class_to_idx, "samples": ds.samples}))
`, [root]));
  const ds = new ImageFolder(root);
  assert.deepEqual(ds.classes, ref.classes);
  assert.deepEqual(ds.classToIdx, ref.class_to_idx);
  assert.deepEqual(ds.samples, ref.samples);
  assert.equal(ds.length, ref.samples.length);
});

test("ImageFolder errors: empty class, missing root", () => {
  const bad = path.join(dir, "bad");
  fs.mkdirSync(path.join(bad, "cats"), { recursive: true });
  fs.writeFileSync(path.join(bad, "cats", "readme.txt"), "x");
  assert.throws(() => new ImageFolder(bad), /Found no valid file for the classes cats/);
  assert.throws(() => new ImageFolder(path.join(dir, "nope")), /Couldn't find any class folder/);
});

async function collect(loader: flow.utils.data.DataLoader): Promise<number[][]> {
  const out: number[][] = [];
  for await (const [x] of loader) out.push(Array.from((x as flow.Tensor).toTypedArray() as Float64Array));
  return out;
}

test("DataLoader: every sample exactly once per epoch, reproducible with a seed, same with 0 and 2 workers", async () => {
  const ds = new IndexDataset(103);
  const mk = (numWorkers: number, seed = 7) => new DataLoader(ds, { batchSize: 8, shuffle: true, numWorkers, seed });
  const l2 = mk(2);
  assert.equal(l2.length, 13);
  const e0 = await collect(l2), e1 = await collect(l2);
  for (const e of [e0, e1]) {
    const idx = e.flatMap((b) => b.filter((_, k) => k % 2 === 0));
    assert.deepEqual([...idx].sort((a, b) => a - b), Array.from({ length: 103 }, (_, i) => i), "each index once");
  }
  assert.notDeepEqual(e0, e1, "a new order (and new random draws) each epoch");
  const again = mk(2);
  assert.deepEqual(await collect(again), e0, "same seed, same epoch 0: same order and same random numbers");
  const main = mk(0);
  assert.deepEqual(await collect(main), e0, "numWorkers 0 gives the same batches as 2 workers");
  const three = mk(3);
  assert.deepEqual(await collect(three), e0, "and so do 3 workers");
  assert.notDeepEqual(await collect(mk(2, 8)), e0, "another seed, another order");
  const seq = await collect(new DataLoader(ds, { batchSize: 10, dropLast: true, numWorkers: 2 }));
  assert.equal(seq.length, 10);
  assert.deepEqual(seq[0].filter((_, k) => k % 2 === 0), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(activeWorkerCount(), 0, "workers are gone after full epochs");
});

test("DataLoader: break, throw in the loop, failing sample and crashed worker all end the workers", async () => {
  const ds = new IndexDataset(200, { delayMs: 1 });
  let n = 0;
  for await (const _ of new DataLoader(ds, { batchSize: 4, numWorkers: 2 })) { if (++n === 3) break; }
  assert.equal(activeWorkerCount(), 0, "after break");
  await assert.rejects((async () => { for await (const _ of new DataLoader(ds, { batchSize: 4, numWorkers: 2 })) throw new Error("boom in the loop"); })(), /boom in the loop/);
  assert.equal(activeWorkerCount(), 0, "after a throw in the loop");
  const failing = new IndexDataset(40, { failAt: [13] });
  await assert.rejects(collect(new DataLoader(failing, { batchSize: 4, numWorkers: 2 })), /DataLoader: index-sample #13 failed: bad sample 13/);
  assert.equal(activeWorkerCount(), 0, "after a failing sample");
  await assert.rejects(collect(new DataLoader(failing, { batchSize: 4, numWorkers: 0 })), /index-sample #13 failed: bad sample 13/);
  const crash = new IndexDataset(40, { crashAt: 21 });
  await assert.rejects(collect(new DataLoader(crash, { batchSize: 4, numWorkers: 2 })), /DataLoader worker \d exited unexpectedly \(exit code 3\)/);
  assert.equal(activeWorkerCount(), 0, "after a worker crash");
  const skip = new DataLoader(new IndexDataset(40, { failAt: [3, 17, 18] }), { batchSize: 4, numWorkers: 2, onError: "skip" });
  const got = (await collect(skip)).flatMap((b) => b.filter((_, k) => k % 2 === 0));
  assert.equal(got.length, 37);
  assert.equal(skip.stats.skipped, 3);
  assert.deepEqual(skip.stats.errors.map((e) => e.item), ["index-sample #3", "index-sample #17", "index-sample #18"]);
  // A dataset no worker can rebuild is read in the main thread (see pytorch_compat.test.ts), not a hang or an error.
  class Local extends flow.utils.data.Dataset<number> { get length() { return 3; } getItem(i: number) { return i; } }
  const viaFallback: unknown[] = [];
  for await (const b of new DataLoader(new Local(), { numWorkers: 1 })) viaFallback.push(await (b as flow.Tensor).tolist());
  assert.deepEqual(viaFallback, [[0], [1], [2]]);
  assert.equal(activeWorkerCount(), 0);
});

test("DataLoader over ImageFolder with workers: transforms run in the workers, bad files raise or are skipped", async () => {
  const tree = path.join(dir, "tree2");
  fs.cpSync(root, tree, { recursive: true });
  fs.writeFileSync(path.join(tree, "A", "zero.jpg"), "");
  fs.writeFileSync(path.join(tree, "A", "junk.png"), "this is not a png");
  fs.copyFileSync(path.join(tree, "A", "1.jpg"), path.join(tree, "A", "gone.jpg"));
  const transform = T.Compose([T.RandomResizedCrop(32), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])]);
  const ds = new ImageFolder(tree, { transform });
  fs.unlinkSync(path.join(tree, "A", "gone.jpg")); // missing after the scan
  const skip = new DataLoader(ds, { batchSize: 5, shuffle: true, numWorkers: 2, seed: 1, onError: "skip" });
  let count = 0;
  for await (const [x, y] of skip) {
    assert.equal((x as flow.Tensor).shape.slice(1).join(), "3,32,32");
    assert.equal((y as flow.Tensor).dtype, "int64");
    count += (x as flow.Tensor).shape[0];
  }
  assert.equal(count, ds.length - 3);
  assert.equal(skip.stats.skipped, 3);
  const msgs = skip.stats.errors.map((e) => e.message).sort().join("\n");
  assert.match(msgs, /zero\.jpg: empty file \(0 bytes\)/);
  assert.match(msgs, /junk\.png: cannot decode image/);
  assert.match(msgs, /gone\.jpg: cannot read: ENOENT/);
  await assert.rejects(collect(new DataLoader(ds, { batchSize: 5, numWorkers: 2 })), /A\/gone\.jpg: cannot read: ENOENT|A\/junk\.png: cannot decode|A\/zero\.jpg: empty file/);
  assert.equal(activeWorkerCount(), 0);
  // Same seed with 0 workers: the same augmented batches.
  const good = new ImageFolder(root, { transform });
  const a = await collect(new DataLoader(good, { batchSize: 4, shuffle: true, numWorkers: 2, seed: 3 }));
  const b = await collect(new DataLoader(good, { batchSize: 4, shuffle: true, numWorkers: 0, seed: 3 }));
  assert.deepEqual(a, b);
});

test("ImageDB: create from a folder, same samples as ImageFolder, row errors, workers", async () => {
  const dbPath = path.join(dir, "images.db");
  const db = ImageDB.create(dbPath, root);
  const folder = new ImageFolder(root);
  assert.deepEqual(db.classes, folder.classes);
  assert.equal(db.length, folder.length);
  assert.deepEqual(db.targets, folder.targets);
  for (const i of [0, 5, db.length - 1]) {
    const [a, b] = [await db.loadImage(i), await folder.loadImage(i)];
    assert.deepEqual(a.size, b.size);
    assert.deepEqual(a.data, b.data);
  }
  const ref = JSON.parse(python(String.raw`
import sys, json, sqlite3
c = sqlite3.connect(sys.argv[1])
print(json.dumps({"classes": [r[0] for r in c.execute("SELECT name FROM classes ORDER BY idx")], "n": c.execute("SELECT count(*) FROM images").fetchone()[0]}))
`, [dbPath]));
  assert.deepEqual(ref, { classes: folder.classes, n: folder.length });
  db.close();
  // A corrupt blob and a 0-byte blob, named by row in the error.
  const w = new Database(dbPath);
  w.prepare("UPDATE images SET data = ? WHERE id = 2").run(Buffer.from("garbage"));
  w.prepare("UPDATE images SET data = ? WHERE id = 4").run(Buffer.alloc(0));
  w.close();
  const ds = new ImageDB(dbPath, { transform: T.Compose([T.Resize(20), T.CenterCrop(16), T.ToTensor()]) });
  await assert.rejects(ds.getItem(1), /images\.db row id=2 \(.*\): cannot decode image/);
  await assert.rejects(ds.getItem(3), /images\.db row id=4 \(.*\): empty file/);
  const loader = new DataLoader(ds, { batchSize: 3, numWorkers: 2, onError: "skip", seed: 0 });
  let n = 0;
  for await (const [x] of loader) n += (x as flow.Tensor).shape[0];
  assert.equal(n, ds.length - 2);
  assert.equal(loader.stats.skipped, 2);
  await assert.rejects(collect(new DataLoader(ds, { batchSize: 3, numWorkers: 2 })), /row id=2 .*cannot decode image/);
  assert.equal(activeWorkerCount(), 0);
  assert.throws(() => ImageDB.create(dbPath, root), /already exists/);
  ds.close();
});

test("default collate: nested records and arrays, numbers to int64/float64; a RawImage is an error with the fix", () => {
  const c = flow.utils.data.defaultCollate;
  const out = c([{ x: flow.tensor([1, 2]), y: 1, w: 0.5, tag: "a" }, { x: flow.tensor([3, 4]), y: 2, w: 1, tag: "b" }]) as Record<string, any>;
  assert.deepEqual(out.x.shape, [2, 2]);
  assert.equal(out.y.dtype, "int64");
  assert.equal(out.w.dtype, "float64");
  assert.deepEqual(out.tag, ["a", "b"]);
  assert.throws(() => c([new T.RawImage(new Uint8Array(3), 1, 1)]), /found RawImage \(add ToTensor\(\) to the transform\)/);
  assert.throws(() => c([flow.zeros(2), flow.zeros(3)]), /stack expects each tensor to be equal size, but got \[2\] float32 at entry 0 and \[3\] float32 at entry 1/);
});
