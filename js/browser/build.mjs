// The bundles: an ES module for bundlers and npm, and an IIFE exposing `swarmscope` for a
// plain <script> tag. `--outdir DIR` writes them elsewhere than dist/ (the Python test builds
// a fresh copy to compare); `--ship` also copies the IIFE into the Python package, which
// serves it at /sdk/swarmscope-browser.js.
import { copyFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const { values } = parseArgs({
  options: { outdir: { type: "string", default: "dist" }, ship: { type: "boolean", default: false } },
});
const common = {
  entryPoints: ["src/index.ts"],
  bundle: true,
  minify: true,
  platform: "browser",
  target: ["es2020"],
  legalComments: "none",
  logLevel: "warning",
};

await build({ ...common, format: "esm", outfile: `${values.outdir}/swarmscope-browser.mjs` });
await build({ ...common, format: "iife", globalName: "swarmscope", outfile: `${values.outdir}/swarmscope-browser.js` });
if (values.ship) {
  copyFileSync(
    `${values.outdir}/swarmscope-browser.js`,
    "../../src/swarmscope/server/console/static/swarmscope-browser.js",
  );
}
