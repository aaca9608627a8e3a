// A misbehaving server on loopback: data after the stream closed must not kill the process.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { createChat } from "../../src/xmpp/chat.js";
import { connectComponent } from "../../src/xmpp/connect.js";
import type { SessionEvents, XmppSession } from "../../src/xmpp/session.js";

const SECRET = "s3cret";
const DOMAIN = "bot.fake.localhost";

/** Speaks just enough XEP-0114 to accept a component, then hands the socket to `then`. */
async function fakeComponentServer(
  then: (socket: Socket) => void,
): Promise<{ port: number; server: Server; connections: number; sockets: Set<Socket> }> {
  const state = { port: 0, server: undefined as unknown as Server, connections: 0, sockets: new Set<Socket>() };
  // allowHalfOpen: keep writing after the client has ended its side, as a sloppy server might.
  state.server = createServer({ allowHalfOpen: true }, (socket) => {
    state.connections++;
    state.sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = "";
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk) => {
      buffer += chunk.toString();
      if (buffer.includes("<stream:stream") && !buffer.includes("handshake")) {
        socket.write(
          `<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' id='abc' from='${DOMAIN}'>`,
        );
        buffer = buffer.replace(/<stream:stream[^>]*>/, "");
      }
      const m = /<handshake>([0-9a-f]+)<\/handshake>/.exec(buffer);
      if (!m) return;
      buffer = "";
      assert.equal(
        m[1],
        createHash("sha1")
          .update("abc" + SECRET)
          .digest("hex"),
      );
      socket.write("<handshake/>");
      then(socket);
    });
  });
  await new Promise<void>((resolve) => state.server.listen(0, "127.0.0.1", resolve));
  const address = state.server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  state.port = address.port;
  return state;
}

describe("xmpp hardening against a misbehaving server", function () {
  const sessions: XmppSession[] = [];
  const servers: Array<{ server: Server; sockets: Set<Socket> }> = [];

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.stop()));
    for (const { sockets } of servers) for (const s of sockets) s.destroy();
    await Promise.all(servers.splice(0).map(({ server }) => new Promise((r) => server.close(r))));
  });

  it("survives bytes that arrive after the server closed the stream, and reconnects", async function () {
    let first = true;
    const fake = await fakeComponentServer((socket) => {
      if (!first) return;
      first = false;
      // Close the stream, then keep talking on the same socket: xmpp.js has detached its parser by then.
      // The pauses are genuinely needed: they make separate TCP chunks of the close and what follows.
      setTimeout(() => {
        socket.write("</stream:stream>");
        setTimeout(() => socket.write("<message from='x@y' to='bot.fake.localhost'><body>late</body></message>"), 10);
        setTimeout(() => socket.end(), 50);
      }, 20);
    });
    servers.push(fake);
    const errors: Error[] = [];
    const session = await connectComponent({
      service: `xmpp://127.0.0.1:${fake.port}`,
      domain: DOMAIN,
      password: SECRET,
      reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
      onError: (e) => void errors.push(e),
    });
    sessions.push(session);
    const offline = new Promise<SessionEvents["offline"]>((resolve) => session.on("offline", resolve));
    const online = new Promise<SessionEvents["online"]>((resolve) => session.on("online", resolve));
    assert.equal((await offline).willReconnect, true);
    assert.equal((await online).resumed, false);
    assert.equal(fake.connections, 2);
    assert.deepEqual(
      errors.map((e) => e.message),
      [],
    );
  });
  it("stanzas sent in one turn, then a stop, all reach the server intact and in order before the close", async function () {
    let received = "";
    let serverClosed = (): void => undefined;
    const closed = new Promise<void>((resolve) => (serverClosed = resolve));
    const fake = await fakeComponentServer((socket) => {
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString();
        // Answer the close so that stop() need not wait for its timeout.
        if (received.includes("</stream:stream>")) socket.end("</stream:stream>");
      });
      socket.on("close", serverClosed);
    });
    servers.push(fake);
    const session = await connectComponent({
      service: `xmpp://127.0.0.1:${fake.port}`,
      domain: DOMAIN,
      password: SECRET,
      reconnect: false,
      keepAlive: false,
    });
    const chat = createChat(session);
    // Small ones and a few larger than a socket takes in one go.
    const bodies = Array.from({ length: 60 }, (_, i) => `${i}:` + "x".repeat(i % 20 === 7 ? 200_000 : i * 13));
    const sent = bodies.map((body, i) => chat.sendChat(`person${i}@example.org`, body));
    const stopped = session.stop();
    await Promise.all(sent);
    await stopped;
    await closed;
    const bodiesReceived = [...received.matchAll(/<body>([^<]*)<\/body>/g)].map((m) => m[1]);
    assert.deepEqual(bodiesReceived, bodies);
    assert.ok(received.endsWith("</stream:stream>"), "the stream's close comes last");
  });
});
