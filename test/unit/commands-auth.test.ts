// Who may act (per-workgroup permissions) and how often (a token bucket per sender).
import assert from "node:assert/strict";
import type { AlertRecord } from "../../src/alerts/types.js";
import { authoriser, mayAct, type Permissions } from "../../src/commands/authorise.js";
import { RateLimiter } from "../../src/commands/rate-limit.js";

describe("commands: mayAct", () => {
  const permissions: Permissions = {
    db: { ack: ["dana", "Erin"], silence: ["dana"] },
    ops: { silence: ["*"] },
    "*": { silence: ["alice", "dana"], escalate: ["alice"] },
  };

  const TABLE: Array<[string, Parameters<typeof mayAct>[1], string | null, boolean]> = [
    ["anyone", "ack", "web", true], // nobody restricts acks of web
    ["dana", "ack", "db", true],
    ["erin", "ack", "db", true], // names compare in any case
    ["bob", "ack", "db", false],
    ["bob", "clear", "db", true], // db restricts ack, not clear
    ["bob", "silence", "ops", true], // "*" in the list: everyone
    ["bob", "silence", "web", false], // web says nothing: the "*" workgroup decides
    ["alice", "silence", "web", true],
    ["alice", "silence", "db", false], // db's own list wins over "*"
    ["dana", "silence", null, true], // across workgroups: allowed by db, ops and "*"
    ["alice", "silence", null, false], // not by db
    ["bob", "escalate", "ops", false],
    ["alice", "escalate", "ops", true],
    ["bob", "ack", null, false], // across workgroups: db restricts acks
  ];
  for (const [person, action, workgroup, want] of TABLE) {
    it(`${person} ${want ? "may" : "may not"} ${action} ${workgroup ?? "across workgroups"}`, () =>
      assert.equal(mayAct(person, action, workgroup, permissions), want));
  }

  it("lets every configured person do everything when nothing is configured", () => {
    for (const action of ["ack", "clear", "silence", "escalate"] as const) {
      assert.equal(mayAct("anyone", action, "ops", {}), true);
      assert.equal(mayAct("anyone", action, null, {}), true);
    }
  });

  it("is not fooled by a workgroup named like an Object property", () => {
    assert.equal(mayAct("bob", "ack", "constructor", { "*": { ack: ["alice"] } }), false);
  });

  it("authoriser gives a CommandContext's may, naming the workgroup that refused", () => {
    const may = authoriser("bob", permissions, (a: AlertRecord) => (a.source.startsWith("db") ? "db" : "web"));
    assert.deepEqual(may("ack", { source: "db1" } as AlertRecord), { ok: false, workgroup: "db" });
    assert.deepEqual(may("ack", { source: "web1" } as AlertRecord), { ok: true });
    assert.deepEqual(may("silence", null), { ok: false, workgroup: null });
  });
});

describe("commands: RateLimiter", () => {
  it("allows a burst of 10, then one every second, per bare JID in any case", () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 10; i++)
      assert.deepEqual(limiter.take("alice@example.org/phone", 1_000), { ok: true }, `command ${i}`);
    const refused = limiter.take("Alice@Example.org/laptop", 1_000);
    assert.deepEqual(refused, {
      ok: false,
      retryAfterMs: 1_000,
      reply: true,
      message:
        "Slow down, please: I take at most 10 commands per 10s from one person. Try again in 1s; what you send until then is not run.",
    });
    assert.deepEqual(limiter.take("bob@example.org", 1_000), { ok: true }, "others are not affected");
    assert.equal(limiter.take("alice@example.org", 1_500).ok, false);
    assert.deepEqual(limiter.take("alice@example.org", 2_000), { ok: true });
    assert.equal(limiter.take("alice@example.org", 2_000).ok, false);
  });

  it("answers only the first refusal of a streak", () => {
    const limiter = new RateLimiter({ burst: 2, perMs: 60_000 });
    limiter.take("x@y", 0);
    limiter.take("x@y", 0);
    const replies = [0, 1, 2, 3].map((t) => limiter.take("x@y", t));
    assert.deepEqual(
      replies.map((r) => (r.ok ? "ok" : r.reply)),
      [true, false, false, false],
    );
    const later = limiter.take("x@y", 30_000);
    assert.ok(later.ok);
    const again = limiter.take("x@y", 30_000);
    assert.ok(!again.ok && again.reply && again.retryAfterMs === 30_000, JSON.stringify(again));
  });

  it("neither mints nor takes tokens when the clock steps back, and forgets full buckets", () => {
    const limiter = new RateLimiter({ burst: 1, perMs: 1_000 });
    assert.ok(limiter.take("a@b", 10_000).ok);
    assert.equal(limiter.take("a@b", 5_000).ok, false);
    assert.ok(limiter.take("a@b", 11_000).ok);
    for (let i = 0; i < 1_500; i++) limiter.take(`user${i}@b`, 20_000 + i);
    assert.ok(limiter.size < 1_500, String(limiter.size));
    assert.throws(() => new RateLimiter({ burst: 0, perMs: 1 }), RangeError);
  });
});
