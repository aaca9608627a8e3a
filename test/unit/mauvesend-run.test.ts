import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { runMauvesend, type MauvesendIo, type MauvesendTarget, type SendOutcome } from "../../src/cli/mauvesend.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { AlertUpdate } from "../../src/codec/types.js";

describe("mauvesend: what it sends, where, and its exit status", () => {
  let out: string;
  let err: string;
  let sent: Array<{ update: AlertUpdate; target: MauvesendTarget; timeoutMs: number }>;
  let outcome: SendOutcome;
  let dir: string;
  const clock = new FakeClock(1_700_000_000_000);
  const io = (env: Record<string, string> = {}): MauvesendIo => ({
    clock,
    env,
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    send: async (update, target, timeoutMs) => (sent.push({ update, target, timeoutMs }), outcome),
  });
  const ENV = { MAUVE_XMPP_JID: "web9@example.org", MAUVE_XMPP_PASSWORD: "s3cret" };

  beforeEach(() => {
    out = "";
    err = "";
    sent = [];
    outcome = { ok: true, itemId: "item-1" };
    dir = mkdtempSync(join(tmpdir(), "mauvesend-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("sends one update with the account from the environment, and exits 0 silently", async () => {
    const code = await runMauvesend(["-o", "web9", "-i", "disk", "-s", "full", "-r", "now"], io(ENV));
    assert.equal(code, 0);
    assert.equal(out + err, "");
    const [{ update, target, timeoutMs }] = sent as [(typeof sent)[number]];
    assert.deepEqual(target, {
      service: "xmpp://example.org:5222",
      jid: "web9@example.org",
      password: "s3cret",
      pubsub: "pubsub.example.org",
      bot: "alertbot.example.org",
      defaultSource: hostname(),
    });
    assert.equal(timeoutMs, 30_000);
    assert.deepEqual(
      [update.source, update.replace, update.transmissionTimeS, update.sequence],
      ["web9", false, 1_700_000_000, 0n],
    );
    assert.deepEqual(
      update.alerts.map((a) => [a.id, a.summary, a.raiseTimeS]),
      [["disk", "full", 1_700_000_000]],
    );
  });

  it("takes the account and the default source from an agent config", async () => {
    const file = join(dir, "agent.yaml");
    writeFileSync(
      file,
      "xmpp:\n  jid: web1@example.org\n  password_env: PW\n  service: xmpp://10.0.0.1:5222\nsource: web1-prod\n",
    );
    const code = await runMauvesend(["--config", file, "-i", "disk", "-c", "-v"], io({ ...ENV, PW: "pw1" }));
    assert.equal(code, 0);
    assert.deepEqual(
      [sent[0]?.target.jid, sent[0]?.target.password, sent[0]?.target.service, sent[0]?.update.source],
      ["web1@example.org", "pw1", ["xmpp://10.0.0.1:5222"], "web1-prod"],
    );
    assert.match(
      out,
      /^Sending \d+ from web1-prod to pubsub.example.org as web1@example.org\nSent \d+: confirmed by pubsub.example.org \(item item-1\)\n$/,
    );
  });

  it("sends an alert raised in the agent's own source, and says the agent's next full state will clear it", async () => {
    const file = join(dir, "agent.yaml");
    writeFileSync(file, "xmpp:\n  jid: web1@example.org\n  password_env: PW\nsource: web1\n");
    const env = { ...ENV, PW: "pw1" };
    assert.equal(await runMauvesend(["--config", file, "-i", "backup", "-s", "failed", "-r", "now"], io(env)), 0);
    assert.equal(sent.length, 1, "sent all the same");
    assert.equal(
      err,
      `mauvesend: note: web1 is the source of the agent configured in ${file}; its full state (every full_state_every, and after each reconnection) clears the alerts its checks do not run, so "backup" will be cleared then. To keep it raised, send it with a source of its own (-o web1-cron)\n`,
    );
    // A source of its own, a clear, or a replace of the whole source: nothing to say.
    for (const argv of [
      ["-o", "web1-cron", "-i", "backup", "-r", "now"],
      ["-i", "backup", "-c", "now"],
      ["-p", "-i", "backup", "-r", "now"],
    ]) {
      err = "";
      assert.equal(await runMauvesend(["--config", file, ...argv], io(env)), 0);
      assert.equal(err, "", argv.join(" "));
    }
  });

  it("exits 1 and says why when it cannot send", async () => {
    outcome = { ok: false, reason: "cannot log in to xmpp://example.org:5222 as web9@example.org: not-authorized" };
    assert.equal(await runMauvesend(["-i", "disk"], io(ENV)), 1);
    assert.equal(
      err,
      "*** Error: could not send: cannot log in to xmpp://example.org:5222 as web9@example.org: not-authorized\n*** For help, type: mauvesend -h\n",
    );
  });

  it("exits 1 without an account, naming what is missing, and never prints the password", async () => {
    assert.equal(await runMauvesend(["-i", "disk"], io({ MAUVE_XMPP_JID: "web9@example.org" })), 1);
    assert.match(err, /MAUVE_XMPP_PASSWORD is not set/);
    err = "";
    assert.equal(await runMauvesend(["-i", "disk", "--config", join(dir, "missing.yaml")], io(ENV)), 1);
    assert.match(err, /cannot use the config file: .*missing.yaml: \(top level\): cannot read the file \(ENOENT\)/);
    assert.equal(sent.length, 0);
    assert.ok(!err.includes("s3cret"));
  });

  it("exits 1 on a bad command line, in Mauve's words, and sends nothing", async () => {
    assert.equal(await runMauvesend(["-s", "no id"], io(ENV)), 1);
    assert.equal(err, "*** Error: Must specify --id before message\n*** For help, type: mauvesend -h\n");
    err = "";
    assert.equal(await runMauvesend(["-i", "hb", "-c", "now", "-r", "+10min"], io(ENV)), 1);
    assert.equal(err, '*** Error: Unrecognised time format "+10min"\n*** For help, type: mauvesend -h\n');
    err = "";
    // GetoptLong's own refusals are printed twice by Mauve: once by GetoptLong, once by mauvesend.
    assert.equal(await runMauvesend(["-i", "x", "-r", "-10h"], io(ENV)), 1);
    assert.equal(
      err,
      "mauvesend: invalid option -- 1\n*** Error: invalid option -- 1\n*** For help, type: mauvesend -h\n",
    );
    assert.equal(sent.length, 0);
  });

  it("refuses a source name that breaks the source rule, naming the character, and sends nothing", async () => {
    const table: Array<[string, string]> = [
      ["web1 ", 'source "web1 " has a space at character 5'],
      ["two words", 'source "two words" has a space at character 4'],
      ["web1\u200b", 'source "web1\\u200b" has U+200B at character 5'],
      ["w\u0435b1", 'source "w\\u0435b1" has U+0435 at character 2'],
      ["db/replica", 'source "db/replica" has U+002F at character 3'],
    ];
    for (const [source, message] of table) {
      err = "";
      assert.equal(await runMauvesend(["-o", source, "-i", "x"], io(ENV)), 1, source);
      assert.equal(
        err,
        `*** Error: ${message}: a source name is made of ASCII letters, digits, ".", "-" and "_" only\n*** For help, type: mauvesend -h\n`,
      );
    }
    assert.equal(sent.length, 0);
  });

  it("prints help, the manual and the version on stdout with status 0", async () => {
    assert.equal(await runMauvesend(["--help"], io()), 0);
    assert.match(out, /^Usage: mauvesend \[options\]/);
    assert.match(out, /Exit status, as Mauve's: 0 sent/);
    out = "";
    assert.equal(await runMauvesend(["-m", "-V"], io()), 0);
    assert.match(out, /^Usage: mauvesend \[options\][^]*\nmauvesend: version \S+ \(mauve-xmpp\)\n$/);
  });
});
