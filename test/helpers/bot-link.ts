// What the tests of AlertBot's link to its XMPP server share: alice told by email, a keepalive that
// notices a dead link within seconds, and AlertBot's own link alert as it logs and stores it.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LINK_DOWN_ALERT_ID } from "../../src/bot/link-down.js";
import { Store } from "../../src/store/store.js";
import type { ChildRun } from "./process-child.js";
import type { TestProsody } from "./prosody.js";
import type { SmtpSink } from "./smtp-sink.js";

/** What the link alert's email says. */
export const CUT_OFF_MAIL = /cut off from its XMPP server/;

/** Alice, told by chat and email alike; the link alert after `grace` (`3s`); email through `smtp`. */
export function emailedAlice(t: TestProsody, smtp: SmtpSink, grace: string): string {
  return `people:
  - name: alice
    jid: alice@${t.prosody.domain}
    email: alice@example.org
    notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp, email] }
host_down: { grace: ${grace} }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, timeout: 30s }
  from: Mauve <alerts@example.org>
`;
}

/** Adds `xmpp.keepalive: 2s` to the config file at `path`: a dead link noticed within seconds. */
export function withKeepalive(path: string): string {
  const text = readFileSync(path, "utf8");
  assert.match(text, /^ {2}pubsub: .*$/m);
  writeFileSync(path, text.replace(/^( {2}pubsub: .*)$/m, "$1\n  keepalive: 2s"));
  return path;
}

/** Waits for `bot` to log that it raised its own link alert past the grace; returns that line. */
export function linkAlertRaised(bot: ChildRun, timeoutMs: number): Promise<Record<string, unknown>> {
  return bot.waitForLog(
    "its own alert",
    (l) => l["msg"] === "cut off from the XMPP server past the grace: AlertBot's own alert raised",
    timeoutMs,
  );
}

/** Waits for `bot` to log that it is connected again and cleared its own link alert. */
export function linkAlertCleared(bot: ChildRun, timeoutMs: number): Promise<Record<string, unknown>> {
  return bot.waitForLog(
    "the alert cleared",
    (l) => l["msg"] === "connected to the XMPP server again: AlertBot's own alert cleared",
    timeoutMs,
  );
}

/** AlertBot's own link alert as stored in `dir`'s database: its status, and its raises and clears in order. */
export function storedLinkAlert(
  t: TestProsody,
  dir: string,
): { status: string | undefined; raisedAndCleared: string[] } {
  const store = Store.open(join(dir, "alertbot.sqlite"));
  try {
    const alert = store.alerts.find(t.prosody.botJid, LINK_DOWN_ALERT_ID);
    const kinds = alert ? store.alerts.history(alert.shortId).map((h) => h.kind) : [];
    return { status: alert?.status, raisedAndCleared: kinds.filter((k) => k === "raised" || k === "cleared") };
  } finally {
    store.close();
  }
}
