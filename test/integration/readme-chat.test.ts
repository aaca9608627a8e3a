// The chat reference (docs/chat.md) replayed against a real AlertBot on a real Prosody: every example
// exchange in its command table must be what the bot answers, so the two cannot drift.
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { KIND_WORD } from "../../src/notify/message.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

interface Exchange {
  readonly command: string;
  readonly reply: string;
  /** True when the cell ends with the reply: the whole answer is that one line. */
  readonly whole: boolean;
}

/** The example exchanges of the chat reference's command table, in order. */
function chatDocExchanges(): Exchange[] {
  const doc = readFileSync(new URL("../../docs/chat.md", import.meta.url), "utf8");
  const end = doc.indexOf("**Rooms.**");
  assert.ok(end > 0, "docs/chat.md has no **Rooms.** paragraph after its command table");
  const section = doc.slice(0, end);
  const rows = section.split("\n").filter((l) => l.startsWith("| `"));
  return rows.map((row) => {
    const cell =
      row
        .split(/(?<!\\)\|/)
        .at(-2)
        ?.trim() ?? "";
    const m = /^`([^`]+)` → `([^`]+)`(.*)$/.exec(cell);
    assert.ok(m, `docs/chat.md table row without an example exchange: ${row}`);
    return { command: m[1]!, reply: m[2]!, whole: m[3]!.trim() === "" };
  });
}

/** A notice about an alert ("CLEARED #42 …", "DIGEST …"), which no command's answer starts like. */
const NOTICE = new RegExp(`^(?:${Object.values(KIND_WORD).join("|")})\\b`);
const isNotice = (body: string): boolean => NOTICE.test(body);

/** The documented reply as a pattern: `#42` is the alert's real id, "12m ago" any age. */
function replyPattern(reply: string, id: number): RegExp {
  const escaped = reply.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/#42\b/g, `#${id}`).replace(/\d+m ago/g, "(?:\\d+[smhd]\\w* ago|just now)")}$`);
}

describe("The chat reference (docs/chat.md), replayed against a real bot", function () {
  this.timeout(90_000);
  const server = withProsody();
  let dir: string;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  const people: PersonClient[] = [];

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    for (const p of people) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers every example exchange in docs/chat.md's table as written", async () => {
    const exchanges = chatDocExchanges();
    assert.ok(exchanges.length >= 10, `found ${exchanges.length} exchanges`);
    dir = tempDir("mauve-readme-");
    const t = server();
    const [alice, bob, carol] = [
      await PersonClient.login(t, "alice"),
      await PersonClient.login(t, "bob"),
      await PersonClient.login(t, "carol"),
    ];
    people.push(alice, bob, carol);
    bot = await startBot(t, dir, ["alice", "bob", "carol"], new LogLines().logger, {
      extraYaml: `
workgroups:
  - name: ops
    members: [bob, alice]
    overrides:
      - { person: carol, from: 2020-01-01 00:00, until: 2099-01-01 00:00 }
    escalation:
      urgent: { steps: [{ after: 0m, notify: oncall }, { after: 1h, notify: next }], reminder: false }
rules:
  - { match: { source: "web*" }, level: urgent, workgroup: ops }
  - { level: normal, workgroup: ops }
`,
    });
    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk / is 97% full, importance: 90, state: raised }",
      new LogLines().logger,
    );
    const id = Number(/#(\d+)/.exec(await carol.expect(/^RAISED #\d+ web1 disk-full/))![1]);

    for (const x of exchanges) {
      // Alice acts; bob asks (the replies do not name who asked), which keeps both under the rate limit.
      const who = /^(show|detail|history|oncall|help|silences)\b/.test(x.command) ? bob : alice;
      who.inbox.length = 0;
      await who.say(t.prosody.botJid, x.command.replace(/\b42\b/g, String(id)));
      // The answer comes before any notice the command sets off (see "unack" in chat-replies), but a
      // notice the previous command set off may still be on its way to this reader: skip notices.
      const answer = (await waitFor(`the answer to "${x.command}"`, () => who.inbox.find((m) => !isNotice(m.body))))
        .body;
      const shown = x.whole ? answer : (answer.split("\n")[0] ?? "");
      assert.match(
        shown,
        replyPattern(x.reply, id),
        `docs/chat.md says "${x.command}" → "${x.reply}"${x.whole ? "" : " (first line)"}; the bot said:\n${answer}`,
      );
    }
  });
});
