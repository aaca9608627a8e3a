import type { HostDownConfig, Policy, Rule, StormConfig, Window, Workgroup } from "../policy/types.js";
import { maybe, object, oneOrList, optional, check, transform } from "../schema/combinators.js";
import { logSection, peopleSection, type LogConfig, type PersonConfig } from "./common.js";
import { formatDuration, MINUTE_MS, DAY_MS } from "../util/duration.js";
import { loadYaml, loadYamlFile, type LoadOptions } from "./load.js";
import {
  resolvePolicy,
  rulesSection,
  hostDownSection,
  stormSection,
  windowsSection,
  permissionsSection,
} from "./policy-config.js";
import type { Reader } from "../schema/reader.js";
import { domainJid, duration, fsPath, serviceUrl } from "../schema/scalars.js";
import { type Secret, secret } from "../schema/secret.js";
import { emailSection, type EmailConfig } from "../notify/email-channel.js";
import { smsSection, type SmsConfig } from "../notify/sms-channel.js";
import type { Permissions } from "../commands/authorise.js";
import { workgroupsSection } from "./workgroups-config.js";
import { udpSection, type UdpConfig } from "../ingest/udp-listener.js";
import { httpSection, type HttpConfig } from "../http/http-config.js";
import { failoverSection, type FailoverConfig } from "./failover-config.js";
import { retentionSection, type RetentionConfig } from "./retention-config.js";

/** How AlertBot reaches Prosody: as an XEP-0114 component. */
export interface BotXmppConfig {
  /** Component port URL, e.g. xmpp://127.0.0.1:5347. */
  /** The component port: one address, or one per cluster node, tried in turn on reconnection. */
  readonly service: readonly string[];
  /** The component's domain, which is also the bot's JID. */
  readonly component: string;
  readonly secret: Secret;
  /** The pubsub service holding the agents' nodes. */
  readonly pubsub: string;
  /**
   * How often the server is pinged; no answer within as long drops the connection (a frozen
   * server, a black-holed path or a half-dead link is noticed, src/xmpp/keepalive.ts).
   */
  readonly keepaliveMs: number;
}

/** Ack and timing rules; all durations in milliseconds. */
export interface BotAlertsConfig {
  /** Ack length when "ack 42" names none. */
  readonly ackDefaultMs: number;
  /** Longest ack anyone may ask for; longer requests are capped. */
  readonly ackMaxMs: number;
  /** Raise/clear times this close to now apply now (Mauve's "within a few seconds"). */
  readonly toleranceMs: number;
  /** An update whose transmission_time is further than this from AlertBot's clock is applied, and logged. */
  readonly maxClockSkewMs: number;
}

/** AlertBot's validated, frozen configuration; it is also the policy (people, workgroups, rules...) as is. */
export interface BotConfig extends Policy {
  readonly xmpp: BotXmppConfig;
  /** SQLite file, absolute (relative paths resolve against the config file's directory). */
  readonly database: string;
  readonly people: readonly PersonConfig[];
  readonly alerts: BotAlertsConfig;
  /** Default: one workgroup "everyone" (all people) told everything at once, as before policies. */
  readonly workgroups: readonly Workgroup[];
  /** First match wins; the last is the default. */
  readonly rules: readonly Rule[];
  readonly windows: Readonly<Record<string, Window>>;
  readonly storm: StormConfig;
  readonly hostDown: HostDownConfig;
  /** SMTP settings; null when nobody is to be emailed. */
  readonly email: EmailConfig | null;
  /** The SMS gateway; null when nobody is to be texted. */
  readonly sms: SmsConfig | null;
  /** The legacy Mauve UDP listener; null when it is off (the default). */
  readonly udp: UdpConfig | null;
  /** The HTTP listener (Alertmanager webhook, JSON updates, /metrics); null when it is off (the default). */
  readonly http: HttpConfig | null;
  /** Who may ack, clear, silence, escalate, per workgroup ("*": all); empty: every configured person. */
  readonly permissions: Permissions;
  readonly log: LogConfig;
  /** A standby AlertBot that takes over (docs/failover.md); null (the default): this bot runs alone. */
  readonly failover: FailoverConfig | null;
  /** How long history, deliveries, sends and transmission ids are kept. */
  readonly retention: RetentionConfig;
}

