import { describe, expect, it } from "vitest";
import { PageCache } from "./pages";

describe("page cache", () => {
  it("asks only for pages on screen that are not loaded or pending", () => {
    const c = new PageCache<number>(100);
    expect(c.missing(250, 100)).toEqual([2, 3]);
    c.markPending(2);
    expect(c.missing(250, 100)).toEqual([3]);
    c.put(2, Array.from({ length: 100 }, (_, i) => 200 + i));
    expect(c.row(250)).toBe(250);
    expect(c.row(350)).toBeUndefined();
    c.fail(3);
    expect(c.missing(250, 100)).toEqual([3]);
    expect(c.missing(0, 0)).toEqual([]);
  });
  it("drops the least recently used pages beyond its limit", () => {
    const c = new PageCache<number>(10, 2);
    c.put(0, [0]);
    c.put(1, [10]);
    c.put(0, [0]);
    c.put(2, [20]);
    expect(c.loadedPages).toBe(2);
    expect(c.row(0)).toBe(0);
    expect(c.row(10)).toBeUndefined();
    expect(c.row(20)).toBe(20);
    c.clear();
    expect(c.loadedPages).toBe(0);
  });
});
