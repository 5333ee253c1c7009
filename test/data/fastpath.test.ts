/**
 * The loader's fast paths against the exact definitions: RandomResizedCrop [+ flip] + ToTensor [+ Normalize]
 * fused by Compose equals running the transforms one by one (bit for bit, same random draws), and the resampler
 * equals torchvision's F.resized_crop (PIL) on many random boxes (down- and up-scaling, bilinear and bicubic),
 * in both of its implementations (WebAssembly SIMD, used where available, and JS).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as flow from "../../src/index";
import { python } from "../helpers/torch";
import { resampleBackend, setResampleBackend } from "../../src/vision/transforms/resample";

const T = flow.vision.transforms;
const Gen = flow.utils.data.Generator;
const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];

function photo(w: number, h: number, seed: number): flow.vision.transforms.RawImage {
  const d = new Uint8Array(w * h * 3);
  let s = seed >>> 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // smooth gradients plus noise, with saturated patches (exercises clipping of the bicubic overshoot)
    const v = ((x * (c + 1) * 255) / w + (y * 255) / h) / 2 + ((s >>> 24) - 128) / 3 + ((x >> 4) % 3 === 0 ? 200 : 0);
    d[(y * w + x) * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return new T.RawImage(d, w, h);
}

function separate(steps: flow.vision.transforms.Transform[], img: flow.vision.transforms.RawImage, gen: flow.utils.data.Generator): Float32Array {
  let v: unknown = img;
  for (const t of steps) v = t(v, gen);
  return (v as flow.Tensor).toTypedArray() as Float32Array;
}

test("Compose fuses RandomResizedCrop [+ flip] + ToTensor [+ Normalize]: identical to the separate transforms", () => {
  const imgs = [photo(500, 375, 1), photo(333, 500, 2), photo(61, 40, 3), photo(7, 5, 4)];
  const pipelines: flow.vision.transforms.Transform[][] = [
    [T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)],
    [T.RandomResizedCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)],
    [T.RandomResizedCrop([96, 128], { scale: [0.02, 1], ratio: [0.5, 2], interpolation: "bicubic" }), T.RandomHorizontalFlip(0.7), T.ToTensor()],
    [T.RandomResizedCrop(32), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.5], [0.25])],
  ];
  let flips = 0;
  for (const steps of pipelines) {
    const fused = T.Compose(steps);
    for (const img of imgs) {
      for (let seed = 0; seed < 25; seed++) {
        const a = fused(img, new Gen(seed)) as flow.Tensor, b = separate(steps, img, new Gen(seed));
        assert.deepEqual(a.shape, [3, ...(steps[0].spec.args[0] instanceof Array ? steps[0].spec.args[0] as number[] : [steps[0].spec.args[0] as number, steps[0].spec.args[0] as number])]);
        assert.deepEqual(a.toTypedArray(), b, `${steps.map((s) => s.spec.name).join("+")} on ${img} seed ${seed}`);
        // the generator is left in the same state: later random transforms see the same draws
        const g1 = new Gen(seed), g2 = new Gen(seed);
        fused(img, g1); separate(steps, img, g2);
        assert.equal(g1.random(), g2.random());
      }
    }
    if (steps[1].spec.name === "RandomHorizontalFlip") flips++;
  }
  assert.equal(flips, 3);
  // Not a RawImage: the separate transforms' own error.
  assert.throws(() => T.Compose(pipelines[0])(flow.zeros(3, 8, 8) as never), /RandomResizedCrop: expected a RawImage/);
});

test("resizedCropInto: same pixels as resizedCrop (+ hflip) through the channel tables, at an offset", () => {
  const img = photo(120, 90, 9);
  const lut = new Float32Array(256).map((_, v) => v * 2 + 0.5);
  for (const [t, l, h, w, oh, ow] of [[3, 5, 60, 80, 40, 50], [0, 0, 90, 120, 90, 120], [10, 10, 20, 30, 64, 64], [-4, -6, 100, 130, 50, 60], [0, 7, 90, 30, 45, 30]]) {
    for (const flip of [false, true]) {
      const ref = T.resizedCrop(img, t, l, h, w, oh, ow), want = flip ? T.hflip(ref) : ref;
      const data = new Float32Array(5 + 3 * oh * ow).fill(-1);
      T.resizedCropInto(img, t, l, h, w, oh, ow, "bilinear", { data, offset: 5, luts: [lut, lut, lut], flip });
      for (let i = 0; i < 5; i++) assert.equal(data[i], -1);
      for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) for (let c = 0; c < 3; c++) {
        assert.equal(data[5 + c * oh * ow + y * ow + x], lut[want.data[(y * ow + x) * 3 + c]], `box ${[t, l, h, w, oh, ow]} flip ${flip} at ${[c, y, x]}`);
      }
    }
  }
  assert.throws(() => T.resizedCropInto(img, 0, 0, 10, 10, 4, 4, "bilinear", { data: new Float32Array(10), offset: 0, luts: [lut, lut, lut], flip: false }), /needs 48 floats/);
});

test("resampler equals torchvision's F.resized_crop on random boxes (max difference 0)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-fast-"));
  const img = photo(503, 377, 5), img2 = photo(64, 48, 6);
  const boxes: number[][] = [];
  const g = new Gen(11);
  for (const im of [img, img2]) {
    for (let k = 0; k < 40; k++) {
      const [i, j, h, w] = T.randomResizedCropParams(im.width, im.height, [0.01, 1], [0.4, 2.5], g);
      const out = [224, 224, 37, 91, 300, 17][k % 6], out2 = [224, 150, 53, 91, 13, 301][(k * 5) % 6];
      boxes.push([im === img ? 0 : 1, i, j, h, w, out, out2, k % 4 === 3 ? 1 : 0]);
    }
  }
  fs.writeFileSync(path.join(dir, "a.raw"), img.data); fs.writeFileSync(path.join(dir, "b.raw"), img2.data);
  const ref = JSON.parse(python(String.raw`
import sys, json, base64, numpy as np
from PIL import Image
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode as I
d, boxes = sys.argv[1], json.loads(sys.argv[2])
ims = [Image.frombytes("RGB", (503, 377), open(d + "/a.raw", "rb").read()), Image.frombytes("RGB", (64, 48), open(d + "/b.raw", "rb").read())]
out = []
for which, i, j, h, w, oh, ow, cubic in boxes:
    o = F.resized_crop(ims[which], i, j, h, w, [oh, ow], I.BICUBIC if cubic else I.BILINEAR)
    out.append(base64.b64encode(np.asarray(o).tobytes()).decode())
print(json.dumps(out))
`, [dir, JSON.stringify(boxes)])) as string[];
  const initial = resampleBackend();
  assert.equal(initial, "wasm", "WebAssembly SIMD is available in Node >= 20, so the fast passes are used");
  try {
    for (const backend of ["wasm", "js"] as const) {
      setResampleBackend(backend);
      boxes.forEach(([which, i, j, h, w, oh, ow, cubic], k) => {
        const got = T.resizedCrop(which ? img2 : img, i, j, h, w, oh, ow, cubic ? "bicubic" : "bilinear");
        const want = Buffer.from(ref[k], "base64");
        let max = 0;
        for (let p = 0; p < want.length; p++) max = Math.max(max, Math.abs(want[p] - got.data[p]));
        assert.equal(got.data.length, want.length);
        assert.equal(max, 0, `${backend}: box ${[i, j, h, w]} -> ${oh}x${ow} ${cubic ? "bicubic" : "bilinear"}`);
      });
    }
  } finally { setResampleBackend(initial); }
});

test("resampler: the WebAssembly and JS passes write the same floats (odd widths, 1-pixel outputs, padding, flips)", () => {
  const img = photo(131, 97, 21), g = new Gen(3);
  const luts = [0, 1, 2].map((c) => new Float32Array(256).map((_, v) => (v / 255 - MEAN[c]) / STD[c]));
  const cases: number[][] = [[0, 0, 97, 131, 97, 131], [0, 0, 97, 131, 1, 1], [5, 3, 1, 1, 7, 5], [-3, -8, 110, 150, 33, 17], [0, 0, 97, 131, 97, 50], [0, 0, 97, 131, 40, 131]];
  for (let k = 0; k < 30; k++) {
    const [i, j, h, w] = T.randomResizedCropParams(img.width, img.height, [0.02, 1], [0.3, 3], g);
    cases.push([i, j, h, w, 1 + ((k * 37) % 250), 1 + ((k * 53) % 190)]);
  }
  const initial = resampleBackend();
  try {
    for (const [t, l, h, w, oh, ow] of cases) {
      for (const mode of ["bilinear", "bicubic"] as const) {
        const flip = (oh + ow) % 2 === 1;
        const out = { wasm: new Float32Array(0), js: new Float32Array(0) };
        for (const b of ["wasm", "js"] as const) {
          setResampleBackend(b);
          out[b] = new Float32Array(3 + 3 * oh * ow);
          T.resizedCropInto(img, t, l, h, w, oh, ow, mode, { data: out[b], offset: 3, luts, flip });
        }
        assert.deepEqual(out.wasm, out.js, `box ${[t, l, h, w]} -> ${oh}x${ow} ${mode} flip ${flip}`);
      }
    }
  } finally { setResampleBackend(initial); }
});

test("DataLoader persistentWorkers: same batches as fresh workers, workers kept between epochs, ended by break or close()", async () => {
  const { IndexDataset } = await import("./helpers/index_dataset");
  const { DataLoader, activeWorkerCount } = flow.utils.data;
  const ds = new IndexDataset(37);
  const collect = async (l: flow.utils.data.DataLoader) => {
    const out: number[][] = [];
    for await (const [x] of l) out.push(Array.from((x as flow.Tensor).toTypedArray() as Float64Array));
    return out;
  };
  const fresh = new DataLoader(ds, { batchSize: 4, shuffle: true, numWorkers: 2, seed: 3 });
  const kept = new DataLoader(ds, { batchSize: 4, shuffle: true, numWorkers: 2, seed: 3, persistentWorkers: true });
  const f0 = await collect(fresh), f1 = await collect(fresh);
  assert.equal(activeWorkerCount(), 0);
  assert.deepEqual(await collect(kept), f0, "epoch 0");
  assert.equal(activeWorkerCount(), 2, "workers kept after the epoch");
  assert.deepEqual(await collect(kept), f1, "epoch 1: same order and random draws as fresh workers");
  assert.equal(activeWorkerCount(), 2);
  for await (const _ of kept) break;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(activeWorkerCount(), 0, "break ends them");
  assert.equal((await collect(kept)).length, 10, "a later epoch starts new ones");
  assert.equal(activeWorkerCount(), 2);
  await kept.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(activeWorkerCount(), 0, "close() ends them");
});

test("BatchArena: samples written into their slots in order are the batch without a copy; otherwise stack copies", () => {
  const { BatchArena, defaultCollate } = require("../../src/data/collate") as typeof import("../../src/data/collate");
  const fill = (a: Float32Array, v: number) => { for (let i = 0; i < a.length; i++) a[i] = v + i; return a; };
  const arena = new BatchArena(3);
  const sinks = [0, 1, 2].map((k) => arena.sinkFor(k));
  const slots = sinks.map((s, k) => fill(s.take(4)!, 10 * k));
  assert.equal(sinks[0].take(4), null, "a sample gets its slot once");
  const ts = slots.map((d) => flow.Tensor._fromArray(d, [2, 2], "float32"));
  const b = defaultCollate(ts) as flow.Tensor;
  assert.deepEqual(b.shape, [3, 2, 2]);
  assert.equal((b.toTypedArray() as Float32Array).buffer, slots[0].buffer, "no copy: the batch is the arena's buffer");
  assert.deepEqual([...(b.toTypedArray() as Float32Array)], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
  // Out of order, or a sample missing (skipped): a copy, with the right values.
  const swapped = defaultCollate([ts[1], ts[0], ts[2]]) as flow.Tensor;
  assert.notEqual((swapped.toTypedArray() as Float32Array).buffer, slots[0].buffer);
  assert.deepEqual([...(swapped.toTypedArray() as Float32Array)].slice(0, 8), [10, 11, 12, 13, 0, 1, 2, 3]);
  const two = defaultCollate([ts[0], ts[2]]) as flow.Tensor;
  assert.deepEqual([...(two.toTypedArray() as Float32Array)], [0, 1, 2, 3, 20, 21, 22, 23]);
  // Another size than the first sample's gets no slot.
  const arena2 = new BatchArena(2);
  assert.ok(arena2.sinkFor(0).take(6));
  assert.equal(arena2.sinkFor(1).take(5), null);
});

test("DataLoader over JPEGs with the fused transform: batches written in place equal per-sample transforms (0 and 2 workers, skip)", async () => {
  const { DataLoader, mixSeed } = flow.utils.data;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-arena-"));
  for (let i = 0; i < 11; i++) {
    fs.mkdirSync(path.join(root, `c${i % 2}`), { recursive: true });
    fs.writeFileSync(path.join(root, `c${i % 2}`, `${i}.jpg`), await T.encodeJPEG(photo(90 + 7 * i, 70 + 3 * i, i), 90));
  }
  fs.writeFileSync(path.join(root, "c0", "bad.jpg"), Buffer.from("not a jpeg"));
  const tf = T.Compose([T.RandomResizedCrop(32), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)]);
  const ds = new flow.vision.datasets.ImageFolder(root, { transform: tf });
  const want: Float32Array[] = [];
  for (let i = 0; i < ds.length; i++) {
    if (ds.samples[i][0].endsWith("bad.jpg")) continue;
    want.push(((await ds.getItem(i, new Gen(mixSeed(7, 0, i))))[0] as flow.Tensor).toTypedArray() as Float32Array);
  }
  for (const numWorkers of [0, 2]) {
    const loader = new DataLoader(ds, { batchSize: 4, numWorkers, seed: 7, onError: "skip", progress: false });
    const got: number[] = [];
    for await (const [x] of loader) got.push(...((x as flow.Tensor).toTypedArray() as Float32Array));
    assert.equal(loader.stats.skipped, 1);
    assert.deepEqual(new Float32Array(got), Float32Array.from(want.flatMap((a) => [...a])), `${numWorkers} workers`);
  }
});

test("leaving a loader while its workers decode JPEGs ends them without aborting the process (asked to exit, not terminated)", async () => {
  const { DataLoader, activeWorkerCount } = flow.utils.data;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-exit-"));
  fs.mkdirSync(path.join(root, "c"));
  const jpg = await T.encodeJPEG(photo(900, 700, 1), 92);
  for (let i = 0; i < 24; i++) fs.writeFileSync(path.join(root, "c", `${i}.jpg`), jpg);
  const ds = new flow.vision.datasets.ImageFolder(root, { transform: T.Compose([T.RandomResizedCrop(16), T.ToTensor()]) });
  // terminate() in the middle of the native JPEG decoder's call aborted the whole process ("terminate called after
  // throwing an instance of 'Napi::Error'"); the loader now asks its workers to exit, which they do from JS.
  for (let round = 0; round < 12; round++) {
    const loader = new DataLoader(ds, { batchSize: 2, numWorkers: 2, prefetchFactor: 4, seed: round, progress: false });
    for await (const _ of loader) break;
    assert.equal(activeWorkerCount(), 0);
  }
});
