import { describe, expect, it } from "vitest";
import { formatBytes, formatCount, formatMicros, formatTimestamp, plural, seqText, shortHash } from "./format";

describe("format", () => {
  it("says counts in the right number", () => {
    expect(plural(1, "warning")).toBe("1 warning");
    expect(plural(0, "warning")).toBe("0 warnings");
    expect(plural(1204, "record")).toBe("1,204 records");
  });
  it("counts with separators", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(1000)).toBe("1,000");
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(-1234)).toBe("-1,234");
  });
  it("sizes stay exact next to the rounded unit", () => {
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(1023)).toBe("1023 bytes");
    expect(formatBytes(1536)).toBe("1.5 KiB (1,536 bytes)");
    expect(formatBytes(740_213_114)).toBe("706 MiB (740,213,114 bytes)");
  });
  it("micros keep microsecond precision in UTC", () => {
    expect(formatMicros(1_772_353_663_229_123)).toBe("2026-03-01 08:27:43.229123 UTC");
    expect(formatMicros(0)).toBe("1970-01-01 00:00:00.000000 UTC");
  });
  it("timestamps and seqs", () => {
    expect(formatTimestamp("2026-03-01T08:27:43.229000000Z")).toBe("2026-03-01 08:27:43.229000000");
    expect(formatTimestamp(null)).toBe("(no time)");
    expect(seqText(41, 44)).toBe("41–44");
    expect(seqText(41, null)).toBe("41");
    expect(seqText(null)).toBe("");
    expect(shortHash("0123456789abcdef0123456789abcdef")).toBe("01234567…cdef");
    expect(shortHash("abc")).toBe("abc");
  });
});
