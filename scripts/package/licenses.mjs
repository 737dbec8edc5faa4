// Collects the licenses of everything the packages bundle, for /usr/share/doc/trailproof/:
// - rust-crates.txt: every crate compiled into `trailproof` or `trailproof-app` (normal
//   dependencies for the build target, from `cargo metadata`; build scripts and proc macros
//   run only at build time and are not in the binaries), each with its license expression and
//   the text of every license file it ships; identical texts are written once and referred to;
// - npm-packages.txt: the npm packages the UI's code imports at run time (bundled into the app
//   by Vite) and everything they depend on, from ui/package-lock.json, the same way.
// The fonts' license is copied by scripts/package.sh.
//
// Usage: node scripts/package/licenses.mjs OUT_DIR TARGET_TRIPLE
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const [outDir, target] = process.argv.slice(2);
if (!outDir || !target) {
  console.error("usage: licenses.mjs OUT_DIR TARGET_TRIPLE");
  process.exit(2);
}
const root = resolve(dirname(new URL(import.meta.url).pathname), "../..");
mkdirSync(outDir, { recursive: true });

const LICENSE_FILE = /^(licen[cs]e|copying|notice|copyright|unlicense|mit|apache)([-._].*)?$/i;

function licenseFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => LICENSE_FILE.test(f) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => ({ name: f, text: readFileSync(join(dir, f), "utf8") }));
}

/** Writes `entries` ({ title, license, files }) with each distinct text once. */
function write(path, heading, entries) {
  const texts = new Map(); // normalized text -> label
  const body = [];
  const appendix = [];
  for (const e of entries) {
    body.push("=".repeat(78), e.title, `License: ${e.license || "(not stated)"}`);
    if (e.files.length === 0) body.push("No license file is shipped in this package; its license is the expression above.");
    for (const f of e.files) {
      const key = f.text.replace(/\s+/g, " ").trim();
      let label = texts.get(key);
      if (!label) {
        label = `TEXT-${String(texts.size + 1).padStart(3, "0")} (${createHash("sha256").update(key).digest("hex").slice(0, 12)})`;
        texts.set(key, label);
        appendix.push("=".repeat(78), label, "-".repeat(78), f.text.trimEnd());
      }
      body.push(`${f.name}: see ${label} below`);
    }
  }
  const header = [heading, `${entries.length} packages; ${texts.size} distinct license texts follow the list.`, ""];
  writeFileSync(path, [...header, ...body, "", "LICENSE TEXTS", ...appendix, ""].join("\n"));
}

// Rust: the dependency closure of the two binaries.
const meta = JSON.parse(
  execFileSync("cargo", ["metadata", "--format-version", "1", "--locked", "--filter-platform", target], {
    cwd: root,
    maxBuffer: 256 << 20,
  }),
);
const packages = new Map(meta.packages.map((p) => [p.id, p]));
const nodes = new Map(meta.resolve.nodes.map((n) => [n.id, n]));
const workspace = new Set(meta.workspace_members);
const roots = meta.packages.filter((p) => p.name === "trailproof-cli" || p.name === "trailproof-app").map((p) => p.id);
const seen = new Set();
const stack = [...roots];
while (stack.length) {
  const id = stack.pop();
  if (seen.has(id)) continue;
  seen.add(id);
  for (const dep of nodes.get(id)?.deps ?? []) {
    if (dep.dep_kinds.some((k) => k.kind === null)) stack.push(dep.pkg);
  }
}
const crates = [...seen]
  .map((id) => packages.get(id))
  .filter((p) => !workspace.has(p.id))
  .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version))
  .map((p) => {
    const dir = dirname(p.manifest_path);
    const files = licenseFiles(dir);
    if (p.license_file && !files.some((f) => join(dir, f.name) === resolve(dir, p.license_file))) {
      files.push({ name: p.license_file, text: readFileSync(resolve(dir, p.license_file), "utf8") });
    }
    return { title: `${p.name} ${p.version}`, license: p.license, files };
  });
write(
  join(outDir, "rust-crates.txt"),
  `Rust crates compiled into trailproof and trailproof-app (${target}).`,
  crates,
);

// npm: what the UI imports at run time, and its dependencies.
const lock = JSON.parse(readFileSync(join(root, "ui/package-lock.json"), "utf8"));
const RUNTIME = ["svelte", "@tauri-apps/api"];
const found = new Map();
const resolveDep = (from, name) => {
  // Node's lookup: the nearest node_modules up from the requiring package.
  let base = from;
  for (;;) {
    const candidate = `${base ? base + "/" : ""}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return null;
    const i = base.lastIndexOf("/node_modules/");
    base = i < 0 ? "" : base.slice(0, i);
  }
};
const todo = RUNTIME.map((n) => resolveDep("", n));
while (todo.length) {
  const key = todo.pop();
  if (!key || found.has(key)) continue;
  const p = lock.packages[key];
  found.set(key, p);
  for (const dep of Object.keys({ ...p.dependencies, ...p.peerDependencies })) todo.push(resolveDep(key, dep));
}
const npm = [...found.keys()].sort().map((key) => {
  const p = found.get(key);
  const dir = join(root, "ui", key);
  const pkg = existsSync(join(dir, "package.json")) ? JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) : {};
  return {
    title: `${key.replace(/^.*node_modules\//, "")} ${p.version}`,
    license: p.license ?? pkg.license,
    files: licenseFiles(dir),
  };
});
write(join(outDir, "npm-packages.txt"), "npm packages bundled into the desktop app's window (ui/dist).", npm);
console.log(`licenses: ${crates.length} crates, ${npm.length} npm packages`);
