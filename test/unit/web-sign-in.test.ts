// The web board's sign-in, sessions and CSRF, with injected time: links are single use, short-lived
// and bound to a person; sessions expire, end when their person leaves the config, survive a
// restart through their persistence, and a form without the session's token is refused.
import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { recognisePerson } from "../../src/commands/authorise.js";
import { runCommand } from "../../src/commands/run.js";
import type { CommandContext, WebSignIn } from "../../src/commands/types.js";
import { MINUTE_MS, HOUR_MS } from "../../src/util/duration.js";
import { commandLine } from "../../src/web/board-actions.js";
import { html, toText, trusted } from "../../src/web/html.js";
import { LiveFeed, FEED_INTERVAL_MS } from "../../src/web/live-feed.js";
import { Sessions } from "../../src/web/sessions.js";
import { SignInLinks } from "../../src/web/sign-in.js";

describe("web board: one-time sign-in links", () => {
  it("works once, for the person it was issued to, within its life", () => {
    const clock = new FakeClock();
    const links = new SignInLinks(() => 10 * MINUTE_MS);
    const { token } = links.issue("alice", clock.now());
    assert.deepEqual(links.peek(token, clock.now()), { ok: true, person: "alice" }, "looking does not use it");
    assert.deepEqual(links.redeem(token, clock.now()), { ok: true, person: "alice" });
    assert.deepEqual(links.redeem(token, clock.now()), { ok: false, reason: "used" }, "a replay is refused");
    assert.deepEqual(links.peek(token, clock.now()), { ok: false, reason: "used" });
  });

  it("expires, and refuses what it never issued", () => {
    const clock = new FakeClock();
    const links = new SignInLinks(() => 10 * MINUTE_MS);
    const { token, expiresAt } = links.issue("bob", clock.now());
    assert.equal(expiresAt, clock.now() + 10 * MINUTE_MS);
    clock.advance(10 * MINUTE_MS);
    assert.deepEqual(links.redeem(token, clock.now()), { ok: false, reason: "expired" });
    assert.deepEqual(links.redeem("made-up", clock.now()), { ok: false, reason: "unknown" });
    assert.deepEqual(links.redeem("", clock.now()), { ok: false, reason: "unknown" });
  });

  it("gives every link its own unguessable token, and voids those of people who left", () => {
    const links = new SignInLinks(() => MINUTE_MS);
    const a = links.issue("alice", 0).token;
    const b = links.issue("alice", 0).token;
    assert.notEqual(a, b);
    assert.ok(a.length >= 43, "256 bits, base64url");
    links.keepOnly((p) => p !== "alice");
    assert.deepEqual(links.redeem(a, 1), { ok: false, reason: "unknown" });
  });
});

describe("web board: sessions and CSRF", () => {
  const everyone = (): boolean => true;

  it("finds a session by its cookie until it expires", () => {
    const clock = new FakeClock();
    const sessions = new Sessions(() => 12 * HOUR_MS);
    const { id, session } = sessions.open("alice", clock.now());
    assert.equal(sessions.find(id, clock.now(), everyone)?.person, "alice");
    assert.equal(sessions.find("forged", clock.now(), everyone), null);
    assert.equal(sessions.find(undefined, clock.now(), everyone), null);
    clock.advance(12 * HOUR_MS - 1);
    assert.equal(sessions.find(id, clock.now(), everyone), session);
    clock.advance(1);
    assert.equal(sessions.find(id, clock.now(), everyone), null, "expired");
  });

  it("ends the sessions of people no longer in the config", () => {
    const sessions = new Sessions(() => HOUR_MS);
    const alice = sessions.open("alice", 0);
    const bob = sessions.open("bob", 0);
    assert.equal(
      sessions.find(alice.id, 1, (p) => p !== "alice"),
      null,
      "checked on every request",
    );
    assert.equal(
      sessions.keepOnly((p) => p !== "bob"),
      1,
    );
    assert.equal(sessions.find(bob.id, 1, everyone), null);
  });

  it("checks the CSRF token of the session, and only that one", () => {
    const sessions = new Sessions(() => HOUR_MS);
    const a = sessions.open("alice", 0).session;
    const b = sessions.open("alice", 0).session;
    assert.equal(Sessions.csrfMatches(a, a.csrf), true);
    assert.equal(Sessions.csrfMatches(a, b.csrf), false, "another session's token");
    assert.equal(Sessions.csrfMatches(a, ""), false);
    assert.equal(Sessions.csrfMatches(a, null), false);
    assert.equal(Sessions.csrfMatches(a, a.csrf.slice(1)), false);
  });

  it("keeps sessions across a restart through its persistence, and never the cookie's id", () => {
    let saved: string | undefined;
    const persistence = { load: () => saved, save: (json: string) => void (saved = json) };
    const first = new Sessions(() => HOUR_MS, persistence);
    const { id } = first.open("alice", 0);
    assert.ok(saved !== undefined && !saved.includes(id), "only the id's digest is stored");
    const second = new Sessions(() => HOUR_MS, persistence);
    assert.equal(second.find(id, 1, everyone)?.person, "alice");
    second.close(id);
    assert.equal(new Sessions(() => HOUR_MS, persistence).find(id, 1, everyone), null, "sign-out is kept too");
    saved = "not json";
    assert.equal(new Sessions(() => HOUR_MS, persistence).size, 0, "a damaged row signs everyone out");
  });
});

