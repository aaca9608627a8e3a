// AlertBot's presence as a person's own client sees it on a real Prosody: after logging in again,
// the client's server probes AlertBot, and AlertBot answers, so it shows online in the roster.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { connectClient } from "../../src/xmpp/connect.js";
import { createPresence, getRoster, type PresenceUpdate, type SubscriptionStanza } from "../../src/xmpp/presence.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import { nextEvent } from "../helpers/next-event.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startBot, tempDir } from "../helpers/spine.js";

describe("AlertBot's presence in people's rosters", function () {
  this.timeout(60_000);
  const server = withProsody();
  let dir: string;
  let bot: RunningBot | undefined;
  const sessions: XmppSession[] = [];

  before(async () => {
    dir = tempDir("mauve-presence-");
    bot = await startBot(server(), dir, ["alice"], new LogLines().logger);
  });

  after(async () => {
    for (const s of sessions) await s.stop().catch(() => undefined);
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Logs in as `name` the way a client does: roster, then initial presence; resolves with AlertBot's presence when it comes. */
  async function loginAndWatchBot(
    name: string,
    resource: string,
  ): Promise<{ session: XmppSession; botPresence: Promise<PresenceUpdate> }> {
    const p = server().prosody;
    const session = await connectClient({
      service: `xmpp://127.0.0.1:${p.c2sPort}`,
      domain: p.domain,
      username: name,
      password: `pw-${name}`,
      resource,
    });
    sessions.push(session);
    const presence = createPresence(session);
    const botPresence = nextEvent<PresenceUpdate>(
      (fn) => presence.onPresence(fn),
      (u) => u.from.split("/")[0] === p.botJid,
      10_000,
    );
    await getRoster(session);
    await presence.sendAvailable({ status: "back" });
    return { session, botPresence };
  }

  it("a person who added AlertBot sees it online again after logging in again", async () => {
    const t = server();
    const alice = await PersonClient.login(t, "alice");
    // Alice adds AlertBot to her roster, as she would in her client; AlertBot approves a configured person.
    const presence = createPresence(alice.session);
    const approved = nextEvent<SubscriptionStanza>(
      (fn) => presence.onSubscription(fn),
      (s) => s.type === "subscribed",
      10_000,
    );
    await presence.sendSubscription(t.prosody.botJid, "subscribe");
    await approved;
    const roster = await getRoster(alice.session);
    assert.ok(
      roster.ok &&
        roster.items.some((i) => i.jid === t.prosody.botJid && (i.subscription === "to" || i.subscription === "both")),
      JSON.stringify(roster),
    );
    await alice.stop();

    const { botPresence } = await loginAndWatchBot("alice", "laptop");
    const seen = await botPresence;
    assert.equal(seen.type, "available");
    assert.equal(seen.status, "Watching alerts");
  });
});