const xmppSection: Reader<BotXmppConfig> = transform(
  object({
    service: optional(oneOrList(serviceUrl("xmpp://127.0.0.1:5347")), "xmpp://127.0.0.1:5347"),
    component: domainJid("alertbot.example.org"),
    secret: secret(),
    pubsub: domainJid("pubsub.example.org"),
    keepalive: optional(duration({ min: 1_000, max: 10 * MINUTE_MS }), "30s"),
  }),
  ({ keepalive, ...x }): BotXmppConfig => ({ ...x, keepaliveMs: keepalive }),
);

const alertsSection: Reader<BotAlertsConfig> = check(
  optional(
    transform(
      object({
        ack_default: optional(duration({ min: MINUTE_MS, max: 90 * DAY_MS }), "1h"),
        ack_max: optional(duration({ min: MINUTE_MS, max: 90 * DAY_MS }), "7d"),
        tolerance: optional(duration({ min: 0, max: 5 * MINUTE_MS }), "5s"),
        max_clock_skew: optional(duration({ min: 1_000, max: 366 * DAY_MS }), "1h"),
      }),
      (a): BotAlertsConfig => ({
        ackDefaultMs: a.ackDefault,
        ackMaxMs: a.ackMax,
        toleranceMs: a.tolerance,
        maxClockSkewMs: a.maxClockSkew,
      }),
    ),
    {},
  ),
  (alerts, problem) => {
    if (alerts.ackDefaultMs > alerts.ackMaxMs) {
      problem(
        "ack_default",
        `expected at most ack_max (${formatDuration(alerts.ackMaxMs)}), got ${formatDuration(alerts.ackDefaultMs)}`,
      );
    }
  },
);

// New sections (email, sms) slot in here, each its own reader; checks that span sections
// (a rule naming an unknown workgroup, a step naming an unknown person) live in resolvePolicy().
const botSchema: Reader<BotConfig> = checkChannelsConfigured(
  resolvePolicy(
    object({
      xmpp: xmppSection,
      database: fsPath(),
      people: peopleSection,
      alerts: alertsSection,
      workgroups: workgroupsSection,
      rules: maybe(rulesSection),
      windows: windowsSection,
      storm: stormSection,
      host_down: hostDownSection,
      email: maybe(emailSection),
      sms: maybe(smsSection),
      udp: maybe(udpSection),
      http: maybe(httpSection),
      permissions: permissionsSection,
      log: logSection,
      failover: maybe(failoverSection),
      retention: retentionSection,
    }),
  ),
);

// A person told by email or SMS needs the section that says how: better refused at start than failing at 3 a.m.
function checkChannelsConfigured(reader: Reader<BotConfig>): Reader<BotConfig> {
  return check(reader, (config, problem) => {
    const known = new Set(config.people.map((p) => p.name));
    const groups = new Set(config.workgroups.map((w) => w.name));
    for (const [group, actions] of Object.entries(config.permissions)) {
      if (group !== "*" && !groups.has(group))
        problem(`permissions.${group}`, `no workgroup named "${group}" (workgroups: ${[...groups].join(", ")})`);
      for (const [action, names] of Object.entries(actions)) {
        for (const name of names ?? []) {
          if (name !== "*" && !known.has(name)) problem(`permissions.${group}.${action}`, `no person named "${name}"`);
        }
      }
    }
    config.people.forEach((person, i) => {
      const unconfigured = (how: string, section: string): void =>
        problem(
          `people[${i}].notify`,
          `${person.name} is to be told by ${how}, but there is no ${section} section (add one, or set notify without ${how})`,
        );
      const used = new Set(Object.values(person.notify).flat(2));
      if (!config.email && (used.has("email") || used.has("email_digest"))) unconfigured("email", "email");
      if (!config.sms && used.has("sms")) unconfigured("SMS", "sms");
    });
  });
}

/** Validates AlertBot's YAML config; throws an InvalidConfigError (a ConfigError) listing every problem. */
export function loadBotConfig(text: string, options: LoadOptions): BotConfig {
  return loadYaml(text, botSchema, options);
}

/** Reads and validates AlertBot's config file. */
export function readBotConfigFile(path: string, env: Readonly<Record<string, string | undefined>>): BotConfig {
  return loadYamlFile(path, botSchema, env);
}
