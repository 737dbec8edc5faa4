// The desktop app as a package installs it: scripts/package-check.sh unpacks the .deb into a
// scratch root and points TRAILPROOF_APP at its usr/bin/trailproof-app; tauri-driver starts it
// on the bundled sample evidence and WebKitWebDriver reads the verdict a person would see.
// A screenshot of each lands in ui/e2e/artifacts/.
//
// Environment: TRAILPROOF_APP (absolute path of the app binary), TAURI_DRIVER_PORT.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const app = process.env.TRAILPROOF_APP;
const port = Number(process.env.TAURI_DRIVER_PORT ?? 4455);
const artifacts = resolve(here, "artifacts");
mkdirSync(artifacts, { recursive: true });
const sample = (p) => resolve(root, "samples", p);

const sessions = [];
after(async () => {
  for (const s of sessions) await s.deleteSession().catch(() => {});
});

async function verdictOn(files, screenshot) {
  assert.ok(app, "TRAILPROOF_APP names the unpacked app binary");
  const browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "error",
    connectionRetryTimeout: 120_000,
    capabilities: {
      browserName: "wry",
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application: app, args: files.map(sample) },
    },
  });
  sessions.push(browser);
  const el = await browser.$('[data-testid="verdict"]');
  await el.waitForExist({ timeout: 120_000 });
  const verdict = (await el.getText()).trim().toLowerCase();
  await browser.saveScreenshot(resolve(artifacts, screenshot));
  await browser.deleteSession().catch(() => {});
  sessions.splice(sessions.indexOf(browser), 1);
  return verdict;
}

test("the packaged app reads the sample export and its database as intact", async () => {
  assert.equal(await verdictOn(["export-acme.pdf", "audit.sqlite"], "package-intact.png"), "intact");
});

test("the packaged app catches the rewritten database", async () => {
  assert.equal(
    await verdictOn(["export-acme.pdf", "audit-rewritten.sqlite"], "package-tampered.png"),
    "tampered",
  );
});
