import { describe, expect, it } from "vitest";
import { analystInFilter, Merge } from "./merge";
import type { AnalystEvent, RecordFilter } from "../ipc/bindings";

const show = (m: Merge) =>
  Array.from({ length: m.total }, (_, i) => {
    const s = m.slot(i);
    return s.kind === "analyst" ? `A${s.k}` : `r${s.offset}`;
  }).join(" ");

describe("Merge", () => {
  it("puts each analyst event after the records of its instant", () => {
    // 5 records; A0 after 2 of them, A1 after 2 too, A2 after all.
    const m = new Merge(5, [2, 2, 5], false);
    expect(m.total).toBe(8);
    expect(show(m)).toBe("r0 r1 A0 A1 r2 r3 r4 A2");
  });

  it("reverses the whole list when descending, records in the backend's descending offsets", () => {
    // Descending, the backend's offset 0 is the last record (ascending r4).
    const m = new Merge(5, [2, 2, 5], true);
    expect(show(m)).toBe("A2 r0 r1 r2 A1 A0 r3 r4");
  });

  it("gives the record offsets a window shows", () => {
    const m = new Merge(5, [2, 2, 5], false);
    expect(m.recordRange(0, 3)).toEqual([0, 2]);
    expect(m.recordRange(2, 2)).toEqual([0, 0]);
    expect(m.recordRange(3, 10)).toEqual([2, 5]);
    expect(new Merge(5, [0], true).recordRange(0, 2)).toEqual([0, 2]);
  });

  it("without analyst events is the record list itself", () => {
    expect(show(new Merge(3, [], false))).toBe("r0 r1 r2");
    expect(show(new Merge(3, [], true))).toBe("r0 r1 r2");
    expect(show(new Merge(0, [0, 0], false))).toBe("A0 A1");
  });
});

const ev = (id: number, time: string, text: string, withdrawn = false): AnalystEvent => ({
  id, time, text, recorded: time, withdrawn,
});
const none: RecordFilter = {
  tenant: null, severity: null, event: null, actor: null, resource_type: null, from: null, to: null,
  text: null, integrity: null, flag: null, with_findings: false, hide_gaps: false, only: null,
};
const events = [
  ev(1, "2026-03-01T09:00:00.000000000Z", "Call with the CFO"),
  ev(2, "2026-03-01T08:00:00.000000000Z", "Badge swipe"),
  ev(3, "2026-03-02T08:00:00.000000000Z", "Ticket 41", true),
];

describe("analystInFilter", () => {
  it("keeps the ones a filter lets through, in time order, never withdrawn ones", () => {
    expect(analystInFilter(events, none, false).map((a) => a.e.id)).toEqual([2, 1]);
    expect(analystInFilter(events, { ...none, text: "cfo" }, false).map((a) => a.e.id)).toEqual([1]);
    expect(analystInFilter(events, { ...none, from: "2026-03-01T08:30" }, false).map((a) => a.e.id)).toEqual([1]);
    expect(analystInFilter(events, { ...none, to: "2026-03-01T08" }, false).map((a) => a.e.id)).toEqual([2]);
  });
  it("keeps none when the filter asks for what only a record has", () => {
    expect(analystInFilter(events, { ...none, tenant: "acme" }, false)).toEqual([]);
    expect(analystInFilter(events, { ...none, integrity: "verified" }, false)).toEqual([]);
    expect(analystInFilter(events, { ...none, with_findings: true }, false)).toEqual([]);
    expect(analystInFilter(events, none, true)).toEqual([]);
  });
});
