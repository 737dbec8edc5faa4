import { describe, expect, it } from "vitest";
import type { Annotation, CaseFileView } from "../ipc/bindings";
import { allTags, annotationKey, annotationOf, isActive, NO_ANNOTATION_FILTER, onlyKeys } from "./annotations";

function ann(tenant_id: string, seq: number, starred: boolean, tags: string[], notes = 0): Annotation {
  return {
    tenant_id,
    seq,
    source: null,
    starred,
    tags,
    notes: Array.from({ length: notes }, (_, i) => ({ id: i + 1, text: "n", written: "t", edited: null })),
  };
}

const file = {
  case: {
    annotations: [
      ann("acme", 3, true, ["payroll"], 1),
      ann("acme", 7, false, ["payroll", "vpn"]),
      ann("globex", 3, true, []),
    ],
  },
} as unknown as CaseFileView;

describe("annotations", () => {
  it("finds a record's annotation by tenant and seq", () => {
    expect(annotationOf(file, "acme", 7)?.tags).toEqual(["payroll", "vpn"]);
    expect(annotationOf(file, "globex", 7)).toBeNull();
    expect(annotationOf(null, "acme", 3)).toBeNull();
  });
  it("lists the tags once, sorted", () => {
    expect(allTags(file)).toEqual(["payroll", "vpn"]);
  });
  it("keeps only what every part of the filter asks for", () => {
    expect(onlyKeys(file, NO_ANNOTATION_FILTER)).toBeNull();
    expect(isActive(NO_ANNOTATION_FILTER)).toBe(false);
    expect(onlyKeys(file, { starred: true, tag: null, noted: false })).toEqual([["acme", 3], ["globex", 3]]);
    expect(onlyKeys(file, { starred: false, tag: "payroll", noted: false })).toEqual([["acme", 3], ["acme", 7]]);
    expect(onlyKeys(file, { starred: true, tag: "payroll", noted: true })).toEqual([["acme", 3]]);
    expect(onlyKeys(file, { starred: false, tag: "none", noted: false })).toEqual([]);
    expect(onlyKeys(null, { starred: true, tag: null, noted: false })).toEqual([]);
  });
});

describe("annotationKey", () => {
  const k = (key: string, mod: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) =>
    annotationKey({ key, ctrlKey: false, metaKey: false, altKey: false, ...mod });
  it("maps s, t and n, nothing else, never with a modifier", () => {
    expect([k("s"), k("t"), k("n"), k("x"), k("S")]).toEqual(["star", "tag", "note", null, null]);
    expect([k("s", { ctrlKey: true }), k("t", { metaKey: true }), k("n", { altKey: true })]).toEqual([null, null, null]);
  });
});
