// A saved records view: the filters, the order and the annotation filter, as the case file's
// examiner log keeps it (JSON in `view.saved`). Reading one back checks every part, since the
// case file is a file like any other: a view that does not read back is refused, not half-applied.
import type { RecordFilter, SortKey } from "../ipc/bindings";
import { FLAGS, INTEGRITIES } from "../ipc/bindings";
import type { AnnotationFilter } from "./annotations";

export type SavedView = {
  filter: RecordFilter;
  sort: SortKey;
  descending: boolean;
  annotation: AnnotationFilter;
};

// Every sort key, checked complete by the compiler.
const SORTS: Record<SortKey, true> = {
  time: true, seq: true, actor: true, action: true, severity: true, outcome: true, integrity: true,
};
const TEXT_FIELDS = ["tenant", "severity", "event", "actor", "resource_type", "from", "to", "text"] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const textOrNull = (v: unknown): v is string | null => v === null || typeof v === "string";

/** The view saved as `json`, or `null` when it is not one this version can apply. */
export function parseSavedView(json: string): SavedView | null {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  if (!isObject(v) || !isObject(v.filter) || !isObject(v.annotation)) return null;
  const f = v.filter;
  const a = v.annotation;
  if (!TEXT_FIELDS.every((k) => textOrNull(f[k]))) return null;
  if (!(f.integrity === null || INTEGRITIES.includes(f.integrity as never))) return null;
  if (!(f.flag === null || FLAGS.includes(f.flag as never))) return null;
  if (typeof f.with_findings !== "boolean" || typeof f.hide_gaps !== "boolean") return null;
  if (typeof v.sort !== "string" || !Object.hasOwn(SORTS, v.sort) || typeof v.descending !== "boolean") return null;
  if (typeof a.starred !== "boolean" || typeof a.noted !== "boolean" || !textOrNull(a.tag)) return null;
  const filter: RecordFilter = {
    tenant: f.tenant as string | null,
    severity: f.severity as string | null,
    event: f.event as string | null,
    actor: f.actor as string | null,
    resource_type: f.resource_type as string | null,
    from: f.from as string | null,
    to: f.to as string | null,
    text: f.text as string | null,
    integrity: f.integrity as RecordFilter["integrity"],
    flag: f.flag as RecordFilter["flag"],
    with_findings: f.with_findings,
    hide_gaps: f.hide_gaps,
    // The annotation filter, not a frozen list of records, decides which records it keeps.
    only: null,
  };
  return {
    filter,
    sort: v.sort as SortKey,
    descending: v.descending,
    annotation: { starred: a.starred, tag: a.tag as string | null, noted: a.noted },
  };
}
