/**
 * The notebook view of a running server: endpoints, models and live statistics as a MIME bundle
 * (`text/html` and `text/plain`), for `[Symbol.for("Jupyter.display")]()`.
 */
import type { ModelRepository } from "./repository";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const ms = (ns: number, n: number) => (n ? (ns / n / 1e6).toFixed(2) : "-");

interface Row { model: string; version: string; state: string; requests: string; failures: string; batches: string; avgQueue: string; avgInfer: string }

function rows(repo: ModelRepository): Row[] {
  return repo.index().map((e) => {
    const v = e.state === "READY" ? repo.get(e.name, e.version) : undefined;
    const s = v?.stats;
    return {
      model: e.name,
      version: e.version ?? "-",
      state: e.state + (e.reason ? ` (${e.reason})` : ""),
      requests: String(s?.success.count ?? 0),
      failures: String(s?.fail.count ?? 0),
      batches: String(s?.executionCount ?? 0),
      avgQueue: s ? ms(s.queue.ns, s.queue.count) : "-",
      avgInfer: s ? ms(s.computeInfer.ns, s.computeInfer.count) : "-",
    };
  });
}

const HEAD = ["model", "version", "state", "requests", "failures", "executions", "avg queue ms", "avg infer ms"];

/** What the view shows besides the repository: state, uptime, in-flight requests, and whether it is live. */
export interface ServerView { running: boolean; startedAt: number; inFlight: number; live: boolean }

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** Builds the MIME bundle of a server listening at `url`, with the statistics as of now. */
export function displayBundle(url: string, repo: ModelRepository, view: ServerView): Record<string, string> {
  const r = rows(repo).map((x) => [x.model, x.version, x.state, x.requests, x.failures, x.batches, x.avgQueue, x.avgInfer]);
  const asOf = new Date().toTimeString().slice(0, 8);
  const status = view.running
    ? `running for ${duration(Date.now() - view.startedAt)}, ${view.inFlight} request(s) in flight; statistics as of ${asOf}${view.live ? " (live)" : " (server.watch() keeps this view live)"}`
    : `stopped; statistics as of ${asOf}`;
  const endpoints = [`${url}/v2/health/ready`, `${url}/v2/models/{model}/infer`, `${url}/v2/repository/index`, `${url}/metrics`];
  const html = `<div><b>flowbook model server</b> at <code>${esc(url)}</code> (KServe v2 / Triton HTTP): ${esc(status)}<br>`
    + `Endpoints: ${endpoints.map((e) => `<code>${esc(e)}</code>`).join(", ")}`
    + `<table><thead><tr>${HEAD.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>`
    + r.map((cells) => `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")
    + `</tbody></table></div>`;
  const widths = HEAD.map((h, i) => Math.max(h.length, ...r.map((c) => c[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const text = [`flowbook model server at ${url}: ${status}`, `endpoints: ${endpoints.join(" ")}`, line(HEAD), ...r.map(line)].join("\n");
  return { "text/html": html, "text/plain": text };
}
