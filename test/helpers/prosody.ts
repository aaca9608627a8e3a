// Mocha helpers that run a private Prosody per suite and show its log when a test fails.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProsody } from "../../prosody/launcher.js";
import type { ProsodyHandle, ProsodyOptions } from "../../prosody/launcher.js";

/** Name of the bot's external component in test servers: `alertbot.<domain>`. */
export const TEST_BOT_NAME = "alertbot";

/** A Prosody started for tests, with the bot secret it was given and a way to dispose of it. */
export interface TestProsody {
  readonly prosody: ProsodyHandle;
  readonly botSecret: string;
  /** Writes the last lines of Prosody's log to stderr, under a heading. */
  printLogTail(heading: string, lines?: number): Promise<void>;
  /** Stops Prosody; deletes its run directory unless `keep` (then prints where it is). */
  cleanup(options?: { keep?: boolean }): Promise<void>;
}

/** Starts Prosody in a fresh temporary run directory with a random bot secret. */
export async function startTestProsody(options: Omit<ProsodyOptions, "runDir"> = {}): Promise<TestProsody> {
  const runDir = await mkdtemp(join(tmpdir(), "mauve-prosody-"));
  const botSecret = randomBytes(18).toString("base64url");
  let prosody: ProsodyHandle;
  try {
    prosody = await startProsody({ botComponent: { name: TEST_BOT_NAME, secret: botSecret }, ...options, runDir });
  } catch (err) {
    await rm(runDir, { recursive: true, force: true });
    throw err;
  }
  return {
    prosody,
    botSecret,
    async printLogTail(heading, lines = 60) {
      const tail = (await prosody.readLog()).trimEnd().split("\n").slice(-lines).join("\n");
      process.stderr.write(`\n--- ${heading}: last ${lines} lines of ${prosody.logFile} ---\n${tail}\n---\n`);
    },
    async cleanup({ keep = false } = {}) {
      await prosody.stop();
      if (keep) process.stderr.write(`Prosody run directory kept for inspection: ${runDir}\n`);
      else await rm(runDir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers mocha hooks on the enclosing `describe`: one Prosody for the whole suite, its log
 * tail printed after each failed test, its run directory kept if anything failed. Call the
 * returned function inside tests to reach it.
 */
export function withProsody(options: Omit<ProsodyOptions, "runDir"> = {}): () => TestProsody {
  let current: TestProsody | undefined;
  let failed = false;
  before(async function () {
    this.timeout(120_000); // the first run may install Prosody with apt-get
    current = await startTestProsody(options);
  });
  afterEach(async function () {
    if (this.currentTest?.state !== "failed" || !current) return;
    failed = true;
    await current.printLogTail(`Prosody log after failed test "${this.currentTest.fullTitle()}"`);
  });
  after(async () => {
    await current?.cleanup({ keep: failed });
    current = undefined;
  });
  return () => {
    if (!current) throw new Error("withProsody(): Prosody is not running (before() failed or suite ended)");
    return current;
  };
}
