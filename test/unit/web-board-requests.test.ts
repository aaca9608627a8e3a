// What the board does with requests a browser on another site, or a crafted form or address, can
// send: sign-in and sign-out only from the board's own pages, a `back` field that cannot become a
// header Node refuses, and alert numbers read as digits only. Real store, fake clock, no sockets.
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { HttpRequest, HttpResponse } from "../../src/http/listener.js";
import { Store } from "../../src/store/store.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChat, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";
import { testWebBoard } from "../helpers/board-request.js";

const config = testConfig(
  `http: { listen: "127.0.0.1:0", board: {} }
people:
  - { name: alice, jid: alice@mauve.localhost }
  - { name: bob, jid: bob@mauve.localhost }
`,
);
const HOST = "127.0.0.1:9095";
const FROM_BOARD: IncomingHttpHeaders = { "sec-fetch-site": "same-origin", origin: `http://${HOST}` };
const FROM_EVIL: IncomingHttpHeaders = { "sec-fetch-site": "cross-site", origin: "https://evil.example" };

function request(method: string, target: string, headers: IncomingHttpHeaders = {}, body = ""): HttpRequest {
  const url = new URL(target, `http://${HOST}`);
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: { host: HOST, "content-type": "application/x-www-form-urlencoded", ...headers },
    body: Buffer.from(body),
    remote: "127.0.0.1",
  };
}

async function openBoard() {
  const clock = new FakeClock();
  const store = Store.open(":memory:");
  const core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(new RecordingChat()) });
  const web = testWebBoard(store, clock, config, { act: (jid, line) => core.handleBoard(jid, line) });
  const handle = (method: string, target: string, headers?: IncomingHttpHeaders, body?: string) =>
    Promise.resolve(
      web
        .routes()
        .find((r) => r.method === method && r.path === new URL(target, "http://x").pathname)!
        .handle(request(method, target, headers, body)),
    );
  const tokenFor = (name: string): string => new URL(web.issueLink({ name }).url).searchParams.get("t")!;
  const signIn = async (name: string): Promise<{ cookie: string; csrf: string }> => {
    const answer = await handle("POST", "/sign-in", FROM_BOARD, `t=${tokenFor(name)}`);
    const cookie = /mauve_board=[^;]+/.exec(answer.headers?.["set-cookie"] ?? "")![0];
    const page = textOf(await handle("GET", "/", { cookie }));
    return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)![1]! };
  };
  await core.applyUpdate(
    update("web1", [alert("disk-full", { raiseTimeS: Math.floor(clock.now() / 1000) })]),
    pubsubOrigin(),
  );
  const close = async (): Promise<void> => {
    core.stop();
    await new Promise((resolve) => setImmediate(resolve));
    store.close();
  };
  return { store, web, handle, tokenFor, signIn, close };
}

const textOf = (r: HttpResponse): string => ("text" in r ? r.text : "");
const whoIs = (r: HttpResponse): string => /signed in as <b>([^<]*)<\/b>/.exec(textOf(r))?.[1] ?? "nobody";

