/**
 * The teaching notebooks, end to end, as CI proves them:
 * 1. Debian's nbclient (`jupyter nbconvert --to notebook --execute`) runs every notebooks/NN-*.ipynb through the
 *    flowbook kernelspec (installed by install.js into a temporary Jupyter data dir) with FLOWBOOK_SMALL=1;
 *    any error output fails.
 * 2. Debian's nbconvert renders each executed notebook to HTML, and headless Chromium (Debian's
 *    /usr/bin/chromium driven by playwright-core, every non-file request refused: offline) opens it: every
 *    plotly chart drew (its `.main-svg` exists), every graph SVG, image and table is there, no error rendered,
 *    no script error on the page. Full-page screenshots go to test/artifacts/notebooks/ (ignored by git).
 * Prints each notebook's run time.
 */
import { spawn } from "child_process";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { after, before, test } from "node:test";
import { jupyterEnvWithKernel, PYTHON, ROOT } from "../kernel/helpers";

const NOTEBOOK_DIR = path.join(ROOT, "notebooks");
const ARTIFACTS = path.join(ROOT, "test", "artifacts", "notebooks");
const CHROMIUM = "/usr/bin/chromium";
const CELL_TIMEOUT_S = 900;
const NOTEBOOKS = fs.readdirSync(NOTEBOOK_DIR).filter((f) => /^\d\d-.*\.ipynb$/.test(f) && !f.includes(".nbconvert")).sort();

type Output = { output_type: string; name?: string; data?: Record<string, unknown>; ename?: string; evalue?: string };
type Cell = { cell_type: string; outputs?: Output[] };
// Page-side callbacks below run in Chromium; the project compiles without the DOM library.
declare const document: any;
const join = (t: unknown) => (Array.isArray(t) ? t.join("") : typeof t === "string" ? t : "");

/** What the executed notebook says the page must show. */
interface Expected { plots: number; svgs: number; svgImages: number; images: number; tables: number; stderrStreams: number }

function expectedOf(nb: { cells: Cell[] }): Expected {
  const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
  const rich = outputs.filter((o) => o.data);
  return {
    plots: rich.filter((o) => o.data!["application/vnd.plotly.v1+json"]).length,
    svgs: rich.filter((o) => o.data!["image/svg+xml"] && !o.data!["text/html"]).length,
    images: rich.filter((o) => (o.data!["image/png"] || o.data!["image/jpeg"]) && !o.data!["text/html"]).length,
    tables: rich.reduce((n, o) => n + (join(o.data!["text/html"]).match(/<table[\s>]/g)?.length ?? 0), 0),
    svgImages: rich.reduce((n, o) => n + (join(o.data!["text/html"]).match(/<img[^>]+src="data:image\/svg\+xml/g)?.length ?? 0), 0),
    stderrStreams: outputs.filter((o) => o.output_type === "stream" && o.name === "stderr").length,
  };
}

/** Runs a command; resolves with its exit code and output (never rejects). */
function run(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

let env: NodeJS.ProcessEnv;
let browser: import("playwright-core").BrowserContext | undefined;
let profileDir: string;
const times: string[] = [];

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  env = { ...jupyterEnvWithKernel(), FLOWBOOK_SMALL: "1" };
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowbook-chromium-"));
});

after(async () => {
  await browser?.close();
  fs.rmSync(profileDir, { recursive: true, force: true });
  if (times.length) console.log(`notebook run times (FLOWBOOK_SMALL=1, load average ${os.loadavg().map((v) => v.toFixed(1)).join(" ")}):\n${times.join("\n")}`);
});

/** One Chromium with a new empty profile (--user-data-dir), offline: pages may load only file: and data: URLs. */
async function openBrowser(): Promise<import("playwright-core").BrowserContext> {
  if (browser) return browser;
  const { chromium } = await import("playwright-core");
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  return browser;
}

test("the notebooks directory holds the seven notebooks of the story", () => {
  assert.deepEqual(NOTEBOOKS.map((f) => f.slice(0, 2)), ["01", "02", "03", "04", "05", "06", "07"]);
  for (const f of NOTEBOOKS) {
    const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOK_DIR, f), "utf8"));
    assert.equal(nb.metadata.kernelspec.name, "flowbook", f);
    assert.equal(nb.metadata.kernelspec.language, "typescript", f);
    assert.ok(nb.cells.every((c: Cell) => c.cell_type !== "code" || (c.outputs ?? []).length === 0), `${f} is committed without outputs`);
  }
});

