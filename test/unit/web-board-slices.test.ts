// The board's view of the open alerts in a storm: it is built a slice at a time with the event
// loop let in between, boards asking for it while it is built share the one build, and it serves
// longer the more alerts it counts. What it shows is what it showed when built in one go.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { HOST_DOWN_ALERT_ID } from "../../src/policy/inhibit.js";
import { Store } from "../../src/store/store.js";
import { VIEW_SLICE, type WebBoard } from "../../src/web/web-board.js";
import { alert, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";
import { boardRequest, signedInCookie, testWebBoard, textOf } from "../helpers/board-request.js";

const T0 = 1_700_000_000_000;
const S = 1000;
const config = testConfig(
  `http: { listen: "127.0.0.1:0", board: {} }
people:
  - { name: alice, jid: alice@mauve.localhost }
workgroups:
  - { name: ops, members: [alice] }
  - { name: dba, members: [alice] }
rules:
  - { match: { source: "rota*" }, level: urgent, workgroup: ops }
  - { match: { source: "store*" }, level: normal, workgroup: dba }
  - { match: { importance: "100.." }, level: urgent, workgroup: ops }
  - { match: { subject: "db*" }, level: low, workgroup: dba }
  - { level: normal, workgroup: ops }
`,
);

/** A board over `store`, signed in as alice: `get(target)` answers as the route does (a value or a promise). */
async function openBoard(store: Store, clock: FakeClock, viewMsPerAlert?: number) {
  const web = testWebBoard(store, clock, config, viewMsPerAlert === undefined ? {} : { viewMsPerAlert });
  const route = (method: string, path: string) => web.routes().find((r) => r.method === method && r.path === path)!;
  const cookie = await signedInCookie(web, "alice");
  // `refresh`: as the board's script fetches itself again when told "something changed".
  const get = (t: string, refresh = false) =>
    route("GET", new URL(t, "http://127.0.0.1").pathname).handle(
      boardRequest("GET", t, cookie, "", refresh ? { "x-board-refresh": "1" } : {}),
    );
  return { web, get, text: async (t: string, refresh = false) => textOf(await get(t, refresh)) };
}

/** `count` raised alerts from web1, numbered from 1 in the order given. */
function raise(store: Store, count: number): void {
  const alerts = Array.from({ length: count }, (_, i) => alert(`check${i}`, { raiseTimeS: (T0 - 60 * S) / S }));
  assert.equal(ingestUpdate(store, update("web1", alerts), { via: "udp" }, T0 - 10 * S).status, "applied");
}

/** Passes over the open alerts: reads of the first slice (or, built in one go, of them all). */
function countPasses(store: Store): { readonly passes: number } {
  const counter = { passes: 0 };
  const alerts = store.alerts as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ["raisedStandingAfter", "each"]) {
    const read = alerts[name]?.bind(store.alerts);
    if (read === undefined) continue;
    alerts[name] = (...args: unknown[]) => {
      if (args[0] === 0 || args[0] === "raised") counter.passes += 1;
      return read(...args);
    };
  }
  return counter;
}

/** A live stream open for alice: `told()` says whether the feed said "something changed" since last asked. */
function liveStream(web: WebBoard): { told(): boolean } {
  const chunks: string[] = [];
  const stream = web.feed.stream("alice");
  if (!("open" in stream)) throw new Error("not a stream");
  stream.open({ write: (chunk) => chunks.push(chunk) > 0, end: () => undefined });
  return { told: () => chunks.splice(0).some((c) => c.startsWith("event: change")) };
}

/** The alerts a board page lists, by number. */
const listed = (page: string): number[] => [...page.matchAll(/<tr data-alert="(\d+)"/g)].map((m) => Number(m[1]));

const SOURCES = ["web1", "web2", "db1", "store1", "quiet1", "rota1", "Web-ETE_2"];

/**
 * 2,600 alerts of every kind the board tells apart: levels and workgroups by rule, live and
 * ended acks, silenced, scheduled (heartbeats), cleared, ties in raise time, long details.
 */
