// The detail sanitiser, the plain-text renderer and the bounds on every text field.
import assert from "node:assert/strict";
import { CodecError } from "../../src/errors.js";
import { FIELD_LIMITS, MAX_TIME_S } from "../../src/codec/types.js";
import { charCount, foldLines, stripControls, truncateChars } from "../../src/codec/text.js";
import { sanitiseDetail, sanitiseHtml, toPlainText } from "../../src/codec/html.js";
import { sanitiseUpdate } from "../../src/codec/sanitise-update.js";
import { alert, update } from "../fixtures/codec/vectors.js";

const REL = 'rel="nofollow noopener noreferrer"';

// [what it shows, input, sanitised HTML]
const HTML_TABLE: readonly (readonly [string, string, string])[] = [
  [
    "keeps the safe subset",
    "<p>Disk <b>/</b> is <em>97%</em> full<br>see <code>df -h</code></p>",
    "<p>Disk <b>/</b> is <em>97%</em> full<br />see <code>df -h</code></p>",
  ],
  ["drops a script with its content", "a<script>alert(1)</script>b", "ab"],
  ["drops a script whatever its case and attributes", 'a<SCRIPT type="x">alert("</b>")</SCRIPT >b', "ab"],
  ["drops an unclosed script to the end", "a<script>alert(1)<p>rest", "a"],
  [
    "drops style, iframe and object with their content",
    "<style>p{}</style><iframe src=x>f</iframe><object><p>o</p></object>ok",
    "ok",
  ],
  ["drops nested objects with their content", "<object><object>in</object>still in</object>out", "out"],
  [
    "drops svg and math, which may carry scripts",
    '<svg onload="x"><script>y</script><p>s</p></svg><math>m</math>ok',
    "ok",
  ],
  ["drops embed and img tags", '<embed src="x.swf">a<img src=x onerror="alert(1)">b', "ab"],
  ["drops on* attributes", '<p onclick="x()" ONMOUSEOVER=y>hi</p>', "<p>hi</p>"],
  ["drops style, class and unknown attributes", '<b style="x" class="y" id="z">hi</b>', "<b>hi</b>"],
  [
    "keeps http, https and mailto links, with a safe rel",
    '<a href="https://x.example/a?b=1&amp;c=2" title="T">x</a><a href=mailto:ops@example.net>m</a>',
    `<a href="https://x.example/a?b=1&amp;c=2" title="T" ${REL}>x</a><a href="mailto:ops@example.net" ${REL}>m</a>`,
  ],
  ["unwraps a javascript: link", '<a href="javascript:alert(1)">x</a>', "x"],
  [
    "sees through entities and whitespace in a scheme",
    '<a href="&#106;ava&#x09;script:alert(1)">x</a><a href=" java\nscript:y">z</a>',
    "xz",
  ],
  [
    "unwraps data: and relative links",
    '<a href="data:text/html;base64,PHNjcmlwdD4=">d</a><a href="/admin">r</a>',
    "dr",
  ],
  [
    "drops a second href",
    '<a href="https://a.example" href="javascript:x">a</a>',
    `<a href="https://a.example" ${REL}>a</a>`,
  ],
  ["judges only the first href, as browsers do", '<a href="javascript:x" href="https://a.example">a</a>', "a"],
  [
    "escapes attribute values",
    '<a href="https://a.example/&quot;onclick=&quot;" title=\'"><script>\'>a</a>',
    `<a href="https://a.example/&quot;onclick=&quot;" title="&quot;&gt;&lt;script&gt;" ${REL}>a</a>`,
  ],
  ["closes unclosed tags", "<p><b>bold <i>both", "<p><b>bold <i>both</i></b></p>"],
  ["closes inner tags when an outer one ends", "<b><i>x</b>y</i>", "<b><i>x</i></b>y"],
  ["ignores stray end tags", "</p>a</div>b</b>", "ab"],
  [
    "closes list items and cells as HTML does",
    "<ul><li>a<li>b</ul><table><tr><td>1<td>2</table>",
    "<ul><li>a</li><li>b</li></ul><table><tr><td>1</td><td>2</td></tr></table>",
  ],
  [
    "keeps only numeric colspans",
    '<table><tr><td colspan="2" rowspan="x">a</td></tr></table>',
    '<table><tr><td colspan="2">a</td></tr></table>',
  ],
  ["escapes a bare < and >", "load < 5 && temp > 3", "load &lt; 5 &amp;&amp; temp &gt; 3"],
  [
    "normalises entities",
    "&lt;b&gt; &amp;amp; &#65;&#x42; &nbsp;&hellip; &bogus; &#0;",
    "&lt;b&gt; &amp;amp; AB \u00A0… &amp;bogus; \uFFFD",
  ],
  ["decodes every named entity HTML knows", "caf&eacute; &Omega; &rarr; &frac12;", "café Ω → ½"],
  ["doesn't mistake prototype names for entities", "&constructor; &toString;", "&amp;constructor; &amp;toString;"],
  [
    "drops noscript with its content, whatever its attributes hide",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "",
  ],
  [
    "drops comments, doctypes and processing instructions",
    "a<!-- <script>x</script> -->b<!DOCTYPE html>c<?php x ?>d",
    "abcd",
  ],
  ["drops an unterminated tag, as browsers do", 'a<b title="x>b', "a"],
  ["strips control characters but keeps newlines and tabs", "a\u0000b\u0007c\r\nd\te\u009b", "abc\nd\te"],
  ["drops disallowed tags but keeps their text", "<form><input value=x><marquee>hi</marquee></form>", "hi"],
  ["keeps text inside nested unknown tags", "<custom-el><x-y>deep</x-y></custom-el>", "deep"],
];

