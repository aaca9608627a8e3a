import { parseArgs } from "node:util";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";
import { takeHeldHangups } from "./early-hangups.js";

/** What every mauve-xmpp command line accepts. */
export interface CommonArgs {
  config: string;
  check: boolean;
}

/**
 * Parses `--config FILE`, `--check-config` and `--help`; prints help or a usage error and exits
 * (0 for help, 2 for a usage error) so entry points only see valid arguments.
 */
export function parseCommonArgs(argv: string[], help: string, defaultConfig: string): CommonArgs {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c", default: defaultConfig },
        "check-config": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(help);
      process.exit(0);
    }
    return { config: values.config, check: values["check-config"] };
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${help}`);
    process.exit(2);
  }
}

/** Reports a fatal start-up error in words an admin can act on, and exits 1 (config errors: 78, EX_CONFIG). */
export function exitOnStartupError(err: unknown, log: Logger): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
  log.error("cannot start", { err });
  process.exit(1);
}

/** Exit status of a process that stopped working while running: a fatal error, logged (sysexits.h EX_SOFTWARE). */
export const EXIT_FATAL = 70;

/** Exit status of an active AlertBot that lost its JID or connection: restart it, it joins as the standby (EX_TEMPFAIL). */
export const EXIT_NO_LONGER_ACTIVE = 75;

// Longest interval Node accepts; the keep-alive never needs to fire.
const KEEP_ALIVE_INTERVAL_MS = 2_147_483_647;

/** The life of a long-running entry point once its configuration is loaded. */
export interface ProcessLifetime {
  /** From now on SIGINT and SIGTERM run `stop` once, then exit 0 (1 if it fails). */
  stopWith(stop: () => Promise<void>): void;
}

/**
 * Takes charge of a long-running entry point (AlertBot, mauve-agent) until it exits, which it
 * then does only on SIGINT/SIGTERM (status 0 once stopped) or on a fatal error (logged, non-zero).
 * Call it as soon as the logger is set up, before connecting: waiting for the server is part of
 * the process's life too.
 */
export function holdProcessOpen(log: Logger): ProcessLifetime {
  // The process's own hold on the event loop. Without it the process lives only as long as some
  // handle happens to be referenced: the clock's timers are not (see src/clock/clock.ts), so a
  // process waiting to reconnect had nothing left and ended with status 0. The guard below is
  // the second line, should the hold ever be lost.
  // eslint-disable-next-line no-restricted-globals -- a hold on the event loop, not a wait: it never fires
  setInterval(() => undefined, KEEP_ALIVE_INTERVAL_MS);
  exitWhenLoopDrains(log);
  exitOnUncaughtError(log);
  keepGoingWithoutOutput();
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal, startedUp: stop !== undefined });
    (stop ?? (() => Promise.resolve()))().then(
      () => {
        log.info("stopped; exiting", { signal, status: 0 });
        process.exit(0);
      },
      (err: unknown) => {
        log.error("unclean stop; exiting", { signal, status: 1, err, stack: stackOf(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    stopWith(fn) {
      stop = fn;
    },
  };
}

/**
 * A reader that goes away (the other end of a pipe: `| tee`, `| head`, a log shipper restarted)
 * makes every later write to stdout or stderr fail with EPIPE, which Node throws at the process:
 * AlertBot and the agents died with it, and nobody was told of anything after; `mauvesend -v | true`
 * died with a stack before sending. The lines are lost; the work goes on. Every entry point calls
 * this first, short-lived ones included.
 */
export function keepGoingWithoutOutput(): void {
  for (const stream of [process.stdout, process.stderr])
    if (!stream.listeners("error").includes(ignoreOutputError)) stream.on("error", ignoreOutputError);
}

function ignoreOutputError(): void {
  // The reader is gone: nothing can be told through this stream any more.
}

/** What SIGHUP does in a long-running entry point. */
export interface Hangups {
  /** From now on SIGHUP runs `reload`, one at a time; a SIGHUP that came before runs it now, once. */
  reloadWith(reload: () => Promise<unknown>): void;
}

/**
 * Handles SIGHUP from now on, which Node otherwise answers by ending the process: `systemctl
 * reload` (ExecReload=kill -HUP) while AlertBot waited for its server, or at any time for an agent,
 * killed it. Until `reloadWith`, each SIGHUP is logged with `meanwhile` (what it does then, in
 * words for the admin) and remembered, as are those held since the entry point's holdHangups.
 * Call it first thing in the entry point's body; `log` is read at each signal, as the logger is
 * replaced once the configuration is read.
 */
export function takeHangups(log: () => Logger, meanwhile: string): Hangups {
  let reload: (() => Promise<unknown>) | undefined;
  let pending = false;
  // Reloads run one after another: a second SIGHUP during a reload waits for it.
  let running: Promise<unknown> = Promise.resolve();
  const run = (): void => {
    const r = reload!;
    running = running.then(r).catch((err: unknown) => log().error("reload failed", { err, stack: stackOf(err) }));
  };
  process.on("SIGHUP", () => {
    if (reload) {
      run();
      return;
    }
    pending = true;
    log().warn(meanwhile, { signal: "SIGHUP" });
  });
  // Those that came while the entry point loaded (holdHangups), taken once this listener is on.
  const early = takeHeldHangups();
  if (early > 0) {
    pending = true;
    log().warn(meanwhile, { signal: "SIGHUP", whileLoading: early });
  }
  return {
    reloadWith(fn) {
      reload = fn;
      if (pending) run();
      pending = false;
    },
  };
}

/**
 * Makes the end of the event loop a fatal error: a long-running process whose loop runs dry has
 * lost whatever should have kept it working, and must not pass for one that stopped cleanly.
 * `process.exit()` skips "beforeExit", so every deliberate exit is unaffected.
 */
export function exitWhenLoopDrains(log: Logger): void {
  process.once("beforeExit", () => {
    log.error("event loop ended unexpectedly: nothing was left to keep the process working; exiting", {
      status: EXIT_FATAL,
    });
    process.exit(EXIT_FATAL);
  });
}

// An error nothing caught (a rejected promise nobody awaited included) ends the process like
// Node's default does, but as a log line that says so, with its stack.
function exitOnUncaughtError(log: Logger): void {
  process.on("uncaughtException", (err: unknown, origin: string) => {
    log.error("fatal error; exiting", { status: EXIT_FATAL, origin, err, stack: stackOf(err) });
    process.exit(EXIT_FATAL);
  });
}

function stackOf(err: unknown): string | undefined {
  return err instanceof Error ? err.stack : undefined;
}
