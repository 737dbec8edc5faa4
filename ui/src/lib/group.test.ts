import { describe, expect, it } from "vitest";
import type { Finding } from "../ipc/bindings";
import { checkCounts, groupFindings } from "./group";

function f(code: Finding["code"], level: Finding["level"], tenant: string | null, seq: number | null): Finding {
  return {
    code, level, tenant_id: tenant, seq, message: `${code} ${seq}`,
    input: null, other_input: null, location: null, expected: null, computed: null,
    seq_end: null, fields: [],
  };
}

describe("finding groups", () => {
  it("groups by tenant then level, errors first, case-wide last", () => {
    const g = groupFindings([
      f("timestamp_regression", "warning", "acme", 8),
      f("record_hash_mismatch", "error", "globex", 3),
      f("fingerprint_mismatch", "error", null, null),
      f("chain_link_broken", "error", "acme", 12),
    ]);
    expect(g.map((t) => t.tenant)).toEqual(["acme", "globex", null]);
    expect(g[0].levels.map((l) => l.level)).toEqual(["error", "warning"]);
    expect(g[0].levels[0].findings[0].seq).toBe(12);
    expect(g[0].count).toBe(2);
  });
  it("counts check statuses", () => {
    expect(checkCounts([{ status: "passed" }, { status: "failed" }, { status: "passed" }])).toEqual({
      passed: 2, failed: 1, not_possible: 0,
    });
  });
});
