// Formatting of numbers, sizes and times for display. Pure functions: every value from evidence
// is turned into a plain string here and rendered as text by the components.

const UNITS = ["bytes", "KiB", "MiB", "GiB", "TiB"];

/** "706 MiB (740,213,114 bytes)" style sizes; small sizes stay exact. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} ${n === 1 ? "byte" : "bytes"}`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]} (${formatCount(n)} bytes)`;
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  const s = Math.trunc(n).toString();
  const neg = s.startsWith("-");
  const d = neg ? s.slice(1) : s;
  const out = d.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return neg ? `-${out}` : out;
}

/** Microseconds since the epoch → "2026-03-01 08:27:43.229000 UTC". */
export function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = Math.round(micros - ms * 1000);
  const iso = new Date(ms).toISOString(); // 2026-03-01T08:27:43.229Z
  const frac = iso.slice(20, 23) + rest.toString().padStart(3, "0");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${frac} UTC`;
}

/** A canonical AEF timestamp "2026-03-01T08:27:43.229000000Z" → "2026-03-01 08:27:43.229000000". */
export function formatTimestamp(ts: string | null | undefined): string {
  if (!ts) return "(no time)";
  return ts.replace("T", " ").replace(/Z$/, "");
}

/** "snake_case_code" → "snake case code" for headings. */
/** "1 warning", "2 warnings", "1,204 records": a count and its noun, in the right number. */
export function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${n === 1 ? noun : noun + "s"}`;
}

export function humanize(code: string): string {
  return code.replace(/_/g, " ");
}

/** A seq or a seq range ("41" or "41–44"). */
export function seqText(seq: number | null | undefined, end?: number | null): string {
  if (seq === null || seq === undefined) return "";
  return end !== null && end !== undefined && end !== seq ? `${seq}–${end}` : `${seq}`;
}

/** Shortens a hex digest for tables ("3fa2…9c01"); the full value stays in the title. */
export function shortHash(h: string | null | undefined, keep = 8): string {
  if (!h) return "";
  return h.length <= keep * 2 + 1 ? h : `${h.slice(0, keep)}…${h.slice(-4)}`;
}
