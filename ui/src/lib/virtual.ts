// Virtual scrolling of a table with fixed-height rows and up to millions of rows. Browsers cap
// an element's height (WebKit near 2^25 px), so beyond MAX_SCROLL_PX the scroll range is scaled:
// the scrollbar maps proportionally onto the rows.

export const MAX_SCROLL_PX = 8_000_000;

/** Height of the scroll spacer for `total` rows. */
export function spacerHeight(total: number, rowHeight: number): number {
  return Math.min(total * rowHeight, MAX_SCROLL_PX);
}

export interface Window {
  /** First row (partly) visible. */
  first: number;
  /** Rows to render from `first` to fill the viewport. */
  count: number;
  /** Pixel offset of the first row's top relative to the viewport top (≤ 0). */
  offset: number;
}

/** The rows to render for a scroll position. */
export function visibleWindow(
  scrollTop: number,
  total: number,
  rowHeight: number,
  viewport: number,
): Window {
  if (total <= 0 || rowHeight <= 0) return { first: 0, count: 0, offset: 0 };
  const full = total * rowHeight;
  const spacer = spacerHeight(total, rowHeight);
  let pos = Math.max(0, scrollTop);
  if (full > spacer) {
    const maxScroll = Math.max(1, spacer - viewport);
    const fullMax = Math.max(0, full - viewport);
    pos = (Math.min(pos, maxScroll) / maxScroll) * fullMax;
  }
  pos = Math.min(pos, Math.max(0, full - viewport));
  const first = Math.min(total - 1, Math.floor(pos / rowHeight));
  const offset = -(pos - first * rowHeight);
  const count = Math.min(total - first, Math.ceil((viewport - offset) / rowHeight) + 1);
  return { first, count, offset };
}

/** The scroll position that shows `row` at the top. */
export function scrollTopFor(
  row: number,
  total: number,
  rowHeight: number,
  viewport: number,
): number {
  const full = total * rowHeight;
  const spacer = spacerHeight(total, rowHeight);
  const pos = Math.max(0, Math.min(row * rowHeight, full - viewport));
  if (full <= spacer) return pos;
  const maxScroll = Math.max(1, spacer - viewport);
  const fullMax = Math.max(1, full - viewport);
  return (pos / fullMax) * maxScroll;
}
