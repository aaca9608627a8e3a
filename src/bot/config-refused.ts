// A configuration reload that was refused (`systemctl reload` with a file that does not load): the
// running configuration is kept, so nothing seems wrong, but the next restart reads the same file
// and exits 78, and the bus goes silent then. Only the log said so. It is one of AlertBot's own
// alerts (own-alert.ts), told as any other, and cleared by the next reload that loads, or at a start
// (a start reads a file that loads, or it does not start).
import { DEFAULT_SEMANTICS, type AlertSemantics } from "../alerts/state-machine.js";
import type { Store } from "../store/store.js";
import { clearOwnAlert, raiseOwnAlert } from "./own-alert.js";

/** The id of AlertBot's own alert about a refused configuration. */
export const CONFIG_ALERT_ID = "alertbot-config";

/** A configuration file that was refused at a reload, and why. */
export interface ConfigRefusal {
  /** The file, as AlertBot was told to read it. */
  readonly file: string;
  /** Each problem, with its key ("peeple: unknown key ..."), or why it could not be read. */
  readonly problems: readonly string[];
}

/**
 * Raises AlertBot's config alert of `source` (its component JID), saying what `refusal` names;
 * false when it was raised already. Call inside a transaction.
 */
export function raiseConfigRefused(
  store: Store,
  source: string,
  refusal: ConfigRefusal,
  importance: number,
  now: number,
  semantics: AlertSemantics = DEFAULT_SEMANTICS,
): boolean {
  const first = refusal.problems[0] ?? "it could not be read";
  const more = refusal.problems.length > 1 ? ` (and ${refusal.problems.length - 1} more)` : "";
  const text = {
    subject: source,
    summary: `AlertBot refused its configuration ${refusal.file}: ${first}${more}`,
    detail:
      `A reload read ${refusal.file} and refused it:\n${refusal.problems.map((p) => `- ${p}`).join("\n")}\n` +
      "AlertBot runs on with the configuration it had. A restart would read the same file and not start " +
      "(exit 78): fix the file (mauve-alertbot --check-config says what is wrong), then reload.",
    importance,
  };
  return raiseOwnAlert(store, source, CONFIG_ALERT_ID, text, now, now, semantics) !== null;
}

/** Clears AlertBot's config alert of `source`, when raised; false when it was not. Call inside a transaction. */
export function clearConfigRefused(store: Store, source: string, file: string | undefined, now: number): boolean {
  const summary = `AlertBot loaded its configuration${file === undefined ? "" : ` ${file}`}`;
  return clearOwnAlert(store, source, CONFIG_ALERT_ID, summary, now);
}