for (const file of NOTEBOOKS) {
  const name = file.replace(/\.ipynb$/, "");
  test(`${name}: nbclient executes it through the flowbook kernel, and it renders in Chromium`, { timeout: 20 * 60_000 }, async () => {
    const executed = path.join(ARTIFACTS, `${name}.ipynb`);
    const page = path.join(ARTIFACTS, `${name}.html`);
    fs.rmSync(executed, { force: true });
    const t0 = performance.now();
    const r = await run(PYTHON, ["-m", "nbconvert", "--to", "notebook", "--execute", `--ExecutePreprocessor.timeout=${CELL_TIMEOUT_S}`,
      "--ExecutePreprocessor.kernel_name=flowbook", "--output-dir", ARTIFACTS, "--output", name, path.join(NOTEBOOK_DIR, file)],
    { env, cwd: NOTEBOOK_DIR, timeoutMs: 20 * 60_000 });
    const seconds = (performance.now() - t0) / 1000;
    times.push(`  ${name.padEnd(28)} ${seconds.toFixed(1)} s`);
    assert.equal(r.code, 0, `nbconvert --execute ${file} failed:\n${r.out.slice(-6000)}`);
    const nb = JSON.parse(fs.readFileSync(executed, "utf8"));
    const errors = nb.cells.flatMap((c: Cell) => (c.outputs ?? []).filter((o) => o.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`));
    assert.deepEqual(errors, [], `${file} has error outputs`);
    const want = expectedOf(nb);

    const html = await run(PYTHON, ["-m", "nbconvert", "--to", "html", "--output-dir", ARTIFACTS, "--output", name, executed], { env, cwd: ARTIFACTS, timeoutMs: 120_000 });
    assert.equal(html.code, 0, `nbconvert --to html ${name} failed:\n${html.out.slice(-3000)}`);

    const context = await openBrowser();
    const tab = await context.newPage();
    const blocked: string[] = [];
    await tab.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    const pageErrors: string[] = [];
    tab.on("pageerror", (e) => pageErrors.push(e.message));
    try {
      await tab.goto(`file://${page}`, { waitUntil: "load", timeout: 120_000 });
      // Every flowbook plot container gets its plotly SVG once plotly.js has run.
      await tab.waitForFunction(() => [...document.querySelectorAll('div[id^="flowbook-plot-"]')].every((d: any) => d.querySelector(".main-svg")), null, { timeout: 60_000 })
        .catch(() => { /* reported precisely below */ });
      const seen = await tab.evaluate(() => {
        const plots = [...document.querySelectorAll('div[id^="flowbook-plot-"]')];
        const outputs = document.querySelectorAll(".jp-OutputArea-output");
        const inOutputs = (sel: string) => [...outputs].reduce((n: number, o: any) => n + o.querySelectorAll(sel).length, 0);
        return {
          plots: plots.length,
          drawn: plots.filter((d: any) => d.querySelector(".main-svg")).length,
          // Drawn SVG: nbconvert's HTML cleaner can leave an <svg> holding only its text, so count those with shapes.
          svgs: [...document.querySelectorAll('[data-mime-type="image/svg+xml"] svg')].filter((s: any) => s.querySelector("g, path, rect, polygon")).length,
          svgImages: [...document.querySelectorAll('.jp-OutputArea-output img[src^="data:image/svg+xml"]')].filter((i: any) => i.complete && i.naturalWidth > 0).length,
          // nbconvert's lab template marks image outputs by class (no data-mime-type); loaded = decoded pixels.
          images: [...document.querySelectorAll(".jp-RenderedImage img")].filter((i: any) => i.complete && i.naturalWidth > 0).length,
          tables: inOutputs("table"),
          stderrBlocks: document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length,
        };
      });
      await tab.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
      assert.equal(seen.plots, want.plots, `${name}: plotly outputs on the page`);
      assert.equal(seen.drawn, want.plots, `${name}: ${want.plots - seen.drawn} plotly chart(s) did not draw (no .main-svg)`);
      assert.ok(seen.svgs >= want.svgs, `${name}: ${seen.svgs} SVG pictures on the page, ${want.svgs} in the notebook`);
      assert.equal(seen.svgImages, want.svgImages, `${name}: ${want.svgImages - seen.svgImages} SVG picture(s) did not decode`);
      assert.ok(seen.images >= want.images, `${name}: ${seen.images} images on the page, ${want.images} in the notebook`);
      assert.ok(seen.tables >= want.tables, `${name}: ${seen.tables} tables on the page, ${want.tables} in the notebook`);
      assert.equal(seen.stderrBlocks, want.stderrStreams, `${name}: an error is rendered on the page`);
      assert.deepEqual(pageErrors, [], `${name}: script errors on the page`);
    } finally {
      await tab.close();
    }
  });
}
