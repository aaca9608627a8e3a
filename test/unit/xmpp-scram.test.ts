import assert from "node:assert/strict";
import { NativeScramSha1 } from "../../src/xmpp/scram-sha1.js";
import type { ScramCache } from "../../src/xmpp/scram-sha1.js";

// RFC 5802 §5: the example exchange.
const NONCE = "fyko+d2lbbFgONRv9qkxdawL";
const SERVER_FIRST = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
const CLIENT_FINAL = "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
const SERVER_FINAL = "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=";

describe("xmpp native SCRAM-SHA-1", () => {
  it("reproduces the RFC 5802 example and verifies the server signature", async () => {
    const mech = new NativeScramSha1({ clientNonce: NONCE });
    const cred = { username: "user", password: "pencil" };
    assert.equal(await mech.response(cred), `n,,n=user,r=${NONCE}`);
    mech.challenge(SERVER_FIRST);
    assert.equal(await mech.response(cred), CLIENT_FINAL);
    mech.final(SERVER_FINAL);
    assert.throws(() => mech.final("v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="), /signature mismatch/);
  });

  it("reuses the salted password of an earlier login with the same salt", async () => {
    const cache: ScramCache = {};
    const first = new NativeScramSha1({ clientNonce: NONCE });
    await first.response({ username: "user", password: "pencil", scramCache: cache });
    first.challenge(SERVER_FIRST);
    await first.response({ username: "user", password: "pencil", scramCache: cache });
    assert.equal(cache.entry?.iterations, 4096);
    // A wrong password with the cache filled still yields the right proof: the cache was used.
    const second = new NativeScramSha1({ clientNonce: NONCE });
    await second.response({ username: "user", password: "wrong", scramCache: cache });
    second.challenge(SERVER_FIRST);
    assert.equal(await second.response({ username: "user", password: "wrong", scramCache: cache }), CLIENT_FINAL);
  });

  it("escapes = and , in the username and carries UTF-8 as binary for @xmpp/base64", async () => {
    const mech = new NativeScramSha1({ clientNonce: "abc" });
    assert.equal(await mech.response({ username: "a=b,c" }), "n,,n=a=3Db=2Cc,r=abc");
    const utf8 = new NativeScramSha1({ clientNonce: "abc" });
    assert.equal(Buffer.from(await utf8.response({ username: "é" }), "latin1").toString("utf8"), "n,,n=é,r=abc");
  });

  it("refuses a server nonce that does not extend ours, and silly iteration counts", async () => {
    for (const [serverFirst, error] of [
      ["r=somethingelse,s=QSXCR+Q6sek8bf92,i=4096", /nonce/],
      [`r=${NONCE}x,s=QSXCR+Q6sek8bf92,i=1`, /iteration count/],
      [`r=${NONCE}x,s=QSXCR+Q6sek8bf92,i=99999999`, /iteration count/],
      [`r=${NONCE}x,i=4096`, /salt/],
    ] as const) {
      const mech = new NativeScramSha1({ clientNonce: NONCE });
      await mech.response({ username: "user", password: "pencil" });
      mech.challenge(serverFirst);
      await assert.rejects(mech.response({ username: "user", password: "pencil" }), error);
    }
  });
});
