import { describe, expect, it } from "vitest";
import { PollLoop, Sleeper } from "../src/loops/poll-loop";
import { waitFor } from "../src/testing/receiver";

/** Resolves "slept" if `sleep` outlasts `ms`, else "woke". */
async function outcome(sleep: Promise<void>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const slept = new Promise<"slept">((resolve) => {
    timer = setTimeout(() => resolve("slept"), ms);
  });
  const result = await Promise.race([sleep.then(() => "woke" as const), slept]);
  clearTimeout(timer);
  return result;
}

describe("Sleeper", () => {
  it("a wake-up that comes before the sleep is not lost: the next sleep returns at once, once", async () => {
    const sleeper = new Sleeper();
    // As a NOTIFY handled while the worker's claim query was in flight: the claim found nothing, then it sleeps.
    sleeper.wake();
    expect(await outcome(sleeper.sleep(60_000), 2_000)).toBe("woke");
    // Used up: the sleep after it waits for the next wake-up (or its time).
    const next = sleeper.sleep(60_000);
    expect(await outcome(next, 50)).toBe("slept");
    sleeper.wake();
    expect(await outcome(next, 2_000)).toBe("woke");
  });

  it("a wake-up during a sleep ends that sleep and is not carried into the next", async () => {
    const sleeper = new Sleeper();
    const first = sleeper.sleep(60_000);
    sleeper.wake();
    expect(await outcome(first, 2_000)).toBe("woke");
    expect(await outcome(sleeper.sleep(20), 2_000)).toBe("woke"); // its own time
    const third = sleeper.sleep(60_000);
    expect(await outcome(third, 50)).toBe("slept");
    sleeper.wake();
    await third;
  });
});

describe("PollLoop", () => {
  it("a tick that finds nothing but was woken meanwhile ticks again, without waiting out the poll", async () => {
    let ticks = 0;
    const loop: PollLoop = new PollLoop(
      async () => {
        ticks++;
        // The work arrives (and its wake-up) while this tick is looking, too late for it to see.
        if (ticks === 1) loop.wake();
        return false;
      },
      60_000,
      (err) => {
        throw err;
      },
    );
    loop.start();
    try {
      await waitFor("a second tick", async () => ticks >= 2, 5_000);
    } finally {
      await loop.stop();
    }
  });
});
