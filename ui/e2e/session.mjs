// A WebDriver session on the real app, shared by the end-to-end tests of the built app
// (app.test.mjs) and of the packaged one (package.test.mjs): tauri-driver on TAURI_DRIVER_PORT
// starts APP with ARGS; every session still open when the tests end is closed.
import { after } from "node:test";
import { remote } from "webdriverio";

const port = Number(process.env.TAURI_DRIVER_PORT ?? 4455);
const sessions = [];
after(async () => {
  for (const s of sessions) await s.deleteSession().catch(() => {});
});

/** Starts `app` with `args` and gives the browser session driving its window. */
export async function openApp(app, args) {
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

/** Ends a session (and the app). */
export async function close(browser) {
  await browser.deleteSession().catch(() => {});
  sessions.splice(sessions.indexOf(browser), 1);
}

/** The verdict the Overview shows, lower case, once the case is open. */
export async function verdictOf(browser) {
  const el = await browser.$('[data-testid="verdict"]');
  await el.waitForExist({ timeout: 120_000 });
  return (await el.getText()).trim().toLowerCase();
}
