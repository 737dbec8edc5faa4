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

const TIME_PREFIX = /^\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?)?)?)?$/;

/** Whether `text` is empty or a time bound the records filter takes (see `timePrefix`). */
export function timePrefixOk(text: string): boolean {
  return text.trim() === "" || TIME_PREFIX.test(text.trim());
}

/**
 * A typed time bound as the records filter's prefix of a canonical UTC timestamp
 * ("2026-03-01", "2026-03-01 08:00" → "2026-03-01T08:00"); `null` when empty or not one.
 */
export function timePrefix(text: string): string | null {
  const t = text.trim();
  if (t === "" || !TIME_PREFIX.test(t)) return null;
  return t.replace(" ", "T");
}

/** Microseconds since the epoch → the UTC timestamp "2026-03-01T08:27:43.229123Z". */
export function microsTimestamp(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = Math.round(micros - ms * 1000);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}${rest.toString().padStart(3, "0")}Z`;
}

/**
 * A canonical UTC timestamp ("2026-03-01T08:27:43.229123456Z", any number of fraction digits)
 * → microseconds since the epoch, the timeline's unit (digits past the microsecond dropped);
 * `null` for anything else.
 */
export function timestampMicros(ts: string | null | undefined): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/.exec(ts ?? "");
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (Number.isNaN(ms)) return null;
  return ms * 1000 + Number((m[7] ?? "").slice(0, 6).padEnd(6, "0"));
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

/** Whether `zone` is shown as UTC (no case time zone, or UTC itself). */
function isUtc(zone: string | null | undefined): boolean {
  return !zone || zone === "UTC" || zone === "Etc/UTC";
}

/**
 * A canonical AEF timestamp shown in the case's display time zone (an IANA name):
 * "2026-03-01T08:27:43.229000000Z" in Europe/Berlin → "2026-03-01 09:27:43.229000000 +01:00".
 * The fraction is the evidence's own digits; UTC (or no zone) shows as `formatTimestamp` does;
 * a zone the system does not know falls back to UTC, marked so.
 */
export function formatTimestampIn(ts: string | null | undefined, zone: string | null | undefined): string {
  if (!ts || isUtc(zone)) return formatTimestamp(ts);
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/.exec(ts);
  if (!m) return formatTimestamp(ts);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone!,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    }).formatToParts(new Date(ms));
  } catch {
    return `${formatTimestamp(ts)} UTC`;
  }
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "00";
  const [y, mo, d, h, mi, s] = ["year", "month", "day", "hour", "minute", "second"].map(get);
  const local = Date.UTC(+y, +mo - 1, +d, +h % 24, +mi, +s);
  const off = Math.round((local - ms) / 60000);
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${y}-${mo}-${d} ${h}:${mi}:${s}${m[7] ?? ""} ${sign}${hh}:${mm}`;
}

/** The column heading's zone: "UTC" or the case's IANA name. */
export function zoneLabel(zone: string | null | undefined): string {
  return isUtc(zone) ? "UTC" : zone!;
}
