// Builds the booth app into static/booth/ (committed, so that `make run` needs only Python): `npm ci && node build.mjs`.
// Each output's first line is the SHA-256 of the sources; tests/test_booth_bundle.py recomputes it and fails when a
// committed bundle is older than its sources.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static", "booth");

function walk(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** SHA-256 over build.mjs, package.json, package-lock.json and src/**: for each, "path\0content\0", by path. */
export function sourcesDigest() {
  const files = ["build.mjs", "package.json", "package-lock.json", ...walk(join(here, "src")).map((p) => relative(here, p))]
    .map((p) => p.split("\\").join("/"))
    .sort();
  const digest = createHash("sha256");
  for (const path of files) {
    digest.update(`${path}\0`);
    digest.update(readFileSync(join(here, path)));
    digest.update("\0");
  }
  return digest.digest("hex");
}

const banner = `/* avr-booth sources sha256:${sourcesDigest()} */`;
const common = {
  bundle: true, minify: true, legalComments: "none", target: ["chrome100", "firefox100", "safari15"],
  banner: { js: banner, css: banner }, define: { "process.env.NODE_ENV": '"production"' }, logLevel: "info",
};

await build({ ...common, entryPoints: [join(here, "src", "booth.js")], outfile: join(out, "booth.js"), format: "iife" });
await build({ ...common, entryPoints: [join(here, "src", "sw.js")], outfile: join(out, "booth-sw.js"), format: "iife" });
await build({ ...common, entryPoints: [join(here, "src", "booth.css")], outfile: join(out, "booth.css") });
