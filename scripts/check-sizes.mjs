// `pnpm lint`: fails when a non-test source file is longer than MAX_LINES, so that no module grows into a
// room a newcomer gets lost in (issue 13). Tests and data files (JSON) do not count; there are no exceptions.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const MAX_LINES = 400;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SOURCE = /\.(ts|tsx|mjs|cjs|js)$/;
const NOT_SOURCE = /(\.test\.|\.spec\.|\.d\.ts$)/;

function sourceRoots() {
  const roots = ["apps/web/server.ts", "bench/src"];
  for (const parent of ["packages", "apps"]) {
    for (const name of readdirSync(path.join(ROOT, parent))) {
      const src = path.join(parent, name, "src");
      if (statSync(path.join(ROOT, src), { throwIfNoEntry: false })?.isDirectory()) roots.push(src);
    }
  }
  return roots;
}

function* files(relative) {
  const full = path.join(ROOT, relative);
  if (!statSync(full).isDirectory()) {
    yield relative;
    return;
  }
  for (const entry of readdirSync(full, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "test") continue;
    yield* files(path.join(relative, entry.name));
  }
}

const tooLong = [];
for (const root of sourceRoots()) {
  for (const file of files(root)) {
    if (!SOURCE.test(file) || NOT_SOURCE.test(file)) continue;
    const lines = readFileSync(path.join(ROOT, file), "utf8").split("\n").length - 1;
    if (lines > MAX_LINES) tooLong.push(`  ${file}: ${lines} lines`);
  }
}
if (tooLong.length > 0) {
  console.error(`Source files over ${MAX_LINES} lines (split them by what they do):\n${tooLong.join("\n")}`);
  process.exit(1);
}
