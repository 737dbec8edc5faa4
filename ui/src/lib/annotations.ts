// The open case file's annotations, looked up and filtered for the records table and the
// detail panel. Pure functions over the CaseFileView the backend sends.
import type { Annotation, CaseFileView } from "../ipc/bindings";

/** The annotation filters of the records table (all off: no filter). */
export type AnnotationFilter = { starred: boolean; tag: string | null; noted: boolean };

export const NO_ANNOTATION_FILTER: AnnotationFilter = { starred: false, tag: null, noted: false };

/** The annotation of `tenant`/`seq`, if the examiner made one. */
export function annotationOf(
  file: CaseFileView | null,
  tenant: string | null | undefined,
  seq: number | null | undefined,
): Annotation | null {
  if (!file || tenant == null || seq == null) return null;
  return file.case.annotations.find((a) => a.tenant_id === tenant && a.seq === seq) ?? null;
}

/**
 * What a key pressed on a focused row or timeline event asks for: s stars (or unstars), t and n
 * open the record at the tag or note field; `null` for any other key or with a modifier.
 */
export function annotationKey(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean }): "star" | "tag" | "note" | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  return e.key === "s" ? "star" : e.key === "t" ? "tag" : e.key === "n" ? "note" : null;
}

/** Every tag in the case, sorted, once. */
export function allTags(file: CaseFileView | null): string[] {
  const tags = new Set<string>();
  for (const a of file?.case.annotations ?? []) for (const t of a.tags) tags.add(t);
  return [...tags].sort();
}

/** Whether `f` asks for anything. */
export function isActive(f: AnnotationFilter): boolean {
  return f.starred || f.tag !== null || f.noted;
}

/**
 * The (tenant, seq) keys the filter keeps, for `RecordFilter.only`; `null` when the filter is
 * off (every record). All parts must hold: starred AND tagged AND with a note.
 */
export function onlyKeys(file: CaseFileView | null, f: AnnotationFilter): [string, number][] | null {
  if (!isActive(f)) return null;
  const out: [string, number][] = [];
  for (const a of file?.case.annotations ?? []) {
    if (f.starred && !a.starred) continue;
    if (f.tag !== null && !a.tags.includes(f.tag)) continue;
    if (f.noted && a.notes.length === 0) continue;
    out.push([a.tenant_id, a.seq]);
  }
  return out;
}
