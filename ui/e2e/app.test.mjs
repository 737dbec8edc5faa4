// End-to-end tests of the real Trailproof app: tauri-driver starts the built binary (with the
// evidence as command-line arguments) and WebKitWebDriver drives its webview. Each test saves a
// screenshot of what a person would see to ui/e2e/artifacts/.
//
// Environment: TRAILPROOF_APP (absolute path of the app binary), TAURI_DRIVER_PORT.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";
import { assertNotBlank } from "./png.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const app = process.env.TRAILPROOF_APP ?? resolve(root, "target/debug/trailproof-app");
const port = Number(process.env.TAURI_DRIVER_PORT ?? 4455);
const artifacts = resolve(here, "artifacts");
mkdirSync(artifacts, { recursive: true });
const v = (p) => resolve(root, "tests/vectors", p);

// Saves a screenshot of what a person sees, and fails the test if it shows nothing.
async function shot(browser, name) {
  const path = resolve(artifacts, name);
  await browser.saveScreenshot(path);
  assertNotBlank(readFileSync(path), name);
}

const sessions = [];
after(async () => {
  for (const s of sessions) await s.deleteSession().catch(() => {});
});

async function openApp(args) {
  const browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "error",
    connectionRetryTimeout: 120_000,
    capabilities: {
      browserName: "wry",
      // WebKitWebDriver speaks classic WebDriver only (no BiDi webSocketUrl).
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application: app, args },
    },
  });
  sessions.push(browser);
  return browser;
}

async function close(browser) {
  await browser.deleteSession().catch(() => {});
  sessions.splice(sessions.indexOf(browser), 1);
}

async function verdictOf(browser) {
  const el = await browser.$('[data-testid="verdict"]');
  await el.waitForExist({ timeout: 120_000 });
  return (await el.getText()).trim().toLowerCase();
}

async function findings(browser) {
  const out = [];
  for (const f of await browser.$$('[data-testid="finding"]')) {
    out.push({ code: await f.getAttribute("data-code"), seq: await f.getAttribute("data-seq") });
  }
  return out;
}

test("a clean export PDF reads intact", async () => {
  const b = await openApp([v("export-acme-critical.pdf")]);
  assert.equal(await verdictOf(b), "intact");
  const inputs = await b.$('[data-testid="inputs"]').getText();
  assert.match(inputs, /export-acme-critical\.pdf/);
  assert.match(inputs, /[0-9a-f]{64}/);
  assert.deepEqual(
    (await findings(b)).filter((f) => f.code !== "timestamp_regression"),
    [],
  );
  await shot(b, "overview-intact.png");
  await close(b);
});

