// AlertBot's HTTP listener end to end: the real Prometheus Alertmanager (Debian's package) sending
// its webhook to a real AlertBot on a real Prosody, the curl examples of docs/integrations.md run
// as written, and /metrics scraped over HTTP.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startAlertmanager, type AlertmanagerHandle } from "../../alertmanager/launcher.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { alertmanagerConfig } from "../helpers/alertmanager.js";
import { scrape, sum, type Sample } from "../helpers/metrics.js";
import { REPO_ROOT } from "../helpers/process-child.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { waitFor } from "../helpers/wait-for.js";

// Never spawnSync here: the bot runs in this process and must answer while curl waits.
const run = promisify(execFile);

const TOKEN = "am-token-0123456789abcdef";
const BACKUP_TOKEN = "backup-token-fedcba9876543210";

/** The fenced `sh` blocks of docs/integrations.md under the heading `heading`, as written there. */
export function docBlocks(heading: string): string[] {
  const text = readFileSync(join(REPO_ROOT, "docs/integrations.md"), "utf8");
  const start = text.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/integrations.md has a "## ${heading}" section`);
  const end = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe("http: Alertmanager, JSON updates and /metrics into a real AlertBot", function () {
  this.timeout(180_000);
  const server = withProsody();
  const logs = new LogLines();
  let dir: string;
  let bot: RunningBot;
  let alice: PersonClient;
  let am: AlertmanagerHandle | undefined;
  let base: string;
  let agent: RunningAgent | undefined;
  const metrics = (): Promise<Sample[]> => scrape(`${base}/metrics`);

  before(async () => {
    dir = tempDir("mauve-http-");
    const tokenFile = join(dir, "alertmanager.token");
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    alice = await PersonClient.login(server(), "alice");
    bot = await startBot(server(), dir, ["alice"], logs.logger, {
      extraYaml: `http:
  listen: "127.0.0.1:0"
  max_body_bytes: 4194304
  tokens:
    - name: alertmanager
      token_file: ${tokenFile}
      sources: ["*"]
    - name: backups
      token: ${BACKUP_TOKEN}
      sources: ["backup*"]
  alertmanager:
    importance: { critical: 90, warning: 40 }
`,
    });
    base = `http://127.0.0.1:${bot.http!.address.port}`;
    am = await startAlertmanager({
      runDir: dir,
      config: alertmanagerConfig(`${base}/webhook/alertmanager`, tokenFile),
      logLevel: "debug",
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && am)
      console.error(`--- alertmanager output (tail) ---\n${(await am.readLog()).slice(-4000)}`);
  });

  after(async () => {
    await agent?.stop();
    await am?.stop();
    await bot?.stop();
    await alice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("Alertmanager: firing raises and tells alice once, its repeats tell nobody, resolved clears", async () => {
    const before = await metrics();
    const labels = { alertname: "DiskFull", instance: "web7:9100", severity: "critical", device: "sda1" };
    await am!.post([
      { labels, annotations: { summary: "/ is 97% full", description: "the root filesystem is nearly full" } },
    ]);
    const raised = await alice.expect(
      /^RAISED #\d+ web7 DiskFull\{device=sda1,instance=web7:9100,severity=critical\}/,
      30_000,
    );
    const shortId = Number(/#(\d+)/.exec(raised)![1]);

    const received = (s: Sample[]): number =>
      sum(s, "mauve_alertmanager_alerts_total") - sum(before, "mauve_alertmanager_alerts_total");
    await waitFor("Alertmanager to repeat the alert twice", async () => received(await metrics()) >= 3, 60_000);
    await alice.barrier(server().prosody.botJid);
    assert.deepEqual(
      alice.inbox.filter((m) => /RAISED/.test(m.body)).map((m) => m.body),
      [],
      "no second notice for the repeats",
    );

    const alert = bot.store.alerts.get(shortId)!;
    assert.deepEqual(
      [alert.source, alert.alertId, alert.status, alert.summary, alert.importance],
      ["web7", "DiskFull{device=sda1,instance=web7:9100,severity=critical}", "raised", "/ is 97% full", 90],
    );
    assert.match(alert.detail, /the root filesystem is nearly full/);
    const kinds = bot.store.alerts.history(shortId).map((h) => h.kind);
    assert.equal(kinds.filter((k) => k === "raised").length, 1, "raised once in its history");

    await am!.post([
      { labels, annotations: { summary: "/ is 97% full" }, endsAt: new Date(Date.now() - 1000).toISOString() },
    ]);
    await alice.expect(new RegExp(`^CLEARED #${shortId} web7`), 30_000);
    assert.equal(bot.store.alerts.get(shortId)!.status, "cleared");

    const after = await metrics();
    assert.ok(
      sum(after, "mauve_updates_total", { via: "http", outcome: "applied" }) -
        sum(before, "mauve_updates_total", { via: "http", outcome: "applied" }) >=
        4,
      "the raise, two repeats and the clear applied",
    );
    assert.ok(
      sum(after, "mauve_notice_attempts_total", { channel: "xmpp", outcome: "sent" }) -
        sum(before, "mauve_notice_attempts_total", { channel: "xmpp", outcome: "sent" }) >=
        2,
    );
    assert.ok(sum(after, "mauve_notice_delivery_seconds_count", { channel: "xmpp" }) >= 2, "delivery latency observed");
    assert.equal(sum(after, "mauve_alerts", { state: "raised" }), 0);
    assert.ok(sum(after, "mauve_alerts", { state: "cleared" }) >= 1);
    assert.ok(sum(after, "mauve_commands_total", { command: "help", outcome: "ok" }) >= 1, "alice's help counted");
    assert.ok(sum(after, "process_cpu_seconds_total") > 0, "process metrics");
    for (const name of ["mauve_catch_up_held_events", "mauve_catch_up_waiting_nodes"]) {
      const [sample, ...more] = after.filter((s) => s.name === name);
      assert.equal(sample?.value, 0, `${name}: nothing held once the bot has caught up`);
      assert.equal(more.length, 0);
    }
  });

  it("Alertmanager: a batch of 1,000 alerts arrives in one webhook and raises 1,000 alerts", async () => {
    const before = await metrics();
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      labels: { alertname: "BatchCheck", batch: "yes", instance: `node${i % 10}:9100`, n: String(i).padStart(4, "0") },
      annotations: { summary: `check ${i} failed` },
    }));
    await am!.post(batch);
    const count = (): number =>
      Array.from(
        { length: 10 },
        (_, i) => [...bot.store.alerts.ofSource(`node${i}`).values()].filter((a) => a.status === "raised").length,
      ).reduce((a, b) => a + b, 0);
    await waitFor("1,000 alerts raised", () => count() === 1000, { timeoutMs: 120_000, everyMs: 200 });
    // Counted once answered, which is after the alerts are stored.
    const webhooks = (s: Sample[]): number =>
      sum(s, "mauve_http_requests_total", { path: "/webhook/alertmanager", status: "200" });
    await waitFor("the webhook answered", async () => webhooks(await metrics()) > webhooks(before));
    const after = await metrics();
    const delta = (name: string, labels: Record<string, string> = {}): number =>
      sum(after, name, labels) - sum(before, name, labels);
    assert.equal(delta("mauve_alertmanager_alerts_total"), 1000);
    assert.equal(
      delta("mauve_http_requests_total", { path: "/webhook/alertmanager", status: "200" }),
      1,
      "one webhook carried the batch",
    );
    const applied = logs.withMsg("Alertmanager webhook applied").find((l) => l["alerts"] === 1000);
    assert.ok(applied, "the bot logged the batch");
    console.log(
      `      1,000-alert webhook: ${String(applied["updates"])} updates applied in ${String(applied["elapsedMs"])} ms`,
    );
    await alice.expect(/node\d|DIGEST/, 60_000);
  });

  it("JSON updates: the curl examples of docs/integrations.md raise and clear backup1's alert", async () => {
    const [raise, clear] = docBlocks("Generic JSON updates");
    assert.ok(raise && clear, "two curl examples");
    const env = { ...process.env, MAUVE_URL: base, MAUVE_TOKEN: BACKUP_TOKEN };
    const ran = await run("sh", ["-e", "-c", raise], { env });
    const answer = JSON.parse(ran.stdout) as { status: string; changes: Array<{ id: number; transition: string }> };
    assert.equal(answer.status, "applied");
    assert.equal(answer.changes[0]?.transition, "raised");
    await alice.expect(new RegExp(`^RAISED #${answer.changes[0].id} backup1 nightly`), 30_000);

    await run("sh", ["-e", "-c", clear], { env });
    await alice.expect(new RegExp(`^CLEARED #${answer.changes[0].id} backup1`), 30_000);
    assert.equal(bot.store.alerts.find("backup1", "nightly")?.status, "cleared");
  });

  it("refuses what it must, with a clear 4xx, and keeps serving", async () => {
    const post = async (path: string, body: string, token?: string): Promise<{ status: number; error: string }> => {
      const res = await fetch(`${base}${path}`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      const json = (await res.json()) as { error?: string };
      return { status: res.status, error: json.error ?? "" };
    };
    const update = (source: string): string => JSON.stringify({ source, alerts: [{ id: "x", summary: "y" }] });
    assert.deepEqual(await post("/api/update", update("backup2")), {
      status: 401,
      error: "expected an Authorization: Bearer <token> header",
    });
    assert.deepEqual(await post("/api/update", update("backup2"), "not-a-token"), {
      status: 401,
      error: "unknown token",
    });
    assert.deepEqual(await post("/api/update", update("web1"), BACKUP_TOKEN), {
      status: 403,
      error: "token backups may not write source web1 (allowed: backup*)",
    });
    assert.equal((await post("/api/update", "{not json", BACKUP_TOKEN)).status, 400);
    assert.deepEqual(
      await post(
        "/api/update",
        JSON.stringify({ source: "backup2", alerts: [{ id: "x", sumary: "typo" }] }),
        BACKUP_TOKEN,
      ),
      {
        status: 400,
        error:
          "alerts[0].sumary: unknown field (expected one of: id, raise_time, clear_time, subject, summary, detail, importance, suppress_until)",
      },
    );
    // One webhook alert it cannot read: refused alone, the other taken, and AlertBot's alert about
    // refused updates says so (Alertmanager logs the 422 only in its own log, and never resends).
    const mixed = await post(
      "/webhook/alertmanager",
      JSON.stringify({
        version: "4",
        alerts: [
          { status: "pending", labels: { alertname: "Soon", instance: "web6" } },
          { status: "firing", labels: { alertname: "DiskFull", instance: "web6" } },
        ],
      }),
      TOKEN,
    );
    assert.deepEqual(mixed, { status: 422, error: 'alerts[0].status: expected "firing" or "resolved", got "pending"' });
    assert.equal(bot.store.alerts.find("web6", "DiskFull")?.status, "raised", "the webhook's other alert was taken");
    const own = await waitFor(
      "AlertBot's alert about refused updates",
      () => {
        const a = bot.store.alerts.find(server().prosody.botJid, "refused-updates");
        return a?.status === "raised" ? a : undefined;
      },
      30_000,
    );
    assert.match(own.summary, /refuses updates from alertmanager \(http\): alerts\[0\]\.status: expected "firing"/);
    const spaced = await post("/api/update", update("backup two"), BACKUP_TOKEN);
    assert.equal(spaced.status, 422, "allowed by backup*, refused by the source rule");
    assert.match(spaced.error, /^source "backup two" has a space at character 7/);
    assert.deepEqual(await post("/webhook/alertmanager", JSON.stringify({ version: "3", alerts: [] }), TOKEN), {
      status: 400,
      error: 'expected "version": "4" (Alertmanager\'s webhook payload), got "3"',
    });
    const big = await post(
      "/api/update",
      JSON.stringify({ source: "backup3", alerts: [{ id: "x", detail: "a".repeat(5 * 1024 * 1024) }] }),
      BACKUP_TOKEN,
    );
    assert.deepEqual(big, { status: 413, error: "request body over 4194304 bytes (http.max_body_bytes)" });
    const missing = await fetch(`${base}/nowhere`);
    assert.equal(missing.status, 404);
    const wrongMethod = await fetch(`${base}/api/update`);
    assert.deepEqual([wrongMethod.status, wrongMethod.headers.get("allow")], [405, "POST"]);
    assert.equal(bot.store.sources.get("backup2"), undefined, "nothing refused was stored");
    assert.ok(!logs.text().includes(TOKEN) && !logs.text().includes(BACKUP_TOKEN), "tokens never logged");
    const after = await metrics();
    assert.ok(sum(after, "mauve_http_requests_total", { path: "/api/update", status: "401" }) >= 2);
    assert.ok(sum(after, "mauve_http_requests_total", { path: "other", status: "404" }) >= 1);
    // Every refusal counted where an admin's Prometheus reads it: the webhook's alert refused alone,
    // the source with a space.
    assert.ok(sum(after, "mauve_refused_total", { via: "http" }) >= 2, "refusals counted in /metrics");
  });

  it("gauges read from the store (agents, alerts, audit feed), and XMPP reconnections counted", async () => {
    agent = await startAgent(server(), dir, "web4", "  - { id: load, state: raised, summary: high }", logs.logger);
    // Not alice's notice: after the batch her storm limit may hold it.
    await waitFor("web4's alert stored", () => bot.store.alerts.find("web4", "load")?.status === "raised", 30_000);
    const connected = await waitFor(
      "the agent counted as connected",
      async () => {
        const s = await metrics();
        return sum(s, "mauve_agents", { state: "connected" }) === 1 && s;
      },
      30_000,
    );
    assert.ok(sum(connected, "mauve_alerts", { state: "raised" }) >= 1);
    assert.ok(
      sum(connected, "mauve_updates_total", { via: "pubsub", outcome: "applied" }) >= 1,
      "pubsub updates counted too",
    );
    await waitFor(
      "the audit feed to catch up",
      async () => sum(await metrics(), "mauve_audit_feed_lag_lines") === 0,
      60_000,
    );

    const reconnects = sum(await metrics(), "mauve_xmpp_reconnects_total");
    await server().prosody.restart();
    await waitFor(
      "the bot to count its reconnection",
      async () => sum(await metrics(), "mauve_xmpp_reconnects_total") === reconnects + 1,
      60_000,
    );
  });
});
