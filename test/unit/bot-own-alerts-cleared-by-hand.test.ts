// AlertBot's own alerts cleared by hand while what they tell of still stands. `clear` promises that
// the sender raises an alert again if the problem is still there; for these AlertBot is the sender.
// Through BotCore on a fake clock with a real SQLite store.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import { CONFIG_ALERT_ID } from "../../src/bot/config-refused.js";
import { LINK_DOWN_ALERT_ID } from "../../src/bot/link-down.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { HOST_DOWN_ALERT_ID } from "../../src/policy/inhibit.js";
import { createLogger } from "../../src/log.js";
import { Store } from "../../src/store/store.js";
import { advanceCore, chatOnly, fakeClockCore, RecordingChat } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";

const M = 60_000;
const OWN = "alertbot.mauve.localhost";
const config = testConfig(`people:
  - { name: alice, jid: alice@mauve.localhost }
`);
const ALICE = "alice@mauve.localhost/phone";

describe("AlertBot's own alerts cleared by hand while their cause stands", () => {
  let dir: string;
  let clock: FakeClock;
  let store: Store;
  let chat: RecordingChat;
  let core: BotCore;
  const log = createLogger({ level: "error", sink: () => {} });
  const own = (alertId: string) => store.alerts.find(OWN, alertId);
  const raisedLines = () => chat.take().filter((line) => line.startsWith("alice: RAISED"));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "mauve-own-cleared-"));
    clock = new FakeClock(Date.UTC(2026, 2, 2, 10, 0));
    chat = new RecordingChat();
    store = Store.open(join(dir, "bot.sqlite"));
    core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(chat), ownSource: OWN, log });
    await core.start();
  });
  afterEach(() => {
    core.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a refused configuration is raised again at once, until a file loads; then a clear by hand stays", async () => {
    await core.configRefused({ file: "/etc/mauve/alertbot.yaml", problems: ["peeple: unknown key"] });
    await advanceCore(clock, core, 1000);
    const id = own(CONFIG_ALERT_ID)!.shortId;
    assert.equal(own(CONFIG_ALERT_ID)?.status, "raised");
    assert.equal(raisedLines().length, 1);
    // The file is still refused: the next restart would not start. Cleared by hand, it comes back.
    await core.handleChat(ALICE, `clear ${id} because I know`);
    await advanceCore(clock, core, 1000);
    assert.equal(own(CONFIG_ALERT_ID)?.status, "raised");
    assert.match(own(CONFIG_ALERT_ID)!.summary, /refused its configuration .*peeple: unknown key/);
    assert.equal(raisedLines().length, 1, "told again");
    const kinds = store.alerts.history(id).map((h) => h.kind);
    const cleared = kinds.lastIndexOf("cleared");
    assert.ok(cleared > 0 && kinds.indexOf("raised", cleared) > cleared, kinds.join(", "));
    // A reload that loads clears it; a clear by hand after that is not undone.
    await core.configLoaded("/etc/mauve/alertbot.yaml");
    assert.equal(own(CONFIG_ALERT_ID)?.status, "cleared");
    await advanceCore(clock, core, 10 * M);
    assert.equal(own(CONFIG_ALERT_ID)?.status, "cleared");
  });

  it("a link still down is raised again at once (a clear from the board while cut off), until it is back", async () => {
    const since = clock.now();
    await core.linkDown(OWN, since, "connection refused");
    await advanceCore(clock, core, 1000);
    const id = own(LINK_DOWN_ALERT_ID)!.shortId;
    assert.equal(own(LINK_DOWN_ALERT_ID)?.status, "raised");
    await core.handleChat(ALICE, `clear ${id}`);
    await advanceCore(clock, core, 1000);
    assert.equal(own(LINK_DOWN_ALERT_ID)?.status, "raised");
    assert.match(own(LINK_DOWN_ALERT_ID)!.summary, new RegExp(`cut off .* since ${new Date(since).toISOString()}`));
    await core.linkUp(OWN);
    assert.equal(own(LINK_DOWN_ALERT_ID)?.status, "cleared");
    await advanceCore(clock, core, 10 * M);
    assert.equal(own(LINK_DOWN_ALERT_ID)?.status, "cleared");
  });
  it("a host still down is raised again at once (as it always was)", async () => {
    await core.applyUpdate(update("web1", [alert("disk")]), pubsubOrigin("web1"));
    store.transaction(() => store.sources.markDown("web1@mauve.localhost", clock.now()));
    await advanceCore(clock, core, 10 * M);
    const id = store.alerts.find("web1", HOST_DOWN_ALERT_ID)!.shortId;
    assert.equal(store.alerts.find("web1", HOST_DOWN_ALERT_ID)?.status, "raised");
    await core.handleChat(ALICE, `clear ${id}`);
    await advanceCore(clock, core, 1000);
    assert.equal(store.alerts.find("web1", HOST_DOWN_ALERT_ID)?.status, "raised");
  });
});