// [what it shows, input, plain text]
const PLAIN_TABLE: readonly (readonly [string, string, string])[] = [
  ["removes tags and decodes entities", "<p>Disk <b>/</b> is 97% &amp; rising</p>", "Disk / is 97% & rising"],
  ["drops scripts and styles with their content", "a<script>x()</script><style>p{}</style>b", "ab"],
  ["breaks lines at blocks and <br>", "<p>one</p><p>two<br>three</p>", "one\n\ntwo\nthree"],
  ["renders list items with dashes", "<ul><li>one</li><li>two</li></ul>", "- one\n- two"],
  ["shows a link's target after its text", '<a href="https://g.example/d">graphs</a>', "graphs <https://g.example/d>"],
  [
    "doesn't repeat a target the text already shows",
    '<a href="https://g.example">https://g.example</a> <a href="mailto:a@b.c">a@b.c</a>',
    "https://g.example a@b.c",
  ],
  ["hides unsafe targets", '<a href="javascript:x">click</a>', "click"],
  ["collapses spaces but keeps plain-text lines", "line one  \n  line\t two\n\n\n\nend", "line one\nline two\n\nend"],
  ["strips control characters", "a\u0000b\u001bc", "abc"],
  ["decodes every named entity HTML knows", "<p>caf&eacute; &Omega; &frac12;</p>", "café Ω ½"],
];

describe("codec detail sanitiser", () => {
  for (const [what, input, expected] of HTML_TABLE) {
    it(`${what}`, () => {
      const out = sanitiseHtml(input);
      assert.equal(out, expected);
      assert.equal(sanitiseHtml(out), out, "sanitising twice changes nothing");
    });
  }

  it("gives text with no markup, reference or escaped character what the full sanitiser gives it", () => {
    // Such text takes a short way (no parser); inside a <p> the same text takes the full one.
    const alphabet = ["a", "Z", "0", " ", '"', "'", "=", "/", ";", "#", "\n", "\t", "\r", "\r\n", "\u0001", "\u007f"];
    const more = ["é", "\u00a0", "\u0085", "\u2028", "\u202e", "\ud800", "\udc00", "😀", "\uffff"];
    const letters = [...alphabet, ...more];
    let seed = 17;
    const next = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    let compared = 0;
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: next(14) }, () => letters[next(letters.length)]!).join("");
      if (stripControls(text) === "") continue; // an empty <p> is dropped: nothing to compare
      assert.equal(sanitiseHtml(`<p>${text}</p>`), `<p>${sanitiseHtml(text)}</p>`, JSON.stringify(text));
      compared++;
    }
    assert.ok(compared > 2000, `compared ${compared}`);
    assert.equal(sanitiseHtml(""), "");
    assert.equal(sanitiseHtml("load > 5"), "load &gt; 5", "an escaped character takes the full way");
  });

  it("limits nesting depth but keeps the text", () => {
    const out = sanitiseHtml(`${"<b>".repeat(100)}deep`);
    assert.equal(out, `${"<b>".repeat(32)}deep${"</b>".repeat(32)}`);
  });

  it("bounds a long detail without splitting a tag or an entity, and keeps it balanced", () => {
    const long = `<p>${"<b>x &amp; y</b> ".repeat(5000)}</p>`;
    const { html, truncated } = sanitiseDetail(long, FIELD_LIMITS.detail);
    assert.ok(truncated);
    assert.ok(charCount(html) <= FIELD_LIMITS.detail);
    assert.ok(html.endsWith("…</p>") || html.endsWith("…</b></p>"), html.slice(-20));
    assert.equal(sanitiseHtml(html), html);
    assert.deepEqual(sanitiseDetail("<b>short</b>", FIELD_LIMITS.detail), { html: "<b>short</b>", truncated: false });
  });

  it("bounds a detail whose escaping makes it grow", () => {
    const { html } = sanitiseDetail("<".repeat(60_000), FIELD_LIMITS.detail);
    assert.ok(charCount(html) <= FIELD_LIMITS.detail);
    assert.match(html, /^(&lt;)+…$/);
  });
});

