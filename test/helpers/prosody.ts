// Mocha helpers that run a private Prosody per suite and show its log when a test fails.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ejabberdInstalled } from "../../ejabberd/install.js";
import { startEjabberd } from "../../ejabberd/launcher.js";
import type { EjabberdOptions } from "../../ejabberd/launcher.js";
import { which } from "../../prosody/install.js";
import { startProsody } from "../../prosody/launcher.js";
import type { ProsodyHandle, ProsodyOptions } from "../../prosody/launcher.js";

/** The XMPP servers a test can run against; both launchers return the same handle. */
export type TestServerKind = "prosody" | "ejabberd";

/**
 * The server integration tests run against unless they choose: $MAUVE_TEST_SERVER ("prosody",
 * the default, or "ejabberd"), so the same suite can be pointed at either.
 */
export function defaultTestServer(): TestServerKind {
  const kind = process.env["MAUVE_TEST_SERVER"] ?? "prosody";
  if (kind !== "prosody" && kind !== "ejabberd")
    throw new Error(`MAUVE_TEST_SERVER must be prosody or ejabberd, not ${kind}`);
  return kind;
}

/**
 * The condition with which the test server refuses someone outside a whitelist node's affiliations
 * to read it: Prosody answers forbidden, ejabberd not-allowed with closed-node (XEP-0060 §7.1.3.5).
 */
export function refusedReadCondition(): "forbidden" | "not-allowed" {
  return defaultTestServer() === "ejabberd" ? "not-allowed" : "forbidden";
}

/**
 * Options of a test server: the launchers' own, and which server. `runDir` is the caller's (e.g. a
 * small disk mounted at its `data`, where the server keeps its data) and is left at cleanup;
 * without it a fresh temporary one is made and removed.
 */
export type TestServerOptions = Omit<ProsodyOptions & EjabberdOptions, "runDir"> & {
  server?: TestServerKind;
  runDir?: string;
};

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

/** Starts Prosody (or ejabberd: `server`) in a fresh temporary run directory with a random bot secret. */
export async function startTestProsody(options: TestServerOptions = {}): Promise<TestProsody> {
  const { server = defaultTestServer(), runDir: given, ...launch } = options;
  const runDir = given ?? (await mkdtemp(join(tmpdir(), `mauve-${server}-`)));
  const botSecret = randomBytes(18).toString("base64url");
  const start = server === "ejabberd" ? startEjabberd : startProsody;
  let prosody: ProsodyHandle;
  try {
    prosody = await start({ botComponent: { name: TEST_BOT_NAME, secret: botSecret }, ...launch, runDir });
  } catch (err) {
    if (given === undefined) await rm(runDir, { recursive: true, force: true });
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
      else if (given === undefined) await rm(runDir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers mocha hooks on the enclosing `describe`: one Prosody for the whole suite, its log
 * tail printed after each failed test, its run directory kept if anything failed. Call the
 * returned function inside tests to reach it.
 */
export function withProsody(options: TestServerOptions = {}): () => TestProsody {
  let current: TestProsody | undefined;
  let failed = false;
  before(async function () {
    // The first run may install the server with apt-get; ejabberd may take minutes to boot on a
    // loaded machine (its launcher waits up to 3 minutes for its ports).
    this.timeout((options.server ?? defaultTestServer()) === "ejabberd" ? 240_000 : 120_000);
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

/**
 * Registers mocha hooks for a suite that runs on ejabberd: the suite is skipped, with the reason
 * printed, only where ejabberd is missing and cannot be installed (not root, or no apt-get); in
 * CI the pre-step installs it, and as root the launcher installs it itself.
 */
export function withEjabberd(options: Omit<TestServerOptions, "server"> = {}): () => TestProsody {
  before(function () {
    if (ejabberdInstalled() || (process.getuid?.() === 0 && which("apt-get") !== undefined)) return;
    process.stderr.write(
      `\n  SKIPPED "${this.test?.parent?.fullTitle() ?? "ejabberd suite"}": ejabberd is not installed and cannot be ` +
        "installed here (not root). Run: sudo apt-get install -y ejabberd\n",
    );
    this.skip();
  });
  return withProsody({ ...options, server: "ejabberd" });
}
