// The lock that failover (docs/failover.md) rests on, measured on a real Prosody with a real
// AlertBot process holding its component JID: who gets alertbot.<domain> when a second connection
// asks for it, under each `component_conflict_resolve`, and when the holder was killed or frozen.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";
import { connectComponent } from "../../src/xmpp/connect.js";
import { ping, type PingOutcome } from "../../src/xmpp/ping.js";
import type { XmppSession } from "../../src/xmpp/session.js";

// How long a frozen holder is watched keeping the JID; Prosody's first whitespace keepalive to a
// quiet component comes only after minutes, so nothing in this window can free it.
const FROZEN_WATCH_MS = 20_000;

const STANDBY_NAME = "standby.alertbot";

/** One attempt to connect as the bot's component JID: the session, or why it was refused. */
async function claim(t: TestProsody): Promise<{ session: XmppSession } | { refused: string }> {
  const errors: string[] = [];
  try {
    const session = await connectComponent({
      service: `xmpp://127.0.0.1:${t.prosody.componentPort}`,
      domain: t.prosody.botJid,
      password: t.botSecret,
      reconnect: false,
      connectTimeoutMs: 10_000,
      onError: (err) => errors.push(err.message),
    });
    return { session };
  } catch (err) {
    const e = err as Error & { condition?: string };
    return { refused: [e.condition, e.message, ...errors].filter(Boolean).join("; ") };
  }
}

/** Claims every `everyMs` until the JID is ours; returns the session and how long it took. */
async function claimUntilHeld(t: TestProsody, everyMs: number, timeoutMs: number) {
  const started = Date.now();
  const session = await waitFor(
    "the component JID to be free",
    async () => {
      const r = await claim(t);
      return "session" in r ? r.session : undefined;
    },
    { timeoutMs, everyMs },
  );
  return { session, afterMs: Date.now() - started };
}

function lockSuite(resolve: "kick_new" | "kick_old", body: (ctx: () => Ctx) => void): void {
  describe(`failover lock: component_conflict_resolve = ${resolve}`, function () {
    this.timeout(180_000);
    const server = withProsody({ conflictResolve: resolve, standbyComponent: { name: STANDBY_NAME } });
    const ctx: Ctx = { server, dir: "", holder: undefined, sessions: [] };
    beforeEach(() => {
      ctx.dir = tempDir("mauve-failover-lock-");
    });
    afterEach(async function () {
      if (this.currentTest?.state === "failed" && ctx.holder)
        process.stderr.write(`\n--- holder stderr (tail) ---\n${ctx.holder.stderr.slice(-4000)}\n`);
      for (const s of ctx.sessions.splice(0)) await s.stop().catch(() => undefined);
      ctx.holder?.signal("SIGCONT");
      await ctx.holder?.stop();
      ctx.holder = undefined;
      rmSync(ctx.dir, { recursive: true, force: true });
    });
    body(() => ctx);
  });
}

interface Ctx {
  server: () => TestProsody;
  dir: string;
  holder: ChildRun | undefined;
  sessions: XmppSession[];
}

/** Starts an AlertBot process (no failover) holding alertbot.<domain>. */
async function startHolder(c: Ctx): Promise<ChildRun> {
  const t = c.server();
  const config = writeBotConfig(t, c.dir, `people:\n  - { name: alice, jid: alice@${t.prosody.domain} }\n`);
  c.holder = await startBotProcess(t, config);
  return c.holder;
}

lockSuite("kick_new", (ctx) => {
  it("refuses a second connection with <conflict/> while the holder lives", async () => {
    const c = ctx();
    await startHolder(c);
    const second = await claim(c.server());
    assert.ok("refused" in second, "the second connection is refused");
    assert.match(second.refused, /conflict/i);
    process.stdout.write(`      kick_new, holder alive: refused (${second.refused})\n`);
  });

  it("frees the JID at once when the holder is SIGKILLed (its TCP connection is reset)", async () => {
    const c = ctx();
    const holder = await startHolder(c);
    await holder.crash();
    const { session, afterMs } = await claimUntilHeld(c.server(), 1_000, 30_000);
    c.sessions.push(session);
    process.stdout.write(`      kick_new, holder SIGKILLed: JID free after ${afterMs} ms (retrying every 1 s)\n`);
  });

  it("keeps the JID for a frozen (SIGSTOP) holder: Prosody does not ping components", async () => {
    const c = ctx();
    const holder = await startHolder(c);
    holder.signal("SIGSTOP");
    const until = Date.now() + FROZEN_WATCH_MS;
    let attempts = 0;
    while (Date.now() < until) {
      const r = await claim(c.server());
      if ("session" in r) {
        c.sessions.push(r.session);
        assert.fail(`a frozen holder lost the JID after ${attempts} refusals`);
      }
      assert.match(r.refused, /conflict/i);
      attempts++;
      await new Promise((done) => setTimeout(done, 1_000));
    }
    process.stdout.write(`      kick_new, holder frozen: ${attempts} claims over ${FROZEN_WATCH_MS} ms all refused\n`);
  });
});

lockSuite("kick_old", (ctx) => {
  it("hands the JID of a frozen holder to the newcomer and closes the holder's stream", async () => {
    const c = ctx();
    const holder = await startHolder(c);
    holder.signal("SIGSTOP");
    const started = Date.now();
    const r = await claim(c.server());
    assert.ok("session" in r, `the newcomer gets the JID (${"refused" in r ? r.refused : ""})`);
    c.sessions.push(r.session);
    process.stdout.write(`      kick_old, holder frozen: newcomer holds the JID after ${Date.now() - started} ms\n`);
    // Thawed, the old holder reads the stream's end: its session is gone.
    const mark = holder.logs.length;
    holder.signal("SIGCONT");
    await holder.waitForLog(
      "the old holder to see its stream closed",
      (l) => holder.logs.indexOf(l) >= mark && l["msg"] === "disconnected",
      30_000,
    );
  });

  it("answers a ping for a held JID through its holder, not at all for a frozen holder, itself once the holder is killed", async () => {
    // What the standby's watch reads (src/bot/active-watch.ts): "unavailable" only when no stream holds the JID.
    const c = ctx();
    const t = c.server();
    const watcher = await connectComponent({
      service: `xmpp://127.0.0.1:${t.prosody.componentPort}`,
      domain: `${STANDBY_NAME}.${t.prosody.domain}`,
      password: t.botSecret,
      reconnect: false,
      connectTimeoutMs: 10_000,
      onError: () => undefined,
    });
    c.sessions.push(watcher);
    const outcome = (): Promise<PingOutcome> => ping(watcher, t.prosody.botJid, 3_000);
    assert.equal(await outcome(), "unavailable", "nobody holds it yet");
    const holder = await startHolder(c);
    assert.equal(await outcome(), "answered", "the holder answers");
    holder.signal("SIGSTOP");
    assert.equal(await outcome(), "no-answer", "a frozen holder still holds it: the server routes the ping to it");
    await holder.crash();
    await waitFor("the server to answer for the killed holder's JID", async () => (await outcome()) === "unavailable", {
      timeoutMs: 30_000,
      everyMs: 500,
    });
  });
});
