import assert from "node:assert/strict";
import { backoffDelay } from "../../src/util/backoff.js";
import {
  bareJid,
  isFullJid,
  jidDomain,
  jidEquals,
  jidLocal,
  jidResource,
  normaliseJid,
  parseJid,
} from "../../src/xmpp/jid.js";

describe("xmpp JID helpers", () => {
  it("splits JIDs into parts", () => {
    const table: Array<[string, ReturnType<typeof parseJid>]> = [
      ["web1@mauve.example/agent", { local: "web1", domain: "mauve.example", resource: "agent" }],
      ["web1@mauve.example", { local: "web1", domain: "mauve.example", resource: "" }],
      ["pubsub.mauve.example", { local: "", domain: "pubsub.mauve.example", resource: "" }],
      ["a@b/c/d@e", { local: "a", domain: "b", resource: "c/d@e" }],
      ["", undefined],
      ["@mauve.example", undefined],
      ["web1@", undefined],
      ["web1@mauve.example/", undefined],
      ["a@b@c", undefined],
    ];
    for (const [jid, want] of table) assert.deepEqual(parseJid(jid), want, jid);
  });

  it("derives bare, domain, local and resource", () => {
    assert.equal(bareJid("web1@mauve.example/agent"), "web1@mauve.example");
    assert.equal(bareJid("alertbot.mauve.example"), "alertbot.mauve.example");
    assert.equal(jidDomain("web1@mauve.example/agent"), "mauve.example");
    assert.equal(jidLocal("web1@mauve.example/agent"), "web1");
    assert.equal(jidResource("web1@mauve.example/agent"), "agent");
    assert.equal(isFullJid("web1@mauve.example/agent"), true);
    assert.equal(isFullJid("web1@mauve.example"), false);
  });

  it("compares case-insensitively except for the resource", () => {
    assert.equal(normaliseJid("Web1@Mauve.Example/Agent"), "web1@mauve.example/Agent");
    assert.ok(jidEquals("Web1@Mauve.Example/agent", "web1@mauve.example/agent"));
    assert.ok(!jidEquals("web1@mauve.example/Agent", "web1@mauve.example/agent"));
    assert.ok(jidEquals("web1@mauve.example/a", "WEB1@mauve.example/b", { bare: true }));
    assert.ok(!jidEquals("web1@mauve.example", "web2@mauve.example", { bare: true }));
  });
});

describe("xmpp reconnect backoff", () => {
  const options = { initialDelayMs: 1000, maxDelayMs: 60_000 };

  it("doubles from the initial delay up to the ceiling, jitter in the upper half", () => {
    const low = (n: number): number => backoffDelay(n, options, () => 0);
    const high = (n: number): number => backoffDelay(n, options, () => 0.999999);
    assert.deepEqual([0, 1, 2, 3, 6, 7, 50].map(low), [500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
    assert.deepEqual([0, 1, 2, 3, 6, 7, 50].map(high), [1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
  });

  it("spreads a crowd of clients over the whole window", () => {
    const delays = Array.from({ length: 1000 }, () => backoffDelay(3, options));
    assert.ok(Math.min(...delays) >= 4000 && Math.max(...delays) <= 8000);
    assert.ok(new Set(delays.map((d) => Math.floor(d / 400))).size >= 9, "all tenths of the window used");
  });
});
