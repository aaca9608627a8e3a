// The mauvesend command: reads its command line, finds the account to publish with, sends one
// update over XMPP and waits for the server's confirmation.
import { hostname } from "node:os";
import { nowSeconds, type Clock } from "../clock/clock.js";
import { newTransmissionId } from "../codec/build-update.js";
import { sourceToNodeName } from "../codec/source-name.js";
import { wrapPayload } from "../codec/payload.js";
import { sourceNameProblem } from "../codec/source-name.js";
import type { AlertUpdate } from "../codec/types.js";
import { readAgentConfigFile } from "../config/agent-config.js";
import { ConfigError, errorText } from "../errors.js";
import { createLogger, type Logger } from "../log.js";
import { connectClient } from "../xmpp/connect.js";
import { ensureNode } from "../xmpp/provisioning.js";
import { jidDomain, jidLocal } from "../xmpp/jid.js";
import { createProvisioning } from "../xmpp/provisioning.js";
import { createPubsub } from "../xmpp/pubsub.js";
import type { XmppSession } from "../xmpp/session.js";
import { MAUVESEND_HELP, parseMauvesendArgs } from "./mauvesend-args.js";

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
  if (problem !== undefined)
    return fail(args.source === null ? `${problem} (the default source; choose one with -o)` : problem);
  const overwritten = sharedWithAgent(update, target);
  if (overwritten !== undefined) io.err(overwritten);
  if (args.verbose > 0 && args.destinations.length > 0)
    io.out(`Ignoring UDP destinations (${args.destinations.join(", ")}): sending over XMPP\n`);
  if (args.verbose === 1)
    io.out(`Sending ${update.transmissionId} from ${update.source} to ${target.pubsub} as ${target.jid}\n`);
  if (args.verbose >= 2)
    io.out(
      `Sending ${JSON.stringify(update, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? undefined : v))} to ${target.pubsub} as ${target.jid}\n`,
    );
  const log = createLogger({
    level: args.verbose >= 2 ? "debug" : "error",
    sink: args.verbose >= 2 ? (line) => io.err(`${line}\n`) : () => undefined,
  });
  const timeoutMs = args.timeoutSec * 1000;
  const send = io.send ?? ((u, t, ms) => sendUpdate(u, t, { clock: io.clock, log, timeoutMs: ms }));
  const outcome = await send(update, target, timeoutMs);
  if (!outcome.ok) return fail(`could not send: ${outcome.reason}`);
  if (args.verbose > 0)
    io.out(`Sent ${update.transmissionId}: confirmed by ${target.pubsub} (item ${outcome.itemId})\n`);
  return EXIT_SENT;
}

/**
 * A note when alerts are raised in the source of the agent whose config gave the account: the
 * agent restates its whole state (`replace`) every full_state_every and after each reconnection,
 * and, as Mauve's replace does, that clears every alert of the source it does not list: what this
 * raised would be told CLEARED within the hour, while nothing had changed.
 */
function sharedWithAgent(update: AlertUpdate, target: MauvesendTarget): string | undefined {
  if (target.agentConfig === undefined || update.source !== target.defaultSource || update.replace) return undefined;
  const raised = update.alerts.filter((a) => a.raiseTimeS > 0 && a.clearTimeS === 0).map((a) => JSON.stringify(a.id));
  if (raised.length === 0) return undefined;
  const one = raised.length === 1;
  return (
    `mauvesend: note: ${update.source} is the source of the agent configured in ${target.agentConfig}; its full ` +
    `state (every full_state_every, and after each reconnection) clears the alerts its checks do not run, so ` +
    `${raised.join(", ")} will be cleared then. To keep ${one ? "it" : "them"} raised, send ${one ? "it" : "them"} ` +
    `with a source of ${one ? "its" : "their"} own (-o ${update.source}-cron)\n`
  );
}

/** Where and as whom mauvesend publishes. */
export interface MauvesendTarget {
  /** One address, or the agent config's list (cluster nodes), tried in turn. */
  readonly service: string | readonly string[];
  readonly jid: string;
  readonly password: string;
  readonly pubsub: string;
  readonly bot: string;
  /** The source used when `-o` is not given. */
  readonly defaultSource: string;
  /** The agent config the account came from (its source is `defaultSource`). */
  readonly agentConfig?: string;
}

/** The default agent config that mauvesend reads when neither --config nor the environment says otherwise. */
export const DEFAULT_CONFIG = "/etc/mauve/agent.yaml";

