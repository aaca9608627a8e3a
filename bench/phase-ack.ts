// ack → reply: a person acknowledges an alert in chat and waits for the bot's answer.
import type { Worker } from "./children.js";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { sleep } from "./hrtime.js";
import { ECHO, ECHOED, nextLine, type PersonClient } from "./person.js";
import { unreadBytesOnPort } from "./proc-stats.js";
import { summarise, type LatencySummary } from "./stats.js";
import type { AckTimings } from "./subscriber-worker.js";

/** Round trips of `ack <id>` to the bot's reply. */
export interface AckResult {
  readonly latency: LatencySummary | null;
  /** Acks that got no reply naming their alert within the timeout. */
  readonly failed: number;
  /**
   * Lines the people got meanwhile that did not answer the ack they waited for (notices, answers
   * to other acks). Counted, not taken for the answer: one answer late past the timeout used to be
   * taken for the next ack's, and so on down the row, each counted as failed.
   */
  readonly otherLines: number;
  /**
   * The most of AlertBot's stream Prosody had received and not read, sampled every 100 ms while the
   * acks ran (null when not sampled). Prosody 0.12 paused reading a socket it had read only in part
   * until its event loop was idle: under load, AlertBot's whole stream waited (see docs/performance.md).
   */
  readonly prosodyUnreadMaxBytes: number | null;
  /**
   * The same round trip between two people through the same server, taken after each ack (person
   * -> person -> person, c2s both ways, no AlertBot): what the server alone adds to an answer
   * meanwhile. Null with fewer than two people.
   */
  readonly echo: { latency: LatencySummary | null; failed: number } | null;
  /** The first reply, to show that it is the ack's answer and not some other line. */
  readonly sampleReply: string;
  /**
   * Where the round trips went, when the bot's side was stamped: person -> bot reading the line
   * (Prosody routing it and the bot's read backlog), the bot's own work, bot -> the person's client.
   */
  readonly legs: { toBot: LatencySummary; inBot: LatencySummary; toPerson: LatencySummary } | null;
  /**
   * The bot's side of the legs: the bot's leg ends when it hands the answer to its socket; `socket`
   * is from then until the socket took it (the "send" event, which came after the person's client
   * had it in some idle runs), `queuedBytesMax` the most bytes of the bot's earlier writes still in
   * its socket buffer when an answer was written, `loopDelayMs` how long the bot's event loop was
   * blocked meanwhile (a line that arrives then is read only after: part of the leg to the bot).
   */
  readonly botSide: {
    socket: LatencySummary;
    queuedBytesMax: number;
    /** The most bytes in the kernel's send queue of the bot's socket when an answer was written. */
    kernelQueuedBytesMax: number;
    /** The most bytes the bot had received and not read yet when it read an ack. */
    unreadBytesAtReadMax: number;
    /** CPU the bot spent between reading an ack and writing its answer (the rest of the leg is waiting for a core). */
    cpuMs: LatencySummary;
    /** Answers during which the bot waited in a system call (voluntary switches), or was preempted. */
    answersWaitingInSyscall: number;
    answersPreempted: number;
    loopDelayMs: { p50: number; p99: number; max: number };
    runs: AckTimings["runs"];
  } | null;
  /**
   * How long the event loop of the bench's main process (the publishers' and, with the
   * people-in-process experiment, the people's) was blocked while the acks ran.
   */
  readonly benchLoopDelayMs: { p50: number; p99: number; max: number };
}

// Two people take turns at this pace, so that no one exceeds a per-person command rate limit
// (the bot allows a burst of 10, then one every second) and the limiter is never what is timed.
const PACE_MS = 600;
const REPLY_TIMEOUT_MS = 15_000;

