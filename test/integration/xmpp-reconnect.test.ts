// Sessions that outlive their connections: a Prosody restart (fresh session) and a
// dropped TCP link with the server still up (XEP-0198 resumption).
import assert from "node:assert/strict";
import { createServer, connect } from "node:net";
import type { Server, Socket } from "node:net";
import { withProsody } from "../helpers/prosody.js";
import { nextEvent as nextEventWithin } from "../helpers/next-event.js";
import { connectClient, connectComponent } from "../../src/xmpp/connect.js";
import { createDisco } from "../../src/xmpp/disco.js";
import { XmppIoError } from "../../src/xmpp/errors.js";
import { bareJid } from "../../src/xmpp/jid.js";
import { agentNodeConfig } from "../../src/xmpp/provisioning.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import type { PubsubEvent } from "../../src/xmpp/pubsub.js";
import type { SessionEvents, XmppSession } from "../../src/xmpp/session.js";

// Reconnections take longer than other events.
const nextEvent = <T>(subscribe: Parameters<typeof nextEventWithin<T>>[0], match?: (v: T) => boolean): Promise<T> =>
  nextEventWithin(subscribe, match, 10_000);

const FAST_RECONNECT = { initialDelayMs: 100, maxDelayMs: 1000 };

const online = (s: XmppSession): Promise<SessionEvents["online"]> => nextEvent((fn) => s.on("online", fn));

/** A TCP relay to Prosody whose live connections the test can cut. */
async function startRelay(targetPort: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(targetPort, "127.0.0.1");
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("relay has no port");
  return {
    port: address.port,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("xmpp sessions across connection loss", function () {
  this.timeout(60_000);
  const server = withProsody();
  const errors: Error[] = [];
  const sessions: XmppSession[] = [];
  let bot: XmppSession;
  const node = "mauve/alerts/web1";

  before(async function () {
    const { prosody, botSecret } = server();
    await prosody.register("web1", "pw1");
    bot = await connectComponent({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.botJid,
      password: botSecret,
      reconnect: FAST_RECONNECT,
      onError: (e) => void errors.push(e),
    });
    sessions.push(bot);
    const pubsub = createPubsub(bot);
    assert.ok((await pubsub.createNode(prosody.pubsubJid, node, agentNodeConfig("web1"))).ok);
    assert.ok((await pubsub.setAffiliation(prosody.pubsubJid, node, `web1@${prosody.domain}`, "owner")).ok);
    assert.ok((await pubsub.subscribe(prosody.pubsubJid, node)).ok);
  });

  after(async () => {
    await Promise.all(sessions.map((s) => s.stop()));
  });

  it("reconnects by itself after a Prosody restart and can publish again", async function () {
    const { prosody } = server();
    const agent = await connectClient({
      service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
      domain: prosody.domain,
      username: "web1",
      password: "pw1",
      resource: "agent",
      reconnect: FAST_RECONNECT,
      onError: (e) => void errors.push(e),
    });
    sessions.push(agent);
    const offline = nextEvent<SessionEvents["offline"]>((fn) => agent.on("offline", fn));
    const agentBack = online(agent);
    const botBack = online(bot);

    await prosody.stop();
    assert.equal((await offline).willReconnect, true);
    // While offline, a publish fails at once with an I/O error instead of hanging.
    await assert.rejects(
      createPubsub(agent).publish(prosody.pubsubJid, node, { data: "AA==", text: "while down" }),
      (err: unknown) => err instanceof XmppIoError && err.kind === "not-connected",
    );
    await prosody.restart();

    assert.deepEqual(await agentBack, { jid: agent.jid, resumed: false }); // the server forgot the old session
    await botBack;
    const event = nextEvent<PubsubEvent>(
      (fn) => createPubsub(bot).onEvent(fn),
      (e) => e.itemId === "after-restart",
    );
    const published = await createPubsub(agent).publish(
      prosody.pubsubJid,
      node,
      { data: "AA==", text: "back" },
      "after-restart",
    );
    assert.deepEqual(published, { ok: true, itemId: "after-restart" });
    assert.equal((await event).publisher, bareJid(agent.jid)); // the subscription survived the restart
    // Only connection trouble was reported, nothing thrown by our code.
    assert.deepEqual(
      errors.filter((e) => !(e instanceof XmppIoError)),
      [],
    );
    errors.length = 0;
  });

  it("resumes the XEP-0198 session when only the TCP link dropped", async function () {
    const { prosody } = server();
    const relay = await startRelay(prosody.c2sPort);
    try {
      const agent = await connectClient({
        service: `xmpp://127.0.0.1:${relay.port}`,
        domain: prosody.domain,
        username: "web1",
        password: "pw1",
        resource: "relayed",
        reconnect: FAST_RECONNECT,
        onError: (e) => void errors.push(e),
      });
      sessions.push(agent);
      // Stream management is enabled just after login: let <enabled/> arrive.
      const warmup = await createPubsub(agent).getItems(prosody.pubsubJid, node, 1);
      assert.ok(warmup.ok);
      const back = online(agent);
      relay.cut();
      assert.deepEqual(await back, { jid: agent.jid, resumed: true });
      const published = await createPubsub(agent).publish(
        prosody.pubsubJid,
        node,
        { data: "AA==", text: "resumed" },
        "after-resume",
      );
      assert.deepEqual(published, { ok: true, itemId: "after-resume" });
      await agent.stop();
      assert.equal(agent.isOnline, false);
    } finally {
      await relay.close();
    }
    assert.deepEqual(
      errors.filter((e) => !(e instanceof XmppIoError)),
      [],
    );
    errors.length = 0;
  });

  it("a session whose stream the server closes (resource conflict) reconnects once, without looping", async function () {
    const { prosody } = server();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const options = {
        service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
        domain: prosody.domain,
        username: "web1",
        password: "pw1",
        resource: "twin",
      };
      const first = await connectClient({ ...options, reconnect: FAST_RECONNECT, onError: () => undefined });
      sessions.push(first);
      const offline = nextEvent<SessionEvents["offline"]>((fn) => first.on("offline", fn));
      const back = online(first);
      // Same resource: Prosody closes the first stream (<conflict/>); the second one must not come back.
      const second = await connectClient({ ...options, reconnect: false, onError: () => undefined });
      sessions.push(second);
      assert.match((await offline).reason, /conflict/);
      assert.equal((await back).resumed, false);
      assert.ok(first.isOnline);
      // A round trip on the session that came back: it serves, and the close handling behind it
      // (a loop re-entered on every "close" and filled the socket's listeners) has settled.
      assert.ok((await createDisco(first).discoInfo(prosody.domain)).ok, "the session serves requests");
      assert.ok(first.isOnline);
      assert.deepEqual(warnings, []);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("gives up at once when the first login fails", async function () {
    const { prosody } = server();
    await assert.rejects(
      connectClient({
        service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
        domain: prosody.domain,
        username: "web1",
        password: "wrong",
      }),
      /not-authorized/,
    );
    await assert.rejects(
      connectComponent({
        service: `xmpp://127.0.0.1:${prosody.componentPort}`,
        domain: prosody.botJid,
        password: "wrong",
      }),
      /not-authorized/,
    );
  });
});
