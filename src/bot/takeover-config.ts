// The configuration a standby takes over with (docs/failover.md). A standby runs for weeks before
// it takes over, and a SIGHUP cannot be applied to a bot that does not run yet: it took over with
// the file as it was at start, so a person removed since was told, one added was not. It reads the
// file again at the moment it takes over, as a reload would.
import type { BotConfig } from "../config/bot-config.js";
import { InvalidConfigError } from "../config/load.js";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ConfigRefusal } from "./config-refused.js";
import { refusalOf, restartOnlyChanges } from "./settings.js";

// Of the keys a reload cannot change, those the listeners read are bound only now, at takeover.
const BOUND_AT_TAKEOVER = new Set(["http", "udp"]);

/**
 * Reads the configuration file again to take over: the file as it is now, except what the standby
 * already runs with (its connection, database, log and the failover section: kept as a reload keeps
 * them), while the HTTP and UDP listeners, bound only now, take the file's. A file that no longer loads is logged as an error with its problems,
 * given to `refused` (the new active raises its alert alertbot-config), and the start-up configuration is used: a standby must take over whatever the file says.
 */
export function configAtTakeover(
  running: BotConfig,
  read: (() => BotConfig) | undefined,
  log: Logger,
  refused: (refusal: ConfigRefusal) => void = () => undefined,
): BotConfig {
  if (!read) return running;
  let next: BotConfig;
  try {
    next = read();
  } catch (err) {
    log.error(
      "cannot read the configuration file to take over: taking over with the configuration read at start; fix the file and reload",
      { problems: problemsOf(err), err: err instanceof ConfigError ? undefined : err },
    );
    // Told as a refused reload is (AlertBot's own alert): the next restart would read the same
    // file and not start at all.
    refused(refusalOf(err));
    return running;
  }
  const kept = restartOnlyChanges(running, next).filter((key) => !BOUND_AT_TAKEOVER.has(key));
  if (kept.length > 0)
    log.warn("configuration read to take over, but these keys take a restart and keep their running values", {
      keys: kept,
    });
  log.info("configuration read again to take over", {
    people: next.people.length,
    workgroups: next.workgroups.length,
    rules: next.rules.length,
  });
  return Object.freeze({
    ...next,
    xmpp: running.xmpp,
    database: running.database,
    log: running.log,
    failover: running.failover,
  });
}

function problemsOf(err: unknown): string[] {
  if (err instanceof InvalidConfigError) return err.issues.map((i) => `${i.key}: ${i.problem}`);
  if (err instanceof ConfigError) return [`${err.key}: ${err.problem}`];
  return [err instanceof Error ? err.message : String(err)];
}
