import assert from "node:assert/strict";
import { detailHtml, parsePluginOutput, statusOfExitCode } from "../../src/checks/run-command.js";
import { AGENT_DETAIL_MAX_BYTES } from "../../src/codec/fit-update.js";

describe("checks: Nagios plugin output and exit codes", () => {
  it("maps exit codes 0-3 to OK, WARNING, CRITICAL, UNKNOWN and anything else to UNKNOWN", () => {
    assert.deepEqual([0, 1, 2, 3, 4, 126, 127, 255, -1].map(statusOfExitCode), [
      "ok",
      "warning",
      "critical",
      "unknown",
      "unknown",
      "unknown",
      "unknown",
      "unknown",
      "unknown",
    ]);
  });

  const table: Array<[string, string, { summary: string; detail: string }]> = [
    [
      "one line",
      "DISK OK - free space: / 3326 MB (56%)\n",
      { summary: "DISK OK - free space: / 3326 MB (56%)", detail: "" },
    ],
    [
      "perfdata stripped",
      "DISK WARNING - / 90% | /=2643MB;5948;5958;0;5968\n",
      { summary: "DISK WARNING - / 90%", detail: "" },
    ],
    [
      "long text, perfdata in it and after it",
      "PING OK | rta=1ms\nline two\nline three | pl=0%\nmore=1\n",
      { summary: "PING OK", detail: "line two\nline three ".trimEnd() },
    ],
    ["CRLF and trailing blank lines", "LOAD OK\r\ndetail\r\n\r\n", { summary: "LOAD OK", detail: "detail" }],
    ["nothing", "", { summary: "", detail: "" }],
  ];
  for (const [name, stdout, expected] of table) {
    it(`splits output: ${name}`, () => assert.deepEqual(parsePluginOutput(stdout), expected));
  }

  it("bounds the summary to Mauve's 1024 characters", () => {
    const { summary } = parsePluginOutput("x".repeat(5000));
    assert.equal(summary.length, 1024);
    assert.ok(summary.endsWith("…"));
  });

  it("turns the long text into escaped, preformatted HTML", () => {
    assert.equal(detailHtml('a < b & "c"\n  d'), "<pre>a &lt; b &amp; &quot;c&quot;\n  d</pre>");
    assert.equal(detailHtml(""), "");
  });
});

describe("checks: a detail's bound holds after escaping", () => {
  it("keeps output that escapes six times longer within the agent's detail bound, in bytes", () => {
    const { detail } = parsePluginOutput(`CRITICAL\n${'"<>&é'.repeat(5_000)}`);
    const html = detailHtml(detail);
    assert.ok(Buffer.byteLength(html) <= AGENT_DETAIL_MAX_BYTES, `${Buffer.byteLength(html)} bytes`);
    assert.match(html, /^<pre>&quot;&lt;&gt;&amp;é.*…<\/pre>$/s);
    assert.doesNotMatch(html, /&[a-z]*…/, "no reference cut in two");
  });
});
