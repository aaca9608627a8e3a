// Write batching (src/xmpp/write-batching.ts) against a recording socket: what one turn writes
// reaches the socket in one piece, in order; a lone write is not held past the next tick; a socket
// that goes away while writes are held back fails those writes without throwing.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { hardenEntity } from "../../src/xmpp/raw-entity.js";
import type { RawEntity } from "../../src/xmpp/raw-entity.js";
import { nodeSocketOf } from "../../src/xmpp/node-socket.js";
import { batchWrites } from "../../src/xmpp/write-batching.js";

/** A socket that completes each write at once, as a TCP socket does when the kernel takes it: what reaches it is recorded per call. */
function recordingSocket(): { socket: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const socket = new Writable({
    decodeStrings: false,
    write(chunk: string, _encoding, done) {
      calls.push([chunk]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map(({ chunk }) => chunk as string));
      done();
    },
  });
  socket.on("error", () => undefined);
  return { socket, calls };
}

/** The write path of an xmpp.js Connection (0.13 and 0.14 alike): a status check, then `socket.write` with a callback. */
class WritingEntity extends EventEmitter {
  status = "online";
  parser = null;
  reconnect = { stop: (): void => undefined };
  _onData(): void {}
  constructor(public socket: unknown) {
    super();
  }
  write(data: string): Promise<void> {
    if (this.status === "closing") return Promise.reject(new Error("Connection is closing"));
    return new Promise((resolve, reject) =>
      (this.socket as Writable).write(data, (err) => (err ? reject(err) : resolve())),
    );
  }
}

function batched(socket: unknown): WritingEntity {
  const entity = new WritingEntity(socket);
  batchWrites(entity);
  return entity;
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe("xmpp write batching", () => {
  it("hands what one turn writes to the socket in one call, in order, and settles each write", async () => {
    const { socket, calls } = recordingSocket();
    const entity = batched(socket);
    const writes = ["<message id='1'/>", "<iq id='2'/>", "<iq id='3'/>"].map((s) => entity.write(s));
    assert.deepEqual(calls, [], "held back during the turn");
    await Promise.all(writes);
    assert.deepEqual(calls, [["<message id='1'/>", "<iq id='2'/>", "<iq id='3'/>"]]);
  });

  it("writes a lone stanza by the next tick, and each later turn on its own", async () => {
    const { socket, calls } = recordingSocket();
    const entity = batched(socket);
    const first = entity.write("<presence/>");
    await nextTick();
    assert.deepEqual(calls, [["<presence/>"]]);
    await first;
    const second = entity.write("<message id='a'/>");
    await nextTick();
    assert.deepEqual(calls, [["<presence/>"], ["<message id='a'/>"]]);
    await second;
  });

  it("reaches the TLS socket inside @xmpp/tls's wrapper (STARTTLS, xmpps://)", async () => {
    const { socket, calls } = recordingSocket();
    // The shape of @xmpp/tls's Socket: an emitter holding the TLS socket, forwarding write().
    const wrapper = Object.assign(new EventEmitter(), {
      socket,
      write: (data: string, done: (err?: Error | null) => void) => socket.write(data, done),
    });
    assert.equal(nodeSocketOf(wrapper), socket);
    const entity = batched(wrapper);
    await Promise.all([entity.write("<a/>"), entity.write("<b/>")]);
    assert.deepEqual(calls, [["<a/>", "<b/>"]]);
  });

  it("a socket destroyed while writes are held back fails them, and nothing throws", async () => {
    const { socket, calls } = recordingSocket();
    const entity = batched(socket);
    const writes = [entity.write("<a/>"), entity.write("<b/>")].map((p) =>
      p.then(
        () => "sent",
        (err: NodeJS.ErrnoException) => err.code,
      ),
    );
    socket.destroy();
    await nextTick();
    assert.deepEqual(await Promise.all(writes), ["ERR_STREAM_DESTROYED", "ERR_STREAM_DESTROYED"]);
    assert.deepEqual(calls, []);
    // A later turn on the dead socket fails as an unbatched write does.
    await assert.rejects(entity.write("<c/>"), { code: "ERR_STREAM_DESTROYED" });
  });

  it("flushes held-back writes before the socket ends", async () => {
    const { socket, calls } = recordingSocket();
    const entity = batched(socket);
    const writes = [entity.write("<a/>"), entity.write("</stream:stream>")];
    socket.end();
    await Promise.all(writes);
    assert.deepEqual(calls, [["<a/>", "</stream:stream>"]]);
  });

  it("follows the socket a reconnection brings, and a closing connection still refuses", async () => {
    const old = recordingSocket();
    const entity = batched(old.socket);
    await entity.write("<a/>");
    const fresh = recordingSocket();
    entity.socket = fresh.socket;
    await Promise.all([entity.write("<b/>"), entity.write("<c/>")]);
    assert.deepEqual(old.calls, [["<a/>"]]);
    assert.deepEqual(fresh.calls, [["<b/>", "<c/>"]]);
    entity.status = "closing";
    await assert.rejects(entity.write("<d/>"), /closing/);
    await nextTick();
    assert.deepEqual(fresh.calls, [["<b/>", "<c/>"]]);
  });

  it("is part of every entity's hardening", async () => {
    const { socket, calls } = recordingSocket();
    const entity = new WritingEntity(socket);
    hardenEntity(entity as unknown as RawEntity, () => undefined);
    await Promise.all([entity.write("<a/>"), entity.write("<b/>")]);
    assert.deepEqual(calls, [["<a/>", "<b/>"]]);
  });

  it("leaves a socket without cork (none yet) to the plain write", async () => {
    const written: string[] = [];
    const entity = batched({ write: (data: string, done: () => void) => (written.push(data), done()) });
    await entity.write("<a/>");
    assert.deepEqual(written, ["<a/>"]);
  });
});
