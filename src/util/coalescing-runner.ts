/**
 * Runs an async job so that runs never overlap: a call made while the job runs does not start a
 * second one, but makes the current run go round once more, so no request is lost.
 * `keepGoing` can end that extra round early (e.g. nothing left to do it with).
 */
export function coalescingRunner(job: () => Promise<void>, keepGoing: () => boolean = () => true): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await job();
        } while (again && keepGoing());
      } finally {
        running = null;
      }
    })();
    return running;
  };
}
