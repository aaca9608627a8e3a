// Fault: bad input through a real Prosody to a real AlertBot. Malformed, foreign, incomplete and
// oversize items, 10,000 seeded fuzzed payloads, huge and binary chat, injection attempts: each is
// refused or stored as plain text, with a logged reason, and the bot keeps serving. And, on a real
// AlertBot process, an item's one alert it cannot key costs only that alert.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { connectClient } from "../../src/xmpp/connect.js";
import { createPubsub, type Pubsub } from "../../src/xmpp/pubsub.js";
import { coreOf, type XmppSession } from "../../src/xmpp/session.js";
import type { XmlElement } from "../../src/xmpp/xml.js";
import { wrapPayload } from "../../src/codec/payload.js";
import { encodeUpdate } from "../../src/codec/protobuf.js";
import { Store } from "../../src/store/store.js";
import { fuzzPayloads, mulberry32 } from "../fixtures/fault/fuzz-payloads.js";
import type { ChildRun } from "../helpers/process-child.js";
import { startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { SmtpSink, parseMail } from "../helpers/smtp-sink.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor, waitForCount } from "../helpers/wait-for.js";
import { alert, update } from "../helpers/updates.js";

const FUZZ_SEED = 0x6661756c; // "faul"
// MAUVE_FUZZ_COUNT=100000 for a longer run; CI runs 10,000.
const FUZZ_COUNT = Number(process.env["MAUVE_FUZZ_COUNT"] ?? 10_000);
const FUZZ_WINDOW = 64; // publishes in flight at once

/** Protobuf bytes by hand: a varint field and a length-delimited one. */
const varint = (field: number, value: number): number[] => [(field << 3) | 0, value];
const bytesField = (field: number, data: number[]): number[] => {
  const len: number[] = [];
  for (let n = data.length; ; n >>>= 7) {
    len.push(n > 0x7f ? (n & 0x7f) | 0x80 : n);
    if (n <= 0x7f) break;
  }
  return [(field << 3) | 2, ...len, ...data];
};
const text = (s: string): number[] => [...Buffer.from(s, "utf8")];
const b64 = (bytes: number[] | Uint8Array): string => Buffer.from(bytes).toString("base64");

describe("fault: bad input through Prosody", function () {
  this.timeout(120_000);
  let dir: string;
  let smtp: SmtpSink;
  let botLog: LogLines;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let fuzzAgent: RunningAgent | undefined;
  let alice: PersonClient;
  let rogue: XmppSession;
  let fuzzer: XmppSession;

  after(async () => {
    await agent?.stop();
    await fuzzAgent?.stop();
    await bot?.stop();
    await alice?.stop();
    await rogue?.stop();
    await fuzzer?.stop();
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed")
      process.stderr.write(
        `\n--- bot log (tail) ---\n${botLog.lines
          .slice(-40)
          .map((l) => JSON.stringify(l).slice(0, 400))
          .join("\n")}\n---\n`,
      );
  });
  const server = withProsody();
  const botJid = (): string => server().prosody.botJid;
  const ask = async (line: string, reply: RegExp): Promise<string> => {
    await alice.say(botJid(), line);
    return alice.expect(reply);
  };
  const errors = (): Array<Record<string, unknown>> => botLog.lines.filter((l) => l["level"] === "error");

  before(async () => {
    dir = tempDir("mauve-fault-input-");
    smtp = await SmtpSink.start();
    const t = server();
    const d = t.prosody.domain;
    botLog = new LogLines();
    alice = await PersonClient.login(t, "alice");
    bot = await startBot(t, dir, [], botLog.logger, {
      peopleYaml: `
  - { name: alice, jid: alice@${d} }
  - { name: erin, jid: erin@${d}, email: erin@example.org, notify: { urgent: [email], normal: [email], low: [email] } }`,
      extraYaml: `
workgroups:
  - name: ops
    members: [alice, erin]
    escalation:
      normal: { steps: [{ after: 0m, notify: all }], reminder: false }
rules:
  - { level: normal, workgroup: ops }
storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false }
  from: Mauve <alerts@example.org>
`,
    });
    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk full, state: raised }",
      new LogLines().logger,
    );
    await alice.expect(/^RAISED #\d+ web1 disk-full/);
    const p = t.prosody;
    rogue = await connectClient({
      service: `xmpp://127.0.0.1:${p.c2sPort}`,
      domain: d,
      username: "web1",
      password: "pw-web1",
      resource: "rogue",
    });
  });

  describe("malformed items", () => {
    let pubsub: Pubsub;
    before(() => {
      pubsub = createPubsub(rogue);
    });
    const publish = async (data: string): Promise<void> => {
      const r = await pubsub.publish(server().prosody.pubsubJid, "mauve/alerts/web1", { data, text: "junk" });
      assert.ok(r.ok, `the server took the item: ${JSON.stringify(r)}`);
    };
    /** Publishes, then returns the reason the bot logged for refusing it. */
    const refused = async (send: () => Promise<void>, msg = "item rejected"): Promise<string> => {
      const before = botLog.withMsg(msg).length;
      await send();
      const line = await waitFor(`a "${msg}" line`, () => botLog.withMsg(msg)[before]);
      return String(line["reason"]);
    };
    const valid = encodeUpdate(update("web1", [alert("ok", { summary: "fine" })]));
    const rand = mulberry32(7);

    const cases: Array<{ name: string; send: () => Promise<void>; reason: RegExp; msg?: string }> = [
      {
        name: "random bytes",
        send: () => publish(b64(Array.from({ length: 48 }, () => Math.floor(rand() * 256)))),
        reason: /malformed protobuf|UTF-8|missing required|wire type|out of range/,
      },
      {
        name: "truncated protobuf",
        send: () => publish(b64(valid.slice(0, valid.length - 5))),
        reason: /malformed|truncated|index out of range|missing required/,
      },
      { name: "not base64", send: () => publish("this is <not> base64!"), reason: /^payload is not valid base64$/ },
      { name: "an empty payload", send: () => publish(""), reason: /^payload is empty$/ },
      {
        name: "the wrong namespace",
        send: async () => {
          const r = await pubsub.publishForeign(server().prosody.pubsubJid, "mauve/alerts/web1", {
            name: "update",
            ns: "urn:example:not-mauve",
            children: [b64(valid)],
          });
          assert.ok(r.ok, JSON.stringify(r));
        },
        reason: /foreign namespace: \{urn:example:not-mauve\}update/,
      },
      {
        name: "no transmission_id",
        send: () => publish(b64([...bytesField(2, text("web1")), ...varint(3, 0)])),
        reason: /missing required field transmission_id/,
      },
      {
        name: "no source",
        send: () => publish(b64([...varint(1, 99), ...varint(3, 0)])),
        reason: /missing required field source/,
      },
      {
        name: "an alert without its id",
        send: () =>
          publish(
            b64([
              ...varint(1, 98),
              ...bytesField(2, text("web1")),
              ...varint(3, 0),
              ...bytesField(4, bytesField(5, text("no id"))),
            ]),
          ),
        reason: /missing required field id/,
      },
      {
        name: "65,540 bytes of valid protobuf (over 64 KiB)",
        send: () =>
          publish(
            b64([
              ...varint(1, 97),
              ...bytesField(2, text("web1")),
              ...varint(3, 0),
              ...bytesField(4, [...bytesField(1, text("big")), ...bytesField(6, text("x".repeat(65_520)))]),
            ]),
          ),
        reason: /decodes to \d+ bytes, over the 65536-byte limit/,
      },
      {
        name: "100,000 characters of base64",
        send: () => publish("A".repeat(100_000)),
        reason: /over the 64 KiB limit/,
      },
      {
        name: "a source that is not its node's",
        send: () => publish(b64(encodeUpdate(update("web2", [alert("spoof", { summary: "pretending" })])))),
        msg: "update rejected",
        reason: /^source "web2" does not match node "mauve\/alerts\/web1"$/,
      },
    ];
    for (const c of cases) {
      it(`refuses ${c.name}, saying why`, async () => {
        assert.match(await refused(c.send, c.msg), c.reason);
      });
    }

    it("keeps serving after all of them: a real change is told, 'show' answered, no error logged", async () => {
      agent!.change([{ id: "after-junk", state: "raised", summary: "still serving" }]);
      await alice.expect(/^RAISED #\d+ web1 after-junk: still serving/);
      assert.match(await ask("show", /still serving/), /Disk full/);
      assert.equal(bot!.store.alerts.find("web2", "spoof"), undefined);
      assert.deepEqual(errors(), []);
    });
  });

  it(`takes ${FUZZ_COUNT} seeded fuzzed payloads: one logged outcome each, and keeps serving`, async function () {
    this.timeout(Math.max(120_000, FUZZ_COUNT * 20));
    const t = server();
    const p = t.prosody;
    await ask("silence source=fuzz for 1h because fuzzing", /^Silence #\d+/);
    fuzzAgent = await startAgent(t, dir, "fuzz", "  []", new LogLines().logger);
    await waitFor("the fuzz source to be claimed", () => bot!.store.sources.get("fuzz"));
    // The agent only claims the node for the source. Its own full state, which may be applied
    // after the claim, and any heartbeat later would each be one outcome more than the items
    // counted below (once 10,001 under load): wait for its full state, then stop it.
    await waitFor("the fuzz agent's full state to be applied", () =>
      botLog.lines.find((l) => l["msg"] === "update applied" && l["source"] === "fuzz"),
    );
    await fuzzAgent.stop();
    fuzzAgent = undefined;
    fuzzer = await connectClient({
      service: `xmpp://127.0.0.1:${p.c2sPort}`,
      domain: p.domain,
      username: "fuzz",
      password: "pw-fuzz",
      resource: "fuzzer",
      // A loaded machine may take Prosody long to confirm a publish: a timeout here would count an
      // item as refused that Prosody took, and the bot's outcomes would outnumber the expected.
      requestTimeoutMs: 120_000,
    });
    const pubsub = createPubsub(fuzzer);
    // Events only (nothing retained): the node's owner may choose that, and it is Prosody's fastest path.
    const configured = await pubsub.configureNode(p.pubsubJid, "mauve/alerts/fuzz", { persistItems: false });
    assert.ok(configured.ok, JSON.stringify(configured));

    const OUTCOMES = [
      "item rejected",
      "update rejected",
      "update applied",
      "duplicate update ignored",
      "stale update ignored",
    ];
    const from = botLog.lines.length;
    // Every outcome but web1's: its agent may heartbeat meanwhile on a slow machine.
    const fuzzOutcomes = (): Array<Record<string, unknown>> =>
      botLog.lines.slice(from).filter((l) => OUTCOMES.includes(String(l["msg"])) && l["source"] !== "web1");
    const outcomes = (): number => fuzzOutcomes().length;
    const payloads = fuzzPayloads(FUZZ_SEED, FUZZ_COUNT, "fuzz");
    const started = Date.now();
    const refusals: string[] = [];
    for (let i = 0; i < payloads.length; i += FUZZ_WINDOW) {
      const results = await Promise.all(
        payloads
          .slice(i, i + FUZZ_WINDOW)
          .map((data) => pubsub.publish(p.pubsubJid, "mauve/alerts/fuzz", { data, text: "fuzz" })),
      );
      for (const r of results) if (!r.ok) refusals.push(r.condition);
    }
    const publishedMs = Date.now() - started;
    const refusedByServer = refusals.length;
    await waitForCount("an outcome for every fuzzed item", outcomes, FUZZ_COUNT - refusedByServer);
    const doneMs = Date.now() - started;
    assert.equal(outcomes(), FUZZ_COUNT - refusedByServer, "exactly one outcome per item");
    assert.deepEqual(refusals, [], "Prosody took every item");
    assert.deepEqual(errors(), [], "no error: every bad item is an expected outcome");

    const tally = new Map<string, number>();
    for (const l of fuzzOutcomes()) tally.set(String(l["msg"]), (tally.get(String(l["msg"])) ?? 0) + 1);
    agent!.change([{ id: "after-fuzz", state: "raised", summary: "still serving after fuzzing" }]);
    const told = await alice.expect(/^RAISED #\d+ web1 after-fuzz/, 120_000);
    assert.match(await ask(`detail ${/#(\d+)/.exec(told)![1]}`, /after-fuzz/), /still serving after fuzzing/);
    console.log(
      `      ${FUZZ_COUNT} fuzzed items published in ${publishedMs} ms, all handled in ${doneMs} ms: ${[...tally].map(([k, v]) => `${v} ${k}`).join(", ")}`,
    );
  });

  it("answers a 100 kB chat message and a binary-looking one, and keeps serving", async () => {
    const huge = await ask("x".repeat(100_000), /characters long/);
    assert.match(huge, /^That is 100000 characters long; commands are short \(at most 2000\)\. Try "help"\.$/);
    const rand = mulberry32(11);
    // Random code points from every range XML allows (control characters are not: the server would
    // close the sender's stream), with bidi overrides, zero-width and private-use characters among them.
    const RANGES: Array<[number, number]> = [
      [0x20, 0x7e],
      [0xa0, 0xd7ff],
      [0xe000, 0xfffd],
      [0x10000, 0x10ffff],
      [0x200b, 0x202e],
    ];
    const binary = Array.from({ length: 500 }, () => {
      const [lo, hi] = RANGES[Math.floor(rand() * RANGES.length)]!;
      return String.fromCodePoint(lo + Math.floor(rand() * (hi - lo + 1)));
    }).join("");
    await alice.say(botJid(), binary);
    await alice.expect(/help/i);
    assert.match(await ask("show", /Disk full/), /web1/);
    assert.deepEqual(errors(), []);
  });

  it("refuses stanzas nested thousands deep with bad-request, as the sender's bad input, and keeps serving", async () => {
    const entity = coreOf(alice.session).entity as unknown as {
      write(text: string): Promise<void>;
      on(event: "stanza", fn: (el: XmlElement) => void): void;
    };
    const refusedBefore = botLog.lines.filter((l) => l["msg"] === "bad input from a peer, refused").length;
    const answers: XmlElement[] = [];
    entity.on("stanza", (el) => void answers.push(el));
    const deep = (n: number): string => "<a>".repeat(n) + "</a>".repeat(n);
    const cases = [
      ["iq", `<iq type="get" to="${botJid()}" id="deep-iq"><foo xmlns="urn:x:nope">${deep(3_000)}</foo></iq>`],
      [
        "iq",
        `<iq type="set" to="${botJid()}" id="deep-cmd"><command xmlns="http://jabber.org/protocol/commands" node="ack">${deep(15_000)}</command></iq>`,
      ],
      [
        "message",
        `<message type="chat" to="${botJid()}" id="deep-msg"><body>show</body><x xmlns="urn:x:nope">${deep(3_000)}</x></message>`,
      ],
    ] as const;
    for (const [name, text] of cases) {
      const id = /id="([^"]+)"/.exec(text)![1]!;
      await entity.write(text);
      const answer = await waitFor(`the answer to ${id}`, () => answers.find((a) => a.attrs.id === id));
      assert.equal(answer.name, name);
      assert.equal(answer.attrs.type, "error");
      assert.ok(
        answer.getChild("error")?.getChild("bad-request", "urn:ietf:params:xml:ns:xmpp-stanzas"),
        answer.toString(),
      );
      assert.equal(answer.getChildElements().length, 1, "the payload is not echoed");
    }
    await entity.write(`<presence to="${botJid()}" id="deep-pres"><x xmlns="urn:x:nope">${deep(3_000)}</x></presence>`);
    assert.match(await ask("show", /Disk full/), /web1/);
    assert.deepEqual(errors(), []);
    const refused = botLog.lines.filter((l) => l["msg"] === "bad input from a peer, refused").slice(refusedBefore);
    assert.equal(refused.length, 4, JSON.stringify(refused));
    assert.ok(refused.every((l) => String(l["from"]).startsWith("alice@")));
  });

  it("treats injection attempts in commands as text: nothing runs, SQL-ish text is stored verbatim", async () => {
    const id = bot!.store.alerts.find("web1", "disk-full")!.shortId;
    const count = bot!.store.alerts.list("all", 10_000).length;
    await ask(`ack ${id}; DROP TABLE alerts;--`, /./);
    await ask("show '; DELETE FROM alerts WHERE '1'='1", /./);
    await ask(`detail ${id} OR 1=1`, /./);
    const note = `Robert'); DROP TABLE alerts;-- <script>alert(1)</script> \${process.exit(1)} $(rm -rf /)`;
    await ask(`note ${id} ${note}`, new RegExp(`#${id}`));
    assert.equal(bot!.store.alerts.list("all", 10_000).length, count, "no alert lost");
    assert.equal(bot!.store.alerts.get(id)?.ack, null, "the garbled ack did nothing");
    const noted = bot!.store.alerts
      .history(id)
      .filter((h) => h.kind === "noted")
      .map((h) => h.detail);
    assert.ok(
      noted.some((d) => d.includes(note)),
      `stored verbatim: ${JSON.stringify(noted)}`,
    );
    assert.deepEqual(errors(), []);
  });

  it("sends HTML and script in alert text to email escaped and sanitised, and stores the summary as text (HTML reduced as Mauve does)", async () => {
    // Tags go (the script with its content), entities become the characters they stand for: the
    // summary is then literal text that looks like a script, which every renderer must escape.
    const sent = `<script>steal()</script>&lt;script&gt;alert("pwned")&lt;/script&gt; <b>Robert'); DROP TABLE alerts;--</b>`;
    const summary = `<script>alert("pwned")</script> Robert'); DROP TABLE alerts;--`;
    const detail = `<p onclick="steal()">used <b>98%</b></p><script>steal()</script><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)><iframe src="https://evil.example"></iframe>`;
    agent!.change([{ id: "inject", state: "raised", summary: sent, detail }]);
    const mail = await waitFor("erin's email", () =>
      smtp.mails.find((m) => (parseMail(m.raw).headers.get("subject") ?? "").includes("inject")),
    );
    const html = parseMail(mail.raw).part("text/html")?.body ?? "";
    const plain = parseMail(mail.raw).part("text/plain")?.body ?? "";
    assert.ok(html.includes("&lt;script&gt;alert("), `summary escaped in HTML: ${html}`);
    for (const bad of [/<script/i, /onclick/i, /onerror/i, /javascript:/i, /<iframe/i]) assert.doesNotMatch(html, bad);
    assert.match(html, /<b>98%<\/b>/, "harmless markup kept");
    assert.ok(plain.includes(summary), "the text part carries the summary as plain text");
    const stored = bot!.store.alerts.find("web1", "inject")!;
    assert.equal(stored.summary, summary, "SQL-ish text stored verbatim, tags gone, entities decoded");
    assert.doesNotMatch(stored.detail, /<script|onclick|onerror|javascript:|<iframe/i, "detail sanitised when stored");
    assert.match(
      await alice.expect(/RAISED #\d+ web1 inject/),
      /<script>alert\("pwned"\)<\/script> Robert'\); DROP TABLE alerts;--/,
    );
  });
});

/** One alert of an item's update by hand: its id and summary. */
const good = (id: string, summary: string): number[] =>
  bytesField(4, [...bytesField(1, text(id)), ...bytesField(5, text(summary))]);
/** An item's protobuf by hand: db1's update with transmission id `id` (under 128) and these alerts. */
const item = (id: number, ...alerts: number[][]): string =>
  b64([...varint(1, id), ...bytesField(2, text("db1")), ...varint(3, 0), ...alerts.flat()]);

/** Publishes `data` to db1's node from `rogue` (a session of db1's own account); the server must take it. */
async function publishToDb1(rogue: XmppSession, pubsubJid: string, data: string): Promise<void> {
  const r = await createPubsub(rogue).publish(pubsubJid, "mauve/alerts/db1", { data, text: "one bad alert" });
  assert.ok(r.ok, `the server took the item: ${JSON.stringify(r)}`);
}

/**
 * AlertBot as a process telling alice, db1's agent heard from (its first alert told), and a second
 * session of db1's own account, which publishes to db1's node what no agent of ours would.
 */
async function db1BotWithRogue(
  t: TestProsody,
  dir: string,
): Promise<{ alice: PersonClient; config: string; bot: ChildRun; agent: RunningAgent; rogue: XmppSession }> {
  const d = t.prosody.domain;
  const alice = await PersonClient.login(t, "alice");
  const config = writeBotConfig(
    t,
    dir,
    `people:
  - { name: alice, jid: alice@${d} }
storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }
`,
  );
  const bot = await startBotProcess(t, config);
  const agent = await startAgent(
    t,
    dir,
    "db1",
    "  - { id: replication, summary: Replication late, state: raised }",
    new LogLines().logger,
  );
  await waitFor(
    "alice to be told of db1's first alert",
    () => alice.received.some((m) => /^RAISED #\d+ db1 replication: Replication late/.test(m.body)),
    30_000,
  );
  const rogue = await connectClient({
    service: `xmpp://127.0.0.1:${t.prosody.c2sPort}`,
    domain: d,
    username: "db1",
    password: "pw-db1",
    resource: "rogue",
  });
  return { alice, config, bot, agent, rogue };
}

describe("fault: an item's alert AlertBot cannot key, on a real AlertBot process", function () {
  this.timeout(120_000);
  let dir: string;
  let bot: ChildRun | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient | undefined;
  let rogue: XmppSession | undefined;
  let config: string;

  after(async () => {
    await agent?.stop();
    await rogue?.stop();
    await alice?.stop();
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-5000)}\n---\n`);
  });
  const server = withProsody();
  // Read from everything alice received: the bot chooses the order of the notices of one moment.
  const told = (pattern: RegExp): Promise<string> =>
    waitFor(`alice to be told ${pattern}`, () => alice!.received.find((m) => pattern.test(m.body))?.body, 30_000);
  const raisedIn = (id: string, summary: string): Promise<string> =>
    told(new RegExp(`^RAISED #\\d+ db1 ${id}: ${summary}`));
  const inStore = <T>(read: (store: Store) => T): T => {
    const store = Store.open(join(dir, "alertbot.sqlite"));
    try {
      return read(store);
    } finally {
      store.close();
    }
  };
  const stored = (): string[] =>
    inStore((s) =>
      s.alerts
        .list("all", 1000)
        .filter((a) => a.source === "db1")
        .map((a) => `${a.alertId} ${a.status}`)
        .sort(),
    );
  const publish = (data: string): Promise<void> => publishToDb1(rogue!, server().prosody.pubsubJid, data);
  before(async () => {
    dir = tempDir("mauve-fault-alert-");
    ({ alice, config, bot, agent, rogue } = await db1BotWithRogue(server(), dir));
  });

  it("applies and tells an item's other alerts, names the one it cannot key (no id, only control characters, Latin-1 bytes) in refused-updates, and takes the next item", async () => {
    const self = server().prosody.botJid;
    // An alert without its id between two good ones.
    await publish(
      item(
        90,
        good("disk-io", "disk io slow"),
        bytesField(4, bytesField(5, text("an alert without its id"))),
        good("queue", "queue long"),
      ),
    );
    await raisedIn("disk-io", "disk io slow");
    await raisedIn("queue", "queue long");
    assert.match(
      await told(new RegExp(`^RAISED #\\d+ ${self.replaceAll(".", "\\.")} refused-updates: `)),
      /AlertBot refuses updates from db1 \(pubsub\): alert\[1\] is missing required field id/,
    );
    assert.equal(
      inStore((s) => s.alerts.find(self, "refused-updates")?.status),
      "raised",
    );
    assert.equal(bot!.withMsg("alert of an item rejected")[0]?.["reason"], "alert[1] is missing required field id");

    // The next items, each with one alert it cannot key among good ones (an id of control
    // characters only, empty once cleaned; a Latin-1 "café", which is not UTF-8), are taken the same way.
    await publish(
      wrapPayload(update("db1", [alert(" \u0007\u001b "), alert("locks", { summary: "locks held" })])).data,
    );
    await raisedIn("locks", "locks held");
    await publish(
      item(
        91,
        good("vacuum", "vacuum behind"),
        bytesField(4, [...bytesField(1, [0x63, 0x61, 0x66, 0xe9]), ...bytesField(5, text("latin-1"))]),
        good("wal", "wal growing"),
      ),
    );
    await raisedIn("vacuum", "vacuum behind");
    await raisedIn("wal", "wal growing");
    assert.deepEqual(
      bot!.withMsg("alert of an item rejected").map((l) => l["reason"]),
      ["alert[1] is missing required field id", "alert[0] has an empty id", "alert[1].id is not valid UTF-8"],
    );
    assert.deepEqual(stored(), [
      "disk-io raised",
      "locks raised",
      "queue raised",
      "replication raised",
      "vacuum raised",
      "wal raised",
    ]);

    // Its agent is still heard, and the process runs on with nothing logged as an error.
    agent!.change([{ id: "replication", state: "cleared" }]);
    await told(/^CLEARED #\d+ db1 replication/);
    assert.equal(bot!.hasExited, false);
    assert.deepEqual(
      bot!.logs.filter((l) => l["level"] === "error"),
      [],
    );
  });

  it("reads such an item, published while it was down, from the node at its next start: the item's other alerts applied and told", async () => {
    // Its agent stopped first: at AlertBot's return it would publish its full state, which clears
    // every alert of db1 it does not list.
    await agent?.stop();
    agent = undefined;
    await bot!.stop();
    await publish(
      item(
        92,
        good("backup", "backup failed"),
        bytesField(4, bytesField(1, text("\u0007"))),
        good("index", "index bloated"),
      ),
    );
    bot = await startBotProcess(server(), config);
    await raisedIn("backup", "backup failed");
    await raisedIn("index", "index bloated");
    assert.ok(
      bot.withMsg("alert of an item rejected").some((l) => l["reason"] === "alert[1] has an empty id"),
      JSON.stringify(bot.withMsg("alert of an item rejected")),
    );
    assert.ok(stored().includes("backup raised") && stored().includes("index raised"), stored().join());
    assert.equal(bot.hasExited, false);
    assert.deepEqual(
      bot.logs.filter((l) => l["level"] === "error"),
      [],
    );
  });
});

describe("fault: an item refused before, read again from its node at AlertBot's next start, on a real AlertBot process", function () {
  this.timeout(120_000);
  let dir: string;
  let bot: ChildRun | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient | undefined;
  let rogue: XmppSession | undefined;
  let config: string;

  after(async () => {
    await agent?.stop();
    await rogue?.stop();
    await alice?.stop();
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-5000)}\n---\n`);
  });
  const server = withProsody();
  const told = (pattern: RegExp): Promise<string> =>
    waitFor(`alice to be told ${pattern}`, () => alice!.received.find((m) => pattern.test(m.body))?.body, 30_000);
  const refusedStatus = (): string | undefined => {
    const store = Store.open(join(dir, "alertbot.sqlite"));
    try {
      return store.alerts.find(server().prosody.botJid, "refused-updates")?.status;
    } finally {
      store.close();
    }
  };
  const publish = (data: string): Promise<void> => publishToDb1(rogue!, server().prosody.pubsubJid, data);
  before(async () => {
    dir = tempDir("mauve-fault-again-");
    ({ alice, config, bot, agent, rogue } = await db1BotWithRogue(server(), dir));
    // db1's agent has made its node (asking AlertBot); it stops: at AlertBot's return it would
    // publish its full state, which is not what this test is about.
    await agent.stop();
    agent = undefined;
  });

  it("neither logs nor counts nor raises refused-updates again for it after a restart (SIGTERM), once the alert was cleared", async () => {
    const self = server().prosody.botJid;
    const ownRaised = new RegExp(`^RAISED #(\\d+) ${self.replaceAll(".", "\\.")} refused-updates: `);
    await publish(item(100, good("disk-io", "disk io slow"), bytesField(4, bytesField(1, text("\u0007")))));
    await told(/^RAISED #\d+ db1 disk-io: disk io slow/);
    const raised = await told(ownRaised);
    assert.match(raised, /AlertBot refuses updates from db1 \(pubsub\): alert\[1\] has an empty id/);
    assert.equal(bot!.withMsg("alert of an item rejected").length, 1);
    // Cleared by hand, as an hour without a refusal would: told again, it would be raised again.
    await alice!.say(self, `clear ${ownRaised.exec(raised)![1]} because db1's agent fixed`);
    await told(/refused-updates cleared by hand by alice/);
    assert.equal(refusedStatus(), "cleared");
    const before = alice!.received.length;

    await bot!.stop();
    bot = await startBotProcess(server(), config);
    // Published after the restart: applied after the node's retained items (live events wait for
    // the node's catch-up; retained, it is the newest), so once it is told the old item was read.
    await publish(item(101, good("vacuum", "vacuum behind")));
    await told(/^RAISED #\d+ db1 vacuum: vacuum behind/);
    await alice!.barrier(self);

    assert.deepEqual(bot.withMsg("alert of an item rejected"), [], "no second refusal logged for the old item");
    assert.equal(refusedStatus(), "cleared", "refused-updates not raised again");
    const since = alice!.received.slice(before).map((m) => m.body);
    assert.ok(!since.some((b) => ownRaised.test(b)), since.join("\n"));
    assert.ok(!since.some((b) => /disk-io/.test(b)), `the applied update is a duplicate: ${since.join("\n")}`);
    assert.deepEqual(
      bot.logs.filter((l) => l["level"] === "error"),
      [],
    );
  });
});
