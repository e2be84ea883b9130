import type { Actor } from "@exports/core";
import type { BenchDatabase } from "./database";
import type { Report } from "./report";

/** What every bench section is given by main.ts. */
export interface SectionContext {
  db: BenchDatabase;
  admin: Actor;
  storageDir: string;
  /** Products seeded (orders too). */
  products: number;
  repeat: number;
  report: Report;
  log: (line: string) => void;
}