const BARE_JID = /^[^\s@/"&'<>:]+@[^\s@/]+$/;

/**
 * Finds the account to publish with: the agent config given by `--config`; else MAUVE_XMPP_JID and
 * MAUVE_XMPP_PASSWORD (MAUVE_XMPP_SERVICE, MAUVE_XMPP_PUBSUB and MAUVE_XMPP_BOT optional) from the
 * environment; else the agent's default config. Returns a sentence saying what is missing otherwise.
 */
export function resolveTarget(
  config: string | null,
  env: Readonly<Record<string, string | undefined>>,
): MauvesendTarget | { error: string } {
  const jid = env["MAUVE_XMPP_JID"];
  if (config === null && jid !== undefined && jid !== "") return fromEnv(jid.toLowerCase(), env);
  const path = config ?? DEFAULT_CONFIG;
  try {
    const c = readAgentConfigFile(path, env);
    return {
      ...c.xmpp,
      password: c.xmpp.password.reveal(),
      defaultSource: c.source,
      agentConfig: path,
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const hint = config === null ? " (or set MAUVE_XMPP_JID and MAUVE_XMPP_PASSWORD)" : "";
    return { error: `cannot use the config file${hint}: ${err.message}` };
  }
}

function fromEnv(jid: string, env: Readonly<Record<string, string | undefined>>): MauvesendTarget | { error: string } {
  if (!BARE_JID.test(jid)) return { error: `MAUVE_XMPP_JID: expected a bare JID like web1@example.org, got "${jid}"` };
  const password = env["MAUVE_XMPP_PASSWORD"];
  if (password === undefined || password === "") return { error: "MAUVE_XMPP_PASSWORD is not set (MAUVE_XMPP_JID is)" };
  const domain = jid.split("@")[1] ?? "";
  const service = env["MAUVE_XMPP_SERVICE"] || `xmpp://${domain}:5222`;
  if (!/^xmpps?:\/\/[^/\s]+\/?$/.test(service))
    return { error: `MAUVE_XMPP_SERVICE: expected a URL like xmpp://127.0.0.1:5222, got "${service}"` };
  return {
    service,
    jid,
    password,
    pubsub: env["MAUVE_XMPP_PUBSUB"] || `pubsub.${domain}`,
    bot: env["MAUVE_XMPP_BOT"] || `alertbot.${domain}`,
    // Mauve's default source is the host name.
    defaultSource: hostname(),
  };
}

/** What became of one send: confirmed by the server, or why not, in words for a shell script's log. */
export type SendOutcome = { ok: true; itemId: string } | { ok: false; reason: string };

/**
 * Sends one update and waits for the server to confirm it: logs in (no reconnecting), makes sure
 * the source's node exists (as the agent does), publishes, and logs out. Gives up after `timeoutMs`.
 */
export async function sendUpdate(
  update: AlertUpdate,
  target: MauvesendTarget,
  deps: { clock: Clock; log: Logger; timeoutMs: number },
): Promise<SendOutcome> {
  let session: XmppSession | undefined;
  let timer: { cancel(): void } | undefined;
  const deadline = new Promise<SendOutcome>((resolve) => {
    timer = deps.clock.setTimer(deps.timeoutMs, () =>
      resolve({ ok: false, reason: `no confirmation from ${String(target.service)} within ${deps.timeoutMs / 1000}s` }),
    );
  });
  const attempt = async (): Promise<SendOutcome> => {
    try {
      session = await connectClient({
        service: target.service,
        domain: jidDomain(target.jid),
        username: jidLocal(target.jid),
        password: target.password,
        // A resource of its own, so it never replaces the agent's session on the same account.
        resource: `mauvesend-${update.transmissionId.toString(36)}`,
        clock: deps.clock,
        reconnect: false,
        connectTimeoutMs: deps.timeoutMs,
        onError: (err) => deps.log.debug("xmpp", { err }),
      });
    } catch (err) {
      return {
        ok: false,
        reason: `cannot log in to ${String(target.service)} as ${target.jid}: ${errorText(err)}`,
      };
    }
    const pubsub = createPubsub(session);
    const node = sourceToNodeName(update.source);
    const ready = await ensureNode(
      pubsub,
      createProvisioning(session),
      { service: target.pubsub, node, source: update.source, bot: target.bot },
      deps.log,
    );
    if (!ready.ok)
      return {
        ok: false,
        reason: `node ${node} on ${target.pubsub} is not available (${ready.condition}${ready.text ? `: ${ready.text}` : ""})`,
      };
    const published = await pubsub.publish(target.pubsub, node, wrapPayload(update));
    if (!published.ok)
      return {
        ok: false,
        reason: `${target.pubsub} refused the update (${published.condition}${published.text ? `: ${published.text}` : ""})`,
      };
    return { ok: true, itemId: published.itemId };
  };
  try {
    return await Promise.race([
      attempt().catch((err: unknown): SendOutcome => ({
        ok: false,
        reason: errorText(err),
      })),
      deadline,
    ]);
  } finally {
    timer?.cancel();
    await session?.stop().catch(() => undefined);
  }
}
