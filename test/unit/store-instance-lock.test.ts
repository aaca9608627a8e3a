// One AlertBot per database file: the lock beside it, held by a process for its life.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { StoreError } from "../../src/store/database.js";
import { Outbox } from "../../src/store/outbox.js";
import { Store, type InstanceLock } from "../../src/store/store.js";
import { StorageUnavailableError } from "../../src/errors.js";
import { ChildRun } from "../helpers/process-child.js";

/** An agent config whose server (port 9) never answers: its checks and outbox run meanwhile. */
function agentConfig(dir: string): { config: string; outbox: string } {
  const stateDir = join(dir, "state");
  const config = join(dir, "agent.yaml");
  writeFileSync(
    config,
    `xmpp: { service: "xmpp://127.0.0.1:9", jid: web1@x.org, password: s }\nstate_dir: ${stateDir}\nalerts: [{ id: disk, state: raised, summary: full }]\n`,
  );
  return { config, outbox: join(stateDir, "outbox.sqlite") };
}

/** The installed agent started on `config`, once it is trying its server (its lock taken by then). */
async function agentTrying(config: string): Promise<ChildRun> {
  const run = ChildRun.start("agents/mauve-agent.ts", ["--config", config], {}, "first agent");
  try {
    await run.waitForLog("the first agent to try the server", (l) => l["msg"] === "cannot connect yet; will retry");
  } catch (err) {
    await run.stop();
    throw err;
  }
  return run;
}

