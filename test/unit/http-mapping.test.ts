import assert from "node:assert/strict";
import { statusLine } from "../../src/agent/status-line.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { ConfigError } from "../../src/errors.js";
import { stripControls } from "../../src/codec/text.js";
import {
  alertsBySource,
  alertIdOf,
  readWebhook,
  sourceOf,
  toMauveAlert,
  truncatedAlerts,
} from "../../src/http/alertmanager.js";
import type { AlertmanagerMapping } from "../../src/http/http-config.js";
import { ingestRoutes, packUpdates } from "../../src/http/ingest-routes.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { createLogger } from "../../src/log.js";
import { readJsonUpdate } from "../../src/http/json-update.js";
import { rejectionClass } from "../../src/http/metrics.js";
import { encodeUpdate } from "../../src/codec/protobuf.js";
import type { Alert, AlertUpdate } from "../../src/codec/types.js";

const BASE = `xmpp:
  component: alertbot.example.org
  secret: s3cret-component
  pubsub: pubsub.example.org
database: /tmp/x.sqlite
people:
  - { name: alice, jid: alice@example.org }
`;

function load(httpYaml: string, env: Record<string, string> = {}) {
  return loadBotConfig(`${BASE}${httpYaml}`, { file: "alertbot.yaml", env });
}

