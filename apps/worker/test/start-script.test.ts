import { readFileSync } from "node:fs";
import path from "node:path";
import { WORKER_MALLOC_ENV, WORKER_NODE_ARGS } from "@exports/core/node";
import { expect, it } from "vitest";

// `pnpm worker` is a shell line, so it spells the settings core's process-env.ts names: they must not drift apart.
it("`pnpm worker` starts the worker with the malloc setting and the node options the launcher uses", () => {
  const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../package.json"), "utf8")) as {
    scripts: { start: string };
  };
  for (const [name, value] of Object.entries(WORKER_MALLOC_ENV)) {
    expect(pkg.scripts.start).toContain(`${name}=\${${name}:-${value}}`);
  }
  expect(pkg.scripts.start).toContain(`exec node ${WORKER_NODE_ARGS.join(" ")} dist/main.mjs`);
});
