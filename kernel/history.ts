/** In-memory input history for history_request (tail, range, search), per kernel session. */

/** One history entry: [session, line, input] or [session, line, [input, output]]. */
export type HistoryEntry = [number, number, string | [string, string | null]];

/** history_request content (the fields used). */
export interface HistoryQuery {
  hist_access_type: "tail" | "range" | "search";
  output?: boolean; n?: number; session?: number; start?: number; stop?: number; pattern?: string; unique?: boolean;
}

/** Records executed inputs (with their text/plain result) and answers queries. */
export class History {
  /** Session number as IPython counts them; one kernel process is one session. */
  readonly session = 1;
  private readonly entries: { line: number; input: string; output: string | null }[] = [];

  /** Stores an executed cell under its execution count. */
  add(line: number, input: string, output: string | null): void {
    this.entries.push({ line, input, output });
  }

  /** Answers a query; unknown access types return no entries. */
  query(q: HistoryQuery): HistoryEntry[] {
    let found = this.entries;
    if (q.hist_access_type === "range") {
      found = found.filter((e) => (q.start ?? 0) <= e.line && (q.stop === undefined || q.stop === null || e.line < q.stop));
    } else if (q.hist_access_type === "search") {
      const re = globToRegExp(q.pattern ?? "*");
      found = found.filter((e) => re.test(e.input));
      if (q.unique) found = keepLastOfEachInput(found);
    } else if (q.hist_access_type !== "tail") {
      return [];
    }
    if (q.hist_access_type !== "range" && q.n) found = found.slice(-q.n);
    return found.map((e) => [this.session, e.line, q.output ? [e.input, e.output] : e.input]);
  }
}

function keepLastOfEachInput<T extends { input: string }>(entries: T[]): T[] {
  const seen = new Set<string>();
  return [...entries].reverse().filter((e) => !seen.has(e.input) && !!seen.add(e.input)).reverse();
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}