describe("codec toPlainText", () => {
  for (const [what, input, expected] of PLAIN_TABLE) {
    it(`${what}`, () => assert.equal(toPlainText(input), expected));
  }
});

describe("codec text bounds", () => {
  it("strips control and bidi characters from plain text, keeping \\n and \\t", () => {
    assert.equal(stripControls("a\u0000b\u202Ec\td\r\ne\u0085"), "abc\td\ne");
    assert.equal(stripControls("a\tb\nc", false), "abc");
    assert.equal(stripControls("x\uD800y"), "x\uFFFDy");
  });

  it("leaves printable ASCII as it is, as the full passes do", () => {
    // Printable ASCII skips the passes; with one character they remove beside it, it takes them.
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join("");
    for (const text of [printable, ` ${printable} `, "web1 tick: tick 3", ""]) {
      assert.equal(stripControls(text), text);
      assert.equal(stripControls(`${text}\u0001`), text);
      assert.equal(stripControls(`\u202e${text}`, false), text);
      assert.equal(foldLines(text), text);
      assert.equal(foldLines(`${text}\u202e`), text);
    }
  });

  it("truncates by code points, never splitting a surrogate pair", () => {
    assert.equal(truncateChars("🔥🔥🔥", 2), "🔥🔥");
    assert.equal(charCount("🔥a"), 2);
  });

  it("truncates over-long fields at Mauve's limits and notes it, without the content", () => {
    const { update: clean, notes } = sanitiseUpdate(
      update({
        transmissionId: 1n,
        source: "s".repeat(FIELD_LIMITS.source),
        alerts: [alert({ id: "i".repeat(300), subject: "S".repeat(513), summary: "🔥".repeat(1100) })],
      }),
    );
    const [a] = clean.alerts;
    assert.equal(a?.id.length, FIELD_LIMITS.id);
    assert.equal(a?.subject.length, FIELD_LIMITS.subject);
    assert.equal(charCount(a?.summary ?? ""), FIELD_LIMITS.summary);
    assert.deepEqual(notes, [
      "alert[0].id: truncated from 300 to 256 characters",
      "alert[0].subject: truncated from 513 to 512 characters",
      "alert[0].summary: truncated from 1100 to 1024 characters",
    ]);
  });

  it("reads a time after 9999-12-31 as then, and notes it; keeps that time itself", () => {
    // A JavaScript Date ends in the year 275760: such a time threw wherever it was shown or logged.
    const far = Number.MAX_SAFE_INTEGER;
    const { update: clean, notes } = sanitiseUpdate(
      update({
        transmissionId: 1n,
        source: "web1",
        transmissionTimeS: far,
        alerts: [
          alert({ id: "a", raiseTimeS: far, clearTimeS: MAX_TIME_S + 1, suppressUntilS: far }),
          alert({ id: "b", raiseTimeS: MAX_TIME_S }),
        ],
      }),
    );
    assert.equal(new Date(MAX_TIME_S * 1000).toISOString(), "9999-12-31T23:59:59.000Z");
    const [a, b] = clean.alerts;
    assert.deepEqual([a?.raiseTimeS, a?.clearTimeS, a?.suppressUntilS], [MAX_TIME_S, MAX_TIME_S, MAX_TIME_S]);
    assert.equal(b?.raiseTimeS, MAX_TIME_S);
    assert.equal(clean.transmissionTimeS, MAX_TIME_S);
    assert.deepEqual(notes, [
      "alert[0].raise_time: after 9999-12-31, read as then",
      "alert[0].clear_time: after 9999-12-31, read as then",
      "alert[0].suppress_until: after 9999-12-31, read as then",
      "transmission_time: after 9999-12-31, read as then",
    ]);
  });

  it("keeps text at exactly the limit untouched", () => {
    const summary = "x".repeat(FIELD_LIMITS.summary);
    const { update: clean, notes } = sanitiseUpdate(
      update({ transmissionId: 1n, source: "s", alerts: [alert({ id: "a", summary })] }),
    );
    assert.equal(clean.alerts[0]?.summary, summary);
    assert.deepEqual(notes, []);
  });

  it("strips every control character from ids, and notes it; refuses a source that would need it (an identity is never altered)", () => {
    const { update: clean, notes } = sanitiseUpdate(
      update({
        transmissionId: 1n,
        source: "web1",
        alerts: [alert({ id: "disk\t/", summary: "two\nlines", subject: "a\u0007b" })],
      }),
    );
    assert.deepEqual(clean.alerts[0], alert({ id: "disk/", summary: "two lines", subject: "a b" }));
    assert.deepEqual(notes, ["alert[0].id: control characters removed"]);
    for (const source of ["web1\n", "web1\t", "\u202eweb1", "w".repeat(FIELD_LIMITS.source + 1)]) {
      assert.throws(() => sanitiseUpdate(update({ transmissionId: 1n, source })), CodecError, JSON.stringify(source));
    }
  });

  it("removes line and paragraph separators from ids, and refuses a source holding one", () => {
    const { update: clean } = sanitiseUpdate(
      update({ transmissionId: 1n, source: "web1", alerts: [alert({ id: "disk\u2029Bcc: x" })] }),
    );
    assert.equal(clean.alerts[0]?.id, "diskBcc: x");
    assert.throws(() => sanitiseUpdate(update({ transmissionId: 1n, source: "web1\u2028" })), CodecError);
  });

  it("reduces HTML in subject and summary to text as Mauve does (only detail is HTML), entities decoded", () => {
    const cases: Array<[string, string]> = [
      ["café <b>bold</b>", "café bold"],
      ["R&amp;D &lt;b&gt; &#233;t&#xE9; &#x263A; &hellip;", "R&D <b> été ☺ …"],
      ["caf&eacute; &Omega; <i>&frac12;</i>", "café Ω ½"],
      ["caf&eacute; AT&T &amp R&D", "café AT&T &amp R&D"],
      ["<p>disk</p><p>full</p>", "disk full"],
      ["a<br>b<script>alert(1)</script>c<!-- hidden -->", "a bc"],
      ['<a href="https://x.example/">graph</a>', "graph <https://x.example/>"],
      ["load < 5 and a<5 & b>2", "load < 5 and a<5 & b>2"],
    ];
    for (const [input, expected] of cases) {
      const { update: clean } = sanitiseUpdate(
        update({ transmissionId: 1n, source: "s", alerts: [alert({ id: "a", subject: input, summary: input })] }),
      );
      assert.deepEqual([clean.alerts[0]?.subject, clean.alerts[0]?.summary], [expected, expected], input);
    }
  });

  it("folds every line break and control in subject and summary into one space", () => {
    const breaks = [
      "\n",
      "\r",
      "\r\n",
      "\u2028",
      "\u2029",
      "\u0085",
      "\v",
      "\f",
      "\t",
      "\u0000",
      "\u001B",
      "\u009B",
      "&#10;",
      "<br>",
      " \n\n ",
    ];
    for (const br of breaks) {
      const input = `disk full${br}Bcc: attacker@example.org`;
      const { update: clean } = sanitiseUpdate(
        update({ transmissionId: 1n, source: "s", alerts: [alert({ id: "a", subject: input, summary: input })] }),
      );
      const want = "disk full Bcc: attacker@example.org";
      assert.deepEqual([clean.alerts[0]?.subject, clean.alerts[0]?.summary], [want, want], JSON.stringify(br));
    }
  });

  it("sanitises detail HTML in every alert", () => {
    const { update: clean } = sanitiseUpdate(
      update({
        transmissionId: 1n,
        source: "s",
        alerts: [alert({ id: "a", detail: '<img src=x onerror="alert(1)"><b>hi</b>' })],
      }),
    );
    assert.equal(clean.alerts[0]?.detail, "<b>hi</b>");
  });

  it("refuses an id or source that is empty once cleaned", () => {
    assert.throws(() => sanitiseUpdate(update({ transmissionId: 1n, source: "\u0000 " })), CodecError);
    assert.throws(
      () => sanitiseUpdate(update({ transmissionId: 1n, source: "s", alerts: [alert({ id: "\u202E" })] })),
      /alert\[0\] has an empty id/,
    );
  });
});
