// How the board names an alert: by its source and id, which AlertBot vouches for. A sender's
// subject is its own words (source x9 may write "web1" there, issue #11), so the board shows it
// only marked as such, never in the source's place, and never shows a source as a subject.
// Real store, fake clock, no sockets; test/integration/web-board.test.ts does it in a browser.
import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { HttpRequest, HttpResponse } from "../../src/http/listener.js";
import { Store } from "../../src/store/store.js";
import type { WebBoard } from "../../src/web/web-board.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChat, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";
import { signedInCookie, testWebBoard } from "../helpers/board-request.js";

const config = testConfig(
  `http: { listen: "127.0.0.1:0", board: {} }
people:
  - { name: alice, jid: alice@mauve.localhost }
`,
);
const HOST = "127.0.0.1:9095";

function request(method: string, target: string, cookie = "", body = ""): HttpRequest {
  const url = new URL(target, `http://${HOST}`);
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: {
      host: HOST,
      cookie,
      "content-type": "application/x-www-form-urlencoded",
      "sec-fetch-site": "same-origin",
      origin: `http://${HOST}`,
    },
    body: Buffer.from(body),
    remote: "127.0.0.1",
  };
}

const textOf = (r: HttpResponse): string => ("text" in r ? r.text : "");
/** The text of each cell of a board row, tags dropped and entities read back. */
function cells(page: string, shortId: number): string[] {
  const row = new RegExp(`<tr data-alert="${shortId}"[^>]*>([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? "";
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => plain(m[1]!));
}
/** The facts of an alert page, as [term, value] pairs of plain text. */
function facts(page: string): Array<[string, string]> {
  const dl = /<dl class="facts">([\s\S]*?)<\/dl>/.exec(page)?.[1] ?? "";
  return [...dl.matchAll(/<dt>([\s\S]*?)<\/dt>\s*<dd[^>]*>([\s\S]*?)<\/dd>/g)].map((m) => [plain(m[1]!), plain(m[2]!)]);
}
function plain(fragment: string): string {
  return fragment
    .replace(/<[^>]*>/g, "")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

describe("web board: how an alert is named", () => {
  let clock: FakeClock;
  let store: Store;
  let core: ReturnType<typeof fakeClockCore>;
  let web: WebBoard;
  let cookie: string;
  const get = async (target: string): Promise<string> =>
    textOf(
      await web
        .routes()
        .find((r) => r.method === "GET" && r.path === new URL(target, "http://x").pathname)!
        .handle(request("GET", target, cookie)),
    );
  const raise = async (source: string, id: string, fields: Parameters<typeof alert>[1] = {}): Promise<number> => {
    await core.applyUpdate(
      update(source, [alert(id, { raiseTimeS: Math.floor(clock.now() / 1000), ...fields })]),
      pubsubOrigin(source),
    );
    return store.alerts.find(source, id)!.shortId;
  };

  beforeEach(async () => {
    clock = new FakeClock();
    store = Store.open(":memory:");
    core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(new RecordingChat()) });
    web = testWebBoard(store, clock, config, { act: (jid, line) => core.handleBoard(jid, line) });
    cookie = await signedInCookie(web, "alice");
  });

  afterEach(async () => {
    core.stop();
    await new Promise((resolve) => setImmediate(resolve));
    store.close();
  });

  it("lists a look-alike's alert under its own source, its subject marked as the sender's words", async () => {
    const real = await raise("web1", "disk", { summary: "Disk / is 97% full" });
    const fake = await raise("x9", "disk2", { subject: "web1" });
    const said = await raise("x9", "load", { subject: "web1' load", summary: "load 40" });
    const board = await get("/");
    // # | level | workgroup | source | alert | summary | ...
    assert.deepEqual(cells(board, real).slice(3, 6), ["web1", "disk", "Disk / is 97% full"]);
    assert.deepEqual(cells(board, fake).slice(3, 6), ["x9", "disk2", "(subject 'web1')"]);
    assert.deepEqual(cells(board, said).slice(3, 6), ["x9", "load", "load 40 (subject 'web1\\' load')"]);
  });

  it("names the alert page's source and id, and the subject only as what its sender wrote", async () => {
    const fake = await raise("x9", "disk2", { subject: "web1", summary: "Disk / is 97% full" });
    const page = await get(`/alert?id=${fake}`);
    assert.match(page, new RegExp(`<h1>#${fake} x9 disk2</h1>`));
    const shown = facts(page);
    assert.deepEqual(
      shown.filter(([term]) => /source|alert id|subject/i.test(term)),
      [
        ["Source", "x9"],
        ["Alert id", "disk2"],
        ["Subject, as its sender wrote it", "'web1'"],
      ],
    );
    // No subject sent: the source is not presented as one.
    const plainOne = await raise("web1", "disk");
    assert.deepEqual(
      facts(await get(`/alert?id=${plainOne}`)).filter(([term]) => /source|subject/i.test(term)),
      [["Source", "web1"]],
    );
  });
});
