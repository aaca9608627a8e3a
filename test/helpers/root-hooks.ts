// Hooks for the whole mocha run (.mocharc.json `require`): what one test leaves behind must not
// stall the run, nor go unnoticed.
import { ChildRun } from "./process-child.js";

export const mochaHooks = {
  /** Kills the entry points a failed test left running, and fails the run naming them. */
  async afterAll(): Promise<void> {
    const left = await ChildRun.killLeftRunning();
    if (left.length > 0)
      throw new Error(`still running when the tests ended (killed now; a test did not stop them): ${left.join(", ")}`);
  },
};
