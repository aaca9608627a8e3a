import { checkRunnerSection, checksList, type CheckRunnerConfig, type CheckSpec } from "../checks/check-config.js";
import { list, maybe, object, oneOrList, optional, orFalse, transform, check } from "../schema/combinators.js";
import { logSection, type LogConfig } from "./common.js";
import { loadYaml, loadYamlFile, type LoadOptions } from "./load.js";
import { expected, INVALID, type Reader } from "../schema/reader.js";
import { sourceNameProblem } from "../codec/source-name.js";
import { HEARTBEAT_ALERT_ID, agentAlertIdProblem } from "../codec/agent-alert-ids.js";
import { AGENT_DETAIL_MAX_BYTES } from "../codec/fit-update.js";
import { utf8Bytes } from "../codec/text.js";
import { bareJid, domainJid, duration, enumOf, fsPath, int, serviceUrl, str } from "../schema/scalars.js";
import { type Secret, secret } from "../schema/secret.js";
import { DAY_MS, MINUTE_MS } from "../util/duration.js";

/** How an agent logs in: an ordinary c2s account. */
export interface AgentXmppConfig {
  /** The c2s address (default xmpp://<jid's domain>:5222), or one per cluster node, tried in turn on reconnection. */
  readonly service: readonly string[];
  readonly jid: string;
  readonly password: Secret;
  /** Defaults to pubsub.<jid's domain>. */
  readonly pubsub: string;
  /** AlertBot's component domain; defaults to alertbot.<jid's domain>. */
  readonly bot: string;
  /**
   * How often the server is pinged; no answer within as long drops the connection and the agent
   * reconnects (src/xmpp/keepalive.ts). XEP-0198 acks alone missed a link that loses what the agent
   * sends while the server's stanzas still arrive: any of those cleared the ack timeout.
   */
  readonly keepaliveMs: number;
}

/** An alert the agent publishes as configured (the spine's stand-in for real checks). */
export interface StaticAlertConfig {
  readonly id: string;
  readonly subject: string | null;
  readonly summary: string | null;
  /** HTML; the bot sanitises it. */
  readonly detail: string | null;
  /** Null leaves it unset on the wire (the bot's default, 50). */
  readonly importance: number | null;
  readonly state: "raised" | "cleared";
}

/** Where checks may also come from: config nodes that ops publish to. */
export interface RemoteChecksConfig {
  /** Only pushes published by these bare JIDs are accepted: a push runs commands on this host. */
  readonly publishers: readonly string[];
  /** Groups this host belongs to: their nodes mauve/config/group/<name> are read too. */
  readonly groups: readonly string[];
}

/** mauve-agent's validated, frozen configuration. */
export interface AgentConfig {
  readonly xmpp: AgentXmppConfig;
  /** The Mauve source name; defaults to the JID's localpart. */
  readonly source: string;
  /** Where the durable outbox lives (absolute). */
  readonly stateDir: string;
  readonly alerts: readonly StaticAlertConfig[];
  /** Heartbeat period in milliseconds, or false when turned off. */
  readonly heartbeat: { readonly intervalMs: number } | false;
  /** Nagios-plugin compatible checks whose verdicts raise and clear alerts. */
  readonly checks: readonly CheckSpec[];
  readonly checkRunner: CheckRunnerConfig;
  /** The durable outbox's bound: past it, the queue collapses into one full-state update. */
  readonly outbox: { readonly maxEntries: number };
  /** How often the whole state goes out again (replace=true), in milliseconds; false for never. */
  readonly fullStateEveryMs: number | false;
  /** Checks pushed by ops over pubsub config nodes; null when off (the default). */
  readonly remoteChecks: RemoteChecksConfig | null;
  readonly log: LogConfig;
}

// The source is an identity and names a pubsub node: the one source rule (src/codec/source-name.ts).
const sourceName: Reader<string> = (value, path, ctx) => {
  if (typeof value !== "string") return expected("a source name like web1", value, path, ctx);
  const problem = sourceNameProblem(value);
  if (problem === undefined) return value;
  ctx.report(path, problem);
  return INVALID;
};

// Mauve's field limits.
const alert: Reader<StaticAlertConfig> = object({
  id: str({ max: 256 }),
  subject: maybe(str({ max: 512 })),
  summary: maybe(str({ max: 1024 })),
  detail: maybe(str({ max: 65_535 })),
  importance: maybe(int(0, 4_294_967_295)),
  state: enumOf("raised", "cleared"),
});