function problems(httpYaml: string): string {
  try {
    load(httpYaml);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail("expected the config to be refused");
}

const mapping = (): AlertmanagerMapping => load("http: {}\n").http!.alertmanager;

describe("http config", () => {
  it("is off by default, and on loopback with the documented defaults when given", () => {
    assert.equal(load("").http, null);
    const http = load("http: {}\n").http!;
    assert.deepEqual(
      [http.host, http.port, http.maxBodyBytes, http.metrics, http.tokens.length],
      ["127.0.0.1", 9095, 16 * 1024 * 1024, true, 0],
    );
    assert.deepEqual(http.alertmanager.sourceLabels, ["instance", "job"]);
    assert.equal(http.alertmanager.importance["critical"], 80);
  });

  it("reads tokens like every secret, and never prints them", () => {
    const http = load(
      `http:\n  listen: "[::1]:0"\n  tokens:\n    - { name: am, token_env: AM_TOKEN, sources: ["*"] }\n`,
      { AM_TOKEN: "tok-123456" },
    ).http!;
    assert.deepEqual([http.host, http.port], ["::1", 0]);
    assert.equal(http.tokens[0]!.token.reveal(), "tok-123456");
    assert.ok(!JSON.stringify(http).includes("tok-123456"));
  });

  it("names the key of every mistake", () => {
    const text = problems(`http:
  listen: "localhost:80"
  max_body_bytes: 10
  tokens:
    - { name: a, token: same-token, sources: ["/(a+)\\\\1/"] }
    - { name: b, token: same-token, sources: [] }
  alertmanager:
    source_labels: ["not a label"]
    importance: { critical: high }
    colour: red
`);
    for (const key of [
      "http.listen",
      "http.max_body_bytes",
      "http.tokens[0].sources[0]",
      "http.tokens[1].sources",
      "http.alertmanager.source_labels[0]",
      "http.alertmanager.importance.critical",
      "http.alertmanager.colour",
    ]) {
      assert.ok(text.includes(`${key}:`), `${key} in:\n${text}`);
    }
    assert.ok(!text.includes("same-token"), "the secret is not quoted");
    assert.match(
      problems(
        `http:\n  tokens:\n    - { name: a, token: same-token, sources: ["*"] }\n    - { name: b, token: same-token, sources: ["*"] }\n`,
      ),
      /http\.tokens\[1\]\.token: the same token as a/,
    );
  });
});

describe("Alertmanager mapping", () => {
  it("takes the source from instance (port dropped), else job, else the default; any value becomes a valid source", () => {
    const m = mapping();
    assert.deepEqual(sourceOf({ instance: "web1:9100", job: "node" }, m), { source: "web1", label: "instance" });
    assert.deepEqual(sourceOf({ instance: "[2001:db8::1]:9100" }, m), { source: "2001_db8__1", label: "instance" });
    assert.deepEqual(sourceOf({ job: "black box/http" }, m), { source: "black_box_http", label: "job" });
    assert.deepEqual(sourceOf({ instance: "", alertname: "X" }, m), { source: "alertmanager", label: null });
    assert.equal(sourceOf({ instance: "wéb1" }, m).source, "w_b1", "no look-alike letters");
  });

  it("makes ids from alertname and the other labels, the same on every repeat, bounded", () => {
    const m = mapping();
    const labels = { alertname: "DiskFull", instance: "web1:9100", severity: "critical", device: "sda1" };
    assert.equal(alertIdOf(labels, m, "instance"), "DiskFull{device=sda1,severity=critical}");
    assert.equal(
      alertIdOf({ severity: "critical", device: "sda1", instance: "web1:9100", alertname: "DiskFull" }, m, "instance"),
      "DiskFull{device=sda1,severity=critical}",
      "label order does not matter",
    );
    assert.equal(alertIdOf(labels, { ...m, idLabels: ["device", "missing"] }, "instance"), "DiskFull{device=sda1}");
    const long = alertIdOf({ alertname: "X", path: "p".repeat(300) }, m, null);
    assert.ok(long.length <= 200 && long.startsWith("X{#"), long);
    assert.notEqual(long, alertIdOf({ alertname: "X", path: "q".repeat(300) }, m, null));
  });

  // Alerts with different labels are different alerts: one id for two of them and the second is
  // never told, and the first is told CLEARED when the second resolves.
  it("gives different labels different ids, whatever characters the values, names and alertname hold", () => {
    const m = mapping();
    const odd = [
      "",
      "1",
      ",",
      "=",
      "{",
      "}",
      '"',
      "\\",
      "\u0007",
      "\u2028",
      "\u202e",
      "#",
      " ",
      "\ud800",
      "a=1,b=2",
      '"x"',
    ];
    const seen = new Map<string, string>();
    const check = (labels: Record<string, string>): void => {
      const id = alertIdOf(labels, m, null);
      // What the codec would keep of it (control characters are stripped from ids).
      const kept = stripControls(id, false);
      const key = JSON.stringify(
        Object.entries(labels)
          .filter(([, v]) => v !== "")
          .sort(),
      );
      const before = seen.get(kept);
      assert.ok(before === undefined || before === key, `${key} and ${before} are both ${JSON.stringify(kept)}`);
      seen.set(kept, key);
    };
    for (const a of odd)
      for (const b of odd) {
        check({ alertname: `X${a}`, a: b });
        check({ alertname: "X", a, b });
        check({ alertname: `X${a}`, [`k${b}`]: "v" });
        check({ alertname: a + b });
        check({ alertname: "X", a: `${a}${b}` });
        check({ alertname: "X", a: "1", b: `${a}${b}` });
      }
    assert.equal(alertIdOf({ alertname: "Q", query: "a=1,b=2" }, m, null), 'Q{query="a=1,b=2"}');
    assert.equal(alertIdOf({ alertname: "Q", query: "a=1", b: "2" }, m, null), 'Q{b=2,query="a=1"}');
    assert.equal(alertIdOf({ alertname: "Bell\u0007" }, m, null), '"Bell\\u{7}"');
    assert.equal(alertIdOf({ job: "node" }, m, null), "{job=node}", "no alertname: its labels name it");
    // Through the source labels too: what becomes the source is left out of the id only when that
    // cannot make two alerts one.
    const keyed = new Map<string, string>();
    const values = [undefined, "web1", "web1:9100", "web1:9101", "web_1", "web 1", ""];
    for (const instance of values)
      for (const job of values)
        for (const other of [undefined, "web1"]) {
          const labels: Record<string, string> = { alertname: "Down" };
          if (instance !== undefined) labels["instance"] = instance;
          if (job !== undefined) labels["job"] = job;
          if (other !== undefined) labels["other"] = other;
          const [[source, [mauve]]] = [
            ...alertsBySource([{ status: "firing", labels, annotations: {}, generatorURL: "" }], m, 0),
          ] as [[string, Alert[]]];
          const key = `${source} ${mauve!.id}`;
          const what = JSON.stringify(
            Object.entries(labels)
              .filter(([, v]) => v !== "")
              .sort(),
          );
          const before = keyed.get(key);
          assert.ok(before === undefined || before === what, `${what} and ${before} are both ${key}`);
          keyed.set(key, what);
        }
    assert.equal(
      alertIdOf({ alertname: "Down", instance: "web1" }, m, "instance"),
      "Down",
      "the usual case stays short",
    );
    // Long: the digest covers the alertname too.
    const longName = (end: string) => alertIdOf({ alertname: "N".repeat(250) + end, a: "1" }, m, null);
    assert.notEqual(longName("x"), longName("y"));
  });

  it('reads only the importance table\'s own severities: a severity of "constructor" is one it does not list', () => {
    const m = mapping();
    for (const severity of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      const alert = {
        status: "firing" as const,
        labels: { alertname: "X", severity },
        annotations: {},
        generatorURL: "",
      };
      assert.equal(toMauveAlert(alert, m, null, 1).importance, 0, severity);
    }
  });

  it("maps severity, annotations, firing and resolved", () => {
    const m = mapping();
    const read = readWebhook({
      version: "4",
      status: "firing",
      alerts: [
        {
          status: "firing",
          labels: { alertname: "Load", severity: "warning" },
          annotations: { summary: "load is 12", description: "<b>hot</b>" },
          generatorURL: "http://prom/graph",
        },
        { status: "resolved", labels: { alertname: "Load", severity: "page-me" } },
      ],
    });
    assert.ok(read.ok);
    assert.deepEqual(read.value.refused, []);
    const [firing, resolved] = read.value.alerts.map((a) => toMauveAlert(a, m, null, 1000));
    assert.deepEqual(
      [firing!.raiseTimeS, firing!.clearTimeS, firing!.summary, firing!.importance],
      [1000, 0, "load is 12", 40],
    );
    assert.match(firing!.detail, /&lt;b&gt;hot&lt;\/b&gt;/);
    assert.match(firing!.detail, /<a href="http:\/\/prom\/graph">/);
    assert.deepEqual(
      [resolved!.raiseTimeS, resolved!.clearTimeS, resolved!.summary, resolved!.importance],
      [0, 1000, "Load", 0],
    );
  });

  it("refuses payloads that are not version 4, naming the field", () => {
    const cases: Array<[unknown, string]> = [
      [[], "expected a JSON object (Alertmanager's webhook payload)"],
      [{ version: "3", alerts: [] }, 'expected "version": "4" (Alertmanager\'s webhook payload), got "3"'],
      [{ version: "4" }, 'expected "alerts" to be a list'],
    ];
    for (const [body, problem] of cases) assert.deepEqual(readWebhook(body), { ok: false, problem });
  });

  it("leaves out only the alerts it cannot read, naming the field, and keeps the others", () => {
    const good = { status: "firing", labels: { alertname: "Up", instance: "web1:9100" } };
    const read = readWebhook({
      version: "4",
      alerts: [
        { status: "firing", labels: { alertname: 5 } },
        good,
        { status: "pending", labels: {} },
        "x",
        { status: "firing", labels: { alertname: "A" }, annotations: { summary: 1 } },
        { status: "resolved", labels: { job: "x" } },
      ],
    });
    assert.ok(read.ok);
    assert.deepEqual(read.value.refused, [
      "alerts[0].labels.alertname: expected a string",
      'alerts[2].status: expected "firing" or "resolved", got "pending"',
      "alerts[3]: expected an object",
      "alerts[4].annotations.summary: expected a string",
    ]);
    assert.deepEqual(
      read.value.alerts.map((a) => a.labels),
      [good.labels, { job: "x" }],
      "an alert with no alertname is kept: its labels name it",
    );
  });

  it("notices alerts Alertmanager left out (max_alerts)", () => {
    assert.equal(truncatedAlerts({ version: "4", truncatedAlerts: 12, alerts: [] }), 12);
    assert.equal(truncatedAlerts({ version: "4", truncatedAlerts: 0, alerts: [] }), 0);
    assert.equal(truncatedAlerts({ truncatedAlerts: "many" }), 0);
  });
});

describe("JSON updates", () => {
  it('reads Mauve\'s fields, with "now" for times', () => {
    const read = readJsonUpdate(
      {
        source: "backup1",
        alerts: [{ id: "nightly", summary: "failed", importance: 80, clear_time: "now", raise_time: 2000 }],
        transmission_id: "18446744073709551557",
      },
      1500,
    );
    assert.ok(read.ok);
    assert.deepEqual(read.value.alerts[0], {
      id: "nightly",
      raiseTimeS: 2000,
      clearTimeS: 1500,
      subject: "",
      summary: "failed",
      detail: "",
      importance: 80,
      suppressUntilS: 0,
    });
    assert.equal(read.value.transmissionId, 18446744073709551557n);
  });

  it("refuses what it cannot read, naming the field", () => {
    const cases: Array<[unknown, string]> = [
      [{ alerts: [] }, "source: expected a non-empty string"],
      [{ source: "a", alerts: [] }, 'alerts: expected at least one alert (or "replace": true to clear the source)'],
      [
        { source: "a", alerts: [{ id: "x" }], colour: 1 },
        "colour: unknown field (expected one of: source, replace, alerts, transmission_id)",
      ],
      [
        { source: "a", alerts: [{ id: "x", raise_time: "tomorrow" }] },
        'alerts[0].raise_time: expected UNIX seconds or "now", got "tomorrow"',
      ],
      [
        { source: "a", alerts: [{ id: "x", importance: -1 }] },
        "alerts[0].importance: expected a whole number from 0 to 4294967295",
      ],
      [
        { source: "a", alerts: [{ id: "x" }], transmission_id: 12 },
        "transmission_id: expected a decimal string of a 64-bit number (as a string: JSON numbers lose digits past 2^53)",
      ],
    ];
    for (const [body, problem] of cases) assert.deepEqual(readJsonUpdate(body, 0), { ok: false, problem });
  });
});

describe("packing posted alerts into updates", () => {
  const alert = (i: number, detail = "") => ({
    id: `a${i}`,
    raiseTimeS: 1,
    clearTimeS: 0,
    subject: "",
    summary: `summary ${i}`,
    detail,
    importance: 0,
    suppressUntilS: 0,
  });

  it("splits what does not fit in 64 KiB, each part sanitised by the decoder", () => {
    const alerts = Array.from({ length: 1000 }, (_, i) => alert(i, `<p onclick="x()">${"d".repeat(300)}</p>`));
    const updates = packUpdates("web1", alerts, 1000);
    assert.ok(updates.length > 1);
    assert.deepEqual(
      updates.flatMap((u) => u.alerts.map((a) => a.id)),
      alerts.map((a) => a.id),
    );
    for (const u of updates) {
      assert.ok(encodeUpdate(u).length <= 65_536);
      assert.ok(
        u.alerts.every((a) => !a.detail.includes("onclick")),
        "active HTML stripped",
      );
    }
  });

  it("cuts a detail that alone passes the limit, and refuses an empty id", () => {
    const [one] = packUpdates("web1", [alert(1, "é".repeat(65_000))], 1000);
    assert.ok(one && one.alerts[0]!.detail.length < 65_000);
    assert.throws(() => packUpdates("web1", [{ ...alert(1), id: "\u0000" }], 1000), /empty id/);
  });
});

describe("metrics and status words", () => {
  it("classifies rejection reasons into a few stable words", () => {
    assert.equal(
      rejectionClass('source "web 1" has a space at character 4: a source name is made of ASCII letters'),
      "source-name",
    );
    assert.equal(rejectionClass('source "WEB1" differs only in letter case from the known source "web1"'), "lookalike");
    assert.equal(rejectionClass('source "web1" does not match node "mauve/alerts/web2"'), "node-mismatch");
    assert.equal(rejectionClass('publisher a@x is not the owner (b@x) of source "web1"'), "not-owner");
    assert.equal(rejectionClass("something new"), "other");
  });

  it("the agent's status names its outbox when anything waits in it", () => {
    assert.equal(statusLine([], 0), "OK: nothing raised");
    assert.equal(statusLine([], 12), "OK: nothing raised; outbox 12");
    const raised = ["a", "b", "c", "d"].map((id) => ({ id, state: "raised" as const }));
    assert.equal(statusLine(raised, 3), "4 raised: a, b, c and 1 more; outbox 3");
  });
});

describe("ingest routes", () => {
  const TOKEN = "tok-123456789012345678901234";
  const config = load(`http:\n  tokens:\n    - { name: am, token: ${TOKEN}, sources: ["*"] }\n`).http!;
  const post = async (body: unknown, route: "webhook" | "update" = "webhook") => {
    const applied: string[] = [];
    const updates: AlertUpdate[] = [];
    const warnings: Array<Record<string, unknown>> = [];
    const counted: Array<[number, number]> = [];
    const told: string[] = [];
    const log = createLogger({ sink: () => undefined });
    const [webhook, update] = ingestRoutes(config, {
      onWebhook: (alerts, refused) => counted.push([alerts, refused]),
      refused: (source, reason) => told.push(`${source}: ${reason}`),
      apply: (u) => {
        updates.push(u);
        applied.push(...u.alerts.map((a) => `${u.source} ${a.id}`));
        return Promise.resolve({ status: "applied", changes: [] });
      },
      clock: new FakeClock(Date.UTC(2026, 0, 5, 3, 0, 0)),
      log: { ...log, warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, ...fields }) },
    });
    const hook = route === "webhook" ? webhook! : update!;
    const answer = await hook.handle({
      method: "POST",
      path: hook.path,
      query: new URLSearchParams(),
      headers: { authorization: `Bearer ${TOKEN}` },
      body: Buffer.from(JSON.stringify(body)),
      remote: "127.0.0.1",
    });
    return { answer, applied, updates, warnings, counted, told };
  };

  it("keeps a port the source drops in the id: two exporters of one host firing the same alert are two alerts", async () => {
    const firing = (status: "firing" | "resolved", instance: string) => ({
      status,
      labels: { alertname: "RedisDown", job: "redis", severity: "critical", instance },
    });
    const { applied } = await post({
      version: "4",
      alerts: [firing("firing", "db1:9121"), firing("firing", "db1:9122")],
    });
    assert.deepEqual(applied, [
      "db1 RedisDown{instance=db1:9121,job=redis,severity=critical}",
      "db1 RedisDown{instance=db1:9122,job=redis,severity=critical}",
    ]);
    // A source label that is the source whole says nothing the source does not: left out, as before.
    const plain = await post({ version: "4", alerts: [firing("firing", "db1")] });
    assert.deepEqual(plain.applied, ["db1 RedisDown{job=redis,severity=critical}"]);
  });

  it("refuses an alert no receiver could key on its own: the other alerts of the webhook are applied", async () => {
    // Of spaces only; an alertname of control characters is written escaped now (alertIdOf) and keyed.
    for (const odd of [" ", "   "]) {
      const { answer, applied, warnings, counted, told } = await post({
        version: "4",
        alerts: [
          { status: "firing", labels: { alertname: "DiskFull", instance: "db1", device: "sda" } },
          { status: "firing", labels: { alertname: "NodeDown", instance: "web2" } },
          { status: "firing", labels: { alertname: odd, instance: "web3" } },
          { status: "firing", labels: { alertname: "Load", instance: "web3" } },
        ],
      });
      assert.deepEqual(applied, ["db1 DiskFull{device=sda}", "web2 NodeDown", "web3 Load"], JSON.stringify(odd));
      assert.equal(answer.status, 422);
      const json = ("json" in answer ? answer.json : null) as {
        error: string;
        applied: number;
        rejected: Array<{ source: string }>;
      };
      assert.equal(json.error, `alert ${JSON.stringify(odd)} of source web3 refused: it has an empty id`);
      assert.deepEqual([json.applied, json.rejected.length], [3, 1]);
      assert.deepEqual(counted, [[4, 1]]);
      assert.deepEqual(told, [`web3: alert ${JSON.stringify(odd)} of source web3 refused: it has an empty id`]);
      assert.deepEqual(
        warnings.map((w) => [w["msg"], w["source"]]),
        [["HTTP update rejected", "web3"]],
      );
    }
  });

  it("refuses a webhook alert it cannot read on its own, logged: the other alerts are applied (not a 400 Alertmanager never resends)", async () => {
    const { answer, applied, warnings, counted, told } = await post({
      version: "4",
      alerts: [
        { status: "firing", labels: { alertname: "DiskFull", instance: "db1", device: "sda" } },
        { status: "pending", labels: { alertname: "Soon", instance: "web2" } },
        { status: "firing", labels: { alertname: "Load", instance: "web3", cpus: 4 } },
        { status: "firing", labels: { job: "batch", instance: "web3" } },
      ],
    });
    assert.deepEqual(applied, ["db1 DiskFull{device=sda}", "web3 {job=batch}"]);
    assert.equal(answer.status, 422);
    const json = ("json" in answer ? answer.json : null) as { error: string; alerts: number; applied: number };
    assert.equal(json.error, 'alerts[1].status: expected "firing" or "resolved", got "pending"');
    assert.deepEqual([json.alerts, json.applied], [4, 2]);
    assert.deepEqual(counted, [[4, 2]], "received and refused, for /metrics");
    assert.deepEqual(
      told,
      [
        'alertmanager: alerts[1].status: expected "firing" or "resolved", got "pending"',
        "alertmanager: alerts[2].labels.cpus: expected a string",
      ],
      "AlertBot's alert about refused updates hears of them",
    );
    assert.deepEqual(
      warnings.map((w) => [w["msg"], w["reason"]]),
      [
        ["HTTP update rejected", 'alerts[1].status: expected "firing" or "resolved", got "pending"'],
        ["HTTP update rejected", "alerts[2].labels.cpus: expected a string"],
      ],
    );
  });

  it("cuts a long summary or detail posted as JSON, as the webhook and the agent do, rather than refuse the alert", async () => {
    const { answer, updates } = await post(
      {
        source: "backup1",
        alerts: [
          { id: "nightly", summary: "é".repeat(40_000), detail: `<pre>${"backup.log: a line\n".repeat(5_000)}</pre>` },
        ],
      },
      "update",
    );
    assert.equal(answer.status, 200, JSON.stringify("json" in answer ? answer.json : null));
    const [alert] = updates[0]!.alerts;
    assert.equal(alert!.summary, "é".repeat(1_024));
    assert.ok(
      alert!.detail.startsWith("<pre>backup.log: a line") && alert!.detail.length > 30_000,
      alert!.detail.slice(-80),
    );
    assert.ok(encodeUpdate(updates[0]!).length <= 65_536);
  });
});
