import { describe, expect, it } from "vitest";
import { fit, MIN_SPAN, pan, ticks, zoom } from "./axis";

const H = 3_600_000_000;
const bounds = { from: 0, to: 24 * H };

describe("time axis", () => {
  it("zooms around the anchor", () => {
    const v = zoom({ from: 0, to: 24 * H }, 0.5, 0.5, bounds);
    expect(v).toEqual({ from: 6 * H, to: 18 * H });
    const left = zoom({ from: 0, to: 24 * H }, 0, 0.25, bounds);
    expect(left).toEqual({ from: 0, to: 6 * H });
  });
  it("never zooms below a millisecond", () => {
    let v = { from: 0, to: 24 * H };
    for (let i = 0; i < 200; i++) v = zoom(v, 0.5, 0.5, bounds);
    expect(v.to - v.from).toBe(MIN_SPAN);
  });
  it("pans within the data", () => {
    const v = pan({ from: 0, to: 6 * H }, 1, bounds);
    expect(v).toEqual({ from: 6 * H, to: 12 * H });
    const far = pan({ from: 0, to: 6 * H }, 100, bounds);
    expect(far.to).toBeCloseTo(24 * H * 1.05, -3);
    expect(far.to - far.from).toBe(6 * H);
  });
  it("fits with a margin and labels ticks in UTC", () => {
    const f = fit(bounds);
    expect(f.from).toBeLessThan(0);
    expect(f.to).toBeGreaterThan(24 * H);
    const t = ticks({ from: 0, to: 24 * H }, 8);
    expect(t[0]).toEqual({ micros: 0, label: "01-01 00:00" });
    expect(t.length).toBeLessThanOrEqual(9);
    expect(t[1].micros - t[0].micros).toBe(3 * H);
    expect(ticks({ from: 0, to: 10 * 86400 * 1e6 }, 12)[1].label).toBe("1970-01-02");
  });
});
