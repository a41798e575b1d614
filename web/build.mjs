// Copies the pinned front-end packages and our own web/src files into static/.
// Plain Node on purpose: there is nothing to bundle, and a closed network wants
// every file self-hosted. Run from anywhere: paths are relative to this file.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const webDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(webDir, "..");
const modules = join(webDir, "node_modules");
const staticDir = join(rootDir, "static");

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
];

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

let count = 0;
function copy(src, dest) {
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(src, dest);
  count += 1;
}

for (const [src, dest] of VENDOR) {
  copy(join(modules, src), join(staticDir, "vendor", dest));
}
for (const file of listFiles(srcDir)) {
  copy(file, join(staticDir, "dist", relative(srcDir, file)));
}

console.log(`build.mjs: copied ${count} files into static/vendor/ and static/dist/`);