/** Sends `ack <id>` for each id, alternating between `people`, and times each reply. */
export async function measureAcks(
  people: readonly PersonClient[],
  options: {
    botJid: string;
    shortIds: readonly number[];
    /** The people's domain, for their round trips to each other. */
    domain: string;
    bot?: Worker;
    /** Prosody's component port, to sample what of AlertBot's stream it has not read. */
    componentPort?: number;
  },
): Promise<AckResult> {
  const { botJid, shortIds, domain, bot, componentPort } = options;
  await bot?.call("takeAckTimings", { next: true });
  let prosodyUnreadMaxBytes: number | null = null;
  let sampling = componentPort !== undefined;
  const sampler = (async () => {
    while (sampling && componentPort !== undefined) {
      prosodyUnreadMaxBytes = Math.max(prosodyUnreadMaxBytes ?? 0, await unreadBytesOnPort(componentPort));
      await sleep(100);
    }
  })();
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const sent = new Map<number, { at: number; answeredAt: number }>();
  const echoing = people.length >= 2;
  if (echoing) await Promise.all(people.map((p) => p.echo(true)));
  const echoSamples: number[] = [];
  let echoFailed = 0;
  const samples: number[] = [];
  let failed = 0;
  let otherLines = 0;
  let sampleReply = "";
  for (const [i, id] of shortIds.entries()) {
    const person = people[i % people.length]!;
    const names = new RegExp(`#${id}\\b`);
    const reply = nextLine(
      person,
      (m) => names.test(m.body),
      REPLY_TIMEOUT_MS,
      () => otherLines++,
    );
    // Stamped where the person's client runs, as it writes the line.
    const sentAt = await person.say(botJid, `ack ${id}`);
    const answer = await reply;
    if (answer) {
      samples.push(answer.at - sentAt);
      sent.set(id, { at: sentAt, answeredAt: answer.at });
    } else failed++;
    sampleReply ||= answer?.body.split("\n")[0] ?? "";
    if (echoing) {
      const rtt = await roundTrip(person, `${people[(i + 1) % people.length]!.name}@${domain}`, i);
      if (rtt === undefined) echoFailed++;
      else echoSamples.push(rtt);
    }
    await sleep(PACE_MS);
  }
  loopDelay.disable();
  if (echoing) await Promise.all(people.map((p) => p.echo(false)));
  sampling = false;
  await sampler;
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  const benchLoopDelayMs = {
    p50: ms(loopDelay.percentile(50)),
    p99: ms(loopDelay.percentile(99)),
    max: ms(loopDelay.max),
  };
  let legs: AckResult["legs"] = null;
  let botSide: AckResult["botSide"] = null;
  if (bot) {
    const t = await bot.call<AckTimings>("takeAckTimings");
    const ins = new Map(t.in);
    const outs = new Map(t.out);
    const writes = new Map(t.write);
    const toBot: number[] = [];
    const inBot: number[] = [];
    const toPerson: number[] = [];
    const socket: number[] = [];
    const cpuMs: number[] = [];
    let queuedBytesMax = 0;
    let kernelQueuedBytesMax = 0;
    let answersWaitingInSyscall = 0;
    let answersPreempted = 0;
    for (const [id, s] of sent) {
      const i = ins.get(String(id));
      const sentEvent = outs.get(String(id));
      const w = writes.get(String(id));
      const o = w?.at ?? sentEvent;
      if (i === undefined || o === undefined) continue;
      toBot.push(i - s.at);
      inBot.push(o - i);
      toPerson.push(s.answeredAt - o);
      if (w === undefined || sentEvent === undefined) continue;
      socket.push(sentEvent - w.at);
      cpuMs.push(w.cpuMs);
      if (w.voluntarySwitches > 0) answersWaitingInSyscall++;
      if (w.involuntarySwitches > 0) answersPreempted++;
      queuedBytesMax = Math.max(queuedBytesMax, w.queuedBytes);
      kernelQueuedBytesMax = Math.max(kernelQueuedBytesMax, w.kernelTx);
    }
    if (toBot.length > 0) legs = { toBot: summarise(toBot), inBot: summarise(inBot), toPerson: summarise(toPerson) };
    if (socket.length > 0)
      botSide = {
        socket: summarise(socket),
        queuedBytesMax,
        kernelQueuedBytesMax,
        unreadBytesAtReadMax: Math.max(0, ...t.unreadBytesAtRead.map(([, n]) => n)),
        cpuMs: summarise(cpuMs),
        answersWaitingInSyscall,
        answersPreempted,
        loopDelayMs: t.loopDelayMs,
        runs: t.runs,
      };
  }
  return {
    latency: samples.length > 0 ? summarise(samples) : null,
    failed,
    otherLines,
    prosodyUnreadMaxBytes,
    echo: echoing ? { latency: echoSamples.length > 0 ? summarise(echoSamples) : null, failed: echoFailed } : null,
    sampleReply,
    legs,
    botSide,
    benchLoopDelayMs,
  };
}

/** `from` says "echo <n>" to `to`, who echoes it: the round trip in ms, or undefined if none came in time. */
async function roundTrip(from: PersonClient, to: string, n: number): Promise<number | undefined> {
  const body = `${ECHO}${n}`;
  const back = nextLine(from, (m) => m.body === `${ECHOED}${n}`, REPLY_TIMEOUT_MS);
  const sentAt = await from.say(to, body);
  const answer = await back;
  return answer ? answer.at - sentAt : undefined;
}
