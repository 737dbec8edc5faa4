// End-to-end tests of the real Trailproof app: tauri-driver starts the built binary (with the
// evidence as command-line arguments) and WebKitWebDriver drives its webview. Each test saves a
// screenshot of what a person would see to ui/e2e/artifacts/.
//
// Environment: TRAILPROOF_APP (absolute path of the app binary), TAURI_DRIVER_PORT.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { openApp as openAppAt, close, verdictOf } from "./session.mjs";
import { assertNotBlank } from "./png.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const app = process.env.TRAILPROOF_APP ?? resolve(root, "target/debug/trailproof-app");
const artifacts = resolve(here, "artifacts");
mkdirSync(artifacts, { recursive: true });
const v = (p) => resolve(root, "tests/vectors", p);

// Saves a screenshot of what a person sees, and fails the test if it shows nothing.
async function shot(browser, name) {
  const path = resolve(artifacts, name);
  await browser.saveScreenshot(path);
  assertNotBlank(readFileSync(path), name);
}

// Starts the built app with `args` (see session.mjs).
const openApp = (args) => openAppAt(app, args);

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

test("a recovered original is counted, and its record's detail shows it with its proof", async () => {
  const fixture = resolve(root, "tests/fixtures/recovery/replace_rehashed.sqlite");
  const b = await openApp([fixture]);
  assert.equal(await verdictOf(b), "tampered");
  const count = await b.$('[data-testid="recovered-count"]').getText();
  assert.match(count, /^1 earlier or deleted version of records found in the evidence; 1 proven original/);
  const item = await b.$('[data-testid="recovered-item"][data-seq="12"][data-proof="chain"]');
  assert.ok(await item.isExisting(), "acme 12 is listed as proven by the chain");
  await shot(b, "overview-recovered.png");
  await item.$("button").click();
  const copy = await b.$('[data-testid="recovered-copy"][data-proof="chain"]');
  await copy.waitForExist({ timeout: 60_000 });
  assert.match(await copy.getText(), /found in sqlite_freeblock at byte 17905 \(page 5\): its hash is what the rest of the evidence commits to/);
  const fields = await b.$('[data-testid="fields"]').getText();
  assert.match(fields, /recovered from sqlite_freeblock at byte 17905/);
  await shot(b, "detail-recovered.png");
  await close(b);
});

