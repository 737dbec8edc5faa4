import { describe, expect, it } from "vitest";
import { formatBytes, formatCount, formatMicros, formatTimestamp, plural, seqText, shortHash, formatTimestampIn, microsTimestamp, timePrefix, timePrefixOk, timestampMicros, zoneLabel } from "./format";

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

describe("formatTimestampIn", () => {
  const ts = "2026-03-01T08:27:43.229000000Z";
  it("keeps UTC as the canonical text", () => {
    expect(formatTimestampIn(ts, "UTC")).toBe("2026-03-01 08:27:43.229000000");
    expect(formatTimestampIn(ts, null)).toBe("2026-03-01 08:27:43.229000000");
  });
  it("shows the case's zone with its offset and the evidence's fraction", () => {
    expect(formatTimestampIn(ts, "Europe/Berlin")).toBe("2026-03-01 09:27:43.229000000 +01:00");
    expect(formatTimestampIn("2026-07-01T00:30:00Z", "Europe/Berlin")).toBe("2026-07-01 02:30:00 +02:00");
    expect(formatTimestampIn("2026-03-01T02:00:00.5Z", "America/New_York")).toBe("2026-02-28 21:00:00.5 -05:00");
    expect(formatTimestampIn(ts, "Asia/Kolkata")).toBe("2026-03-01 13:57:43.229000000 +05:30");
  });
  it("falls back to UTC, marked, for a zone the system does not know", () => {
    expect(formatTimestampIn(ts, "Mars/Olympus")).toBe("2026-03-01 08:27:43.229000000 UTC");
  });
  it("labels the column", () => {
    expect(zoneLabel("")).toBe("UTC");
    expect(zoneLabel("Europe/Berlin")).toBe("Europe/Berlin");
  });
});

describe("timestampMicros", () => {
  it("gives the timeline's microseconds, inverse of formatMicros", () => {
    expect(timestampMicros("2026-03-01T08:27:43.229123456Z")).toBe(1_772_353_663_229_123);
    expect(formatMicros(timestampMicros("2026-03-01T08:27:43.229123Z")!)).toBe("2026-03-01 08:27:43.229123 UTC");
    expect(timestampMicros("2026-03-01T08:27:43Z")).toBe(1_772_353_663_000_000);
    expect(timestampMicros("2026-03-01T08:27:43.5Z")).toBe(1_772_353_663_500_000);
  });
  it("round-trips through microsTimestamp", () => {
    expect(microsTimestamp(1_772_353_663_229_123)).toBe("2026-03-01T08:27:43.229123Z");
    expect(timestampMicros(microsTimestamp(1_772_353_663_000_001))).toBe(1_772_353_663_000_001);
  });
  it("refuses what is not a canonical UTC time", () => {
    expect(timestampMicros("2026-03-01T08:27:43+02:00")).toBeNull();
    expect(timestampMicros("yesterday")).toBeNull();
    expect(timestampMicros(null)).toBeNull();
  });
});

describe("timePrefix", () => {
  it("takes a date or a date and time as the filter's canonical prefix", () => {
    expect(timePrefix("2026-03-01")).toBe("2026-03-01");
    expect(timePrefix(" 2026-03-01 08:00 ")).toBe("2026-03-01T08:00");
    expect(timePrefix("2026-03-01T08:00:05.123")).toBe("2026-03-01T08:00:05.123");
    expect(timePrefix("2026")).toBe("2026");
  });
  it("gives no bound for empty or malformed text, and says which is which", () => {
    expect(timePrefix("")).toBeNull();
    expect(timePrefix("03/01/2026")).toBeNull();
    expect(timePrefix("2026-3-1")).toBeNull();
    expect(timePrefixOk("")).toBe(true);
    expect(timePrefixOk("2026-03-01 08")).toBe(true);
    expect(timePrefixOk("yesterday")).toBe(false);
  });
});
