import type { AlertSemantics } from "../alerts/state-machine.js";
import type { Permissions } from "../commands/authorise.js";
import type { BotConfig } from "../config/bot-config.js";
import { InvalidConfigError } from "../config/load.js";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Channel, ChannelKind, Recipient } from "../notify/channel.js";
import type { Policy } from "../policy/types.js";
import type { ConfigRefusal } from "./config-refused.js";

/** What the running bot works by, and what a config reload replaces whole. */
export interface BotSettings {
  /** People, workgroups, rules, windows, storm limits (the loaded BotConfig is one). */
  readonly policy: Policy & { readonly people: readonly Recipient[] };
  readonly channels: ReadonlyMap<ChannelKind, Channel>;
  readonly semantics?: AlertSemantics;
  /** How long an ack lasts when none is asked for, and the longest allowed. */
  readonly ackDefaultMs: number;
  readonly ackMaxMs: number;
  /** Who may ack, clear, silence, escalate, per workgroup; default: every configured person. */
  readonly permissions?: Permissions;
  /** Updates whose transmission_time is further than this from our clock are logged; default 1h. */
  readonly maxClockSkewMs?: number;
}

/** Reacts to new settings; `previous` is what was current before. */
export type SettingsListener<T> = (next: T, previous: T) => void | Promise<void>;

/** The read side of a settings holder, as consumers take it. */
export interface SettingsSource<T> {
  current(): T;
  onChange(listener: SettingsListener<T>): void;
}

/**
 * The one holder of the bot's current settings. Consumers read `current()` when they need a value
 * instead of keeping copies, so a reload reaches them all by replacing it here; the few that must
 * act on a change (look again at raised alerts, join rooms, ask people for presence) subscribe.
 */
export class Settings<T> implements SettingsSource<T> {
  private readonly listeners: Array<SettingsListener<T>> = [];

  constructor(private value: T) {}

  current(): T {
    return this.value;
  }

  /** Subscribers run in the order they subscribed, each awaited, after the value is replaced. */
  onChange(listener: SettingsListener<T>): void {
    this.listeners.push(listener);
  }

  /**
   * Makes `next` current at once for every reader, then lets the subscribers act on it, every one of
   * them: one that throws rejects the whole (the reload reports it as failed) once the others have
   * run. It used to stop the ones after it: with the new configuration in force, a reload whose first
   * subscriber failed never joined the new rooms nor asked the new people for their presence.
   */
  async replace(next: T): Promise<void> {
    const previous = this.value;
    this.value = next;
    const failures: unknown[] = [];
    for (const listener of this.listeners) {
      try {
        await listener(next, previous);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
  }
}

/** The settings a loaded config gives (its policy, alert semantics, ack limits, permissions), sending through `channels`. */
export function settingsFromConfig(config: BotConfig, channels: ReadonlyMap<ChannelKind, Channel>): BotSettings {
  return {
    policy: config,
    channels,
    semantics: { toleranceMs: config.alerts.toleranceMs, defaultImportance: 50 },
    ackDefaultMs: config.alerts.ackDefaultMs,
    ackMaxMs: config.alerts.ackMaxMs,
    maxClockSkewMs: config.alerts.maxClockSkewMs,
    permissions: config.permissions,
  };
}

/** What a reload changed, and the settings it could not change while running. */
export interface ReloadOutcome {
  /** Keys that differ in the new file but take a restart (the running values are kept). */
  readonly needsRestart: readonly string[];
}

/**
 * The keys whose change takes a restart: the XMPP connection and the database are open, the log
 * was made at start, the HTTP listener and the UDP port are bound (its `handover` list is read live). Compared by value
 * (the secret by what it reveals).
 */
export function restartOnlyChanges(running: BotConfig, next: BotConfig): string[] {
  const changed: string[] = [];
  const a = running.xmpp;
  const b = next.xmpp;
  if (a.service.join(" ") !== b.service.join(" ")) changed.push("xmpp.service");
  if (a.component !== b.component) changed.push("xmpp.component");
  if (a.pubsub !== b.pubsub) changed.push("xmpp.pubsub");
  if (a.secret.reveal() !== b.secret.reveal()) changed.push("xmpp.secret");
  if (running.database !== next.database) changed.push("database");
  if (running.log.level !== next.log.level) changed.push("log.level");
  if (JSON.stringify(udpListener(running)) !== JSON.stringify(udpListener(next))) changed.push("udp");
  if (httpListener(running) !== httpListener(next)) changed.push("http");
  if (JSON.stringify(running.failover) !== JSON.stringify(next.failover)) changed.push("failover"); // issue 13
  return changed;
}

// The whole section, tokens by what they reveal: the listener and its routes are made at start.
function httpListener(config: BotConfig): string {
  const http = config.http;
  return JSON.stringify(http && { ...http, tokens: http.tokens.map((t) => [t.name, t.token.reveal(), t.sources]) });
}

function udpListener(config: BotConfig): unknown {
  const udp = config.udp;
  return udp && { host: udp.host, port: udp.port, allow: udp.allow };
}

/** What a reload acts on: the running bot, which also hears whether the file was refused. */
export interface ReloadTarget {
  reload(next: BotConfig): Promise<ReloadOutcome>;
  /** The file was refused (its own alert is raised), or null: it loaded (the alert clears). */
  configRefused(refusal: ConfigRefusal | null): Promise<void>;
}

/**
 * Reads the config file again and applies it: a file that does not load is refused whole, its
 * problems logged (and told to `target`, which raises AlertBot's own alert: a restart would not
 * start on that file) and the running config kept; one that loads replaces people, policy,
 * channels and ack limits at once. Never throws: a reload must not be able to stop the bot.
 */
export async function reloadConfig(
  read: () => BotConfig,
  target: ReloadTarget | ReloadTarget["reload"],
  log: Logger,
): Promise<boolean> {
  const apply = typeof target === "function" ? target : (next: BotConfig) => target.reload(next);
  const told = async (refusal: ConfigRefusal | null): Promise<void> => {
    if (typeof target === "function") return;
    await target
      .configRefused(refusal)
      .catch((err: unknown) =>
        log.error("cannot raise or clear AlertBot's own alert about its configuration", { err }),
      );
  };
  let next: BotConfig;
  try {
    next = read();
  } catch (err) {
    const refusal = refusalOf(err);
    if (err instanceof ConfigError) log.error("config reload rejected; keeping the running config", { ...refusal });
    else log.error("config reload failed; keeping the running config", { err });
    await told(refusal);
    return false;
  }
  try {
    const { needsRestart } = await apply(next);
    if (needsRestart.length > 0)
      log.warn("config reloaded, but these keys take a restart and keep their running values", { keys: needsRestart });
    log.info("config reloaded", {
      people: next.people.length,
      workgroups: next.workgroups.length,
      rules: next.rules.length,
    });
    await told(null);
    return true;
  } catch (err) {
    log.error("config reload failed while applying it", { err });
    return false;
  }
}

/** The file and its problems, from what reading it threw (a file that cannot be read at all too). */
/** What a configuration file that could not be loaded is refused for: the file and each problem. */
export function refusalOf(err: unknown): ConfigRefusal {
  if (err instanceof InvalidConfigError)
    return { file: err.file, problems: err.issues.map((i) => `${i.key}: ${i.problem}`) };
  if (err instanceof ConfigError) return { file: err.file, problems: [`${err.key}: ${err.problem}`] };
  const path = (err as { path?: unknown }).path;
  return {
    file: typeof path === "string" ? path : "the configuration file",
    problems: [err instanceof Error ? err.message : String(err)],
  };
}
