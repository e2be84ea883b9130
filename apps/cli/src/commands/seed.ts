import { type OptionSpecs, positiveInteger, UsageError } from "../args";
import { SEEDERS, type SeedKey } from "../seeders";
import { defineCommand } from "./types";

const keys = Object.keys(SEEDERS) as SeedKey[];

const options: OptionSpecs = Object.fromEntries(
  keys.map((key) => [
    key,
    { type: "string", value: "N", description: `add N deterministic demo ${SEEDERS[key].noun}` },
  ]),
);

function seconds(since: number) {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

export const seed = defineCommand({
  name: "seed",
  summary:
    "Add deterministic demo data; record n is always the same, a second run continues after the first.",
  usage: keys.map((key) => `[--${key} N]`).join(" "),
  options,
  parse(values) {
    const counts: Partial<Record<SeedKey, number>> = {};
    for (const key of keys) {
      const raw = values[key];
      if (typeof raw === "string") counts[key] = positiveInteger(`--${key}`, raw);
    }
    if (Object.keys(counts).length === 0) {
      throw new UsageError(`seed needs at least one of ${keys.map((k) => `--${k} N`).join(", ")}`);
    }
    return counts;
  },
  async run(ctx, counts) {
    const result: Partial<Record<SeedKey, number>> = {};
    for (const key of keys) {
      const count = counts[key];
      if (count === undefined) continue;
      const { noun, seed: seedResource } = SEEDERS[key];
      const started = performance.now();
      ctx.log(`[seed] adding ${count} ${noun}…`);
      result[key] = await seedResource(ctx.db(), count, (done) => {
        if (done < count) ctx.log(`[seed] ${noun}: ${done}/${count} (${seconds(started)})`);
      });
      ctx.log(`[seed] added ${count} ${noun} in ${seconds(started)}`);
    }
    return result;
  },
});
