import { newTransmissionId } from "../agent/build-update.js";
import { nowSeconds, type Clock } from "../clock/clock.js";
import type { AlertUpdate } from "../codec/types.js";
import { createLogger } from "../log.js";
import { parseMauvesendArgs } from "./mauvesend-args.js";
import { MAUVESEND_HELP } from "./mauvesend-help.js";
import { sendUpdate, type SendOutcome } from "./mauvesend-send.js";
import { resolveTarget, type MauvesendTarget } from "./mauvesend-target.js";

/** Exit statuses a shell script can act on. */
export const EXIT_SENT = 0;
/** The update could not be sent; stderr says why. */
export const EXIT_NOT_SENT = 1;
/** The command line is wrong. */
export const EXIT_USAGE = 2;

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
  // Mauve's own wording, which scripts and people grep for.
  const fail = (message: string, code: number): number => {
    io.err(`*** Error: ${message}\n${code === EXIT_USAGE ? "*** For help, type: mauvesend -h\n" : ""}`);
    return code;
  };
  if (args.kind === "help") return io.out(MAUVESEND_HELP), EXIT_SENT;
  if (args.kind === "version") return io.out("mauvesend (mauve-xmpp) 0.1.0\n"), EXIT_SENT;
  if (args.kind === "usage") return fail(args.message, EXIT_USAGE);

  const target = resolveTarget(args.config, io.env);
  if ("error" in target) return fail(target.error, EXIT_NOT_SENT);
  const update: AlertUpdate = {
    transmissionId: newTransmissionId(),
    source: args.source ?? target.defaultSource,
    replace: args.replace,
    alerts: [...args.alerts],
    signature: new Uint8Array(),
    transmissionTime: nowSec,
    // No sequence: mauvesend has no outbox, and must not disturb the agent's ordering of the source.
    sequence: 0n,
  };
  if (/[\s/]/.test(update.source) || update.source === "") return fail(`the source "${update.source}" has a space or "/" in it (choose one with -o)`, EXIT_USAGE);
  if (args.verbose > 0 && args.destinations.length > 0) io.out(`Ignoring UDP destinations (${args.destinations.join(", ")}): sending over XMPP\n`);
  if (args.verbose === 1) io.out(`Sending ${update.transmissionId} from ${update.source} to ${target.pubsub} as ${target.jid}\n`);
  if (args.verbose >= 2) io.out(`Sending ${JSON.stringify(update, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? undefined : v))} to ${target.pubsub} as ${target.jid}\n`);
  const log = createLogger({ level: args.verbose >= 2 ? "debug" : "error", sink: args.verbose >= 2 ? (line) => io.err(`${line}\n`) : () => undefined });
  const timeoutMs = args.timeoutSec * 1000;
  const send = io.send ?? ((u, t, ms) => sendUpdate(u, t, { clock: io.clock, log, timeoutMs: ms }));
  const outcome = await send(update, target, timeoutMs);
  if (!outcome.ok) return fail(`could not send: ${outcome.reason}`, EXIT_NOT_SENT);
  if (args.verbose > 0) io.out(`Sent ${update.transmissionId}: confirmed by ${target.pubsub} (item ${outcome.itemId})\n`);
  return EXIT_SENT;
}
