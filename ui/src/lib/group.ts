// Grouping of a report's findings for the overview: by tenant, then by level (errors first).
import type { Finding, Level } from "../ipc/bindings";

export const LEVELS: Level[] = ["error", "warning", "info"];

export interface LevelGroup {
  level: Level;
  findings: Finding[];
}

export interface TenantGroup {
  /** The tenant, or null for findings about the case as a whole (an input, the URL). */
  tenant: string | null;
  levels: LevelGroup[];
  count: number;
}

/** Tenants in name order (case-wide findings last); findings keep the report's order. */
export function groupFindings(findings: Finding[]): TenantGroup[] {
  const by = new Map<string | null, Map<Level, Finding[]>>();
  for (const f of findings) {
    const t = f.tenant_id ?? null;
    let m = by.get(t);
    if (!m) {
      m = new Map();
      by.set(t, m);
    }
    const list = m.get(f.level) ?? [];
    list.push(f);
    m.set(f.level, list);
  }
  const tenants = [...by.keys()].sort((a, b) =>
    a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0,
  );
  return tenants.map((tenant) => {
    const m = by.get(tenant)!;
    const levels = LEVELS.filter((l) => m.has(l)).map((level) => ({
      level,
      findings: m.get(level)!,
    }));
    return { tenant, levels, count: levels.reduce((n, l) => n + l.findings.length, 0) };
  });
}

/** Counts of check statuses. */
export function checkCounts(checks: { status: string }[]): Record<string, number> {
  const out: Record<string, number> = { passed: 0, failed: 0, not_possible: 0 };
  for (const c of checks) out[c.status] = (out[c.status] ?? 0) + 1;
  return out;
}
