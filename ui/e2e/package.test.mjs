// The desktop app as a package installs it: scripts/package-check.sh unpacks the .deb into a
// scratch root and points TRAILPROOF_APP at its usr/bin/trailproof-app; tauri-driver starts it
// on the bundled sample evidence and WebKitWebDriver reads the verdict a person would see.
// A screenshot of each lands in ui/e2e/artifacts/.
//
// Environment: TRAILPROOF_APP (absolute path of the app binary), TAURI_DRIVER_PORT.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { openApp, close, verdictOf } from "./session.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const app = process.env.TRAILPROOF_APP;
const artifacts = resolve(here, "artifacts");
mkdirSync(artifacts, { recursive: true });
const sample = (p) => resolve(root, "samples", p);

async function verdictOn(files, screenshot) {
  assert.ok(app, "TRAILPROOF_APP names the unpacked app binary");
  const browser = await openApp(app, files.map(sample));
  const verdict = await verdictOf(browser);
  await browser.saveScreenshot(resolve(artifacts, screenshot));
  await close(browser);
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
