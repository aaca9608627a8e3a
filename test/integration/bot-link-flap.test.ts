// AlertBot on a link that keeps coming back and dying again: a relay (or firewall, or NAT) that
// lets each connection through for a moment and then silently drops what the bot sends. Every
// reconnection succeeds at once, so no single outage lasts the host-down grace, yet chat reaches
// nobody. The link must be judged over time: people are emailed that it is unreliable, once, and
// the alert clears only once the link has stayed up.
import assert from "node:assert/strict";
import {
  emailedAlice,
  linkAlertCleared,
  linkAlertRaised,
  storedLinkAlert,
  withKeepalive,
} from "../helpers/bot-link.js";
import { withProcesses } from "../helpers/process-fixture.js";
import { withProsody } from "../helpers/prosody.js";
import { waitFor } from "../helpers/wait-for.js";

const unreliable = /link to its XMPP server is unreliable/;

describe("AlertBot on a link that keeps reconnecting and dying again", function () {
  this.timeout(300_000);
  const server = withProsody();
  const fx = withProcesses(server);

  it("emails that its link is unreliable once the flapping lasts the grace, and clears once the link is steady", async () => {
    // Alice, told by email; the link alert after a 10 s grace (a link steady after 8 s up); a dead
    // link dropped within seconds.
    const { t, dir, smtp, relay, bot } = await fx.botOnRelay({
      prefix: "mauve-link-flap-",
      config: (t, smtp) => emailedAlice(t, smtp, "10s"),
      edit: withKeepalive,
    });
    assert.equal(bot.withMsg("AlertBot running")[0]?.["xmpp"], "connected");

    // Every new connection lives a second; the one open now dies at once.
    relay.flap(1_000);
    relay.dropFromClients();
    const raised = await linkAlertRaised(bot, 150_000);
    assert.ok(Number(raised["drops"]) >= 2, `raised for a flapping link: ${JSON.stringify(raised)}`);
    assert.ok(bot.withMsg("connected").length >= 1, "it did reconnect in between");
    const mail = await waitFor("the email", () => smtp.mails.find((m) => unreliable.test(m.raw)), 60_000);
    assert.deepEqual(mail.to, ["alice@example.org"]);

    relay.steady(); // the connection dying now is dropped, the next one lives
    await linkAlertCleared(bot, 150_000);
    const alert = storedLinkAlert(t, dir);
    assert.equal(alert.status, "cleared");
    assert.deepEqual(alert.raisedAndCleared, ["raised", "cleared"], "raised once however many drops, cleared once");
    assert.equal(smtp.mails.filter((m) => unreliable.test(m.raw) && !/CLEARED/i.test(m.raw)).length, 1, "told once");
    assert.equal((await bot.stop()).code, 0);
  });
});
