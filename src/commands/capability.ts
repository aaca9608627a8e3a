import type { AlertRecord } from "../alerts/types.js";
import { CommandError } from "../errors.js";
import { ALLOWED, refusalText, type CommandAction, type Verdict } from "./authorise.js";
import { alertName } from "./format.js";
import type { CommandAlerts, CommandContext, CommandSilences } from "./types.js";

function missing(what: string): CommandError {
  return new CommandError(`Sorry, this bot can't ${what}: it has not been set up for that.`, {
    detail: `CommandContext lacks ${what}`,
  });
}

/**
 * The context's alerts, checked to offer the optional operation `key`; a bot without it makes
 * the command answer that it can't (a CommandError), rather than fail as a bug.
 */
export function alertsWith<K extends keyof CommandAlerts>(
  ctx: CommandContext,
  key: K,
  what: string,
): CommandAlerts & Required<Pick<CommandAlerts, K>> {
  if (ctx.alerts[key] === undefined) throw missing(what);
  return ctx.alerts as CommandAlerts & Required<Pick<CommandAlerts, K>>;
}

/** The context's silences, or a CommandError saying this bot keeps none. */
export function silencesOf(ctx: CommandContext): CommandSilences {
  if (ctx.silences === undefined) throw missing("keep silences");
  return ctx.silences;
}

/** Whether the sender may do `action` to `alert`; open when the bot checks nothing. */
export function verdict(ctx: CommandContext, action: CommandAction, alert: AlertRecord | null): Verdict {
  return ctx.may === undefined ? ALLOWED : ctx.may(action, alert);
}

/** Checks a permission for one alert, looking it up when the bot can; returns the refusal line, or null to go on. */
export function refusalFor(ctx: CommandContext, action: CommandAction, shortId: number): string | null {
  if (ctx.may === undefined) return null;
  const alert = ctx.alerts.get?.(shortId);
  // Without `get` the alert's workgroup is unknown: judge as for alerts in general, the stricter check.
  if (alert === undefined && ctx.alerts.get !== undefined) return null; // the operation itself reports "no such alert"
  const v = ctx.may(action, alert ?? null);
  return v.ok ? null : `${alert === undefined ? `#${shortId}` : alertName(alert)}: ${refusalText(action, v.workgroup)}`;
}
