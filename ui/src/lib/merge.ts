// The case file's analyst events listed among the records, in time order: each stands after
// the records of its own instant. The records are paged by the backend; the analyst events are
// few and held here. Given how many matching records lie at or before each analyst event (the
// backend's count_through), these pure functions map a row of the merged list to an analyst
// event or to a record's offset in the backend's order, ascending or descending.
import type { AnalystEvent, RecordFilter } from "../ipc/bindings";
import { timestampMicros } from "./format";

export type Slot = { kind: "analyst"; k: number } | { kind: "record"; offset: number };

/**
 * The merged list's layout: `records` matching records, and for each analyst event k (in time
 * order) the count of records at or before it (`through[k]`, non-decreasing).
 */
export class Merge {
  readonly total: number;
  // Ascending positions of the analyst events in the merged list.
  private readonly at: number[];

  constructor(
    readonly records: number,
    through: number[],
    readonly descending: boolean,
  ) {
    this.at = through.map((c, k) => Math.min(c, records) + k);
    this.total = records + through.length;
  }

  /** How many analyst events stand before ascending position `j`. */
  private before(j: number): number {
    let lo = 0;
    let hi = this.at.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at[mid] < j) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** What row `i` of the merged list shows. */
  slot(i: number): Slot {
    const j = this.descending ? this.total - 1 - i : i;
    const k = this.before(j);
    if (k < this.at.length && this.at[k] === j) return { kind: "analyst", k };
    const asc = j - k;
    return { kind: "record", offset: this.descending ? this.records - 1 - asc : asc };
  }

  /** The record offsets rows [first, first + count) show, as [lo, hi) (empty: lo === hi). */
  recordRange(first: number, count: number): [number, number] {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = first; i < Math.min(first + count, this.total); i++) {
      const s = this.slot(i);
      if (s.kind === "record") {
        lo = Math.min(lo, s.offset);
        hi = Math.max(hi, s.offset + 1);
      }
    }
    return lo === Infinity ? [0, 0] : [lo, hi];
  }
}

/**
 * The analyst events a records filter lets through, in time order (withdrawn ones never): none
 * when the filter asks for anything only a record has (tenant, severity, integrity, an
 * annotation...); the time range and the free text apply to them as to records.
 */
export function analystInFilter(
  events: AnalystEvent[],
  f: RecordFilter,
  recordOnly: boolean,
): { e: AnalystEvent; micros: number }[] {
  const recordFilter =
    recordOnly || f.tenant || f.severity || f.event || f.actor || f.resource_type || f.integrity || f.flag ||
    f.with_findings || f.only;
  if (recordFilter) return [];
  const text = f.text?.toLowerCase() ?? null;
  return events
    .filter((e) => !e.withdrawn)
    .filter((e) => !f.from || e.time.slice(0, f.from.length) >= f.from)
    .filter((e) => !f.to || e.time.slice(0, f.to.length) <= f.to)
    .filter((e) => !text || e.text.toLowerCase().includes(text))
    .map((e) => ({ e, micros: timestampMicros(e.time) }))
    .filter((a): a is { e: AnalystEvent; micros: number } => a.micros !== null)
    .sort((a, b) => a.micros - b.micros || a.e.id - b.e.id);
}
