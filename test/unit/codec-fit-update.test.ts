import assert from "node:assert/strict";
import { AGENT_DETAIL_MAX_BYTES, fitAlert, packAlerts, planFullState } from "../../src/codec/fit-update.js";
import { boundDetailBytes } from "../../src/codec/html.js";
import { decodeUpdate, encodeUpdate, encodedAlertBytes } from "../../src/codec/protobuf.js";
import { utf8Bytes } from "../../src/codec/text.js";
import { MAX_UPDATE_BYTES, blankAlert, type Alert } from "../../src/codec/types.js";

const raised = (id: string, detail = "", summary = "CRITICAL"): Alert => ({
  ...blankAlert(id),
  raiseTimeS: 1000,
  summary,
  detail,
});
const cleared = (id: string, detail = ""): Alert => ({ ...blankAlert(id), clearTimeS: 1000, summary: "OK", detail });

const encode = (alerts: Alert[], replace: boolean): Uint8Array =>
  encodeUpdate({
    transmissionId: (1n << 64n) - 1n,
    source: "web1",
    replace,
    alerts,
    signature: new Uint8Array(),
    transmissionTimeS: 1000,
    sequence: (1n << 64n) - 1n,
  });

describe("codec: fitting alerts into 64 KiB updates", () => {
  it("counts an alert's bytes as the encoder writes them", () => {
    const a = raised("disk", "<pre>é</pre>".repeat(100));
    const b = cleared("load");
    assert.equal(encode([a, b], false).length - encode([], false).length, encodedAlertBytes(a) + encodedAlertBytes(b));
  });

  it("bounds a detail in bytes after escaping, keeping tags whole and closed", () => {
    const html = `<pre>${"&lt;é&gt;".repeat(10_000)}</pre>`;
    const out = boundDetailBytes(html, 1000);
    assert.ok(utf8Bytes(out) <= 1000, `${utf8Bytes(out)} bytes`);
    assert.match(out, /^<pre>.*…<\/pre>$/s);
    assert.doesNotMatch(out, /&[a-z]*…/);
    assert.equal(boundDetailBytes("<b>short</b>", 1000), "<b>short</b>");
  });

  it("fits any one alert, whatever its text, within the agent's detail bound", () => {
    const huge: Alert = { ...raised("x".repeat(300), "<p>" + "😀".repeat(70_000)), subject: "s".repeat(2000) };
    const fitted = fitAlert(huge, "web1");
    assert.ok(utf8Bytes(fitted.detail) <= AGENT_DETAIL_MAX_BYTES);
    assert.equal(fitted.id.length, 256);
    assert.ok(encode([fitted], false).length <= MAX_UPDATE_BYTES);
  });

  it("splits a batch into runs that each fit, in order", () => {
    const alerts = Array.from({ length: 12 }, (_, i) => raised(`c${i}`, `<pre>${"<&>".repeat(5000)}</pre>`));
    const runs = packAlerts("web1", alerts);
    assert.ok(runs.length > 1);
    assert.deepEqual(
      runs.flat().map((a) => a.id),
      alerts.map((a) => a.id),
    );
    for (const run of runs) assert.ok(encode(run, false).length <= MAX_UPDATE_BYTES);
  });

  it("sends a full state that fits as one replace update", () => {
    const plan = planFullState("web1", [raised("a", "<pre>x</pre>"), cleared("b")]);
    assert.equal(plan.shape, "whole");
    assert.deepEqual(
      plan.updates.map((u) => [u.replace, u.alerts.length]),
      [[true, 2]],
    );
  });

  it("sends a full state too big with texts as its texts first, then one replace with ids and states", () => {
    const alerts = [
      ...Array.from({ length: 5 }, (_, i) => raised(`r${i}`, `<pre>${"x".repeat(15_000)}</pre>`)),
      cleared("gone", "<pre>was bad</pre>"),
    ];
    const plan = planFullState("web1", alerts);
    assert.equal(plan.shape, "trimmed");
    const last = plan.updates.at(-1)!;
    assert.equal(last.replace, true);
    assert.ok(plan.updates.slice(0, -1).every((u) => !u.replace));
    assert.deepEqual(
      last.alerts.map((a) => [a.id, a.summary, a.detail, a.raiseTimeS]),
      alerts.map((a) => [a.id, "", "", a.raiseTimeS]),
    );
    // Every text went out before the replace.
    assert.deepEqual(
      plan.updates
        .slice(0, -1)
        .flatMap((u) => u.alerts)
        .map((a) => a.id),
      alerts.map((a) => a.id),
    );
    for (const u of plan.updates) assert.ok(encode(u.alerts, u.replace).length <= MAX_UPDATE_BYTES);
  });

  it("leaves cleared alerts out of a trimmed replace when even ids alone are too many", () => {
    const long = (p: string, i: number): string => `${p}${i}-${"i".repeat(200)}`;
    const alerts = [
      ...Array.from({ length: 200 }, (_, i) => raised(long("r", i))),
      ...Array.from({ length: 200 }, (_, i) => cleared(long("c", i))),
    ];
    const plan = planFullState("web1", alerts);
    assert.equal(plan.shape, "trimmed");
    const replace = plan.updates.at(-1)!;
    assert.deepEqual(
      replace.alerts.map((a) => a.id),
      alerts.slice(0, 200).map((a) => a.id),
    );
    for (const u of plan.updates) assert.ok(encode(u.alerts, u.replace).length <= MAX_UPDATE_BYTES);
  });

  it("falls back to plain updates carrying every state when the raised ids alone cannot fit", () => {
    const alerts = Array.from({ length: 400 }, (_, i) => raised(`r${i}-${"i".repeat(200)}`));
    const plan = planFullState("web1", alerts);
    assert.equal(plan.shape, "split");
    assert.ok(plan.updates.every((u) => !u.replace));
    assert.deepEqual(
      plan.updates.flatMap((u) => u.alerts).map((a) => a.id),
      alerts.map((a) => a.id),
    );
    for (const u of plan.updates) decodeUpdate(encode(u.alerts, u.replace));
  });
});
