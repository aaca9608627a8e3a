import assert from "node:assert/strict";
import { catchUp } from "../../src/bot/item-handler.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { wrapPayload } from "../../src/codec/payload.js";
import { sourceToNodeName } from "../../src/codec/source-name.js";
import { createLogger } from "../../src/log.js";
import { Store } from "../../src/store/store.js";
import type { Pubsub, PubsubItem } from "../../src/xmpp/pubsub.js";
import { RecordingChat, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { alert, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";

const config = testConfig(
  `people:
  - { name: alice, jid: alice@mauve.localhost }
`,
);
const node = sourceToNodeName("web1");

// Only getItems is reached by catch-up: a server that returns the retained items as given.
function serverReturning(items: PubsubItem[]): Pubsub {
  return { getItems: () => Promise.resolve({ ok: true, items }) } as unknown as Pubsub;
}

describe("catch-up applies retained items in the sender's order", () => {
  const t0 = 1_700_000_000;
  // Three updates, each raising a different alert: only their order tells which came first.
  const sent = [1, 2, 3].map((n) => ({
    itemId: `i${n}`,
    publisher: "web1@mauve.localhost",
    payload: wrapPayload(
      update("web1", [alert(`check${n}`, { summary: `check ${n} failed` })], {
        sequence: BigInt(n),
        transmissionTimeS: t0 + n,
      }),
    ),
  }));

  for (const [server, items] of [
    ["oldest first (Prosody, ejabberd Mnesia)", sent],
    ["newest first (ejabberd's SQL backend)", [...sent].reverse()],
  ] as const) {
    it(`applies every update when the server lists them ${server}`, async () => {
      const clock = new FakeClock(t0 * 1000 + 10_000);
      const store = Store.open(":memory:");
      const chat = new RecordingChat();
      const core = fakeClockCore({
        store,
        clock,
        policy: config,
        channels: chatOnly(chat),
      });
      await core.start();
      try {
        const log = createLogger({ level: "error" });
        assert.deepEqual(await catchUp(core, log, serverReturning([...items]), "pubsub.mauve.localhost", [node]), []);
        await core.idle();
        const raised = [...store.alerts.each("raised")].map((a) => a.alertId).sort();
        assert.deepEqual(raised, ["check1", "check2", "check3"]);
      } finally {
        core.stop();
        store.close();
      }
    });
  }
});