test("the app leaves the evidence byte for byte as it was and adds nothing beside it", async () => {
  // Evidence of every kind the app reads, with what lies beside it: a SQLite file with its
  // -wal, one with a hot -journal, an incrementally updated export PDF, JSON Lines.
  const dir = mkdtempSync(resolve(tmpdir(), "trailproof-e2e-evidence-"));
  const fixtures = resolve(root, "tests/fixtures");
  const files = [
    "recovery/wal_edit.sqlite", "recovery/wal_edit.sqlite-wal",
    "recovery/journal_hot.sqlite", "recovery/journal_hot.sqlite-journal",
    "pdf-recovery/two-updates.pdf",
  ].map((f) => resolve(fixtures, f));
  files.push(v("records.jsonl"));
  for (const f of files) copyFileSync(f, resolve(dir, f.split("/").pop()));
  const snapshot = () =>
    Object.fromEntries(
      readdirSync(dir).sort().map((n) => [n, createHash("sha256").update(readFileSync(resolve(dir, n))).digest("hex")]),
    );
  const before = snapshot();
  assert.equal(Object.keys(before).length, 6);
  const evidence = ["wal_edit.sqlite", "journal_hot.sqlite", "two-updates.pdf", "records.jsonl"].map((n) => resolve(dir, n));
  const b = await openApp(evidence);
  assert.equal(await verdictOf(b), "tampered");
  // Read a record back from every file (the detail reopens the evidence).
  await b.$('[data-testid="tab-records"]').click();
  await b.waitUntil(async () => (await b.$$('[data-testid="record-row"]')).length > 0, { timeout: 30_000 });
  await (await b.$$('[data-testid="record-row"]'))[0].click();
  await b.$('[data-testid="canonical"]').waitForExist({ timeout: 60_000 });
  await close(b);
  assert.deepEqual(snapshot(), before);
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
  // A lane per tenant under the axis, each holding that tenant's events.
  const lanes = [];
  for (const l of await b.$$('[data-testid="timeline-lane"]')) {
    lanes.push([await l.getAttribute("data-tenant"), Number(await l.getAttribute("data-events"))]);
  }
  assert.deepEqual(lanes.map(([t]) => t), ["acme", "globex"]);
  assert.ok(lanes.every(([, n]) => n > 0), JSON.stringify(lanes));
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
    // The note about the missing keyring shows once remembering is asked for, not before.
    await b.$('[data-testid="live-token"]').setValue(service.token);
    assert.equal((await b.$$('[data-testid="live-keyring-note"]')).length, 0);
    await remember.click();
    await b.$('[data-testid="live-keyring-note"]').waitForExist({ timeout: 30_000 });
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

// The case file across two sittings: created in the app, evidence added through the (test-
// seamed) file dialog, a record starred, tagged and noted from the keyboard, a view saved, an
// analyst event added, a report and a Timesketch timeline exported with all of it; then one
// evidence file changes, and reopening the case names it.
const dialogDir = process.env.TRAILPROOF_TEST_DIALOG_DIR;

// Waits for the "Saved PATH (N bytes, SHA-256 ...)" notice of a file written in full.
async function savedNotice(b, path) {
  await b.waitUntil(
    async () => {
      for (const n of await b.$$(".banner.notice")) if ((await n.getText()).includes(`Saved ${path} (`)) return true;
      return false;
    },
    { timeout: 60_000, timeoutMsg: `no "Saved ${path}" notice` },
  );
}
test(
  "a case file keeps annotations, views and analyst events, and names evidence that changed",
  { skip: !dialogDir ? "needs scripts/e2e.sh's TRAILPROOF_TEST_DIALOG_DIR" : false },
  async () => {
    const evidence = resolve(dialogDir, "evidence");
    mkdirSync(evidence, { recursive: true });
    const pdf = resolve(evidence, "export-acme-critical.pdf");
    const db = resolve(evidence, "audit.sqlite");
    copyFileSync(v("export-acme-critical.pdf"), pdf);
    copyFileSync(v("audit.sqlite"), db);
    const caseFile = resolve(dialogDir, "E2E-17.tpcase");
    const pick = (...paths) => writeFileSync(resolve(dialogDir, "pick.txt"), paths.join("\n"));
    const testid = async (b, id) => b.$(`[data-testid="${id}"]`);

    let b = await openApp([]);
    await (await testid(b, "new-case-number")).waitForExist({ timeout: 60_000 });
    await (await testid(b, "new-case-number")).setValue("E2E-17");
    await (await testid(b, "new-case-examiner")).setValue("Dana Examiner");
    await (await testid(b, "new-case-zone")).clearValue();
    await (await testid(b, "new-case-zone")).setValue("Europe/Berlin");
    await (await testid(b, "new-case")).click();
    const header = await testid(b, "case-header");
    await header.waitForExist({ timeout: 30_000 });
    // (textContent: the header clips a long case name with an ellipsis, which WebDriver's
    // visible-text rule reads as hidden.)
    assert.equal((await header.getProperty("textContent")).trim(), "Case E2E-17 · Dana Examiner · Europe/Berlin");
    assert.ok(existsSync(caseFile), "the case file is where the save dialog put it");
    await shot(b, "case-new.png");

    // Evidence joins through the dialog and is verified as one case.
    pick(pdf, db);
    await (await testid(b, "add-evidence")).click();
    assert.equal(await verdictOf(b), "intact");

    // From the row: s stars it, t opens it at the tag field.
    await (await testid(b, "overview-case")).waitForExist({ timeout: 30_000 });
    assert.match(await (await testid(b, "overview-case")).getText(), /^Case E2E-17 · examiner Dana Examiner · times in Europe\/Berlin$/);
    await (await testid(b, "tab-records")).click();
    await b.waitUntil(async () => (await b.$$('[data-testid="record-row"]')).length > 0, { timeout: 30_000 });
    const row = (await b.$$('[data-testid="record-row"]'))[2];
    const tenant = await row.getAttribute("data-tenant");
    const seq = await row.getAttribute("data-seq");
    await b.execute((el) => el.focus(), row);
    await b.keys("s");
    await b.waitUntil(async () => (await row.$$('[data-testid="row-star"]')).length === 1, { timeout: 10_000 });
    await b.keys("t");
    await (await testid(b, "annotate")).waitForExist({ timeout: 30_000 });
    await b.waitUntil(
      async () => (await b.execute(() => document.activeElement?.getAttribute("data-testid"))) === "tag-input",
      { timeout: 10_000, timeoutMsg: "t on a row opens the detail at the tag field" },
    );
    assert.equal(await (await testid(b, "star")).getAttribute("aria-pressed"), "true");
    await (await testid(b, "tag-input")).setValue("exfil");
    await b.keys("Enter");
    await b.waitUntil(async () => (await b.$$('[data-testid="tag"]')).length === 1, { timeout: 10_000 });
    assert.match(await (await testid(b, "tag")).getText(), /^exfil/);
    // In the detail: s unstars and stars again, n goes to the note field.
    await b.execute(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    const pressed = async () => (await testid(b, "star")).getAttribute("aria-pressed");
    await b.keys("s");
    await b.waitUntil(async () => (await pressed()) === "false", { timeout: 10_000 });
    await b.keys("s");
    await b.waitUntil(async () => (await pressed()) === "true", { timeout: 10_000 });
    await b.keys("n");
    assert.equal(await b.execute(() => document.activeElement?.getAttribute("data-testid")), "note-input");
    await (await testid(b, "note-input")).setValue("<b>called the admin</b>");
    await (await testid(b, "note-add")).click();
    const note = await testid(b, "note");
    await note.waitForExist({ timeout: 10_000 });
    assert.match(await note.getText(), /^<b>called the admin<\/b>/, "a note shows as text, never as HTML");
    await shot(b, "case-annotated.png");
    await b.keys("Escape");

    // The starred filter keeps exactly that record; the view is saved in the case file.
    await (await testid(b, "filter-starred")).click();
    await b.waitUntil(async () => (await (await testid(b, "records-total")).getText()).startsWith("1 entries"), { timeout: 30_000 });
    const kept = await b.$$('[data-testid="record-row"]');
    assert.equal(kept.length, 1);
    assert.deepEqual([await kept[0].getAttribute("data-tenant"), await kept[0].getAttribute("data-seq")], [tenant, seq]);
    await (await testid(b, "view-name")).setValue("starred");
    await (await testid(b, "save-view")).click();
    await (await testid(b, "apply-view")).waitForExist({ timeout: 10_000 });

    // An analyst event, at a time given with its offset, shown in the case's zone.
    await (await testid(b, "tab-case")).click();
    await (await testid(b, "analyst-time")).setValue("2026-03-01T09:00:00+01:00");
    await (await testid(b, "analyst-text")).setValue("Phone call with the tenant admin");
    await (await testid(b, "analyst-add")).click();
    const event = await testid(b, "case-analyst-event");
    await event.waitForExist({ timeout: 10_000 });
    assert.match(await event.getText(), /^2026-03-01 09:00:00\.000000000 \+01:00 Phone call with the tenant admin/);
    const annotation = await b.$(`[data-testid="case-annotation"][data-tenant="${tenant}"][data-seq="${seq}"]`);
    assert.ok(await annotation.isExisting(), "the Case tab lists the annotation");
    await shot(b, "case-tab.png");

    // The report and the Timesketch timeline carry the case; the examiner log records both.
    const logged = async () => Number((await (await testid(b, "case-log")).getText()).match(/^(\d+) record/)[1]);
    const before = await logged();
    await (await testid(b, "export")).click();
    await b.$("button=HTML…").click();
    const report = resolve(dialogDir, "trailproof-report.html");
    await savedNotice(b, report);
    const html = readFileSync(report, "utf8");
    assert.match(html, /E2E-17/);
    assert.match(html, /Dana Examiner/);
    assert.match(html, /&lt;b&gt;called the admin&lt;\/b&gt;/);
    assert.match(html, /Phone call with the tenant admin/);
    await (await testid(b, "export")).click();
    await b.$("button=Timesketch JSONL…").click();
    const sketch = resolve(dialogDir, "timeline-timesketch.jsonl");
    await savedNotice(b, sketch);
    const lines = readFileSync(sketch, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const annotated = lines.filter((l) => JSON.stringify(l).includes("<b>called the admin</b>"));
    assert.equal(annotated.length, 1, "one event carries the note");
    assert.ok(JSON.stringify(annotated[0]).includes("exfil"));
    assert.ok(
      lines.some((l) => l.kind === "analyst_event" && l.message.includes("Phone call with the tenant admin")),
      "the analyst event is on the timeline, marked as the examiner's",
    );
    await (await testid(b, "tab-case")).click();
    await b.waitUntil(async () => (await logged()) === before + 2, { timeout: 10_000 });
    assert.match(await (await testid(b, "case-log")).getText(), /the chain is whole/);
    const records = await logged();
    await close(b);

    // The next day: the recent case file reopens with everything back.
    b = await openApp([]);
    let recent = null;
    await b.waitUntil(
      async () => {
        for (const r of await b.$$('[data-testid="recent-case"]')) if ((await r.getText()).includes("E2E-17.tpcase")) recent = r;
        return recent !== null;
      },
      { timeout: 60_000, timeoutMsg: "the case file is among the recent cases" },
    );
    await recent.click();
    assert.equal(await verdictOf(b), "intact");
    assert.equal((await b.$$('[data-testid="evidence-changed"]')).length, 0);
    await (await testid(b, "tab-records")).click();
    // Sorted by time, the analyst event stands among the records, marked as the examiner's: it
    // happened before every record of the evidence, so it comes first.
    const analystRow = await testid(b, "analyst-row");
    await analystRow.waitForExist({ timeout: 30_000 });
    assert.match(await analystRow.getProperty("textContent"), /analyst event\s*Phone call with the tenant admin/);
    const firstRow = await b.$('[data-testid="records-table"] .rows > :first-child');
    assert.equal(await firstRow.getAttribute("data-testid"), "analyst-row");
    assert.match(await (await testid(b, "records-total")).getText(), /entries and 1 analyst event/);
    await (await testid(b, "apply-view")).waitForExist({ timeout: 30_000 });
    await (await testid(b, "apply-view")).selectByVisibleText("starred");
    await b.waitUntil(async () => (await (await testid(b, "records-total")).getText()).startsWith("1 entries"), { timeout: 30_000 });
    assert.equal(await (await testid(b, "filter-starred")).isSelected(), true, "the saved view sets the starred filter");
    await (await testid(b, "tab-case")).click();
    assert.ok(await b.$(`[data-testid="case-annotation"][data-tenant="${tenant}"][data-seq="${seq}"]`).isExisting());
    assert.match(await (await testid(b, "case-analyst-event")).getText(), /Phone call with the tenant admin/);
    await (await b.$('[data-testid="examiner-log"] > summary')).click();
    await b.waitUntil(async () => (await b.$$('[data-testid="examiner-log-entry"]')).length === records, { timeout: 10_000 });
    const actions = [];
    for (const e of await b.$$('[data-testid="examiner-log-entry"]')) actions.push(await e.getAttribute("data-action"));
    assert.deepEqual(actions.slice(0, 4), ["case.created", "evidence.added", "evidence.added", "annotation.starred"]);
    assert.deepEqual(actions.slice(-2), ["report.exported", "report.exported"]);
    assert.equal((await b.$$('[data-testid="examiner-log"] .status.failed')).length, 0);
    await shot(b, "case-reopened.png");
    await close(b);

    // One evidence file changes between sittings: reopening names it.
    appendFileSync(pdf, "\n% changed\n");
    b = await openApp([]);
    pick(caseFile);
    await (await testid(b, "open-case-file")).waitForExist({ timeout: 60_000 });
    await (await testid(b, "open-case-file")).click();
    const banner = await testid(b, "evidence-changed");
    await banner.waitForExist({ timeout: 60_000 });
    assert.match(await banner.getText(), /evidence\/export-acme-critical\.pdf/);
    assert.doesNotMatch(await banner.getText(), /audit\.sqlite/);
    await (await testid(b, "tab-case")).click();
    const states = [];
    for (const e of await b.$$('[data-testid="case-evidence"]')) states.push(await e.getAttribute("data-state"));
    assert.deepEqual(states.sort(), ["changed", "unchanged"]);
    assert.match(await (await testid(b, "case-verdict")).getText(), /^not current/);
    assert.ok(await b.$(`[data-testid="case-annotation"][data-tenant="${tenant}"][data-seq="${seq}"]`).isExisting());
    await shot(b, "case-reopened-changed.png");
    await close(b);
  },
);

// A checkpoint taken in the app when the table is first seen catches its later rewrite.
test(
  "a checkpoint saved in the app anchors a later copy of the table",
  { skip: !dialogDir ? "needs scripts/e2e.sh's TRAILPROOF_TEST_DIALOG_DIR" : false },
  async () => {
    const sample = (p) => resolve(root, "samples", p);
    let b = await openApp([sample("audit.sqlite")]);
    assert.equal(await verdictOf(b), "intact");
    await b.$('[data-testid="export"]').click();
    await b.$('[data-testid="save-checkpoint"]').click();
    const cp = resolve(dialogDir, "trailproof-checkpoint.json");
    await savedNotice(b, cp);
    const saved = JSON.parse(readFileSync(cp, "utf8"));
    assert.deepEqual(saved.heads.map((h) => h.tenant_id).sort(), ["acme", "globex"]);
    await close(b);

    // The rewritten copy alone reads intact as far as it goes; with the checkpoint added, the
    // rewrite is caught against the heads seen before.
    b = await openApp([sample("audit-rewritten.sqlite")]);
    assert.equal(await verdictOf(b), "intact");
    writeFileSync(resolve(dialogDir, "pick.txt"), cp);
    await b.$('[data-testid="add-to-case"]').click();
    await b.waitUntil(async () => (await verdictOf(b)) === "tampered", { timeout: 120_000 });

    const f = await findings(b);
    assert.ok(f.some((x) => x.code === "anchor_mismatch"), JSON.stringify(f));
    await shot(b, "checkpoint-caught.png");
    await close(b);
  },
);

test("Help → Self-test runs the known answers and names the build", async () => {
  const b = await openApp([]);
  await b.$('[data-testid="help"]').waitForExist({ timeout: 60_000 });
  await b.$('[data-testid="help"]').click();
  await b.$('[data-testid="open-selftest"]').click();
  const verdict = await b.$('[data-testid="selftest-verdict"]');
  await verdict.waitForExist({ timeout: 120_000 });
  assert.equal(await verdict.getAttribute("data-passed"), "true", await verdict.getText());
  assert.match(await verdict.getText(), /^PASSED: (\d+) of \1 known answers match/);
  assert.match(await b.$('[data-testid="selftest-sha256"]').getText(), /^[0-9a-f]{64}$/);
  await shot(b, "selftest.png");
  await close(b);
});
