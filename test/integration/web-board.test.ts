// The web board in a real browser (Debian's chromium, driven by playwright-core) against a real
// AlertBot on a real Prosody: sign in through a link AlertBot gives in chat, watch a raised alert
// appear without reloading, ack it from the page and see the ack in chat, refuse a stranger and a
// replayed link, keep another site from signing alice's browser in as bob or out (login CSRF),
// reconnect the live feed across a bot restart, and end a session by removing its person from the
// config. Screenshots go to .artifacts/web-board/ for people to look at.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { loadBotConfig } from "../../src/config/bot-config.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { BOT_SECRET_ENV, botConfigYaml } from "../helpers/process-bot.js";
import { artifactDir, startBrowser, type TestBrowser } from "../helpers/browser.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startBot, tempDir } from "../helpers/spine.js";
import { DEFAULT_SEMANTICS, newAlert } from "../../src/alerts/state-machine.js";
import { pickFreePorts } from "../../prosody/ports.js";

const TOKEN = "board-test-token-0123456789";

describe("web board: a real browser against a real AlertBot", function () {
  this.timeout(300_000);
  const server = withProsody();
  const logs = new LogLines();
  let dir: string;
  let port: number;
  let bot: RunningBot;
  let alice: PersonClient;
  let bob: PersonClient;
  let mallory: PersonClient;
  let browser: TestBrowser;
  let stranger: TestBrowser;
  let page: Page;
  let link: string;
  let shots: string;
  const base = (): string => `http://127.0.0.1:${port}`;
  // Clicks a form's button and waits for the page the form leads to, then reads its answer: the
  // page it left can still show an earlier answer, and reading that one instead made a flaky test.
  const submit = async (selector: string): Promise<string> => {
    await page.evaluate(() => {
      (globalThis as unknown as { leaving?: boolean }).leaving = true;
    });
    await page.click(selector);
    await page.waitForFunction(() => (globalThis as unknown as { leaving?: boolean }).leaving !== true);
    await page.waitForSelector(".flash");
    return (await page.locator(".flash").textContent()) ?? "";
  };
  const extraYaml = (): string => `http:
  listen: "127.0.0.1:${port}"
  tokens:
    - name: tests
      token: ${TOKEN}
      sources: ["*"]
  board: {}
permissions:
  "*": { clear: [bob] }
`;

  async function raise(source: string, id: string, summary: string, subject?: string): Promise<number> {
    const res = await fetch(`${base()}/api/update`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ source, alerts: [{ id, summary, importance: 80, ...(subject ? { subject } : {}) }] }),
    });
    const answer = (await res.json()) as { changes: Array<{ id: number }> };
    assert.equal(res.status, 200, JSON.stringify(answer));
    return answer.changes[0]!.id;
  }

  async function askForLink(person: PersonClient): Promise<string> {
    await person.say(server().prosody.botJid, "web");
    const reply = await person.expect(/sign-in link/, 60_000);
    return /(http:\/\/\S+\/sign-in\?t=\S+)/.exec(reply)![1]!;
  }

  before(async () => {
    dir = tempDir("mauve-web-");
    [port] = (await pickFreePorts(1)) as [number];
    shots = artifactDir("web-board");
    alice = await PersonClient.login(server(), "alice");
    bob = await PersonClient.login(server(), "bob");
    mallory = await PersonClient.login(server(), "mallory");
    bot = await startBot(server(), dir, ["alice", "bob"], logs.logger, { extraYaml: extraYaml() });
    browser = await startBrowser();
    stranger = await startBrowser();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await stranger?.close();
    await bot?.stop();
    await alice?.stop();
    await bob?.stop();
    await mallory?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("signs alice in through the link AlertBot gives her in chat; the link is bound to her", async () => {
    link = await askForLink(alice);
    assert.ok(link.startsWith(`${base()}/sign-in?t=`), link);
    await page.goto(link);
    assert.equal(await page.locator("#sign-in").textContent(), "Sign in as alice");
    await page.click("#sign-in");
    await page.waitForURL(`${base()}/`);
    assert.match((await page.locator("header .who").textContent()) ?? "", /signed in as alice/);
    await page.waitForSelector('body[data-live="on"]', { timeout: 60_000 });
    await page.screenshot({ path: join(shots, "01-signed-in.png"), fullPage: true });
  });

  it("refuses a replayed link, a stranger, and a page or action without a session or CSRF token", async () => {
    const other = await stranger.context.newPage();
    const replay = await other.goto(link);
    assert.equal(replay?.status(), 403);
    assert.match((await other.locator("#refusal").textContent()) ?? "", /used already/);
    await other.screenshot({ path: join(shots, "02-replayed-link.png") });

    const board = await other.goto(`${base()}/`);
    assert.equal(board?.status(), 401, "no session, no board");
    assert.match((await other.content()) ?? "", /Say <b>web<\/b> to AlertBot/);

    await mallory.say(server().prosody.botJid, "web");
    await mallory.expect(/only take commands from the people in my configuration/, 60_000);

    // alice's own cookie without the page's CSRF token: refused, nothing acked.
    const forged = await page.request.post(`${base()}/action`, {
      form: { op: "ack", id: "1", back: "/" },
      maxRedirects: 0,
    });
    assert.equal(forged.status(), 403);
    const forgedEvents = await other.request.get(`${base()}/events`);
    assert.equal(forgedEvents.status(), 401, "no live feed without a session");
    await other.close();
  });

  it("another site cannot sign alice's browser in as bob, nor sign her out (login CSRF)", async () => {
    // bob asks for his own link and puts it in a page on another site (localhost, not 127.0.0.1)
    // that posts it to the board as soon as alice's browser opens it; another page posts a sign-out.
    const bobs = await askForLink(bob);
    const token = new URL(bobs).searchParams.get("t")!;
    const forms: Record<string, string> = {
      "/sign-in": `<input name="t" value="${token}">`,
      "/sign-out": "",
    };
    const evil: Server = createServer((req, res) => {
      const action = req.url ?? "";
      res.setHeader("content-type", "text/html");
      res.end(`<form id="f" method="post" action="${base()}${action}">${forms[action] ?? ""}</form>
        <script>document.getElementById("f").submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    const evilBase = `http://localhost:${(evil.address() as { port: number }).port}`;
    try {
      for (const path of ["/sign-in", "/sign-out"]) {
        const [answer] = await Promise.all([
          page.waitForResponse((r) => r.url() === `${base()}${path}` && r.request().method() === "POST"),
          page.goto(`${evilBase}${path}`),
        ]);
        assert.equal(answer.status(), 403, path);
        await page.waitForURL(`${base()}${path}`);
        assert.match((await page.locator("#refusal").textContent()) ?? "", /came from another site/);
        await page.goto(`${base()}/`);
        assert.match((await page.locator("header .who").textContent()) ?? "", /signed in as alice/, path);
      }
    } finally {
      evil.close();
      evil.closeAllConnections();
    }
    assert.equal(logs.withMsg("web board request from another site refused").length, 2);
    const other = await stranger.context.newPage();
    await other.goto(bobs);
    assert.equal(await other.locator("#sign-in").textContent(), "Sign in as bob", "bob's link was not used up");
    await other.close();
    await page.waitForSelector('body[data-live="on"]', { timeout: 60_000 });
  });

  it("shows a raised alert live, without a reload, and acks it from the page: the ack is in bob's chat and in history as alice (web)", async () => {
    await page.evaluate(() => {
      (globalThis as unknown as { stayed: boolean }).stayed = true;
    });
    const id = await raise("web1", "disk-full", "/ is 97% full");
    await alice.expect(new RegExp(`^RAISED #${id} web1 disk-full`), 60_000);
    const row = page.locator(`tr[data-alert="${id}"]`);
    await row.waitFor({ timeout: 30_000 });
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed),
      true,
      "the board updated itself: no reload",
    );
    assert.match((await row.textContent()) ?? "", /disk-full[\s\S]*\/ is 97% full[\s\S]*raised/);
    assert.equal(await page.locator('[data-count="raised"] b').textContent(), "1");
    await page.screenshot({ path: join(shots, "03-raised-live.png"), fullPage: true });

    assert.match(await submit(`button[data-ack="${id}"]`), /acknowledged for 1h by alice \(web\)/);
    await page.locator(`tr[data-alert="${id}"][data-state="acked"]`).waitFor({ timeout: 30_000 });
    // bob was told of the raise, so he hears of the ack; alice, who acked, is not told of it again.
    await bob.expect(new RegExp(`^ACKED #${id} web1 disk-full[\\s\\S]*Acknowledged by alice \\(web\\)`), 60_000);
    const acked = bot.store.alerts.history(id).find((h) => h.kind === "acked");
    assert.equal(acked?.actor, "alice (web)");
    await page.screenshot({ path: join(shots, "04-acked.png"), fullPage: true });

    // The alert's page: facts, timeline, history, who was told.
    await page.goto(`${base()}/alert?id=${id}`);
    assert.match((await page.locator("h1").textContent()) ?? "", new RegExp(`#${id} web1 disk-full`));
    assert.equal(await page.locator("svg[aria-label^='timeline'] circle").count(), 2, "raise and ack on the timeline");
    assert.match((await page.locator("table.history").textContent()) ?? "", /acked\s*alice \(web\)/);
    await page.screenshot({ path: join(shots, "05-alert.png"), fullPage: true });
  });

  it("the board has the same permissions as chat: alice may not clear, from chat or from the page", async () => {
    const id = await raise("web1", "load", "load 40");
    await alice.say(server().prosody.botJid, `clear ${id}`);
    const chatRefusal = await alice.expect(/you may not clear/, 60_000);
    await page.goto(`${base()}/alert?id=${id}`);
    assert.equal(await submit('button[data-op="clear"]'), chatRefusal, "the same refusal, word for word");
    assert.equal(bot.store.alerts.get(id)!.status, "raised");
    await page.screenshot({ path: join(shots, "05b-refused-clear.png") });
  });

  it("escapes what senders write: markup in a summary or id is shown as text", async () => {
    const id = await raise(
      "web2",
      `x"><img src=x onerror="document.title='pwned'">`,
      `<img src=x onerror="document.title='pwned'"><b>bold</b> & "quoted"`,
    );
    await page.goto(`${base()}/?source=web2`);
    const cell = page.locator(`tr[data-alert="${id}"] td`).nth(5);
    // Whatever ingest made of the markup, the board shows exactly that text and no element of it.
    assert.equal(await cell.textContent(), bot.store.alerts.get(id)!.summary);
    assert.equal(await page.locator(`tr[data-alert="${id}"] img`).count(), 0);
    assert.notEqual(await page.title(), "pwned");
  });

  it("names a look-alike's alert by its own source: x9's subject \"web1\" shows only marked as x9's words", async () => {
    const id = await raise("x9", "disk-full", "", "web1");
    await page.goto(`${base()}/?source=x9`);
    const row = page.locator(`tr[data-alert="${id}"] td`);
    assert.equal(await row.nth(3).textContent(), "x9", "the source column");
    assert.equal((await row.nth(5).textContent())?.trim(), "(subject 'web1')", "the summary column");
    await page.screenshot({ path: join(shots, "05c-look-alike-subject.png") });
    await page.goto(`${base()}/alert?id=${id}`);
    assert.equal(await page.locator('dd[data-fact="source"]').textContent(), "x9");
    assert.equal(await page.locator('dd[data-fact="subject"]').textContent(), "'web1'");
    assert.match(
      (await page.locator('dd[data-fact="subject"] >> xpath=preceding-sibling::dt[1]').textContent()) ?? "",
      /^Subject, as its sender wrote it$/,
    );
    // web1's own alert sent no subject: its page shows no source standing in for one.
    const own = bot.store.alerts.find("web1", "disk-full")!.shortId;
    await page.goto(`${base()}/alert?id=${own}`);
    assert.equal(await page.locator('dd[data-fact="subject"]').count(), 0);
    assert.doesNotMatch((await page.locator("dl.facts").textContent()) ?? "", /Subject/);
  });

  it("the other pages: agents, on call, silences (silence and unsilence from the page)", async () => {
    await page.goto(`${base()}/agents`);
    assert.match((await page.locator("table.agents").textContent()) ?? "", /web1[\s\S]*web2/);
    await page.goto(`${base()}/oncall`);
    assert.match((await page.locator("main").textContent()) ?? "", /Now:\s*alice \(online\), then bob/);
    await page.screenshot({ path: join(shots, "06-oncall.png"), fullPage: true });
    await page.goto(`${base()}/silences`);
    // The refusal to clear, moments ago on an alert's page, is that page's answer, not this one's.
    assert.equal(await page.locator(".flash").count(), 0, "no answer to an action taken elsewhere");
    await page.fill('input[name="matcher"]', "source=web2");
    await page.fill('input[name="note"]', "deploying");
    assert.match(await submit('button[data-op="silence"]'), /Silence #\d+/i);
    assert.equal(await page.locator("tr[data-silence]").count(), 1);
    assert.equal(bot.store.policy.liveSilences(Date.now())[0]?.by, "alice (web)");
    assert.match(await submit("tr[data-silence] button"), /^Silence #\d+ \(.*\) ended by alice/);
    assert.equal(await page.locator("tr[data-silence]").count(), 0);
  });

  it("reconnects the live feed after a bot restart, and keeps alice signed in", async () => {
    await page.goto(`${base()}/`);
    await page.waitForSelector('body[data-live="on"]', { timeout: 60_000 });
    await bot.stop();
    await page.waitForSelector('body[data-live="off"]', { timeout: 60_000 });
    bot = await startBot(server(), dir, ["alice", "bob"], logs.logger, { extraYaml: extraYaml() });
    await page.waitForSelector('body[data-live="on"]', { timeout: 60_000 });
    await page.evaluate(() => {
      (globalThis as unknown as { stayed: boolean }).stayed = true;
    });
    const id = await raise("web3", "after-restart", "raised after the restart");
    await page.locator(`tr[data-alert="${id}"]`).waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed), true);
    await page.screenshot({ path: join(shots, "07-after-restart.png"), fullPage: true });
  });

  it("10,000 open alerts: the board renders one page of 100, counts them all, and pages on", async () => {
    const now = Date.now();
    bot.store.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        const saved = bot.store.alerts.save({
          ...newAlert(`bulk${i % 50}`, `check-${String(i).padStart(5, "0")}`, now, DEFAULT_SEMANTICS),
          status: "raised",
          summary: `bulk check ${i} failed`,
          importance: i % 100,
          raisedAt: now - i * 1000,
        });
        bot.store.alerts.record(saved.shortId, [{ kind: "raised", at: now - i * 1000, actor: "test", detail: "" }]);
      }
    });
    // Written behind the bot's back, so no change was announced: one real update through the bot
    // announces it, as every real write does (boards share a computed view until the next change).
    await raise("bulk-done", "last", "the bulk load is in");
    await page.goto(`${base()}/`);
    const timing = await page.evaluate(() => {
      const perf = (
        globalThis as unknown as { performance: { getEntriesByType(t: string): Array<Record<string, number>> } }
      ).performance;
      const nav = perf.getEntriesByType("navigation")[0]!;
      return {
        responseMs: nav["responseEnd"]! - nav["requestStart"]!,
        loadedMs: nav["loadEventEnd"]! - nav["startTime"]!,
      };
    });
    // A figure for the report, not an assertion: tests never assert wall-clock timings.
    console.log(
      `      board with 10,000 open alerts: answered in ${Math.round(timing.responseMs)} ms, loaded in ${Math.round(timing.loadedMs)} ms`,
    );
    assert.equal(await page.locator("table.alerts tbody tr").count(), 100);
    assert.ok(Number(await page.locator('[data-count="raised"] b').textContent()) >= 10_000);
    assert.match((await page.locator(".pages").textContent()) ?? "", /page 1 of 10\d/);
    await page.screenshot({ path: join(shots, "08-ten-thousand.png") });
    await page.goto(`${base()}/?source=bulk7&sort=newest&page=2`);
    const rows = page.locator("table.alerts tbody tr");
    assert.equal(await rows.count(), 100, "200 alerts of bulk7: the second page is full");
    assert.match((await rows.first().textContent()) ?? "", /bulk7/);
  });

  it("removing alice from the config ends her session at once", async () => {
    const yaml = botConfigYaml(
      server(),
      dir,
      `people:\n  - name: bob\n    jid: bob@${server().prosody.domain}\nalerts:\n  ack_default: 1h\n${extraYaml()}`,
    );
    await bot.reload(loadBotConfig(yaml, { file: "alertbot.yaml", env: { [BOT_SECRET_ENV]: server().botSecret } }));
    const res = await page.goto(`${base()}/`);
    assert.equal(res?.status(), 401);
    // Gone from the stored sessions too: a restart does not bring it back.
    const stored = JSON.parse(bot.store.policy.botState("web-sessions") ?? "[]") as Array<{ person: string }>;
    assert.deepEqual(
      stored.filter((x) => x.person === "alice"),
      [],
    );
  });
});
