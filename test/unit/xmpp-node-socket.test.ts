// The Node socket under an xmpp.js entity's socket: itself, or the one inside @xmpp/tls's wrapper.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { nodeSocketOf } from "../../src/xmpp/node-socket.js";

describe("xmpp node socket", () => {
  it("is the entity's socket on plain TCP", () => {
    const socket = new Writable({ write: (_chunk, _encoding, done) => done() });
    assert.equal(nodeSocketOf(socket), socket);
  });

  it("is the TLS socket inside @xmpp/tls's wrapper (STARTTLS, xmpps://)", () => {
    const socket = new Writable({ write: (_chunk, _encoding, done) => done() });
    // The shape of @xmpp/tls's Socket: an emitter holding the TLS socket, forwarding write() and end().
    const wrapper = Object.assign(new EventEmitter(), { socket, write: () => undefined, end: () => undefined });
    assert.equal(nodeSocketOf(wrapper), socket);
  });

  it("is none before a connection, or for what is no socket", () => {
    assert.equal(nodeSocketOf(null), null);
    assert.equal(nodeSocketOf({ socket: null }), null);
    assert.equal(nodeSocketOf({ write: () => undefined }), null);
  });
});