test("visible-edit.pdf is tampered, with visible_text_mismatch on seq 2", async () => {
  const b = await openApp([v("tampered/visible-edit.pdf")]);
  assert.equal(await verdictOf(b), "tampered");
  const f = await findings(b);
  assert.ok(
    f.some((x) => x.code === "visible_text_mismatch" && x.seq === "2"),
    JSON.stringify(f),
  );
  await shot(b, "overview-visible-edit.png");
  // One incident, first; the finding list behind one click.
  const incident = await b.$('[data-testid="incident"][data-kind="diverged"][data-seq="2"]');
  assert.ok(await incident.isExisting(), "the incident is listed");
  await b.$('[data-testid="all-findings"] > summary').click();
  // The finding opens the record it concerns, with the printed row beside the embedded one.
  await b.$('[data-testid="finding"][data-code="visible_text_mismatch"][data-seq="2"]').click();
  const detail = await b.$('[data-testid="detail"]');
  await detail.waitForExist({ timeout: 30_000 });
  await b.$('[data-testid="canonical"]').waitForExist({ timeout: 60_000 });
  const text = await detail.getText();
  assert.match(text, /acme #2/);
  assert.match(text, /As printed on the export's pages/);
  await shot(b, "detail-visible-edit.png");
  await close(b);
});

test("a dump with the export PDF together gives the anchor finding", async () => {
  const b = await openApp([v("tampered/rechained-suffix.sqlite"), v("export-acme-critical.pdf")]);
  assert.equal(await verdictOf(b), "tampered");
  const f = await findings(b);
  assert.ok(f.some((x) => x.code === "anchor_mismatch" && x.seq === "40"), JSON.stringify(f));
  await shot(b, "overview-anchor.png");
  await close(b);
});

test("the timeline shows the events and the records table pages through them", async () => {
  const b = await openApp([v("audit.sqlite")]);
  assert.equal(await verdictOf(b), "intact");
  await b.$('[data-testid="tab-timeline"]').click();
  const marks = await b.$$('[data-testid="timeline-event"]');
  await b.waitUntil(async () => (await b.$$('[data-testid="timeline-event"]')).length > 0, {
    timeout: 30_000,
  });
  const count = await b.$('[data-testid="timeline-count"]').getText();
  assert.match(count, /^\d[\d,]* events in view/);
  void marks;
  await shot(b, "timeline.png");
  await b.$('[data-testid="tab-records"]').click();
  await b.waitUntil(async () => (await b.$$('[data-testid="record-row"]')).length > 0, {
    timeout: 30_000,
  });
  const total = await b.$('[data-testid="records-total"]').getText();
  assert.match(total, /^\d[\d,]* entries/);
  await shot(b, "records.png");
  await close(b);
});

test("an HTML payload in a record renders as text", async () => {
  const b = await openApp([resolve(root, "tests/fixtures/app/xss.jsonl")]);
  assert.equal(await verdictOf(b), "intact");
  await b.$('[data-testid="tab-records"]').click();
  const search = await b.$('[data-testid="records-search"]');
  await search.waitForExist({ timeout: 30_000 });
  await search.setValue("onerror");
  await b.waitUntil(
    async () => (await b.$$('[data-testid="record-row"]')).length === 1,
    { timeout: 30_000 },
  );
  const row = await b.$('[data-testid="record-row"]');
  assert.equal(await row.getAttribute("data-seq"), "3");
  await row.click();
  const detail = await b.$('[data-testid="detail"]');
  await b.$('[data-testid="canonical"]').waitForExist({ timeout: 60_000 });
  const text = await detail.getText();
  assert.ok(text.includes("<img src=x onerror=alert(1)>"), text.slice(0, 400));
  // No element was made from the payload, and no alert fired.
  assert.equal((await b.$$("img")).length, 0);
  const alert = await b.getAlertText().catch(() => null);
  assert.equal(alert, null);
  await shot(b, "xss-as-text.png");
  await close(b);
});

// The live check against the reference service on loopback (started by scripts/e2e.sh, which
// also runs the app in a private D-Bus session with a throwaway, unlocked gnome-keyring).
const service = {
  evidence: process.env.TRAILPROOF_E2E_LIVE_EXPORT,
  token: process.env.TRAILPROOF_E2E_LIVE_TOKEN,
  keyring: process.env.TRAILPROOF_E2E_KEYRING === "1",
};

async function openLive(b) {
  assert.equal(await verdictOf(b), "intact");
  await b.$('[data-testid="tab-live"]').click();
  const remember = await b.$('[data-testid="live-remember"]');
  await remember.waitForExist({ timeout: 30_000 });
  // The backend has said what it holds for the URL's service.
  const row = await b.$('[data-testid="live-token-row"]');
  await b.waitUntil(async () => ((await row.getAttribute("data-origin")) ?? "") !== "", {
    timeout: 30_000,
  });
  return remember;
}

async function runLive(b) {
  await b.$('[data-testid="live-run"]').click();
  await b.$('[data-testid="live-summary"]').waitForExist({ timeout: 120_000 });
  // The overlay is gone once the check has finished (and the token was stored, or not).
  await b.waitUntil(async () => (await b.$$(".overlay")).length === 0, { timeout: 60_000 });
}

test(
  "the live check remembers the token in the OS keyring, per service, when asked",
  { skip: !service.evidence || !service.keyring ? "needs scripts/e2e.sh's service and keyring" : false },
  async () => {
    let b = await openApp([service.evidence]);
    let remember = await openLive(b);
    assert.equal(await remember.isSelected(), false, "off by default");
    const url = await b.$('[data-testid="live-url"]').getValue();
    const origin = await b.$('[data-testid="live-token-row"]').getAttribute("data-origin");
    assert.ok(url.startsWith(`${origin}/audit/verify?`), `${origin} ${url}`);
    assert.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await b.$$('[data-testid="live-stored"]')).length, 0);
    await b.$('[data-testid="live-token"]').setValue(service.token);
    await remember.click();
    assert.equal(await remember.isSelected(), true);
    await shot(b, "live-remember.png");
    await runLive(b);
    assert.equal((await b.$$('[data-testid="error"]')).length, 0);
    const stored = await b.$('[data-testid="live-stored"]');
    await stored.waitForExist({ timeout: 30_000 });
    assert.ok(
      (await stored.getText()).includes(`A token for ${origin} is stored in the OS keyring.`),
      await stored.getText(),
    );
    await shot(b, "live-remembered.png");
    await close(b);

    // A new session holds nothing in memory: the stored token is used without typing.
    b = await openApp([service.evidence]);
    remember = await openLive(b);
    await b.$('[data-testid="live-stored"]').waitForExist({ timeout: 30_000 });
    assert.equal(await remember.isSelected(), false);
    await shot(b, "live-stored.png");
    await runLive(b);
    assert.equal((await b.$$('[data-testid="error"]')).length, 0);
    assert.ok(!(await b.getPageSource()).includes(service.token), "the token reached the page");
    // Forgetting it deletes the keyring's entry.
    await b.$('[data-testid="live-forget-stored"]').click();
    await b.waitUntil(async () => (await b.$$('[data-testid="live-stored"]')).length === 0, {
      timeout: 30_000,
    });
    await close(b);

    b = await openApp([service.evidence]);
    await openLive(b);
    assert.equal((await b.$$('[data-testid="live-stored"]')).length, 0);
    await close(b);
  },
);

test(
  "without an OS keyring, asking to remember the token is a keyring error and the check still runs",
  { skip: !service.evidence || service.keyring ? "needs scripts/e2e.sh's service, without a keyring" : false },
  async () => {
    const b = await openApp([service.evidence]);
    const remember = await openLive(b);
    await b.$('[data-testid="live-keyring-note"]').waitForExist({ timeout: 30_000 });
    await b.$('[data-testid="live-token"]').setValue(service.token);
    await remember.click();
    await runLive(b);
    const error = await b.$('[data-testid="error"]');
    await error.waitForExist({ timeout: 30_000 });
    const text = await error.getText();
    assert.match(text, /^OS keyring: cannot store the token for http:\/\/127\.0\.0\.1:\d+ in the OS keyring/);
    assert.ok(!text.includes(service.token));
    await shot(b, "live-no-keyring.png");
    await close(b);
  },
);
