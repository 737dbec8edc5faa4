import { describe, expect, it } from "vitest";
import { MAX_SCROLL_PX, scrollTopFor, spacerHeight, visibleWindow } from "./virtual";

describe("virtual scrolling", () => {
  it("small tables scroll one to one", () => {
    expect(spacerHeight(100, 28)).toBe(2800);
    expect(visibleWindow(0, 100, 28, 280)).toEqual({ first: 0, count: 11, offset: -0 });
    const w = visibleWindow(30, 100, 28, 280);
    expect(w.first).toBe(1);
    expect(w.offset).toBe(-2);
    expect(scrollTopFor(10, 100, 28, 280)).toBe(280);
  });
  it("never runs past the last row", () => {
    const w = visibleWindow(1e9, 100, 28, 280);
    expect(w.first + w.count).toBe(100);
    expect(visibleWindow(0, 0, 28, 280).count).toBe(0);
  });
  it("a million rows fit a capped spacer and reach both ends", () => {
    const total = 1_000_000;
    const h = spacerHeight(total, 28);
    expect(h).toBe(MAX_SCROLL_PX);
    expect(visibleWindow(0, total, 28, 560).first).toBe(0);
    const end = visibleWindow(h - 560, total, 28, 560);
    expect(end.first + end.count).toBe(total);
    const mid = visibleWindow((h - 560) / 2, total, 28, 560);
    expect(Math.abs(mid.first - 500_000)).toBeLessThan(20);
  });
  it("scrollTopFor inverts visibleWindow", () => {
    for (const total of [500, 1_000_000]) {
      for (const row of [0, 17, Math.floor(total / 3), total - 40]) {
        const top = scrollTopFor(row, total, 28, 560);
        expect(visibleWindow(top, total, 28, 560).first).toBe(row);
      }
    }
  });
});
