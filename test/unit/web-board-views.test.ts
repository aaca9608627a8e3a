// The board's view cache, with a real store and a fake clock: every open board fetches itself
// again after each change, and boards with the same filters share one pass over the open alerts;
// a change, an action or a second of time gives a fresh view, so no board shows stale rows.
import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { BotTrouble } from "../../src/commands/types.js";
import { Store } from "../../src/store/store.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChat, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";
import { boardRequest, testWebBoard, textOf } from "../helpers/board-request.js";

const config = testConfig(
  `http: { listen: "127.0.0.1:0", board: {} }
people:
  - { name: alice, jid: alice@mauve.localhost }
`,
);
const origin = pubsubOrigin();

describe("web board: one pass over the open alerts serves every open board", () => {
  it("reuses a view until a change, an action or a second of time, and never shows rows older than those", async () => {
    const clock = new FakeClock();
    const store = Store.open(":memory:");
    const core = fakeClockCore({
      store,
      clock,
      policy: config,
      channels: chatOnly(new RecordingChat()),
    });
    const web = testWebBoard(store, clock, config, {
      act: (jid, line) => core.handleBoard(jid, line),
      troubles: () => troubles,
    });
    let troubles: BotTrouble[] = [];
    core.watch(() => web.changed());
    const route = (method: string, path: string) => web.routes().find((r) => r.method === method && r.path === path)!;

    // Sign in as the browser would: the link's token, posted.
    const token = new URL(web.issueLink({ name: "alice" }).url).searchParams.get("t")!;
    const signedIn = await route("POST", "/sign-in").handle(boardRequest("POST", "/sign-in", "", `t=${token}`));
    const cookie = /mauve_board=[^;]+/.exec(signedIn.headers?.["set-cookie"] ?? "")![0];
    const board = async (): Promise<string> => textOf(await route("GET", "/").handle(boardRequest("GET", "/", cookie)));
    const rowCount = (page: string): number => (page.match(/<tr data-alert=/g) ?? []).length;

    const raise = (id: string): Promise<unknown> =>
      core.applyUpdate(update("web1", [alert(id, { raiseTimeS: Math.floor(clock.now() / 1000) })]), origin);
    await raise("disk-full");
    assert.equal(rowCount(await board()), 1);

    // Written behind the bot's back (no change event): the cached view serves until it ages out.
    const reads = store.alerts.raisedStandingAfter.bind(store.alerts);
    let passes = 0;
    store.alerts.raisedStandingAfter = (afterShortId, limit) => {
      if (afterShortId === 0) passes += 1;
      return reads(afterShortId, limit);
    };
    await board();
    await board();
    await board();
    assert.equal(passes, 0, "three boards with the same filters after no change share the view");

    await raise("load-high");
    assert.equal(rowCount(await board()), 2, "a change gives every board a fresh view");
    assert.equal(passes, 1);
    await board();
    assert.equal(passes, 1);

    clock.advance(1_000);
    await board();
    assert.equal(passes, 2, "a view serves at most a second: acks and silences end with time, not by a change");

    const id = store.alerts.find("web1", "disk-full")!.shortId;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await board())![1]!;
    await route("POST", "/action").handle(
      boardRequest("POST", "/action", cookie, `csrf=${csrf}&op=ack&id=${id}&back=/`),
    );
    assert.match(
      await board(),
      new RegExp(`data-alert="${id}"[^>]*data-state="acked"`),
      "the page after an action shows it",
    );

    // AlertBot's own trouble is not part of the shared view: it shows, and goes, on the next fetch.
    troubles = [{ since: clock.now() - 60_000, text: "AlertBot cannot write its database (disk <full>)" }];
    assert.match(
      await board(),
      /<main>\s*<div class="trouble" role="alert">⚠ AlertBot cannot write its database \(disk &lt;full&gt;\) \(since /,
    );
    troubles = [];
    assert.doesNotMatch(await board(), /class="trouble"/);

    core.stop();
    await new Promise((resolve) => setImmediate(resolve));
    store.close();
  });
});
