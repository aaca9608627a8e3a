// Where a form came from, as the browser tells it: Sec-Fetch-Site first, then Origin against the
// board's public address (or the request's Host when none is set), and neither header let through.
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { fromBoardPage } from "../../src/web/same-origin.js";

const PROXIED = "https://alerts.example.org/";

describe("web board: requests from the board's own pages", () => {
  const cases: ReadonlyArray<[string, IncomingHttpHeaders, string | null, boolean | string]> = [
    ["a modern browser on the board", { "sec-fetch-site": "same-origin", host: "127.0.0.1:9095" }, null, true],
    [
      "another site, by fetch metadata",
      { "sec-fetch-site": "cross-site", origin: "http://127.0.0.1:9095" },
      null,
      "cross-site",
    ],
    ["a sibling site", { "sec-fetch-site": "same-site" }, PROXIED, "cross-site"],
    ["something the person did themselves", { "sec-fetch-site": "none" }, null, true],
    [
      "plain http on a LAN name: no fetch metadata, Origin = Host",
      { origin: "http://board.lan:9095", host: "board.lan:9095" },
      null,
      true,
    ],
    ["Origin with the default port", { origin: "http://board.lan", host: "board.lan:80" }, null, true],
    ["another site's Origin", { origin: "https://evil.example", host: "127.0.0.1:9095" }, null, "foreign-origin"],
    ["Origin null", { origin: "null", host: "127.0.0.1:9095" }, null, "foreign-origin"],
    [
      "behind the proxy: the proxy's origin",
      { origin: "https://alerts.example.org", host: "127.0.0.1:9095" },
      PROXIED,
      true,
    ],
    [
      "behind the proxy: the listener's own origin is not the board's",
      { origin: "http://127.0.0.1:9095", host: "127.0.0.1:9095" },
      PROXIED,
      "foreign-origin",
    ],
    [
      "behind the proxy: http for https",
      { origin: "http://alerts.example.org", host: "alerts.example.org" },
      PROXIED,
      "foreign-origin",
    ],
    ["no Host to compare with", { origin: "http://board.lan" }, null, "foreign-origin"],
    ["neither header: curl, scripts, browsers older than both", { host: "127.0.0.1:9095" }, null, true],
  ];
  for (const [name, headers, url, want] of cases)
    it(name, () => {
      const verdict = fromBoardPage(headers, url);
      assert.deepEqual(verdict.ok ? true : verdict.reason, want);
    });
});
