// The board's view of the open alerts in a storm: it is built a slice at a time with the event
// loop let in between, boards asking for it while it is built share the one build, and it serves
// longer the more alerts it counts. What it shows is what it showed when built in one go.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { HttpRequest, HttpResponse } from "../../src/http/listener.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { createLogger } from "../../src/log.js";
import { HOST_DOWN_ALERT_ID } from "../../src/policy/inhibit.js";
import { Store } from "../../src/store/store.js";
import { WebBoard } from "../../src/web/web-board.js";
import { alert, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";

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

function request(method: string, target: string, cookie = "", body = ""): HttpRequest {
  const url = new URL(target, "http://127.0.0.1");
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: Buffer.from(body),
    remote: "127.0.0.1",
  };
}

const textOf = (r: HttpResponse): string => ("text" in r ? r.text : "");

/** A board over `store`, signed in as alice: `get(target)` answers as the route does (a value or a promise). */
async function openBoard(store: Store, clock: FakeClock) {
  const web = new WebBoard({
    store,
    clock,
    log: createLogger({ level: "error", sink: () => undefined }),
    config: () => config.http!.board!,
    address: { host: "127.0.0.1", port: 1 },
    policy: () => config,
    act: () => Promise.resolve({ ok: true, reply: "" }),
    presence: () => "offline",
    agentStatus: () => undefined,
    lastFullState: () => undefined,
  });
  const route = (method: string, path: string) => web.routes().find((r) => r.method === method && r.path === path)!;
  const token = new URL(web.issueLink({ name: "alice" }).url).searchParams.get("t")!;
  const signedIn = await route("POST", "/sign-in").handle(request("POST", "/sign-in", "", `t=${token}`));
  const cookie = /mauve_board=[^;]+/.exec(signedIn.headers?.["set-cookie"] ?? "")![0];
  const target = (t: string) => request("GET", t, cookie);
  const get = (t: string) => route("GET", new URL(t, "http://127.0.0.1").pathname).handle(target(t));
  return { web, get, text: async (t: string) => textOf(await get(t)) };
}

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
});