function storm(store: Store): void {
  for (const [n, source] of SOURCES.entries()) {
    const alerts = [];
    for (let i = n; i < 2600; i += SOURCES.length)
      alerts.push(
        alert(`check${i}`, {
          raiseTimeS: (T0 - ((i * 7919) % 5000) * 60 * S) / S,
          subject: i % 5 === 0 ? `db-${i % 3}` : "",
          summary: `check ${i} failed`,
          detail: `<p>${"x".repeat(i % 300)}</p>`,
          importance: [0, 50, 100, 150][i % 4]!,
        }),
      );
    const r = ingestUpdate(store, update(source, alerts), { via: "udp" }, T0 - 10 * S);
    assert.equal(r.status, "applied", JSON.stringify(r));
  }
  for (const a of store.alerts.list("raised")) {
    const i = Number(/\d+$/.exec(a.alertId)?.[0] ?? "-1");
    if (i % 11 === 0)
      store.alerts.save({ ...a, ack: { by: "alice", at: T0 - 60 * S, until: T0 + 3600 * S, note: "" } });
    else if (i % 13 === 0) store.alerts.save({ ...a, ack: { by: "alice", at: T0 - 60 * S, until: T0 - S, note: "" } });
    else if (i % 17 === 0)
      store.alerts.save({ ...a, status: "cleared", raisedAt: null, clearedAt: T0 - S, scheduledRaiseAt: T0 + i * S });
    else if (i % 19 === 0) store.alerts.save({ ...a, status: "cleared", raisedAt: null, clearedAt: T0 - S });
  }
  // AlertBot's own alert that a source's agent is gone: no sender may raise it.
  for (const source of ["db1", "quiet1"]) {
    const { shortId: _, ...some } = store.alerts.find(
      source,
      store.alerts.list("raised").find((a) => a.source === source)!.alertId,
    )!;
    store.alerts.save({ ...some, alertId: HOST_DOWN_ALERT_ID, raisedAt: T0 - 3600 * S, ack: null });
  }
  store.policy.addSilence({ source: ["quiet*"] }, T0 + 3600 * S, "alice", "maintenance", T0 - 60 * S);
}