describe("web board: forms become the chat commands", () => {
  const form = (fields: Record<string, string>): URLSearchParams => new URLSearchParams(fields);

  it("writes each action as a person would type it", () => {
    assert.deepEqual(commandLine(form({ op: "ack", id: "42", duration: "2h", note: "rebooting" })), {
      ok: true,
      line: "ack 42 for 2h because rebooting",
    });
    assert.deepEqual(commandLine(form({ op: "ack", id: "42" })), { ok: true, line: "ack 42" });
    assert.deepEqual(commandLine(form({ op: "unack", id: "42" })), { ok: true, line: "unack 42" });
    assert.deepEqual(commandLine(form({ op: "note", id: "7", note: "line one\nline two" })), {
      ok: true,
      line: "note 7 line one line two",
    });
    assert.deepEqual(commandLine(form({ op: "clear", id: "7", note: "fixed" })), {
      ok: true,
      line: "clear 7 because fixed",
    });
    assert.deepEqual(commandLine(form({ op: "escalate", id: "7" })), { ok: true, line: "escalate 7" });
    assert.deepEqual(commandLine(form({ op: "silence", matcher: "source=web*", duration: "1h" })), {
      ok: true,
      line: "silence source=web* for 1h",
    });
    assert.deepEqual(commandLine(form({ op: "unsilence", id: "3" })), { ok: true, line: "unsilence 3" });
  });

  it("refuses what is not one of them, or has no alert", () => {
    assert.equal(commandLine(form({ op: "help" })).ok, false);
    assert.equal(commandLine(form({ op: "ack", id: "42; clear 43" })).ok, false);
    assert.equal(commandLine(form({ op: "note", id: "42" })).ok, false);
    assert.equal(commandLine(form({ op: "silence", duration: "1h" })).ok, false);
  });
});

describe("web board: HTML escaping", () => {
  it("escapes every interpolated string, in text and in attributes", () => {
    const evil = `<script>alert(1)</script>" onmouseover="x' &amp;`;
    assert.equal(
      toText(html`<p title="${evil}">${evil}</p>`),
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&apos; &amp;amp;">' +
        "&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&apos; &amp;amp;</p>",
    );
  });

  it("nests markup built by html, and lists, without escaping them twice", () => {
    const items = ["a<b", "c"].map((x) => html`<li>${x}</li>`);
    assert.equal(
      // Prettier lays out html`` templates; spaces between tags mean nothing here.
      toText(
        html`<ul>
          ${items}${null}${false}${trusted("<hr>")}
        </ul>`,
      )
        .replace(/>\s+</g, "><")
        .replace(/\s+</g, "<")
        .replace(/>\s+/g, ">"),
      "<ul><li>a&lt;b</li><li>c</li><hr></ul>",
    );
  });
});

describe("web board: the live feed", () => {
  it("tells open boards of changes at most once a second, gathering those that come together", () => {
    const clock = new FakeClock();
    const feed = new LiveFeed(clock);
    const got: string[] = [];
    let ended = false;
    const closed = feed.stream("alice").open({ write: (c) => (got.push(c), true), end: () => void (ended = true) });
    assert.match(got.shift()!, /^retry: 1000\n/);
    for (let i = 0; i < 50; i++) feed.changed();
    clock.advance(49);
    assert.deepEqual(got, []);
    clock.advance(1);
    assert.deepEqual(got, ["event: change\ndata: 1\n\n"]);
    feed.changed();
    clock.advance(FEED_INTERVAL_MS - 1);
    assert.equal(got.length, 1, "not twice within the interval");
    clock.advance(1);
    assert.equal(got.length, 2);
    feed.keepOnly((p) => p !== "alice");
    assert.equal(ended, true, "a removed person's stream is ended");
    closed();
    assert.equal(feed.size, 0);
  });
});

describe("web board: the `web` chat command", () => {
  const alice = recognisePerson([{ name: "alice", jid: "alice@example.org" }], "alice@example.org")!;
  const context = (webSignIn?: () => WebSignIn): CommandContext => ({
    person: alice,
    now: 0,
    ackDefaultMs: HOUR_MS,
    ackMaxMs: HOUR_MS,
    alerts: { list: () => [], ack: () => ({ ok: false, reason: "not-found" }) },
    ...(webSignIn ? { webSignIn } : {}),
  });

  it("answers a direct chat with the link, a room with a refusal, and says when the board is off", async () => {
    const link = await runCommand(
      "web",
      context(() => ({ ok: true, url: "https://alerts.example.org/sign-in?t=abc", validMs: 10 * MINUTE_MS })),
    );
    assert.equal(
      link.reply,
      "Your sign-in link for the web board, good once within 10m and only for you: https://alerts.example.org/sign-in?t=abc",
    );
    const room = await runCommand(
      "web",
      context(() => ({ ok: false, reason: "room" })),
    );
    assert.match(room.reply, /^Ask me for a web link in a direct chat/);
    assert.doesNotMatch(room.reply, /http/);
    const off = await runCommand("web", context());
    assert.match(off.reply, /no web board turned on/);
    assert.equal((await runCommand("web please", context())).ok, false);
  });
});
