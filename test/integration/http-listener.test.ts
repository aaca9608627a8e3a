// The HTTP listener on a real loopback socket: routing, the body limit, nothing a client sends
// (garbage, an upload cut short, a route that throws) stopping it, a header Node refuses never
// turning done work into a 500, and HEAD on a stream answered with headers only.
import assert from "node:assert/strict";
import { createConnection } from "node:net";
import { startHttpListener, type HttpListener } from "../../src/http/listener.js";
import { LogLines } from "../helpers/spine.js";

function raw(port: number, bytes: string, end = true): Promise<string> {
  return new Promise((resolve) => {
    let reply = "";
    const socket = createConnection({ host: "127.0.0.1", port }, () =>
      end ? socket.end(bytes) : socket.write(bytes, () => socket.destroy()),
    );
    socket.on("data", (d: Buffer) => (reply += d.toString()));
    socket.on("close", () => resolve(reply));
    socket.on("error", () => resolve(reply));
  });
}

describe("http listener", function () {
  const logs = new LogLines();
  const answered: Array<[string, number]> = [];
  let listener: HttpListener;
  let base: string;

  before(async () => {
    listener = await startHttpListener(
      { host: "127.0.0.1", port: 0, maxBodyBytes: 1000 },
      { log: logs.logger, onAnswer: (path, status) => void answered.push([path, status]) },
    );
    listener.addRoute({
      method: "POST",
      path: "/echo",
      handle: (req) => ({ status: 200, json: { bytes: req.body.length } }),
    });
    listener.addRoute({
      method: "GET",
      path: "/boom",
      handle: () => {
        throw new Error("bug in a route");
      },
    });
    listener.addRoute({
      method: "GET",
      path: "/text",
      handle: () => ({ status: 200, text: "hello\n", contentType: "text/plain" }),
    });
    listener.addRoute({
      method: "POST",
      path: "/done",
      handle: () => {
        done += 1;
        return { status: 303, text: "", contentType: "text/plain", headers: { location: "/?source=€", "x-kept": "1" } };
      },
    });
    listener.addRoute({
      method: "GET",
      path: "/stream",
      handle: () => ({
        status: 200,
        stream: {
          status: 200,
          contentType: "text/event-stream",
          open: (writer) => {
            streamsOpened += 1;
            writer.write("data: hello\n\n");
            return () => undefined;
          },
        },
      }),
    });
    base = `http://127.0.0.1:${listener.address.port}`;
  });
  let done = 0;
  let streamsOpened = 0;

  after(() => listener.close());

  it("routes by path and method, and answers unknown ones with JSON 404 and 405", async () => {
    assert.deepEqual(await (await fetch(`${base}/echo`, { method: "POST", body: "x".repeat(1000) })).json(), {
      bytes: 1000,
    });
    assert.equal(await (await fetch(`${base}/text`)).text(), "hello\n");
    const head = await fetch(`${base}/text`, { method: "HEAD" });
    assert.deepEqual([head.status, await head.text()], [200, ""]);
    const missing = await fetch(`${base}/nope?x=1`);
    assert.deepEqual([missing.status, await missing.json()], [404, { error: "no such path: /nope" }]);
    const wrong = await fetch(`${base}/echo`, { method: "DELETE" });
    assert.deepEqual(
      [wrong.status, wrong.headers.get("allow"), await wrong.json()],
      [405, "POST", { error: "DELETE is not allowed on /echo (allowed: POST)" }],
    );
    assert.throws(
      () => listener.addRoute({ method: "POST", path: "/echo", handle: () => ({ status: 200, json: {} }) }),
      /already taken/,
    );
  });

  it("refuses a body over the limit with 413, declared or streamed, without reading it all", async () => {
    const declared = await fetch(`${base}/echo`, { method: "POST", body: "x".repeat(1001) });
    assert.deepEqual(
      [declared.status, await declared.json()],
      [413, { error: "request body over 1000 bytes (http.max_body_bytes)" }],
    );
    const chunked = await raw(
      listener.address.port,
      `POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3e8\r\n${"y".repeat(1000)}\r\n3e8\r\n${"y".repeat(1000)}\r\n0\r\n\r\n`,
    );
    assert.match(chunked, /^HTTP\/1\.1 413 /);
  });

  it("survives garbage, cut uploads and a route that throws (500, logged)", async () => {
    assert.match(await raw(listener.address.port, "\u0000\u0001 not http at all\r\n\r\n"), /^HTTP\/1\.1 400 /);
    await raw(listener.address.port, "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 900\r\n\r\nonly part", false);
    const boom = await fetch(`${base}/boom`);
    assert.deepEqual([boom.status, await boom.json()], [500, { error: "internal error; see AlertBot's log" }]);
    assert.equal(logs.withMsg("HTTP request failed").length, 1);
    assert.equal((await fetch(`${base}/text`)).status, 200, "still serving");
    assert.deepEqual(
      answered.filter(([p]) => p === "/boom"),
      [["/boom", 500]],
      "answers counted by route",
    );
  });

  it("drops a header Node refuses and still answers with the route's status: the work is done", async () => {
    const before = done;
    const moved = await fetch(`${base}/done`, { method: "POST", redirect: "manual" });
    assert.deepEqual([moved.status, moved.headers.get("location"), moved.headers.get("x-kept")], [303, null, "1"]);
    assert.equal(done, before + 1);
    assert.deepEqual(
      logs.withMsg("HTTP answer header dropped: not a valid header").map((l) => l["header"]),
      ["location"],
    );
  });

  it("answers HEAD on a stream with its headers and ends, without opening the stream", async () => {
    const head = await raw(listener.address.port, "HEAD /stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 200 [\s\S]*content-type: text\/event-stream/);
    const ended = await fetch(`${base}/stream`, { method: "HEAD" });
    assert.equal(ended.headers.get("content-type"), "text/event-stream");
    assert.equal(await ended.text(), "");
    assert.equal(streamsOpened, 0, "no stream was opened for HEAD");
    const controller = new AbortController();
    const get = await fetch(`${base}/stream`, { signal: controller.signal });
    const reader = get.body!.getReader();
    const first = (await reader.read()).value as Uint8Array;
    assert.equal(new TextDecoder().decode(first), "data: hello\n\n");
    assert.equal(streamsOpened, 1, "GET still opens it");
    controller.abort();
  });
});
