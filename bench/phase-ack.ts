// ack → reply: a person acknowledges an alert in chat and waits for the bot's answer.
import type { Worker } from "./children.js";
import { hrMs, sleep } from "./hrtime.js";
import type { Person, Received } from "./person.js";
import { summarise, type LatencySummary } from "./stats.js";

/** Round trips of `ack <id>` to the bot's reply. */
export interface AckResult {
  readonly latency: LatencySummary | null;
  /** Acks that got no reply within the timeout, or a reply not naming the alert. */
  readonly failed: number;
  /** The first reply, to show that it is the ack's answer and not some other line. */
  readonly sampleReply: string;
  /**
   * Where the round trips went, when the bot's side was stamped: person -> bot reading the line
   * (Prosody routing it and the bot's read backlog), the bot's own work, bot -> the person's client.
   */
  readonly legs: { toBot: LatencySummary; inBot: LatencySummary; toPerson: LatencySummary } | null;
}

// Two people take turns at this pace, so that no one exceeds a per-person command rate limit
// (the bot allows a burst of 10, then one every second) and the limiter is never what is timed.
const PACE_MS = 600;
const REPLY_TIMEOUT_MS = 5_000;

/** Sends `ack <id>` for each id, alternating between `people`, and times each reply. */
export async function measureAcks(
  people: readonly Person[],
  botJid: string,
  shortIds: readonly number[],
  bot?: Worker,
): Promise<AckResult> {
  await bot?.call("takeAckTimings");
  const sent = new Map<number, { at: number; answeredAt: number }>();
  const samples: number[] = [];
  let failed = 0;
  let sampleReply = "";
  for (const [i, id] of shortIds.entries()) {
    const person = people[i % people.length]!;
    const reply = new Promise<Received | undefined>((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(undefined);
      }, REPLY_TIMEOUT_MS);
      const off = person.onMessage((m) => {
        clearTimeout(timer);
        off();
        resolve(m);
      });
    });
    const sentAt = hrMs();
    await person.say(botJid, `ack ${id}`);
    const answer = await reply;
    if (answer && answer.body.includes(`#${id}`)) {
      samples.push(answer.at - sentAt);
      sent.set(id, { at: sentAt, answeredAt: answer.at });
    } else failed++;
    sampleReply ||= answer?.body.split("\n")[0] ?? "";
    await sleep(PACE_MS);
  }
  let legs: AckResult["legs"] = null;
  if (bot) {
    const t = await bot.call<{ in: Array<[string, number]>; out: Array<[string, number]> }>("takeAckTimings");
    const ins = new Map(t.in);
    const outs = new Map(t.out);
    const toBot: number[] = [];
    const inBot: number[] = [];
    const toPerson: number[] = [];
    for (const [id, s] of sent) {
      const i = ins.get(String(id));
      const o = outs.get(String(id));
      if (i === undefined || o === undefined) continue;
      toBot.push(i - s.at);
      inBot.push(o - i);
      toPerson.push(s.answeredAt - o);
    }
    if (toBot.length > 0) legs = { toBot: summarise(toBot), inBot: summarise(inBot), toPerson: summarise(toPerson) };
  }
  return { latency: samples.length > 0 ? summarise(samples) : null, failed, sampleReply, legs };
}
