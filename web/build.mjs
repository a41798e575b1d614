// Copies the pinned front-end packages and our own web/src files into static/, then makes
// what phones need to load them fast and offline:
// - a copy of each file under a content-hashed name (app.3f2a1c9b0d.css), listed in
//   static/manifest.json: the server links pages to these and lets browsers keep them for a
//   year (immutable); the plain names stay, for what asks by name (a decoder's .wasm);
// - .br and .gz twins of every text file, made once (web/.build-cache keeps them by
//   content), which the server and nginx send to browsers that take them;
// - the service worker (web/src/sw.js with its precache list filled in), served as /sw.js.
// Plain Node on purpose: there is nothing to bundle, and a closed network wants every file
// self-hosted. Run from anywhere: paths are relative to this file.
import { createHash } from "node:crypto";
import {
  copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const webDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(webDir, "..");
const modules = join(webDir, "node_modules");
const staticDir = join(rootDir, "static");
const cacheDir = join(webDir, ".build-cache");

// [source inside node_modules, destination inside static/vendor]
const VENDOR = [
  ["weui/dist/style/weui.min.css", "weui/weui.min.css"],
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  // Alpine's CSP build: it parses x-* expressions itself instead of compiling them with
  // new Function, so script-src needs no 'unsafe-eval'
  ["@alpinejs/csp/dist/cdn.min.js", "alpine/alpine-csp.min.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"],
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui-standalone-preset.js", "swagger-ui/swagger-ui-standalone-preset.js"],
  // the scanner's QR decoder where the browser has no BarcodeDetector; scanner.js
  // points the ponyfill's locateFile at our copy of the .wasm
  ["barcode-detector/dist/iife/ponyfill.js", "barcode-detector/ponyfill.js"],
  ["zxing-wasm/dist/reader/zxing_reader.wasm", "zxing/zxing_reader.wasm"],
  // the dashboards' charts (line, bar and pie are all they draw): loaded on those pages only
  ["echarts/dist/echarts.simple.min.js", "echarts/echarts.simple.min.js"],
  // the service worker's library: sw.js loads its modules from here, never from elsewhere
  ["workbox-sw/build/workbox-sw.js", "workbox/workbox-sw.js"],
  ["workbox-core/build/workbox-core.prod.js", "workbox/workbox-core.prod.js"],
  ["workbox-routing/build/workbox-routing.prod.js", "workbox/workbox-routing.prod.js"],
  ["workbox-strategies/build/workbox-strategies.prod.js", "workbox/workbox-strategies.prod.js"],
  ["workbox-precaching/build/workbox-precaching.prod.js", "workbox/workbox-precaching.prod.js"],
  ["workbox-expiration/build/workbox-expiration.prod.js", "workbox/workbox-expiration.prod.js"],
];

// What the pages that must open without network (the scanner, 我的码) load: the service
// worker keeps these (their hashed names) from its installation on. The QR decoder for
// phones without BarcodeDetector (a megabyte) is kept only once a scanner has loaded it.
const OFFLINE = [
  "vendor/weui/weui.min.css", "vendor/htmx/htmx.min.js", "vendor/alpine/alpine-csp.min.js",
  "dist/app.css", "dist/checkin.css", "dist/app.js", "dist/confirm.js", "dist/components.js",
  "dist/checkin-pages.js", "dist/offline-queue.js", "dist/scanner-net.js", "dist/scanner-camera.js",
  "dist/scanner-sync.js", "dist/scanner-ui.js", "dist/scanner.js",
];
const COMPRESSIBLE = new Set([".css", ".js", ".json", ".svg", ".wasm", ".map", ".txt", ".html"]);
// files the service worker or the decoder ask for by name: no hashed twin needed
const BY_NAME_ONLY = (path) => path.startsWith("vendor/workbox/") || path === "dist/sw.js";

function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(1);
}

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