/** A page's <main>, without the session's CSRF token (random), as a short digest. */
function digest(page: string): string {
  const main = /<main>[\s\S]*<\/main>/.exec(page)?.[0] ?? "";
  return createHash("sha256")
    .update(main.replace(/name="csrf" value="[^"]*"/g, ""))
    .digest("hex")
    .slice(0, 16);
}

const rowsOf = (page: string): string[] =>
  [...page.matchAll(/<tr data-alert="(\d+)" data-state="(\w+)"/g)].map((m) => `${m[1]}${m[2]![0]}`);
const countsOf = (page: string): string =>
  [...page.matchAll(/data-count="(\w+)"><b>(\d+)<\/b>/g)].map((m) => `${m[1]} ${m[2]}`).join(", ");

const QUERIES = [
  "/",
  "/?state=raised",
  "/?state=acked",
  "/?state=silenced",
  "/?state=scheduled",
  "/?sort=source",
  "/?sort=newest",
  "/?sort=workgroup",
  "/?sort=id",
  "/?page=3",
  "/?page=99",
  "/?source=WEB",
  "/?workgroup=dba",
  "/?level=urgent",
  "/?state=raised&sort=newest&page=2&level=normal",
  "/?state=acked&sort=source&source=e",
];

describe("web board: the view of every open alert, a slice at a time", () => {
  it("shows what it showed when built in one go: counts, rows, order, paging and filters (recorded on the one-go build)", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    storm(store);
    const { text } = await openBoard(store, clock);
    const seen: string[] = [];
    for (const q of QUERIES) {
      const page = await text(q);
      const rows = rowsOf(page);
      seen.push(`${q} ${digest(page)} ${rows.length} ${rows.slice(0, 3).join(" ")}…${rows.at(-1) ?? ""}`);
      if (q === "/") seen.push(countsOf(page));
    }
    assert.deepEqual(seen, [
      "/ 93943366b9fd10f8 100 551r 2305r 2137r…1609s",
      "raised 1823, acked 236, silenced 307, scheduled 130",
      "/?state=raised 72dfecb7a523e738 100 551r 2305r 2137r…206r",
      "/?state=acked 8537bda97f6ec855 100 1929a 916a 2501a…905a",
      "/?state=silenced 26a551374bc9d1fd 100 1761s 1657s 1853s…1758s",
      "/?state=scheduled 4ec66f6dabf56f3b 100 18s 86s 154s…1476s",
      "/?sort=source 34b8901eb39b536b 100 759r 889r 890r…986r",
      "/?sort=newest 0defb2bfb09b8dd0 100 424r 847r 1270r…1831s",
      "/?sort=workgroup d440528336a9b78d 100 1397r 1293r 1189r…1222r",
      "/?sort=id 811095b891ac4b61 100 2r 3r 4r…112r",
      "/?page=3 10eb9f8966ea2306 100 1004a 158r 1913r…1489a",
      "/?page=99 ef35a9898f33958f 66 61r 1034r 2492r…847r",
      "/?source=WEB 7241b36d0ae41dbe 100 551r 2305r 447r…2289r",
      "/?workgroup=dba 0ad89fa8b3d235dd 100 1397r 1293r 1189r…1222r",
      "/?level=urgent a6a0d786efd6fd88 100 551r 2305r 2137r…1609s",
      "/?state=raised&sort=newest&page=2&level=normal 09fe80ffb118de3e 100 349r 1133r 2399r…1435r",
      "/?state=acked&sort=source&source=e 42d0d99c1330ffbd 100 1632a 1643a 1489a…2358a",
    ]);
    store.close();
  });

  it("the agents page counts each source's raised alerts and its host-down as before", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    storm(store);
    const { text } = await openBoard(store, clock);
    const agents = await text("/agents");
    const rows = [
      ...agents.matchAll(
        /<tr data-source="([^"]+)">[\s\S]*?(host down|>no<)[\s\S]*?<td class="num">(\d+)<\/td>\s*<td>\s*<img/g,
      ),
    ].map((m) => `${m[1]} ${m[2] === ">no<" ? "up" : m[2]} ${m[3]}`);
    assert.deepEqual(rows, [
      "Web-ETE_2 up 338",
      "db1 host down 340",
      "quiet1 host down 341",
      "rota1 up 337",
      "store1 up 336",
      "web1 up 336",
      "web2 up 338",
    ]);
    store.close();
  });

  it("lets the event loop in between slices: a command that came meanwhile goes first", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    raise(store, 2 * VIEW_SLICE + 1);
    const { get } = await openBoard(store, clock);
    const order: string[] = [];
    const answered = Promise.resolve(get("/")).then((r) =>
      order.push(`board of ${/data-count="raised"><b>(\d+)/.exec(textOf(r))?.[1]}`),
    );
    setImmediate(() => order.push("a person's command"));
    await answered;
    assert.deepEqual(order, ["a person's command", `board of ${2 * VIEW_SLICE + 1}`]);
    store.close();
  });

  it("boards asking while a view is built share that one build, even as changes come; once told of them, they get a new one", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    raise(store, 2_500);
    const { web, text } = await openBoard(store, clock);
    const live = liveStream(web);
    const counter = countPasses(store);
    const first = text("/?sort=id", true);
    // #1 is read with the first slice, before the build lets the event loop in.
    store.alerts.save({ ...store.alerts.get(1)!, status: "cleared", raisedAt: null, clearedAt: T0 });
    web.changed();
    const second = text("/?sort=id", true);
    const pages = await Promise.all([first, second]);
    assert.equal(counter.passes, 1, "one build for both boards");
    assert.equal(pages[0], pages[1]);
    assert.equal(listed(pages[1])[0], 1, "built before the change: the boards are told of it next");

    const opened = await text("/?sort=id");
    assert.equal(counter.passes, 2, "a page opened or reloaded is built anew");
    assert.equal(listed(opened)[0], 2, "and shows every change made before: #1 cleared is gone");

    assert.equal(live.told(), false);
    clock.advance(1_000);
    assert.equal(live.told(), true);
    assert.equal(listed(await text("/?sort=id", true))[0], 2, "told of the change, the boards show it");
    store.close();
  });

  it("a view serves longer the more alerts it counts; a small board's a second, as before", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    raise(store, 2_500);
    const { text } = await openBoard(store, clock, 1);
    const counter = countPasses(store);
    await text("/");
    clock.advance(2_499);
    await text("/");
    assert.equal(counter.passes, 1, "2,500 alerts at 1 ms each: it serves 2.5 s");
    clock.advance(1);
    await text("/");
    assert.equal(counter.passes, 2);

    const small = Store.open(":memory:");
    raise(small, 3);
    const board = await openBoard(small, clock);
    const smallCounter = countPasses(small);
    await board.text("/");
    clock.advance(999);
    await board.text("/");
    assert.equal(smallCounter.passes, 1);
    clock.advance(1);
    await board.text("/");
    assert.equal(smallCounter.passes, 2, "a second");
    store.close();
    small.close();
  });

  it("in a storm the boards are told of changes less often the more alerts they count, and shown the last change in the end", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    raise(store, 2_500);
    const { web, text } = await openBoard(store, clock, 1);
    const live = liveStream(web);
    const counter = countPasses(store);
    await text("/?sort=id");
    // A change every 100 ms for 20 s; each board fetches itself again when told, as the browser does.
    let told = 0;
    for (let t = 0; t < 20_000; t += 100) {
      web.changed();
      clock.advance(100);
      if (live.told()) {
        told += 1;
        await text("/?sort=id", true);
      }
    }
    assert.ok(told >= 7 && told <= 9, `told ${told} times in 20 s, at most once per 2.5 s`);
    assert.equal(counter.passes, 1 + told);

    store.alerts.save({ ...store.alerts.get(1)!, status: "cleared", raisedAt: null, clearedAt: clock.now() });
    web.changed();
    clock.advance(2_500);
    assert.equal(live.told(), true);
    assert.equal(listed(await text("/?sort=id", true))[0], 2, "the last change shows");
    store.close();
  });
});
