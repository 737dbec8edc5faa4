import { describe, expect, it } from "vitest";
import { errorTitle, Latest, tokenHints } from "./token";
import type { TokenStatus } from "../ipc/bindings";

const base: TokenStatus = {
  origin: "https://audit.example.com:8443",
  in_memory: false,
  stored: false,
  keyring_error: null,
};

describe("token hints", () => {
  it("nothing held: the field asks for the token", () => {
    for (const s of [null, base]) {
      const h = tokenHints(s);
      expect(h.placeholder).toBe("token issued by the service");
      expect(h.stored).toBeNull();
      expect(h.keyring).toBeNull();
      expect(h.canReuse).toBe(false);
    }
  });
  it("a stored token is named by its service, and can be used without typing", () => {
    const h = tokenHints({ ...base, stored: true });
    expect(h.stored).toBe("A token for https://audit.example.com:8443 is stored in the OS keyring.");
    expect(h.placeholder).toBe("stored in the OS keyring (leave empty to use it)");
    expect(h.canReuse).toBe(true);
  });
  it("a token in memory is used before the stored one", () => {
    const h = tokenHints({ ...base, stored: true, in_memory: true });
    expect(h.placeholder).toBe("held in memory for this session (leave empty to reuse)");
    expect(h.stored).not.toBeNull();
    expect(h.canReuse).toBe(true);
  });
  it("a keyring that cannot be used is said, and memory still works", () => {
    const msg =
      "cannot look up the token for https://audit.example.com:8443 in the OS keyring: the OS keyring cannot be used here (D-Bus error)";
    const h = tokenHints({ ...base, in_memory: true, keyring_error: msg });
    expect(h.keyring).toBe(
      `OS keyring: ${msg}. A token you enter is still held in memory for this session.`,
    );
    expect(h.stored).toBeNull();
    expect(h.canReuse).toBe(true);
  });
  it("an origin with markup stays a plain string", () => {
    const h = tokenHints({ ...base, origin: "https://<b>x</b>", stored: true });
    expect(h.stored).toBe("A token for https://<b>x</b> is stored in the OS keyring.");
  });
});

describe("error titles", () => {
  it("name the kind", () => {
    expect(errorTitle("keyring")).toBe("OS keyring");
    expect(errorTitle("live")).toBe("Live check failed");
    expect(errorTitle("evidence")).toBe("Could not read the evidence");
    expect(errorTitle("invalid")).toBe("Error");
  });
});

describe("latest", () => {
  it("drops answers to requests overtaken by a newer one", () => {
    const l = new Latest();
    const a = l.begin();
    const b = l.begin();
    expect(l.isLatest(a)).toBe(false);
    expect(l.isLatest(b)).toBe(true);
    const c = l.begin();
    expect(l.isLatest(b)).toBe(false);
    expect(l.isLatest(c)).toBe(true);
  });
});
