// mauvesend as a shell script runs it, against a real Prosody and AlertBot.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { withProsody } from "../helpers/prosody.js";
import { parseMail, SmtpSink } from "../helpers/smtp-sink.js";
import { LogLines, PersonClient, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function mauvesend(args: string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "agents/mauvesend.ts", ...args], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("mauvesend against a server that accepts the connection and never answers", function () {
  this.timeout(60_000);
  let silent: Server | undefined;
  after(() => silent?.close());

  it("waits its --timeout (not xmpp.js's own few seconds) and says why in words, exit 1", async () => {
    silent = createServer(() => undefined).listen(0, "127.0.0.1");
    await once(silent, "listening");
    const { port } = silent.address() as AddressInfo;
    const env = {
      MAUVE_XMPP_JID: "web9@localhost",
      MAUVE_XMPP_PASSWORD: "pw-web9",
      MAUVE_XMPP_SERVICE: `xmpp://127.0.0.1:${port}`,
    };
    const ran = await mauvesend(["-o", "web9", "-i", "disk", "-s", "full", "-r", "now", "--timeout", "12"], env);
    assert.equal(ran.code, 1, ran.stderr);
    // Before, xmpp.js gave up after its own few seconds with a TimeoutError without a message: "…as web9@localhost: ".
    assert.match(
      ran.stderr,
      /^\*\*\* Error: could not send: no confirmation from xmpp:\/\/127\.0\.0\.1:\d+ within 12s\n/,
    );
  });
});

describe("mauvesend against a real Prosody and AlertBot", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: RunningBot | undefined;

  after(async () => {
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const server = withProsody();
  const envFor = (user: string, password = `pw-${user}`): Record<string, string> => {
    const p = server().prosody;
    return {
      MAUVE_XMPP_JID: `${user}@${p.domain}`,
      MAUVE_XMPP_PASSWORD: password,
      MAUVE_XMPP_SERVICE: `xmpp://127.0.0.1:${p.c2sPort}`,
      MAUVE_XMPP_PUBSUB: p.pubsubJid,
      MAUVE_XMPP_BOT: p.botJid,
    };
  };

  before(async () => {
    dir = tempDir("mauve-mauvesend-");
    bot = await startBot(server(), dir, ["alice"], new LogLines().logger);
    for (const user of ["web9", "web8"]) await server().prosody.register(user, `pw-${user}`);
  });

  it('mauvesend -o web9 -i disk -s "full" -r now: the bot stores it, and the command exits 0', async () => {
    const ran = await mauvesend(["-o", "web9", "-i", "disk", "-s", "full", "-r", "now"], envFor("web9"));
    assert.deepEqual([ran.code, ran.stderr], [0, ""]);
    const alert = await waitFor("the bot to store the alert", () => bot!.store.alerts.find("web9", "disk"));
    assert.deepEqual([alert.status, alert.summary], ["raised", "full"]);
    assert.equal(
      bot!.store.sources.get("web9")?.ownerJid,
      `web9@${server().prosody.domain}`,
      "the node was provisioned for web9",
    );
  });

  it("clears with -c, and replaces with -p (verbose says what it sent)", async () => {
    const cleared = await mauvesend(["-o", "web9", "-i", "disk", "-c"], envFor("web9"));
    assert.equal(cleared.code, 0);
    await waitFor("the clear", () => bot!.store.alerts.find("web9", "disk")?.status === "cleared");
    await mauvesend(["-o", "web9", "-i", "load", "-s", "high"], envFor("web9"));
    await waitFor("load raised", () => bot!.store.alerts.find("web9", "load")?.status === "raised");
    const replaced = await mauvesend(["-v", "-p", "-o", "web9", "-i", "mail", "-s", "queue"], envFor("web9"));
    assert.equal(replaced.code, 0);
    assert.match(
      replaced.stdout,
      /^Sending \d+ from web9 to pubsub\.\S+ as web9@\S+\nSent \d+: confirmed by pubsub\.\S+ \(item \S+\)\n$/,
    );
    await waitFor(
      "the replace",
      () =>
        bot!.store.alerts.find("web9", "mail")?.status === "raised" &&
        bot!.store.alerts.find("web9", "load")?.status === "cleared",
    );
  });

  it("exits 1 and says why with a wrong password", async () => {
    const ran = await mauvesend(["-o", "web9", "-i", "disk"], envFor("web9", "wrong"));
    assert.equal(ran.code, 1);
    assert.match(
      ran.stderr,
      /^\*\*\* Error: could not send: cannot log in to xmpp:\/\/127\.0\.0\.1:\d+ as web9@\S+: .*not-authorized/,
    );
    assert.ok(!ran.stderr.includes("wrong"), "the password is not echoed");
  });

  it("exits 1 when another account owns the source, and nothing is stored", async () => {
    assert.equal((await mauvesend(["-o", "web8", "-i", "x"], envFor("web8"))).code, 0);
    const ran = await mauvesend(["-o", "web8", "-i", "spoof", "-s", "not mine"], envFor("web9"));
    assert.equal(ran.code, 1);
    assert.match(
      ran.stderr,
      /could not send: node mauve\/alerts\/web8 on pubsub\.\S+ is not available \(forbidden: source "web8" belongs to another account\)/,
    );
    assert.equal(bot!.store.alerts.find("web8", "spoof"), undefined);
  });

  it("sends to a node it owns while AlertBot is down", async () => {
    await bot!.stop();
    bot = undefined;
    try {
      const ran = await mauvesend(["-o", "web9", "-i", "while-bot-down"], envFor("web9"));
      assert.deepEqual([ran.code, ran.stderr], [0, ""]);
    } finally {
      bot = await startBot(server(), dir, ["alice"], new LogLines().logger);
    }
    await waitFor(
      "the bot to catch up from the retained item",
      () => bot!.store.alerts.find("web9", "while-bot-down")?.status === "raised",
    );
  });

  it("exits 1 on a bad command line in Mauve's words, and sends nothing: -c now -r +10min is no heartbeat raised at once", async () => {
    const orphan = await mauvesend(["-s", "orphan summary"], envFor("web9"));
    assert.deepEqual(
      [orphan.code, orphan.stderr],
      [1, "*** Error: Must specify --id before message\n*** For help, type: mauvesend -h\n"],
    );
    const table: Array<[string[], string]> = [
      [["-o", "web9", "-i", "hb", "-c", "now", "-r", "+10min"], 'Unrecognised time format "+10min"'],
      [["-o", "web9", "-i", "hb", "-r", "bogus"], 'Unrecognised time format "bogus"'],
      [["-o", "web9", "-i", "hb", "-e", "2026-12-25"], 'Unrecognised time format "2026-12-25"'],
      [["-o", "web9", "-i", "-s", "an id that is a flag"], "-i cannot be empty"],
      [
        ["-o", "web9 ", "-i", "hb"],
        'source "web9 " has a space at character 5: a source name is made of ASCII letters, digits, ".", "-" and "_" only',
      ],
    ];
    for (const [line, message] of table) {
      const ran = await mauvesend(line, envFor("web9"));
      assert.deepEqual(
        [ran.code, ran.stdout, ran.stderr],
        [1, "", `*** Error: ${message}\n*** For help, type: mauvesend -h\n`],
        line.join(" "),
      );
    }
    // Delivery is in order: once a later update is stored, none of the refused ones is coming.
    assert.equal((await mauvesend(["-o", "web9", "-i", "after-refusals"], envFor("web9"))).code, 0);
    await waitFor("the later update", () => bot!.store.alerts.find("web9", "after-refusals"));
    for (const id of ["hb", "-s"]) assert.equal(bot!.store.alerts.find("web9", id), undefined, id);
  });
});

describe("mauvesend and Mauve semantics end to end (real Prosody, AlertBot on a fake clock, real SMTP)", function () {
  this.timeout(90_000);
  let dir: string;
  let bot: RunningBot | undefined;
  let alice: PersonClient | undefined;
  let smtp: SmtpSink;
  const clock = new FakeClock(Date.now());
  const botLog = new LogLines();

  const server = withProsody();
  const env = (): Record<string, string> => {
    const p = server().prosody;
    return {
      MAUVE_XMPP_JID: `web7@${p.domain}`,
      MAUVE_XMPP_PASSWORD: "pw-web7",
      MAUVE_XMPP_SERVICE: `xmpp://127.0.0.1:${p.c2sPort}`,
      MAUVE_XMPP_PUBSUB: p.pubsubJid,
      MAUVE_XMPP_BOT: p.botJid,
    };
  };
  const send = async (...args: string[]): Promise<void> => {
    const ran = await mauvesend(["-o", "web7", ...args], env());
    assert.deepEqual([ran.code, ran.stderr], [0, ""], args.join(" "));
  };

  before(async () => {
    dir = tempDir("mauve-semantics-");
    smtp = await SmtpSink.start();
    const t = server();
    const d = t.prosody.domain;
    alice = await PersonClient.login(t, "alice");
    bot = await startBot(t, dir, [], botLog.logger, {
      clock,
      peopleYaml: `
  - { name: alice, jid: alice@${d} }
  - { name: erin, jid: erin@${d}, email: erin@example.org, notify: { urgent: [email], normal: [email], low: [email] } }`,
      extraYaml: `
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false }
  from: Mauve <alerts@example.org>
`,
    });
    await t.prosody.register("web7", "pw-web7");
  });
  after(async () => {
    await bot?.stop();
    await alice?.stop();
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a heartbeat (-c now -r +10s) survives `mauvesend -p` from the same source and raises when due", async () => {
    const armedAt = clock.now();
    // Ten seconds (past the 5 s that count as now): the clock's one jump stays inside the bot's
    // own network deadlines, which run on the same clock.
    await send("-i", "heartbeat", "-c", "now", "-r", "+10s");
    const armed = await waitFor(
      "the heartbeat armed",
      () => bot!.store.alerts.find("web7", "heartbeat")?.scheduledRaiseAt ?? undefined,
    );
    assert.ok(
      Math.abs(armed - (armedAt + 10_000)) < 3_000,
      `raise scheduled ~10s ahead on the bot's clock (${armed - armedAt} ms)`,
    );
    await send("-p", "-i", "backup", "-s", "ok");
    await waitFor("the backup alert", () => bot!.store.alerts.find("web7", "backup")?.status === "raised");
    await alice!.expect(/^RAISED #\d+ web7 backup: ok/);
    await send("-p");
    await waitFor("the empty replace", () => bot!.store.alerts.find("web7", "backup")?.status === "cleared");
    const hb = bot!.store.alerts.find("web7", "heartbeat");
    assert.deepEqual(
      [hb?.status, hb?.scheduledRaiseAt],
      ["cleared", armed],
      "the replaces left the dead-man switch armed",
    );

    clock.advance(armed - clock.now() + 500);
    await waitFor("the heartbeat to raise", () => bot!.store.alerts.find("web7", "heartbeat")?.status === "raised");
    await alice!.expect(/^RAISED #\d+ web7 heartbeat\b/);
  });

  it("a summary with a newline stays on one line in the chat notice, the mail's headers and `detail`", async () => {
    const sentMails = smtp.mails.length;
    await send("-i", "disk", "-s", "disk full\nBcc: attacker@example.org", "-u", "<b>web7</b>\r\nSubject: forged");
    const stored = await waitFor("the disk alert", () => bot!.store.alerts.find("web7", "disk"));
    assert.deepEqual([stored.summary, stored.subject], ["disk full Bcc: attacker@example.org", "web7 Subject: forged"]);
    const forged = /^(Bcc|Subject: forged)/m;

    const notice = await alice!.expect(/^RAISED #\d+ web7 disk/);
    assert.ok(
      notice.startsWith(
        `RAISED #${stored.shortId} web7 disk (subject 'web7 Subject: forged'): disk full Bcc: attacker@example.org\n`,
      ),
      notice,
    );
    assert.doesNotMatch(notice, forged);

    const mail = await waitFor("the mail", () =>
      smtp.mails.slice(sentMails).find((m) => parseMail(m.raw).headers.get("subject")?.includes(`#${stored.shortId}]`)),
    );
    const head = mail.raw.slice(0, mail.raw.search(/\r?\n\r?\n/));
    assert.doesNotMatch(head, /^(bcc|subject: forged)/im, head);
    // Plain in the raw header, as the filters people route alert mail by read it (a `"` in the
    // marked subject had nodemailer encode the whole header as RFC 2047 words).
    assert.match(head, new RegExp(`^Subject: \\[mauve #${stored.shortId}\\] RAISED web7 disk`, "m"), head);
    assert.deepEqual(mail.to, ["erin@example.org"], "nobody else got it");
    const subject = parseMail(mail.raw).headers.get("subject");
    assert.equal(
      subject,
      `[mauve #${stored.shortId}] RAISED web7 disk (subject 'web7 Subject: forged'): disk full Bcc: attacker@example.org`,
    );

    await alice!.say(server().prosody.botJid, `detail ${stored.shortId}`);
    const detail = await alice!.expect(/^#\d+ web7 disk: raised/);
    assert.ok(detail.includes("\nSummary: disk full Bcc: attacker@example.org"), detail);
    assert.ok(detail.includes("\nSubject, as its sender wrote it: 'web7 Subject: forged'\n"), detail);
    assert.doesNotMatch(detail, forged);
  });
});
