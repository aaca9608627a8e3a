// Pubsub item content (base64 protobuf beside a readable line) and source <-> node names.
import assert from "node:assert/strict";
import { CodecError } from "../../src/errors.js";
import { payloadBytes, unwrapPayload, wrapPayload } from "../../src/codec/payload.js";
import { decodeUpdateWithNotes, encodeUpdate } from "../../src/codec/protobuf.js";
import { nodeNameToSource, sourceToNodeName } from "../../src/codec/source-name.js";
import { summariseUpdate } from "../../src/codec/summary.js";
import { VECTORS, alert, update } from "../fixtures/codec/vectors.js";

const NOW = 1_700_000_000;

describe("codec payload", () => {
  it("wraps an update as base64 protobuf with a readable line, and unwraps it exactly", () => {
    for (const { expected } of VECTORS) {
      const payload = wrapPayload(expected);
      assert.deepEqual(Object.keys(payload).sort(), ["data", "text"]);
      assert.deepEqual(Buffer.from(payload.data, "base64"), Buffer.from(encodeUpdate(expected)));
      assert.deepStrictEqual(unwrapPayload(payload), expected);
    }
  });

  it("gives the protobuf bytes for callers that want the decoder's notes", () => {
    const long = update({
      transmissionId: 3n,
      source: "web1",
      alerts: [alert({ id: "a", summary: "x".repeat(2000) })],
    });
    const { update: decoded, notes } = decodeUpdateWithNotes(payloadBytes(wrapPayload(long)));
    assert.equal(decoded.alerts[0]?.summary.length, 1024);
    assert.deepEqual(notes, ["alert[0].summary: truncated from 2000 to 1024 characters"]);
  });
});

describe("codec summary line", () => {
  it("reads as the design's example", () => {
    const u = update({
      transmissionId: 1n,
      source: "web1",
      transmissionTimeS: NOW,
      alerts: [alert({ id: "disk-full", summary: "Disk / is 97% full" }), alert({ id: "load", clearTimeS: NOW })],
    });
    assert.equal(wrapPayload(u).text, 'web1: 2 alerts — RAISE disk-full "Disk / is 97% full"; CLEAR load');
  });

  it("shows a heartbeat as cleared now and raised later", () => {
    const beat = alert({ id: "heartbeat", clearTimeS: NOW, raiseTimeS: NOW + 600 });
    assert.equal(
      summariseUpdate(update({ transmissionId: 1n, source: "web1", transmissionTimeS: NOW, alerts: [beat] })),
      "web1: 1 alert — CLEAR heartbeat (RAISE in 10m)",
    );
    // Without a transmission time the earliest time stands for "now".
    assert.equal(
      summariseUpdate(update({ transmissionId: 1n, source: "web1", alerts: [beat] })),
      "web1: 1 alert — CLEAR heartbeat (RAISE in 10m)",
    );
  });

  it("shows scheduled raises and clears", () => {
    const u = update({
      transmissionId: 1n,
      source: "cron",
      transmissionTimeS: NOW,
      alerts: [
        alert({ id: "backup", raiseTimeS: NOW + 7200 }),
        alert({ id: "disk", clearTimeS: NOW + 30 }),
        alert({ id: "old", raiseTimeS: NOW - 99 }),
      ],
    });
    assert.equal(summariseUpdate(u), "cron: 3 alerts — RAISE in 2h backup; RAISE disk (CLEAR in 30s); RAISE old");
  });

  it("says what an empty replace does, and marks a replace", () => {
    assert.equal(
      summariseUpdate(update({ transmissionId: 1n, source: "batch", replace: true })),
      "batch: replace with 0 alerts — clears all",
    );
    assert.equal(summariseUpdate(update({ transmissionId: 1n, source: "batch" })), "batch: 0 alerts");
    const one = update({ transmissionId: 1n, source: "batch", replace: true, alerts: [alert({ id: "a" })] });
    assert.equal(summariseUpdate(one), "batch: 1 alert (replace) — RAISE a");
  });

  it("stays on one line within 300 characters, saying how many alerts it left out", () => {
    const alerts = Array.from({ length: 200 }, (_, i) =>
      alert({ id: `check-${i}`, summary: `problem\nnumber ${i} ${"x".repeat(100)}` }),
    );
    const text = summariseUpdate(update({ transmissionId: 1n, source: "web1", alerts }));
    assert.ok(text.length <= 300, `${text.length} characters`);
    assert.ok(!text.includes("\n"));
    assert.match(text, /^web1: 200 alerts — RAISE check-0 "problem number 0 x+…"; .*; \+19\d more$/);
  });

  it("bounds long ids, summaries and sources, and drops control characters", () => {
    const u = update({
      transmissionId: 1n,
      source: `s\u0007${"s".repeat(500)}`,
      alerts: [alert({ id: "i".repeat(300), summary: "y".repeat(1000) })],
    });
    const text = summariseUpdate(u);
    assert.ok(text.length <= 300);
    // eslint-disable-next-line no-control-regex -- looking for control characters the codec must strip
    assert.ok(!/[\u0000-\u001f]/.test(text));
  });
});

describe("codec node names", () => {
  it("puts each source under mauve/alerts/, and reads it back", () => {
    assert.equal(sourceToNodeName("web1"), "mauve/alerts/web1");
    assert.equal(nodeNameToSource("mauve/alerts/web1"), "web1");
  });

  it("keeps every name the source rule allows, case included", () => {
    for (const source of ["web1", "WEB1.example.org", "db_replica-2", "a".repeat(512)]) {
      assert.equal(nodeNameToSource(sourceToNodeName(source)), source);
    }
  });

  it("returns undefined for nodes that aren't ours", () => {
    for (const node of [
      "mauve/alerts/",
      "mauve/audit",
      "other/mauve/alerts/x",
      "Mauve/alerts/x",
      "",
      "mauve/alerts/web1 ",
      "mauve/alerts/db/replica",
    ]) {
      assert.equal(nodeNameToSource(node), undefined, node);
    }
  });

  it("refuses a source no decoded update could have", () => {
    for (const source of ["", "web1\n", "a".repeat(513), "db/replica 2", "🔥"])
      assert.throws(() => sourceToNodeName(source), CodecError);
  });
});