describe("web board: sign-in and sign-out only from the board's own pages (login CSRF)", () => {
  it("refuses another site's form posting someone's sign-in link, and leaves the link unused", async () => {
    const b = await openBoard();
    const bobs = b.tokenFor("bob");
    for (const headers of [FROM_EVIL, { origin: "https://evil.example" }, { origin: "null" }]) {
      const answer = await b.handle("POST", "/sign-in", headers, `t=${bobs}`);
      assert.equal(answer.status, 403, JSON.stringify(headers));
      assert.equal(answer.headers?.["set-cookie"], undefined, "no session cookie");
      assert.match(textOf(answer), /came from another site/);
    }
    const own = await b.handle("POST", "/sign-in", FROM_BOARD, `t=${bobs}`);
    assert.equal(own.status, 303, "the link still works from its own page");
    assert.match(own.headers?.["set-cookie"] ?? "", /^mauve_board=/);
    await b.close();
  });

  it("refuses another site's sign-out, and a sign-out without the session's CSRF token", async () => {
    const b = await openBoard();
    const { cookie, csrf } = await b.signIn("alice");
    for (const [headers, body] of [
      [{ ...FROM_EVIL, cookie }, `csrf=${csrf}`],
      [{ ...FROM_BOARD, cookie }, ""],
      [{ cookie }, "csrf=wrong"],
    ] as const) {
      const answer = await b.handle("POST", "/sign-out", headers, body);
      assert.equal(answer.status, 403, JSON.stringify([headers, body]));
      assert.equal(answer.headers?.["set-cookie"], undefined, "the cookie is kept");
    }
    // An old browser's cross-site form sends neither header, and no SameSite=Lax cookie: nothing to clear.
    const cookieless = await b.handle("POST", "/sign-out", {}, "");
    assert.equal(cookieless.headers?.["set-cookie"], undefined);
    assert.equal(whoIs(await b.handle("GET", "/", { cookie })), "alice", "still signed in");

    const out = await b.handle("POST", "/sign-out", { ...FROM_BOARD, cookie }, `csrf=${csrf}`);
    assert.equal(out.status, 200);
    assert.match(out.headers?.["set-cookie"] ?? "", /^mauve_board=; .*Max-Age=0/);
    assert.equal((await b.handle("GET", "/", { cookie })).status, 401);
    await b.close();
  });

  it("refuses an action from another site even with the right token", async () => {
    const b = await openBoard();
    const { cookie, csrf } = await b.signIn("alice");
    const id = b.store.alerts.find("web1", "disk-full")!.shortId;
    const answer = await b.handle("POST", "/action", { ...FROM_EVIL, cookie }, `csrf=${csrf}&op=ack&id=${id}`);
    assert.equal(answer.status, 403);
    assert.equal(b.store.alerts.get(id)!.ack, null);
    await b.close();
  });
});

describe("web board: the page an action goes back to", () => {
  for (const back of ["/?source=€", "/\u0001", "/a b", "//evil.example/", "/\\evil", "https://evil.example/"])
    it(`goes back to / for ${JSON.stringify(back)}, with the action done`, async () => {
      const b = await openBoard();
      const { cookie, csrf } = await b.signIn("alice");
      const id = b.store.alerts.find("web1", "disk-full")!.shortId;
      const body = new URLSearchParams({ csrf, op: "ack", id: String(id), back }).toString();
      const answer = await b.handle("POST", "/action", { ...FROM_BOARD, cookie }, body);
      assert.deepEqual([answer.status, answer.headers?.["location"]], [303, "/"]);
      assert.equal(b.store.alerts.get(id)!.ack?.by, "alice (web)");
      await b.close();
    });

  it("keeps a path of the board with its query", async () => {
    const b = await openBoard();
    const { cookie, csrf } = await b.signIn("alice");
    const body = new URLSearchParams({ csrf, op: "ack", id: "1", back: "/?source=web1&sort=new" }).toString();
    const answer = await b.handle("POST", "/action", { ...FROM_BOARD, cookie }, body);
    assert.equal(answer.headers?.["location"], "/?source=web1&sort=new");
    await b.close();
  });
});

describe("web board: alert numbers in the address", () => {
  it("shows an alert for its number in digits only: anything else is 400, an unknown number 404", async () => {
    const b = await openBoard();
    const { cookie } = await b.signIn("alice");
    const id = b.store.alerts.find("web1", "disk-full")!.shortId;
    assert.equal(id, 1);
    assert.equal((await b.handle("GET", "/alert?id=1", { cookie })).status, 200);
    for (const odd of ["1e0", "0x1", "1.0", "+1", " 1", "1 ", "", "-1", "1%00", "99999999999999999"])
      assert.equal(
        (await b.handle("GET", `/alert?id=${encodeURIComponent(odd)}`, { cookie })).status,
        400,
        JSON.stringify(odd),
      );
    const missing = await b.handle("GET", "/alert?id=2", { cookie });
    assert.equal(missing.status, 404);
    assert.match(textOf(missing), /No alert #2/);
    await b.close();
  });
});
