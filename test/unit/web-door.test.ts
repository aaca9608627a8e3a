// The board's door into the bot, with a real store and a fake clock: `web` gives a link only in a
// direct chat, board actions run as the chat commands under the person's name with "(web)", and
// the core tells a board of changes.
import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChat, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";

const config = testConfig(
  `people:
  - { name: alice, jid: alice@mauve.localhost }
  - { name: bob, jid: bob@mauve.localhost }
`,
);
const origin = pubsubOrigin();

describe("web board: its door into the bot", () => {
  it("gives a sign-in link in a direct chat only, and runs board actions as alice (web)", async () => {
    const clock = new FakeClock();
    const store = Store.open(":memory:");
    const core = fakeClockCore({
      store,
      clock,
      policy: config,
      channels: chatOnly(new RecordingChat()),
    });
    let changes = 0;
    core.watch(() => (changes += 1));
    assert.match((await core.handleChat("alice@mauve.localhost/phone", "web")) ?? "", /no web board turned on/);
    core.commands.offerSignIn((person) => ({ url: `https://b.example/sign-in?for=${person.name}`, validMs: 60_000 }));
    assert.match((await core.handleChat("alice@mauve.localhost/phone", "web")) ?? "", /sign-in\?for=alice$/);
    const inRoom = await core.commands.run("alice@mauve.localhost/phone", "web");
    assert.match(inRoom.reply ?? "", /direct chat/, "a room (or form) gets no link");

    await core.applyUpdate(
      update("web1", [alert("disk-full", { raiseTimeS: Math.floor(clock.now() / 1000) })]),
      origin,
    );
    assert.ok(changes > 0, "an applied update is a change for the boards");
    const id = store.alerts.find("web1", "disk-full")!.shortId;
    const before = changes;
    const acked = await core.handleBoard("alice@mauve.localhost", `ack ${id} for 2h because rebooting`);
    assert.equal(acked.ok, true);
    assert.match(acked.reply, /acknowledged for 2h by alice \(web\) because rebooting/);
    assert.equal(store.alerts.get(id)!.ack?.by, "alice (web)");
    assert.ok(changes > before, "a command's change is a change for the boards");
    const stranger = await core.handleBoard("mallory@mauve.localhost", `clear ${id}`);
    assert.deepEqual(stranger, {
      ok: false,
      reply: "Sorry, I only take commands from the people in my configuration.",
    });
    await core.tick();
    await core.idle();
    core.stop();
    await new Promise((resolve) => setImmediate(resolve));
    store.close();
  });
  it("is the same person through either door: the silence's setter may end it, a note's author is not told of it", async () => {
    const teamConfig = testConfig(`people:
  - { name: alice, jid: alice@mauve.localhost }
  - { name: bob, jid: bob@mauve.localhost }
workgroups:
  - name: db
    members: [alice, bob]
    escalation:
      normal: { steps: [{ after: 0m, notify: all }], reminder: false }
rules:
  - { level: normal, workgroup: db }
permissions:
  "*": { silence: [bob] }
  db: { silence: [alice, bob] }
`);
    const clock = new FakeClock();
    const store = Store.open(":memory:");
    const chat = new RecordingChat();
    const core = fakeClockCore({
      store,
      clock,
      policy: teamConfig,
      channels: chatOnly(chat),
      ...(teamConfig.permissions ? { permissions: teamConfig.permissions } : {}),
    });
    const settle = async (): Promise<void> => {
      clock.advance(1000);
      await core.tick();
      await core.idle();
    };
    await core.applyUpdate(update("web1", [alert("a1", { raiseTimeS: Math.floor(clock.now() / 1000) })]), origin);
    await settle();
    assert.deepEqual(chat.take().sort(), ["alice: RAISED #1 web1 a1", "bob: RAISED #1 web1 a1"]);
    // alice may silence in db only, so ending a silence needs it to be her own: set in chat, ended on the web...
    assert.match((await core.handleChat("alice@mauve.localhost/x", "silence #1 for 1h")) ?? "", /^Silence #1 by alice/);
    assert.match(
      (await core.handleBoard("alice@mauve.localhost", "unsilence 1")).reply,
      /^Silence #1 .* ended by alice \(web\)/,
    );
    // ...and set on the web, ended in chat.
    assert.match(
      (await core.handleBoard("alice@mauve.localhost", "silence #1 for 1h")).reply,
      /^Silence #2 by alice \(web\)/,
    );
    assert.match(
      (await core.handleChat("alice@mauve.localhost/x", "unsilence 2")) ?? "",
      /^Silence #2 .* ended by alice/,
    );
    await settle();
    chat.take();
    // A note goes to the others told, not back to its author, whichever door it came through.
    await core.handleChat("alice@mauve.localhost/x", "note 1 from chat");
    await settle();
    assert.deepEqual(
      chat.take(),
      ["bob: NOTE #1 web1 a1"].map((l) => (chat.sent.length === 0 ? l : l)),
    );
    await core.handleBoard("alice@mauve.localhost", "note 1 from the web");
    await settle();
    assert.deepEqual(chat.take(), ["bob: NOTE #1 web1 a1"]);
    core.stop();
    await new Promise((resolve) => setImmediate(resolve));
    store.close();
  });
});
