// The timeline's time axis: a view window [from, to] in microseconds since the epoch, zoomed
// around a point and panned, clamped to the data's bounds; and readable tick marks in UTC.

export interface View {
  from: number;
  to: number;
}

/** Narrowest window: one millisecond. */
export const MIN_SPAN = 1_000;

function clamp(v: View, bounds: View): View {
  const full = Math.max(MIN_SPAN, bounds.to - bounds.from);
  const span = Math.min(Math.max(v.to - v.from, MIN_SPAN), full * 1.1);
  const lo = bounds.from - full * 0.05;
  const hi = bounds.from + full * 1.05;
  let from = Math.max(v.from, lo);
  if (from + span > hi) from = hi - span;
  return { from, to: from + span };
}

/** Zooms by `factor` (< 1 zooms in) keeping the instant at `anchor` (0..1 across) in place. */
export function zoom(v: View, anchor: number, factor: number, bounds: View): View {
  const span = v.to - v.from;
  const at = v.from + span * Math.min(1, Math.max(0, anchor));
  const next = span * factor;
  return clamp({ from: at - next * anchor, to: at - next * anchor + next }, bounds);
}

/** Pans by `fraction` of the window (positive moves later). */
export function pan(v: View, fraction: number, bounds: View): View {
  const d = (v.to - v.from) * fraction;
  return clamp({ from: v.from + d, to: v.to + d }, bounds);
}

/** The whole data range with a little margin on each side. */
export function fit(bounds: View): View {
  const span = Math.max(MIN_SPAN, bounds.to - bounds.from);
  const m = span * 0.02;
  return { from: bounds.from - m, to: bounds.from + span + m };
}

const S = 1_000_000;
const STEPS = [
  1_000, 10_000, 100_000, S, 5 * S, 15 * S, 60 * S, 5 * 60 * S, 15 * 60 * S, 3600 * S,
  3 * 3600 * S, 6 * 3600 * S, 12 * 3600 * S, 86400 * S, 7 * 86400 * S, 30 * 86400 * S,
  365 * 86400 * S,
];

export interface Tick {
  micros: number;
  label: string;
}

/** At most `max` ticks on round UTC instants across the window. */
export function ticks(v: View, max: number): Tick[] {
  const span = v.to - v.from;
  const step = STEPS.find((s) => span / s <= max) ?? STEPS[STEPS.length - 1];
  const out: Tick[] = [];
  let t = Math.ceil(v.from / step) * step;
  for (; t <= v.to && out.length < max + 1; t += step) {
    out.push({ micros: t, label: tickLabel(t, step) });
  }
  return out;
}

function tickLabel(micros: number, step: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  if (step >= 86400 * S) return iso.slice(0, 10);
  if (step >= 60 * S) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  if (step >= S) return iso.slice(11, 19);
  return iso.slice(11, 23);
}
