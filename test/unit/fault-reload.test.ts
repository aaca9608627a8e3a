// Config reload without a network: a broken file is refused whole and nothing is applied; a good one
// changes who is told from then on, repeats nothing already told, and names what needs a restart.
import assert from "node:assert/strict";
import { BotCore } from "../../src/bot/bot-core.js";
import {
  reloadConfig,
  restartOnlyChanges,
  Settings,
  settingsFromConfig,
  type BotSettings,
} from "../../src/bot/settings.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { loadBotConfig, type BotConfig } from "../../src/config/bot-config.js";
import { Store } from "../../src/store/store.js";
import { LogLines } from "../helpers/spine.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChannel, channelsOf } from "../helpers/fake-clock-core.js";
import { configHead } from "../helpers/test-config.js";

const HEAD = `${configHead("x.org")}people:
  - { name: alice, jid: alice@x.org }
  - { name: bob, jid: bob@x.org }
`;
const oncall = (who: string): BotConfig =>
  loadBotConfig(
    `${HEAD}workgroups:
  - name: ops
    members: [${who}]
    escalation: { normal: { steps: [{ after: 0m, notify: oncall }], reminder: false } }
rules:
  - { level: normal, workgroup: ops }
`,
    { file: "alertbot.yaml" },
  );
const origin = pubsubOrigin("web1", "x.org");

describe("fault: config reload", () => {
  it("applies a good file: the new on-call person is told of new alerts, nothing is told twice", async () => {
    const clock = new FakeClock();
    const store = Store.open(":memory:");
    const chat = new RecordingChannel("xmpp");
    const settings = (c: BotConfig): BotSettings => settingsFromConfig(c, channelsOf(chat));
    const holder = new Settings<BotSettings>(settings(oncall("alice")));
    const core = new BotCore({
      settings: holder,
      store,
      clock,
      log: new LogLines().logger,
      inputs: { presence: () => "online", down: () => new Map() },
    });
    try {
      await core.applyUpdate(update("web1", [alert("disk")]), origin);
      await core.idle();
      assert.deepEqual(chat.sent, ["alice: RAISED #1 web1 disk"]);
      await holder.replace(settings(oncall("bob")));
      await core.idle();
      // alice is told nothing twice; bob, on call now, hears of the page still unacked (a handover).
      assert.deepEqual(chat.sent, ["alice: RAISED #1 web1 disk", "bob: ESCALATED #1 web1 disk"]);
      await core.applyUpdate(update("web1", [alert("load")]), origin);
      await core.idle();
      assert.deepEqual(chat.sent.slice(2), ["bob: RAISED #2 web1 load"]);
      assert.match(
        (await core.handleChat("alice@x.org/phone", "oncall ops")) ?? "",
        /^ops: bob\b/,
        "commands read the new policy too",
      );
    } finally {
      core.stop();
      store.close();
    }
  });

  it("refuses a broken file whole, logging each problem by key, and applies nothing", async () => {
    const log = new LogLines();
    let applied = 0;
    const ok = await reloadConfig(
      () =>
        loadBotConfig(`${HEAD}rules:\n  - { level: loud, workgroup: ops }\nsurprise: 1\n`, { file: "alertbot.yaml" }),
      async () => {
        applied++;
        return { needsRestart: [] };
      },
      log.logger,
    );
    assert.equal(ok, false);
    assert.equal(applied, 0);
    const [line] = log.withMsg("config reload rejected; keeping the running config");
    assert.equal(line?.["file"], "alertbot.yaml");
    assert.deepEqual((line?.["problems"] as string[]).map((p) => p.replace(/:.*/, "")).sort(), [
      "rules[0].level",
      "surprise",
    ]);
  });

  it("names the keys that take a restart, by value, without printing the secret", async () => {
    const a = loadBotConfig(`${HEAD}`, { file: "a.yaml" });
    const b = loadBotConfig(
      HEAD.replace("secret: s,", "secret: t0p-s3cret,").replace('":memory:"', "other.sqlite") +
        "log: { level: debug }\n",
      { file: "b.yaml" },
    );
    assert.deepEqual(restartOnlyChanges(a, b), ["xmpp.secret", "database", "log.level"]);
    assert.deepEqual(restartOnlyChanges(a, loadBotConfig(HEAD, { file: "c.yaml" })), []);
    const log = new LogLines();
    assert.equal(
      await reloadConfig(
        () => b,
        async (next) => ({ needsRestart: restartOnlyChanges(a, next) }),
        log.logger,
      ),
      true,
    );
    assert.deepEqual(
      log.withMsg("config reloaded, but these keys take a restart and keep their running values")[0]?.["keys"],
      ["xmpp.secret", "database", "log.level"],
    );
    assert.ok(!log.text().includes("t0p-s3cret"));
  });

  it("takes udp.handover on reload (only the listener's own settings take a restart)", () => {
    const udp = (extra: string) => loadBotConfig(`${HEAD}udp: { allow: ["10.0.0.0/8"]${extra} }\n`, { file: "a.yaml" });
    assert.deepEqual(restartOnlyChanges(udp(""), udp(", handover: { web1: web1@x.org }")), []);
    assert.deepEqual(restartOnlyChanges(udp(""), udp(', listen: "127.0.0.1:5000"')), ["udp"]);
  });

  it("says the http section takes a restart, a token's value included, without printing it", async () => {
    const http = (token: string) =>
      loadBotConfig(`${HEAD}http: { tokens: [{ name: am, token: ${token}, sources: ["*"] }] }\n`, { file: "a.yaml" });
    assert.deepEqual(restartOnlyChanges(http("tok-one-1"), http("tok-one-1")), []);
    assert.deepEqual(restartOnlyChanges(http("tok-one-1"), http("tok-two-2")), ["http"]);
    assert.deepEqual(restartOnlyChanges(loadBotConfig(HEAD, { file: "a.yaml" }), http("tok-one-1")), ["http"]);
    const log = new LogLines();
    await reloadConfig(
      () => http("tok-two-2"),
      async (next) => ({ needsRestart: restartOnlyChanges(http("tok-one-1"), next) }),
      log.logger,
    );
    assert.ok(!log.text().includes("tok-"), "no token in the log");
  });
});
