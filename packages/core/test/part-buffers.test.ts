import { describe, expect, it, vi } from "vitest";
import { PartBuffers } from "../src/storage/s3/part-buffers";

describe("PartBuffers", () => {
  it("gives back the same buffers, keeps at most `keep` idle, and never pools one of another size", () => {
    const pool = new PartBuffers(1024, 2);
    const a = pool.take(1000);
    const b = pool.take(1024);
    const c = pool.take(10);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(a.length).toBe(1024);
    pool.give(a);
    pool.give(b);
    pool.give(c); // one more than `keep`: dropped
    const again = [pool.take(1), pool.take(1), pool.take(1)];
    expect(again).toContain(a);
    expect(again).toContain(b);
    expect(again.filter((x) => x === a || x === b || x === c)).toHaveLength(2);
    // Larger than the pool's size: a one-off of that size, not kept when given back.
    const big = pool.take(4096);
    expect(big.length).toBe(4096);
    pool.give(big);
    expect(pool.take(4096)).not.toBe(big);
  });

  it("lets idle buffers go once none was given back for a while", () => {
    vi.useFakeTimers();
    try {
      const pool = new PartBuffers(64, 2, 1000);
      const a = pool.take(64);
      pool.give(a);
      vi.advanceTimersByTime(999);
      const b = pool.take(64);
      expect(b).toBe(a);
      pool.give(b); // the wait starts again
      vi.advanceTimersByTime(1000);
      expect(pool.take(64)).not.toBe(a);
    } finally {
      vi.useRealTimers();
    }
  });
});
