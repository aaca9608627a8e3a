import type { BotConfig } from "../config/bot-config.js";
import { InvalidConfigError } from "../config/load.js";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";

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
  if (a.service !== b.service) changed.push("xmpp.service");
  if (a.component !== b.component) changed.push("xmpp.component");
  if (a.pubsub !== b.pubsub) changed.push("xmpp.pubsub");
  if (a.secret.reveal() !== b.secret.reveal()) changed.push("xmpp.secret");
  if (running.database !== next.database) changed.push("database");
  if (running.log.level !== next.log.level) changed.push("log.level");
  if (JSON.stringify(udpListener(running)) !== JSON.stringify(udpListener(next))) changed.push("udp");
  if (httpListener(running) !== httpListener(next)) changed.push("http");
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

/**
 * Reads the config file again and applies it: a file that does not load is refused whole, its
 * problems logged and the running config kept; one that loads replaces people, policy, channels
 * and ack limits at once. Never throws: a reload must not be able to stop the bot.
 */
export async function reloadConfig(read: () => BotConfig, apply: (next: BotConfig) => Promise<ReloadOutcome>, log: Logger): Promise<boolean> {
  let next: BotConfig;
  try {
    next = read();
  } catch (err) {
    if (err instanceof InvalidConfigError) {
      log.error("config reload rejected; keeping the running config", { file: err.file, problems: err.issues.map((i) => `${i.key}: ${i.problem}`) });
    } else if (err instanceof ConfigError) {
      log.error("config reload rejected; keeping the running config", { file: err.file, problems: [`${err.key}: ${err.problem}`] });
    } else {
      log.error("config reload failed; keeping the running config", { err });
    }
    return false;
  }
  try {
    const { needsRestart } = await apply(next);
    if (needsRestart.length > 0) log.warn("config reloaded, but these keys take a restart and keep their running values", { keys: needsRestart });
    log.info("config reloaded", { people: next.people.length, workgroups: next.workgroups.length, rules: next.rules.length });
    return true;
  } catch (err) {
    log.error("config reload failed while applying it", { err });
    return false;
  }
}
