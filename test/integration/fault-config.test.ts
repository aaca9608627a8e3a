// Fault: a broken config, at start and at reload. AlertBot runs as a real process: at start it must
// refuse with exit status 78 naming each key; on SIGHUP it must take a good file (people, policy)
// and refuse a broken one, logging why and serving on with the config it had.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AUDIT_NODE } from "../../src/bot/audit-feed.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import { withProsody } from "../helpers/prosody.js";
import { ChildRun, REPO_ROOT } from "../helpers/process-child.js";
import { startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { PersonClient, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const FIXTURES = "test/fixtures/fault";

describe("fault: broken config at start and at reload", function () {
  this.timeout(60_000);

  describe("at start", () => {
    const start = async (file: string, env: Record<string, string> = {}): Promise<ChildRun> => {
      const bot = ChildRun.start("bots/alertbot.ts", ["--config", `${FIXTURES}/${file}`], env);
      await bot.exited;
      return bot;
    };

    it("exits 78 and names the file and every key that is wrong, starting nothing", async () => {
      const bot = await start("bot-broken-start.yaml", { MAUVE_TEST_BOT_SECRET: "s3cret-start" });
      assert.deepEqual(await bot.exited, { code: 78, signal: null });
      const lines = bot.stderr.trim().split("\n");
      assert.deepEqual(lines.map((l) => l.replace(/: expected .*$/, "")).sort(), [
        `${FIXTURES}/bot-broken-start.yaml: alerts.ack_default`,
        `${FIXTURES}/bot-broken-start.yaml: people[0].jid`,
        `${FIXTURES}/bot-broken-start.yaml: rules[0].level`,
      ]);
      assert.equal(bot.stdout, "");
      assert.ok(!existsSync(join(REPO_ROOT, FIXTURES, "never-created.sqlite")), "no database was created");
      assert.ok(!bot.stderr.includes("s3cret-start"));
    });

    it("exits 78 when the secret's environment variable is not set, naming the variable", async () => {
      const bot = await start("bot-missing-secret.yaml");
      assert.equal((await bot.exited).code, 78);
      assert.equal(
        bot.stderr.trim(),
        `${FIXTURES}/bot-missing-secret.yaml: xmpp.secret_env: environment variable MAUVE_FAULT_UNSET_SECRET is not set`,
      );
    });
  });

  describe("at reload (SIGHUP)", () => {
    let dir: string;
    let bot: ChildRun | undefined;
    let alice: PersonClient;
    let bob: PersonClient;
    let config: string;
    after(async () => {
      await bot?.stop();
      await alice?.stop();
      await bob?.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    afterEach(function () {
      if (this.currentTest?.state === "failed" && bot)
        process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-5000)}\n---\n`);
    });
    const server = withProsody();
    const people = (...names: string[]): string =>
      `people:\n${names.map((n) => `  - { name: ${n}, jid: ${n}@${server().prosody.domain} }`).join("\n")}\n`;
    /** Rewrites the config, sends SIGHUP and waits for the bot's verdict on it. */
    const reload = async (body: string): Promise<Record<string, unknown>> => {
      const before = bot!.logs.length;
      writeBotConfig(server(), dir, body);
      bot!.signal("SIGHUP");
      return bot!.waitForLog(
        "the reload's outcome",
        (l) => bot!.logs.indexOf(l) >= before && /^config reload/.test(String(l["msg"])),
      );
    };
    const ask = async (who: PersonClient, line: string, reply: RegExp): Promise<string> => {
      await who.say(server().prosody.botJid, line);
      return who.expect(reply);
    };
    const canReadAudit = async (who: PersonClient): Promise<boolean> =>
      (await createPubsub(who.session).getItems(server().prosody.pubsubJid, AUDIT_NODE)).ok;

    before(async () => {
      dir = tempDir("mauve-fault-config-");
      const t = server();
      alice = await PersonClient.login(t, "alice");
      bob = await PersonClient.login(t, "bob");
      config = writeBotConfig(t, dir, people("alice"));
      bot = await startBotProcess(t, config);
    });

    it("takes a good file: a person added can command the bot and read the audit node", async () => {
      await ask(bob, "show", /only take commands/);
      assert.equal(await canReadAudit(bob), false);
      const outcome = await reload(people("alice", "bob"));
      assert.equal(outcome["msg"], "config reloaded");
      assert.equal(outcome["people"], 2);
      await ask(bob, "show", /Nothing is raised|raised/i);
      await waitFor("bob may read the audit node now", () => canReadAudit(bob), { everyMs: 100 });
    });

    it("refuses a broken file whole: its problems logged by key, the running config kept, the bot serving", async () => {
      const outcome = await reload(
        `${people("alice")}  - { name: carol, jid: carol }\nrules:\n  - { level: loud, workgroup: ops }\nsurprise: true\n`,
      );
      assert.equal(outcome["msg"], "config reload rejected; keeping the running config");
      assert.equal(outcome["file"], config);
      const problems = (outcome["problems"] as string[]).map((p) => p.replace(/:.*$/, "")).sort();
      assert.deepEqual(problems, ["people[1].jid", "rules[0].level", "surprise"]);
      assert.equal(bot!.hasExited, false, "SIGHUP did not stop the bot");
      await ask(bob, "show", /Nothing is raised|raised/i);
      await ask(alice, "help", /ack/);
    });

    it("takes a person away again: refused, and no longer let into the audit node", async () => {
      const outcome = await reload(people("alice"));
      assert.equal(outcome["msg"], "config reloaded");
      await ask(bob, "show", /only take commands/);
      await waitFor("bob's access to the audit node to be gone", async () => !(await canReadAudit(bob)), {
        everyMs: 100,
      });
      assert.ok(await canReadAudit(alice));
    });

    it("says which changed keys take a restart, and keeps their running values", async () => {
      const before = bot!.logs.length;
      // Another database file and log level: the database is open and the log made, so both wait for a restart.
      writeBotConfig(server(), dir, people("alice"));
      writeFileSync(
        config,
        readFileSync(config, "utf8")
          .replace(/database: .*/, `database: ${join(dir, "elsewhere.sqlite")}`)
          .replace("level: debug", "level: info"),
      );
      bot!.signal("SIGHUP");
      const warning = await bot!.waitForLog(
        "the restart warning",
        (l) =>
          bot!.logs.indexOf(l) >= before &&
          l["msg"] === "config reloaded, but these keys take a restart and keep their running values",
      );
      assert.deepEqual(warning["keys"], ["database", "log.level"]);
      await ask(alice, "show", /Nothing is raised|raised/i);
      assert.ok(!existsSync(join(dir, "elsewhere.sqlite")), "the running database stays");
    });
  });
});