const missing = VENDOR.map(([src]) => join(modules, src)).filter((p) => !existsSync(p));
if (missing.length) {
  fail(
    `missing ${missing.map((p) => relative(rootDir, p)).join(", ")}\n` +
      "  run `npm ci` in web/ first (or `make assets`).",
  );
}
const srcDir = join(webDir, "src");
if (!existsSync(srcDir)) fail(`missing ${relative(rootDir, srcDir)}/`);

// Start from empty output folders so a file removed from src/ or from the
// list above does not linger in static/.
for (const out of ["vendor", "dist"]) {
  rmSync(join(staticDir, out), { recursive: true, force: true });
}
rmSync(join(staticDir, "manifest.json"), { force: true });
mkdirSync(cacheDir, { recursive: true });

const written = []; // paths relative to static/
function write(rel, data) {
  const dest = join(staticDir, rel);
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, data);
  written.push(rel);
}

for (const [src, dest] of VENDOR) {
  write(join("vendor", dest), readFileSync(join(modules, src)));
}
// stylesheets every page needs, sent as one file: a phone's first visit makes one request
// fewer (each costs its headers); the sources stay apart by subject. Their comments (the
// why of each rule) stay in web/src: every first visit would pay for them, a third of the
// compressed file. (Our CSS has no string holding a comment's marks.)
const BUNDLES = { "app.css": ["app.css", "layout.css"] };
const bundled = new Set(Object.values(BUNDLES).flat());
const uncommented = (css) => css.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\n\s*\n+/g, "\n");
for (const [out, parts] of Object.entries(BUNDLES)) {
  write(join("dist", out), uncommented(
    parts.map((part) => readFileSync(join(srcDir, part), "utf8")).join("\n")));
}
for (const file of listFiles(srcDir)) {
  const rel = relative(srcDir, file);
  if (rel === "sw.js" || bundled.has(rel)) continue; // sw.js: made below, with its precache list
  write(join("dist", rel), readFileSync(file));
}

function digest(data) {
  return createHash("sha256").update(data).digest("hex");
}

// content-hashed twins and the manifest the server links with
const manifest = {};
for (const rel of [...written]) {
  if (BY_NAME_ONLY(rel)) continue;
  const data = readFileSync(join(staticDir, rel));
  const ext = extname(rel);
  const hashed = join(dirname(rel), `${basename(rel, ext)}.${digest(data).slice(0, 10)}${ext}`);
  write(hashed, data);
  manifest[rel] = hashed;
}
for (const name of OFFLINE) {
  if (!manifest[name]) fail(`the offline list names ${name}, which is not built`);
}

// the service worker: our source with the hashed URLs it keeps, and a version that changes
// whenever any of them does (so phones take the new worker)
const precache = OFFLINE.map((name) => `/static/${manifest[name]}`);
const swSource = readFileSync(join(srcDir, "sw.js"), "utf8");
if (!swSource.includes("self.__WUSHE_PRECACHE")) fail("web/src/sw.js has no self.__WUSHE_PRECACHE");
const version = digest(JSON.stringify(precache) + swSource).slice(0, 12);
write("dist/sw.js", swSource
  .replace("self.__WUSHE_PRECACHE", JSON.stringify(precache))
  .replace("self.__WUSHE_VERSION", JSON.stringify(version)));
writeFileSync(join(staticDir, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");

// .br and .gz twins, from the cache when the content was compressed before
let made = 0;
for (const rel of written) {
  if (!COMPRESSIBLE.has(extname(rel))) continue;
  const data = readFileSync(join(staticDir, rel));
  const key = digest(data);
  for (const [suffix, compress] of [
    [".br", (d) => brotliCompressSync(d, { params: {
      [constants.BROTLI_PARAM_QUALITY]: d.length > 200000 ? 9 : 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: d.length } })],
    [".gz", (d) => gzipSync(d, { level: 9 })],
  ]) {
    const cached = join(cacheDir, key + suffix);
    if (!existsSync(cached)) {
      writeFileSync(cached, compress(data));
      made += 1;
    }
    copyFileSync(cached, join(staticDir, rel + suffix));
  }
}

console.log(`build.mjs: ${written.length} files into static/ (${Object.keys(manifest).length} ` +
            `hashed, ${made} newly compressed), service worker ${version}`);
