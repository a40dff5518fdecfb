// The console's third-party files, exactly as the locked npm packages ship them: uPlot's
// minified IIFE, its CSS and its licence. `node ship.mjs` checks that the copies committed
// in the Python package are these bytes (non-zero exit when not); `--ship` writes them.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const STATIC = join(here, "../../src/swarmscope/server/console/static/vendor");
// Source in node_modules -> copy under the console's static/vendor.
export const FILES = {
  "uplot/dist/uPlot.iife.min.js": "uplot/uPlot.iife.min.js",
  "uplot/dist/uPlot.min.css": "uplot/uPlot.min.css",
  "uplot/LICENSE": "uplot/LICENSE",
};

const { values } = parseArgs({ options: { ship: { type: "boolean", default: false } } });
const stale = [];
for (const [from, to] of Object.entries(FILES)) {
  const source = join(here, "node_modules", from);
  const copy = join(STATIC, to);
  if (values.ship) {
    mkdirSync(dirname(copy), { recursive: true });
    copyFileSync(source, copy);
  } else if (!existsSync(copy) || !readFileSync(source).equals(readFileSync(copy))) {
    stale.push(to);
  }
}
if (stale.length) {
  console.error(`not the locked packages' files: ${stale.join(", ")}; run \`node ship.mjs --ship\` in js/console-vendor and commit`);
  process.exit(1);
}
