// The initial JavaScript budget: the entry chunk and every chunk it imports statically (what the
// browser must fetch before the first render), gzipped, at most BUDGET_KB. Lazy pages do not count.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 200;
const dist = new URL("../dist/", import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(dist, ".vite", "manifest.json"), "utf8"));

function initialChunks() {
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const imported of manifest[key].imports ?? []) visit(imported);
  };
  for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);
  return [...seen].map((key) => manifest[key].file).filter((file) => file.endsWith(".js"));
}

const sizes = initialChunks().map((file) => ({ file, gzip: gzipSync(readFileSync(join(dist, file)), { level: 9 }).length }));
const totalKb = sizes.reduce((sum, { gzip }) => sum + gzip, 0) / 1024;
for (const { file, gzip } of sizes) console.log(`  ${file}  ${(gzip / 1024).toFixed(1)} KB gzip`);
console.log(`initial JavaScript: ${totalKb.toFixed(1)} KB gzipped (budget ${BUDGET_KB} KB)`);
if (totalKb > BUDGET_KB) {
  console.error(`over budget by ${(totalKb - BUDGET_KB).toFixed(1)} KB: lazy-load more of the app`);
  process.exit(1);
}
