// Measurements printed for humans (never asserted: wall-clock timings vary by machine):
// login time with native and WebCrypto SCRAM-SHA-1, and publish->event latency.
import assert from "node:assert/strict";
import { withProsody } from "../helpers/prosody.js";
import { agentNodeConfig, connectClient, connectComponent, createPubsub } from "../../src/xmpp/index.js";
import type { XmppSession } from "../../src/xmpp/index.js";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;

describe("xmpp measurements (printed, not asserted)", function () {
  this.timeout(120_000);
  const server = withProsody();

  it("login time: native SCRAM-SHA-1 vs @xmpp/client's own", async function () {
    const { prosody } = server();
    await prosody.register("timer", "pw-timer");
    const login = async (nativeScram: boolean): Promise<number> => {
      const t0 = performance.now();
      const s = await connectClient({ service: `xmpp://127.0.0.1:${prosody.c2sPort}`, domain: prosody.domain, username: "timer", password: "pw-timer", nativeScram });
      const took = performance.now() - t0;
      await s.stop();
      return took;
    };
    await login(true); // warm-up: module loading, JIT
    const runs = 5;
    const native: number[] = [];
    const webcrypto: number[] = [];
    for (let i = 0; i < runs; i++) {
      native.push(await login(true));
      webcrypto.push(await login(false));
    }
    native.sort((a, b) => a - b);
    webcrypto.sort((a, b) => a - b);
    console.log(`      login (TCP + SCRAM-SHA-1 + bind), median of ${runs}: native pbkdf2 ${ms(percentile(native, 50))}, @xmpp WebCrypto ${ms(percentile(webcrypto, 50))}`);
  });

  for (const persistItems of [true, false]) {
    const label = persistItems ? "retained (internal storage, max_items 20)" : "not retained (persist_items off)";
    it(`publish -> event latency over 200 sequential publishes, ${label}`, async function () {
      const { prosody, botSecret } = server();
      const user = persistItems ? "lat1" : "lat2";
      await prosody.register(user, "pw-lat");
      const sessions: XmppSession[] = [];
      try {
        const bot = await connectComponent({ service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: prosody.botJid, password: botSecret });
        sessions.push(bot);
        const agent = await connectClient({ service: `xmpp://127.0.0.1:${prosody.c2sPort}`, domain: prosody.domain, username: user, password: "pw-lat" });
        sessions.push(agent);
        const node = `mauve/alerts/${user}`;
        const botPubsub = createPubsub(bot);
        assert.ok((await botPubsub.createNode(prosody.pubsubJid, node, { ...agentNodeConfig(user), persistItems })).ok);
        assert.ok((await botPubsub.setAffiliation(prosody.pubsubJid, node, `${user}@${prosody.domain}`, "owner")).ok);
        assert.ok((await botPubsub.subscribe(prosody.pubsubJid, node)).ok);
        console.log(`      ${label}: ${await latency(bot, agent, prosody.pubsubJid, node)}`);
      } finally {
        await Promise.all(sessions.map((s) => s.stop()));
      }
    });
  }
});

/** Publishes 220 items one after another (the first 20 warm up) and summarises the timings. */
async function latency(bot: XmppSession, agent: XmppSession, service: string, node: string): Promise<string> {
  const waiting = new Map<string, () => void>();
  const off = createPubsub(bot).onEvent((e) => waiting.get(e.itemId)?.());
  const pubsub = createPubsub(agent);
  const payload = { data: Buffer.alloc(200, 7).toString("base64"), text: "web1: 1 alert raised: disk /var 91% full" };
  const toEvent: number[] = [];
  const toConfirm: number[] = [];
  for (let i = 0; i < 220; i++) {
    const id = `lat-${i}`;
    const t0 = performance.now();
    const seen = new Promise<number>((resolve) => waiting.set(id, () => resolve(performance.now())));
    const result = await pubsub.publish(service, node, payload, id);
    const confirmed = performance.now();
    assert.ok(result.ok);
    const eventAt = await seen;
    waiting.delete(id);
    if (i < 20) continue;
    toEvent.push(eventAt - t0);
    toConfirm.push(confirmed - t0);
  }
  off();
  toEvent.sort((a, b) => a - b);
  toConfirm.sort((a, b) => a - b);
  return (
    `publish->event p50 ${ms(percentile(toEvent, 50))}, p99 ${ms(percentile(toEvent, 99))}; ` +
    `publish->confirmation p50 ${ms(percentile(toConfirm, 50))}, p99 ${ms(percentile(toConfirm, 99))} (${toEvent.length} sequential)`
  );
}
