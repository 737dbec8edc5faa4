import { describe, expect, it } from "vitest";
import { parseSavedView, type SavedView } from "./views";

const saved: SavedView = {
  filter: {
    tenant: "acme", severity: null, event: "role.granted", actor: null, resource_type: null,
    from: "2026-03-01", to: null, text: "u-1004", integrity: "diverged", flag: "off_hours",
    with_findings: true, hide_gaps: false, only: null,
  },
  sort: "severity",
  descending: true,
  annotation: { starred: true, tag: "exfil", noted: false },
};

describe("parseSavedView", () => {
  it("reads back exactly what was saved", () => {
    expect(parseSavedView(JSON.stringify(saved))).toEqual(saved);
  });

  it("drops a frozen record list: the annotation filter decides", () => {
    const v = parseSavedView(JSON.stringify({ ...saved, filter: { ...saved.filter, only: [["acme", 3]] } }));
    expect(v?.filter.only).toBeNull();
  });

  it("refuses what this version cannot apply", () => {
    expect(parseSavedView("not json")).toBeNull();
    expect(parseSavedView("[]")).toBeNull();
    expect(parseSavedView(JSON.stringify({ ...saved, sort: "toString" }))).toBeNull();
    expect(parseSavedView(JSON.stringify({ ...saved, sort: "colour" }))).toBeNull();
    expect(parseSavedView(JSON.stringify({ ...saved, descending: "yes" }))).toBeNull();
    expect(parseSavedView(JSON.stringify({ ...saved, filter: { ...saved.filter, integrity: "fine" } }))).toBeNull();
    expect(parseSavedView(JSON.stringify({ ...saved, filter: { ...saved.filter, flag: "odd" } }))).toBeNull();
    expect(parseSavedView(JSON.stringify({ ...saved, filter: { ...saved.filter, tenant: 7 } }))).toBeNull();
    expect(parseSavedView(JSON.stringify({ ...saved, annotation: { starred: true, tag: 3, noted: false } }))).toBeNull();
    const { annotation: _, ...noAnnotation } = saved;
    expect(parseSavedView(JSON.stringify(noAnnotation))).toBeNull();
  });
});
