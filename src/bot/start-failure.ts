// AlertBot that cannot start (a damaged database, a directory that is missing, another AlertBot on
// the same file, its HTTP or UDP port taken) used to exit 1, and systemd restarted it every 5 s
// for as long as the cause lasted: the bus silent, and nobody told. Exiting and telling at each
// start would mail everyone every few seconds instead. So it stays up: it tells the people on call
// for its own alerts once, by the channels that need neither its database nor its own XMPP session,
// tries again every few seconds (quietly), and once it starts it says so. A bad configuration still
// exits 78 at once: nothing would change by waiting, and systemd does not restart it.
import { ConfigError } from "../errors.js";
import { connectAdvice, connectProblem } from "../xmpp/connect-problem.js";
import type { NotificationMessage } from "../notify/message.js";
import { openFailureKind } from "../store/storage-failure.js";
import { addressFree, failedAddress } from "../http/address-free.js";
import { STORAGE_PROBE_EVERY_MS } from "./storage-alarm.js";
import { tellBeforeStart, type TellBeforeStartDeps } from "./storage-at-start.js";

/** What starting until it works needs. */
export interface StartWhenPossibleDeps<T> extends TellBeforeStartDeps {
  /** One try at starting; throws while it cannot, having let go of whatever it took. */
  start: () => Promise<T>;
  /**
   * Tells that it started after failing, through what started when it holds the component's JID
   * (chat through a session of its own would take that JID from it); by `channels` when absent.
   */
  tellStarted?: (started: T, subject: string, text: string) => Promise<void>;
  tryEveryMs?: number;
}

/** Why AlertBot cannot start, and what to do about it, as the people told read it. */
export interface StartFailure {
  readonly reason: string;
  readonly advice: string;
}

/** The reason and advice for what a start threw. */
export function describeStartFailure(err: unknown): StartFailure {
  const reason = err instanceof Error ? err.message : String(err);
  const kind = openFailureKind(err);
  if (kind === "damaged")
    return {
      reason,
      advice:
        "The database file is damaged. AlertBot will not replace it with an empty one: restore it from a backup " +
        "(or, to start with no alerts at all, move it aside); AlertBot starts by itself once the file opens.",
    };
  if (/is newer than this mauve-xmpp/.test(reason))
    return { reason, advice: "Run the version of mauve-xmpp that wrote the database (or a newer one)." };
  if (kind === "unopenable")
    return {
      reason,
      advice:
        "The database cannot be opened or made there: check that its directory exists and that AlertBot's user " +
        "may write in it (`database` in the configuration).",
    };
  if (/another AlertBot is using/.test(reason))
    return {
      reason,
      advice:
        "Stop the other AlertBot, or give this one a database of its own; this one starts once the other has stopped.",
    };
  if (failedAddress(err))
    return {
      reason,
      advice:
        "Another program holds that address (or it is not one of this host's): stop it (AlertBot starts once the " +
        "address is free), or change `http.listen` or `udp.listen` in the configuration and restart AlertBot.",
    };
  const fix = connectAdvice(connectProblem(err), "secret");
  if (fix !== undefined) return { reason, advice: `${fix[0]!.toUpperCase()}${fix.slice(1)}.` };
  return { reason, advice: "AlertBot's log has the error." };
}

/**
 * Runs `deps.start` until it works; a ConfigError is thrown at once. The first failure is logged and
 * told to the people on call; later ones are logged at debug only, each try `tryEveryMs` apart (a
 * port held by another program is watched meanwhile, and the start tried once it is free).
 */
export async function startWhenPossible<T>(deps: StartWhenPossibleDeps<T>): Promise<T> {
  const { clock, log } = deps;
  const everyMs = deps.tryEveryMs ?? STORAGE_PROBE_EVERY_MS;
  let failing: { since: number; failure: StartFailure } | null = null;
  for (;;) {
    let started: T;
    try {
      started = await deps.start();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      const failure = describeStartFailure(err);
      if (!failing) {
        failing = { since: clock.now(), failure };
        log.error("AlertBot cannot start; telling the people on call, and trying again", {
          reason: failure.reason,
          advice: failure.advice,
          everyMs,
          err,
        });
        await tellBeforeStart(deps, {
          kind: "raised",
          subject: "AlertBot cannot start",
          text:
            `AlertBot cannot start: ${failure.reason}.\n` +
            "Until it can, nothing is received and nobody is told of any alert. It tries again every " +
            `${Math.round(everyMs / 1000)} s, and says so once it has started.\n${failure.advice}`,
        }).catch((e: unknown) => log.error("cannot tell that AlertBot cannot start", { err: e }));
      } else log.debug("AlertBot still cannot start", { reason: failure.reason });
      await waitToTryAgain(deps, everyMs, err);
      continue;
    }
    if (failing) await tellStarted(deps, started, failing);
    return started;
  }
}

async function tellStarted<T>(
  deps: StartWhenPossibleDeps<T>,
  started: T,
  failing: { since: number; failure: StartFailure },
): Promise<void> {
  const lastedMs = deps.clock.now() - failing.since;
  deps.log.info("AlertBot could start", { lastedMs, after: failing.failure.reason });
  const message: NotificationMessage = {
    kind: "cleared",
    subject: "AlertBot could start",
    text: `AlertBot could start after about ${Math.max(1, Math.round(lastedMs / 60_000))} min (${failing.failure.reason}).`,
  };
  const told = deps.tellStarted
    ? deps.tellStarted(started, message.subject, message.text)
    : tellBeforeStart(deps, message);
  await told.catch((err: unknown) => deps.log.error("cannot tell that AlertBot could start", { err }));
}

// An address held by another program: its start would fail the same way, after logging in to the
// XMPP server and out again. Tried once the address is free.
async function waitToTryAgain(deps: TellBeforeStartDeps, everyMs: number, err: unknown): Promise<void> {
  const address = failedAddress(err);
  for (;;) {
    await new Promise<void>((resolve) => deps.clock.setTimer(everyMs, resolve));
    if (!address || (await addressFree(address))) return;
    deps.log.debug("AlertBot still cannot start", { reason: "the address is still taken", ...address });
  }
}
