// AlertBot that cannot start, or whose database or configuration goes wrong under it, with the
// installed AlertBot as a process (as systemd runs it), a real Prosody and a real SMTP server:
// a damaged database, a database directory that is missing, its HTTP port taken and another
// AlertBot on its database each used to exit 1, to be restarted every 5 s with nobody told. Now the
// people on call are told once, it tries again, and it starts once the cause is gone. A database
// file deleted under a running bot, and a configuration refused at a reload, are told too, and
// AlertBot's alerts about a refused configuration or refused updates, cleared by hand while still so,
// come back.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { scrape, sum } from "../helpers/metrics.js";
import { ChildRun } from "../helpers/process-child.js";
import { BOT_SECRET_ENV, startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { PersonClient, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = "start-test-token-0123456789";

describe("AlertBot that cannot start, or loses its database or configuration", function () {
  this.timeout(240_000);
  const server = withProsody();
  let smtp: SmtpSink;
  let dir: string;
  const runs: ChildRun[] = [];
  const people: PersonClient[] = [];
  let blocker: Server | undefined;

  before(async () => {
    smtp = await SmtpSink.start();
  });
  beforeEach(() => {
    dir = tempDir("mauve-start-");
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed")
      for (const run of runs)
        process.stderr.write(`\n--- ${run.label} stderr (tail) ---\n${run.stderr.slice(-6000)}\n---\n`);
    for (const p of people.splice(0)) await p.stop();
    for (const run of runs.splice(0)) await run.stop();
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  after(async () => {
    await smtp.close();
  });

  /** AlertBot's config in `dir`: `person` told by email, HTTP on `listen`, the database at `database`. */
  function config(t: TestProsody, person: string, options: { listen?: string; database?: string } = {}): string {
    const path = writeBotConfig(
      t,
      dir,
      `people:
  - { name: ${person}, jid: ${person}@${t.prosody.domain}, email: ${person}@example.org, notify: { urgent: [email], normal: [email], low: [email] } }
email:
  from: alertbot@example.org
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, timeout: 30s }
storm: { per_person_limit: 1000 per 1m }
http:
  listen: "${options.listen ?? "127.0.0.1:0"}"
  tokens:
    - { name: t, token: ${TOKEN}, sources: ["*"] }
`,
    );
    if (options.database)
      writeFileSync(path, readFileSync(path, "utf8").replace(/^database: .*$/m, `database: ${options.database}`));
    return path;
  }
  const start = (t: TestProsody, path: string, label: string): ChildRun => {
    const run = ChildRun.start("bots/alertbot.ts", ["--config", path], { [BOT_SECRET_ENV]: t.botSecret }, label);
    runs.push(run);
    return run;
  };
  const mailsTo = (person: string, pattern: RegExp): number =>
    smtp.mails.filter((m) => m.to.join(",").includes(`${person}@`) && pattern.test(m.raw)).length;
  /** The short id in the first RAISED email of an alert whose mail matches `pattern`. */
  const raisedId = (pattern: RegExp): string => {
    const mail = smtp.mails.find((m) => /RAISED/.test(m.raw) && pattern.test(m.raw));
    return /#(\d+)/.exec(mail!.raw)![1]!;
  };
  const post = async (run: ChildRun, id: string): Promise<number> => {
    const port = Number(run.withMsg("listening for HTTP").at(-1)?.["port"]);
    const res = await fetch(`http://127.0.0.1:${port}/api/update`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ source: "backup1", alerts: [{ id, summary: `backup ${id} failed` }] }),
    });
    await res.text();
    return res.status;
  };

  /**
   * The run tells `person` by email that it cannot start, once, and tries again twice more (each
   * try would have been an exit and a restart) without exiting and without telling again.
   */
  async function toldOnceWhileTrying(run: ChildRun, person: string, reason: RegExp): Promise<void> {
    const failed = await run.waitForLog(
      "it says it cannot start",
      (l) => l["msg"] === "AlertBot cannot start; telling the people on call, and trying again",
      60_000,
    );
    assert.match(String(failed["reason"]), reason);
    await waitFor("the email", () => mailsTo(person, /AlertBot cannot start/) > 0 || undefined, 60_000);
    for (let i = 1; i <= 2; i++)
      await waitFor(`try ${i + 1}`, () => run.withMsg("AlertBot still cannot start").length >= i || undefined, 60_000);
    assert.equal(
      run.hasExited,
      false,
      `it exited (${JSON.stringify(run.exitStatus)}): systemd would restart it in a loop`,
    );
    assert.equal(mailsTo(person, /AlertBot cannot start/), 1, "told once, not at every try");
  }

  it("a damaged database: tells once, keeps the file as it was, and starts once the file is dealt with", async () => {
    const t = server();
    const database = join(dir, "alertbot.sqlite");
    const damaged = Buffer.alloc(8192, 0x41);
    writeFileSync(database, damaged);
    const run = start(t, config(t, "dana"), "alertbot on a damaged database");
    await toldOnceWhileTrying(run, "dana", /not a database/);
    assert.match(
      String(run.withMsg("AlertBot cannot start; telling the people on call, and trying again")[0]?.["advice"]),
      /will not replace it with an empty one/,
    );
    assert.deepEqual(readFileSync(database), damaged, "the damaged file is left as it was");
    // The admin moves it aside (to start with no alerts): AlertBot starts by itself, and says so.
    rmSync(database);
    await run.waitForLog("AlertBot running", (l) => l["msg"] === "AlertBot running", 60_000);
    await waitFor("the all-clear email", () => mailsTo("dana", /AlertBot could start/) > 0 || undefined, 60_000);
    assert.equal(await post(run, "after"), 200);
    assert.equal((await run.stop()).code, 0);
  });

  it("a database directory that is missing: tells once, and starts once it is made", async () => {
    const t = server();
    const missing = join(dir, "not-yet");
    const run = start(t, config(t, "nora", { database: join(missing, "alertbot.sqlite") }), "alertbot, no directory");
    await toldOnceWhileTrying(run, "nora", /cannot/);
    mkdirSync(missing);
    await run.waitForLog("AlertBot running", (l) => l["msg"] === "AlertBot running", 60_000);
    await waitFor("the all-clear email", () => mailsTo("nora", /AlertBot could start/) > 0 || undefined, 60_000);
  });

  it("its HTTP port taken: tells once, and starts once the port is free", async () => {
    const t = server();
    blocker = createServer();
    const held = blocker;
    await new Promise<void>((resolve) => held.listen(0, "127.0.0.1", resolve));
    const port = (held.address() as { port: number }).port;
    const run = start(t, config(t, "pete", { listen: `127.0.0.1:${port}` }), "alertbot, port taken");
    await toldOnceWhileTrying(run, "pete", /EADDRINUSE/);
    await new Promise<void>((resolve) => held.close(() => resolve()));
    blocker = undefined;
    await run.waitForLog("AlertBot running", (l) => l["msg"] === "AlertBot running", 60_000);
    await waitFor("the all-clear email", () => mailsTo("pete", /AlertBot could start/) > 0 || undefined, 60_000);
    assert.equal(await post(run, "after"), 200);
  });

  it("another AlertBot on its database: tells once, and starts once the other has stopped", async () => {
    const t = server();
    const path = config(t, "olga");
    const first = await startBotProcess(t, path);
    runs.push(first);
    const second = start(t, path, "second alertbot on the same database");
    await toldOnceWhileTrying(second, "olga", /another AlertBot is using/);
    assert.equal((await first.stop()).code, 0);
    await second.waitForLog("AlertBot running", (l) => l["msg"] === "AlertBot running", 60_000);
    await waitFor("the all-clear email", () => mailsTo("olga", /AlertBot could start/) > 0 || undefined, 60_000);
  });

  // Told "another AlertBot is using this database (it holds …lock)", an admin who takes the lock
  // file for a stale one removes it: the waiting AlertBot then made a new one, locked it and ran
  // beside the first on one database, the two taking the XMPP session from each other, nothing said.
  it("its lock file removed while it runs: the second AlertBot is kept out, or the first says so and stops writing", async () => {
    const t = server();
    const path = config(t, "lena");
    const first = await startBotProcess(t, path);
    runs.push(first);
    const second = start(t, path, "second alertbot on the same database");
    await second.waitForLog(
      "the second to wait for the lock",
      (l) => l["msg"] === "AlertBot cannot start; telling the people on call, and trying again",
      60_000,
    );
    rmSync(join(dir, "alertbot.sqlite.lock"));
    // Each looks every 10 s: the first takes its lock again, or the second gets in first.
    const retaken = "AlertBot's lock file was removed or replaced under it: taken again";
    const lost =
      "another AlertBot took this database's lock: this one takes no more updates; stop one of the two, then restart this one";
    const said = await first.waitForLog(
      "the first to notice",
      (l) => l["msg"] === retaken || l["msg"] === lost,
      60_000,
    );
    if (said["msg"] === retaken) {
      const tries = second.withMsg("AlertBot still cannot start").length;
      await waitFor(
        "the second's next try",
        () => second.withMsg("AlertBot still cannot start").length > tries || undefined,
        60_000,
      );
      assert.equal(second.withMsg("AlertBot running").length, 0, "the second is still kept out");
      assert.equal(await post(first, "after"), 200);
    } else {
      await waitFor("the email", () => mailsTo("lena", /cannot write its database/) > 0 || undefined, 60_000);
      assert.equal(await post(first, "after"), 503, "only one AlertBot writes the database");
    }
  });

  it("its database file deleted while it runs: refuses updates (503) and tells the people on call", async () => {
    const t = server();
    const run = await startBotProcess(t, config(t, "rita"));
    runs.push(run);
    assert.equal(await post(run, "before"), 200);
    for (const name of ["alertbot.sqlite", "alertbot.sqlite-wal", "alertbot.sqlite-shm"])
      rmSync(join(dir, name), { force: true });
    const gone = await run.waitForLog(
      "it notices",
      (l) => typeof l["msg"] === "string" && l["msg"].startsWith("AlertBot's database file is gone from under it"),
      60_000,
    );
    assert.match(String(gone["change"]), /was deleted/);
    await waitFor("the email", () => mailsTo("rita", /cannot write its database/) > 0 || undefined, 60_000);
    assert.equal(await post(run, "after"), 503, "an update written to a deleted file is lost at the next start");
    const port = Number(run.withMsg("listening for HTTP")[0]?.["port"]);
    assert.equal(sum(await scrape(`http://127.0.0.1:${port}/metrics`), "mauve_database_writable"), 0);
  });

  it("a configuration refused at a reload raises AlertBot's own alert, cleared by the next good reload", async () => {
    const t = server();
    const path = config(t, "cora");
    const good = readFileSync(path, "utf8");
    const run = await startBotProcess(t, path);
    runs.push(run);
    const port = Number(run.withMsg("listening for HTTP")[0]?.["port"]);
    const reloadOk = async (): Promise<number> =>
      sum(await scrape(`http://127.0.0.1:${port}/metrics`), "mauve_config_last_reload_successful");
    assert.equal(await reloadOk(), 1);
    writeFileSync(path, good.replace("people:", "peeple:"));
    run.signal("SIGHUP");
    await waitFor("the alert by email", () => mailsTo("cora", /alertbot-config/) > 0 || undefined, 60_000);
    const mail = smtp.mails.find((m) => m.to.join(",").includes("cora@") && /alertbot-config/.test(m.raw));
    assert.match(mail!.raw, /peeple/);
    assert.equal(await reloadOk(), 0);
    writeFileSync(path, good);
    run.signal("SIGHUP");
    await waitFor("the clear by email", () => mailsTo("cora", /loaded its configuration/) > 0 || undefined, 60_000);
    assert.equal(await reloadOk(), 1);
  });

  it("that alert cleared by hand while the file is still refused is raised again, until a reload loads", async () => {
    const t = server();
    const path = config(t, "cole");
    const good = readFileSync(path, "utf8");
    const run = await startBotProcess(t, path);
    runs.push(run);
    const cole = await PersonClient.login(t, "cole");
    people.push(cole);
    const bot = `alertbot.${t.prosody.domain}`;
    writeFileSync(path, good.replace("people:", "peeple:"));
    run.signal("SIGHUP");
    await waitFor("the alert by email", () => mailsTo("cole", /RAISED.*alertbot-config/) > 0 || undefined, 60_000);
    const id = raisedId(/alertbot-config/);
    // The next restart would not start on this file: a clear by hand must not make it look fine.
    await cole.say(bot, `clear ${id} because I saw it`);
    await cole.expect(new RegExp(`#${id} .*cleared by hand by cole`));
    await waitFor("raised again, by email", () => mailsTo("cole", /RAISED.*alertbot-config/) > 1 || undefined, 60_000);
    assert.equal(
      run.withMsg("configuration still refused, and AlertBot's own alert about it was not raised: raised again").length,
      1,
    );
    writeFileSync(path, good);
    run.signal("SIGHUP");
    await waitFor("the clear by email", () => mailsTo("cole", /loaded its configuration/) > 0 || undefined, 60_000);
    await cole.say(bot, `show`);
    await cole.expect(/./);
    assert.equal(mailsTo("cole", /RAISED.*alertbot-config/), 2, "not raised again once the file loads");
  });
  it("its alert about refused updates, cleared by hand, is raised again by the next refusal", async () => {
    const t = server();
    const run = await startBotProcess(t, config(t, "rhea"));
    runs.push(run);
    const rhea = await PersonClient.login(t, "rhea");
    people.push(rhea);
    const bot = `alertbot.${t.prosody.domain}`;
    const port = Number(run.withMsg("listening for HTTP")[0]?.["port"]);
    const refused = async (): Promise<void> => {
      const res = await fetch(`http://127.0.0.1:${port}/api/update`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ source: "backup one", alerts: [{ id: "x", summary: "y" }] }),
      });
      assert.equal(res.status, 422, await res.text());
    };
    const raisedMails = (): number => mailsTo("rhea", /RAISED.*refused-updates/);
    await refused();
    await waitFor("the alert by email", () => raisedMails() > 0 || undefined, 60_000);
    const id = raisedId(/refused-updates/);
    await rhea.say(bot, `clear ${id}`);
    await rhea.expect(new RegExp(`#${id} .*cleared by hand by rhea`));
    // Nothing refused since the clear: it stays clear (the help's answer comes after anything said before it).
    await rhea.barrier(bot);
    assert.equal(raisedMails(), 1);
    // The sender is still refused: heard of again, not after an hour of quiet.
    await refused();
    await waitFor("raised again, by email", () => raisedMails() > 1 || undefined, 60_000);
  });
});
