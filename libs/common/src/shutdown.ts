import type { Logger } from 'pino';

/**
 * Runs the given steps once on SIGTERM/SIGINT, in order, then exits. A second signal, or the
 * deadline passing, forces the exit so a stuck drain can't keep a deploy waiting forever.
 */
export function onShutdown(logger: Logger, steps: Array<() => Promise<void>>, deadlineMs = 30_000): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown deadline passed: exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    void (async () => {
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          logger.error({ err }, 'shutdown step failed');
        }
      }
      logger.info('stopped');
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