describe("store instance lock", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-lock-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a second holder, naming the file, until the first lets go", () => {
    const path = join(dir, "alertbot.sqlite");
    const first = Store.lockFor(path);
    assert.deepEqual(readdirSync(dir), ["alertbot.sqlite.lock"], "one file beside the database, no journal");
    assert.throws(
      () => Store.lockFor(path),
      (err) => err instanceof StoreError && err.message.includes(path) && /another AlertBot is using/.test(err.message),
    );
    first.release();
    Store.lockFor(path).release();
  });

  it("is let go by a process that was killed (the kernel releases it): nothing stale to clear by hand", async () => {
    const path = join(dir, "alertbot.sqlite");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import { Store } from "./src/store/store.ts"; Store.lockFor(process.argv[1]); console.log("held"); setInterval(() => {}, 1000);`,
        path,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const [line] = (await once(child.stdout, "data")) as [Buffer];
      assert.equal(line.toString().trim(), "held");
      assert.throws(() => Store.lockFor(path), /another AlertBot is using/);
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    Store.lockFor(path).release();
  });

  it("is still held after the garbage collector ran, though the taker kept no reference to it", async () => {
    const path = join(dir, "alertbot.sqlite");
    // The entry point takes the lock and drops the value: better-sqlite3 closes a connection that
    // nobody refers to when it is collected, and the lock went with it.
    const child = spawn(
      process.execPath,
      [
        "--expose-gc",
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import { Store } from "./src/store/store.ts";
         Store.lockFor(process.argv[1]);
         for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); }
         console.log("collected"); setInterval(() => {}, 1000);`,
        path,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const [line] = (await once(child.stdout, "data")) as [Buffer];
      assert.equal(line.toString().trim(), "collected");
      assert.throws(() => Store.lockFor(path), /another AlertBot is using/);
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  });

  // An admin told "another AlertBot is using this database (it holds alertbot.sqlite.lock)" who
  // took the lock for a stale one and removed it let the second AlertBot make a new lock file and
  // start: two AlertBots on one database, taking the XMPP session from each other, nothing said.
  it("a lock file removed under its holder is taken again at the next check: a second taker is still refused", () => {
    const path = join(dir, "alertbot.sqlite");
    const lock = Store.lockFor(path);
    const store = Store.open(path);
    try {
      rmSync(`${path}.lock`);
      assert.equal(store.checkLock()?.kind, "retaken");
      assert.equal(store.checkLock(), null, "once taken again, the lock is as it was");
      assert.throws(() => Store.lockFor(path), /another AlertBot is using/);
      store.probeWrite(1);
    } finally {
      store.close();
      lock.release();
    }
    Store.lockFor(path).release();
  });

  it("a lock file removed and taken by a second AlertBot first: the holder says so and takes no more writes", () => {
    const path = join(dir, "alertbot.sqlite");
    const lock = Store.lockFor(path);
    const store = Store.open(path);
    let second: InstanceLock | undefined;
    try {
      rmSync(`${path}.lock`);
      second = Store.lockFor(path);
      const taken = store.checkLock();
      assert.equal(taken?.kind, "taken");
      assert.match(
        taken.reason,
        /alertbot\.sqlite\.lock was removed or replaced .* another AlertBot has taken the new one/,
      );
      assert.throws(
        () => store.probeWrite(2),
        (err) => err instanceof StorageUnavailableError,
      );
    } finally {
      store.close();
      second?.release();
      lock.release();
    }
  });

  it("has nothing to hold for a database in memory", () => {
    Store.lockFor(":memory:").release();
    Store.lockFor(":memory:").release();
  });

  it("lets one agent use a state directory: a second exits 1 naming it, and the first runs on", async function () {
    this.timeout(120_000);
    const stateDir = join(dir, "state");
    const config = join(dir, "agent.yaml");
    // No server answers at port 9: an agent keeps trying it, and its checks and outbox run meanwhile.
    writeFileSync(
      config,
      `xmpp: { service: "xmpp://127.0.0.1:9", jid: web1@x.org, password: s }\nstate_dir: ${stateDir}\nalerts: [{ id: disk, state: raised, summary: full }]\n`,
    );
    const first = ChildRun.start("agents/mauve-agent.ts", ["--config", config], {}, "first agent");
    try {
      await first.waitForLog("the first agent to try the server", (l) => l["msg"] === "cannot connect yet; will retry");
      const second = ChildRun.start("agents/mauve-agent.ts", ["--config", config], {}, "second agent");
      assert.deepEqual(await second.waitForExit("the second agent to exit"), { code: 1, signal: null }, second.stderr);
      const line = second.logs.find((l) => l["msg"] === "cannot start");
      assert.ok(line, second.stderr);
      assert.match(
        JSON.stringify(line["err"]),
        /outbox\.sqlite: another mauve-agent is using this state directory \(it holds .*outbox\.sqlite\.lock\); stop it, or give this one a state_dir of its own/,
      );
      assert.equal(first.hasExited, false, "the first agent runs on");
      assert.throws(() => Outbox.lockFor(join(stateDir, "outbox.sqlite")), /another mauve-agent/);
    } finally {
      assert.equal((await first.stop()).code, 0, first.stderr);
    }
  });

  // An admin told "another mauve-agent is using this state directory" may take the lock file for a
  // stale one and remove it: the second agent then made a new file, locked it and ran beside the
  // first on one outbox, nothing said.
  it("an agent whose lock file is removed takes it again within seconds: a second agent is still kept out", async function () {
    this.timeout(120_000);
    const { config, outbox } = agentConfig(dir);
    const first = await agentTrying(config);
    try {
      rmSync(`${outbox}.lock`);
      const line = await first.waitForLog(
        "the agent to take its lock again",
        (l) => l["msg"] === "the agent's lock file was removed or replaced under it: taken again",
        60_000,
      );
      assert.match(
        String(line["change"]),
        /outbox\.sqlite\.lock was removed or replaced while this mauve-agent held it/,
      );
      assert.throws(() => Outbox.lockFor(outbox), /another mauve-agent is using this state directory/);
      assert.equal(first.hasExited, false);
    } finally {
      assert.equal((await first.stop()).code, 0, first.stderr);
    }
  });

  it("an agent whose removed lock file another agent took first: it says so and exits 70, leaving the directory to that one", async function () {
    this.timeout(120_000);
    const { config, outbox } = agentConfig(dir);
    const first = await agentTrying(config);
    let other: ReturnType<typeof Outbox.lockFor> | undefined;
    try {
      rmSync(`${outbox}.lock`);
      other = Outbox.lockFor(outbox); // as a second agent would, at once
      assert.deepEqual(await first.waitForExit("the first agent to give way", 60_000), { code: 70, signal: null });
      const line = first.logs.find((l) =>
        l["msg"]?.toString().startsWith("another mauve-agent took this state directory's lock"),
      );
      assert.ok(line, first.stderr);
      assert.match(String(line["change"]), /another mauve-agent has taken the new one/);
    } finally {
      other?.release();
      if (!first.hasExited) await first.stop();
    }
  });
});
