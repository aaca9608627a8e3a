// Starts AlertBot's audit feed on its own over a component session, as run-bot does, and returns what it logged.
import { AuditFeed } from "../../src/bot/audit-feed.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import { LogLines } from "./spine.js";

/** Runs AuditFeed.start() (nodes, readers, start-up checks) against the real server, then stops it. */
export async function startAuditFeed(bot: XmppSession, service: string, readers: string[]): Promise<LogLines> {
  const log = new LogLines();
  const store = Store.open(":memory:");
  const feed = new AuditFeed({
    store,
    clock: new FakeClock(),
    log: log.logger,
    pubsub: createPubsub(bot),
    service,
    readers,
  });
  try {
    await feed.start();
  } finally {
    feed.stop();
    store.close();
  }
  return log;
}