const rawSchema = object({
  xmpp: object({
    service: maybe(oneOrList(serviceUrl("xmpp://127.0.0.1:5222"))),
    jid: bareJid(),
    password: secret(),
    pubsub: maybe(domainJid("pubsub.example.org")),
    bot: maybe(domainJid("alertbot.example.org")),
    keepalive: optional(duration({ min: 1_000, max: 10 * MINUTE_MS }), "30s"),
  }),
  source: maybe(sourceName),
  state_dir: optional(fsPath(), "/var/lib/mauve-agent"),
  alerts: optional(list(alert, { unique: [{ key: "id", of: (a) => a.id }] }), []),
  heartbeat: optional(orFalse(object({ interval: optional(duration({ min: 10_000, max: DAY_MS }), "5m") })), {}),
  checks: optional(checksList, []),
  check_runner: checkRunnerSection,
  outbox: optional(object({ max_entries: optional(int(10, 10_000_000), 10_000) }), {}),
  full_state_every: optional(orFalse(duration({ min: 60_000, max: 7 * DAY_MS })), "1h"),
  remote_checks: maybe(
    object({
      publishers: list(bareJid(), { min: 1 }),
      groups: optional(
        list(str({ max: 256, pattern: /^[^\s/]+$/, what: 'a group name without spaces or "/" like web' }), {
          unique: [{ key: "", of: (g) => g }],
        }),
        [],
      ),
    }),
  ),
  log: logSection,
});

// One id names one alert of the source: a check may not reuse a static alert's id.
const checkedSchema = check(rawSchema, (raw, problem) => {
  // Without `source`, the JID's localpart is the source, so it has to follow the source rule too.
  const local = raw.xmpp.jid.split("@")[0] ?? "";
  const localProblem = raw.source === null ? sourceNameProblem(local) : undefined;
  if (localProblem !== undefined)
    problem(
      "xmpp.jid",
      `the source defaults to the JID's localpart, and ${localProblem}; set source: to a name that follows the rule`,
    );
  raw.checks.forEach((c, i) => {
    const j = raw.alerts.findIndex((a) => a.id === c.id);
    if (j >= 0) problem(`checks[${i}].id`, `"${c.id}" is already used by alerts[${j}]`);
  });
  raw.alerts.forEach((a, i) => {
    // Without a heartbeat of its own, the agent leaves the id to a static alert (one sent by hand, say).
    const taken = a.id === HEARTBEAT_ALERT_ID && raw.heartbeat === false ? undefined : agentAlertIdProblem(a.id);
    if (taken !== undefined)
      problem(`alerts[${i}].id`, a.id === HEARTBEAT_ALERT_ID ? `${taken} (or set heartbeat: false)` : taken);
    // Measured as it goes on the wire: every alert must fit in one update with room to spare.
    const bytes = a.detail === null ? 0 : utf8Bytes(a.detail);
    if (bytes > AGENT_DETAIL_MAX_BYTES)
      problem(`alerts[${i}].detail`, `is ${bytes} bytes of UTF-8; at most ${AGENT_DETAIL_MAX_BYTES} fit in an update`);
  });
});

// Defaults that depend on the JID are filled after it has been validated.
const agentSchema: Reader<AgentConfig> = transform(checkedSchema, (raw) => {
  const [local = "", domain = ""] = raw.xmpp.jid.split("@");
  const { fullStateEvery, heartbeat, ...rest } = raw;
  const { keepalive, ...xmpp } = raw.xmpp;
  return {
    ...rest,
    heartbeat: heartbeat === false ? false : { intervalMs: heartbeat.interval },
    fullStateEveryMs: fullStateEvery,
    xmpp: {
      ...xmpp,
      service: xmpp.service ?? [`xmpp://${domain}:5222`],
      pubsub: xmpp.pubsub ?? `pubsub.${domain}`,
      bot: xmpp.bot ?? `alertbot.${domain}`,
      keepaliveMs: keepalive,
    },
    source: raw.source ?? local,
  };
});

/** Validates mauve-agent's YAML config; throws an InvalidConfigError (a ConfigError) listing every problem. */
export function loadAgentConfig(text: string, options: LoadOptions): AgentConfig {
  return loadYaml(text, agentSchema, options);
}

/** Reads and validates mauve-agent's config file. */
export function readAgentConfigFile(path: string, env: Readonly<Record<string, string | undefined>>): AgentConfig {
  return loadYamlFile(path, agentSchema, env);
}
