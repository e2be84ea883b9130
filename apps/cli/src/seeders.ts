import type { Db } from "@exports/core";
import { seedOrders, seedProducts } from "@exports/core/node";

export interface Seeder {
  /** Plural noun, for messages ("products"). */
  noun: string;
  /** Inserts `count` deterministic records after those already there; reports progress as records done. */
  seed(db: Db, count: number, onProgress: (done: number) => void): Promise<number>;
}

/**
 * The resources `seed` can fill, in the order they are seeded: each key is an option (`--products N`). A
 * resource seeded after another may refer to it (orders → products), so add new ones after what they need.
 */
export const SEEDERS = {
  products: { noun: "products", seed: seedProducts },
  orders: { noun: "orders", seed: seedOrders },
} satisfies Record<string, Seeder>;

export type SeedKey = keyof typeof SEEDERS;
