import { newTransmissionId } from "../codec/build-update.js";
import { nowSeconds, type Clock } from "../clock/clock.js";
import { sourceNameProblem } from "../codec/source-name.js";
import type { AlertUpdate } from "../codec/types.js";
import { createLogger } from "../log.js";
import { parseMauvesendArgs } from "./mauvesend-args.js";
import { MAUVESEND_HELP } from "./mauvesend-help.js";
import { sendUpdate, type SendOutcome } from "./mauvesend-send.js";
import { resolveTarget, type MauvesendTarget } from "./mauvesend-target.js";

/** Exit statuses, as Mauve's mauvesend has them: sent (or help printed)... */
export const EXIT_SENT = 0;
/** ...or anything else: a bad command line, or an update that could not be sent; stderr says why. */
export const EXIT_ERROR = 1;

/** What `-V` prints after the program's name. */
export const MAUVESEND_VERSION = "0.1.0 (mauve-xmpp)";

/** What mauvesend touches outside itself, injected so that tests can run it in-process. */
export interface MauvesendIo {
  clock: Clock;
  env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
  /** Defaults to sending over XMPP. */
  send?: (update: AlertUpdate, target: MauvesendTarget, timeoutMs: number) => Promise<SendOutcome>;
}

/** Runs mauvesend with `argv` (without node and script) and resolves with its exit status. */
export async function runMauvesend(argv: readonly string[], io: MauvesendIo): Promise<number> {
  const nowSec = nowSeconds(io.clock);
  const args = parseMauvesendArgs(argv, nowSec);
  // Mauve's own wording for every error, which scripts and people grep for.
  const fail = (message: string): number => {
    io.err(`*** Error: ${message}\n*** For help, type: mauvesend -h\n`);
    return EXIT_ERROR;
  };
  if (args.kind === "usage") {
    if (args.fromParser) io.err(`mauvesend: ${args.message}\n`);
    return fail(args.message);
  }
  if (args.kind === "info") {
    if (args.help || args.manual) io.out(MAUVESEND_HELP);
    if (args.version) io.out(`mauvesend: version ${MAUVESEND_VERSION}\n`);
    return EXIT_SENT;
  }

  const target = resolveTarget(args.config, io.env);
  if ("error" in target) return fail(target.error);
  const update: AlertUpdate = {
    transmissionId: newTransmissionId(),
    source: args.source ?? target.defaultSource,
    replace: args.replace,
    alerts: [...args.alerts],
    signature: new Uint8Array(),
    transmissionTimeS: nowSec,
    // No sequence: mauvesend has no outbox, and must not disturb the agent's ordering of the source.
    sequence: 0n,
  };
  const problem = sourceNameProblem(update.source);
  if (problem !== undefined) return fail(args.source === null ? `${problem} (the default source; choose one with -o)` : problem);
  if (args.verbose > 0 && args.destinations.length > 0) io.out(`Ignoring UDP destinations (${args.destinations.join(", ")}): sending over XMPP\n`);
  if (args.verbose === 1) io.out(`Sending ${update.transmissionId} from ${update.source} to ${target.pubsub} as ${target.jid}\n`);
  if (args.verbose >= 2) io.out(`Sending ${JSON.stringify(update, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? undefined : v))} to ${target.pubsub} as ${target.jid}\n`);
  const log = createLogger({ level: args.verbose >= 2 ? "debug" : "error", sink: args.verbose >= 2 ? (line) => io.err(`${line}\n`) : () => undefined });
  const timeoutMs = args.timeoutSec * 1000;
  const send = io.send ?? ((u, t, ms) => sendUpdate(u, t, { clock: io.clock, log, timeoutMs: ms }));
  const outcome = await send(update, target, timeoutMs);
  if (!outcome.ok) return fail(`could not send: ${outcome.reason}`);
  if (args.verbose > 0) io.out(`Sent ${update.transmissionId}: confirmed by ${target.pubsub} (item ${outcome.itemId})\n`);
  return EXIT_SENT;
}
