// Baseline and bot compared in alternating windows on one connection, one set of nodes and
// subscriptions: the worker switches between the real bot and a do-nothing subscriber with one
// message (see subscriber-worker.ts), so windows a few seconds apart can be paired. Pairs run in
// ABBA order, which cancels a steady drift of the machine's load; the headline throughput ratio is
// the median of the pairs' ratios, and the spread between pairs shows how noisy the machine was.
import { ACKERS, ON_CALL } from "./bot-config.js";
import { startBotWorker, type BotWorker } from "./bot-worker.js";
import { cpuMsPerUpdate, meanThroughput, median, writeKbPerUpdate } from "./compare-aggregate.js";
import { BENCH_PASSWORD, type BenchContext } from "./context.js";
import type { Worker } from "./children.js";
import { measureAcks, type AckResult } from "./phase-ack.js";
import { measureLatency, summariseChatLegs, summariseLatency, type LatencySamples } from "./phase-latency.js";
import { measureThroughput, type ThroughputPlan, type ThroughputResult } from "./phase-throughput.js";
import { Person, type PersonClient } from "./person.js";
import { readProc } from "./proc-stats.js";
import { RemotePeople } from "./remote-people.js";
import type { BenchResults, RoundRatios } from "./results.js";
import { QuietLog, SimAgent } from "./sim-agent.js";
import { ratio, summarise } from "./stats.js";

/** Usernames of the throughput/latency publishers. */
export function publisherAccounts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `pub${String(i).padStart(2, "0")}`);
}

/** Everyone who logs in as a person. */
export const PEOPLE = [ON_CALL, ...ACKERS];

/** Which side each window of pair `i` measures first: A B, B A, B A, A B, ... (ABBA). */
function order(i: number): readonly [boolean, boolean] {
  return i % 4 === 0 || i % 4 === 3 ? [true, false] : [false, true];
}

/** Runs the pairs; `whileBotUp` runs at the end with the bot still up (the agent phase). */
export async function comparePhases(
  ctx: BenchContext,
  whileBotUp?: (bot: Worker) => Promise<BenchResults["agent"]>,
): Promise<Pick<BenchResults, "baseline" | "bot" | "agent" | "ratios" | "rounds">> {
  const { prosody } = ctx.server;
  const log = new QuietLog();
  let remote: RemotePeople | undefined;
  let people: readonly PersonClient[] = [];
  let publishers: SimAgent[] = [];
  let bot: BotWorker | undefined;
  try {
    bot = await startBotWorker(ctx, "bot");
    // The people's clients run in their own process: in this one they were read and stamped
    // only between the publishers' work (see people-worker.ts).
    if (ctx.experiments.has("people-in-process")) {
      const here: Person[] = [];
      for (const name of PEOPLE)
        here.push(
          await Person.login({ service: ctx.target.service, domain: prosody.domain, name, password: BENCH_PASSWORD }),
        );
      people = here;
    } else {
      remote = await RemotePeople.start(ctx, PEOPLE, BENCH_PASSWORD);
      people = remote.people;
    }
    publishers = await Promise.all(
      publisherAccounts(ctx.sizes.publishers).map((n) => SimAgent.connect(n, ctx.target, log)),
    );
    for (const p of publishers) {
      await p.announce(!ctx.experiments.has("no-first-contact-resync"));
      if (!(await p.ensureNode())) throw new Error(`the bot did not provision ${p.node}: ${log.first.join("; ")}`);
    }
    const { worker, database } = bot;
    const alice = people[0]!;
    const plan = (cycle: string): ThroughputPlan => ({
      cycle,
      warmMs: ctx.sizes.warmMs,
      measureMs: ctx.sizes.measureMs,
      batch: ctx.sizes.batch,
      drainTimeoutMs: 30_000,
    });
    const setMode = (baseline: boolean): Promise<unknown> => worker.call("mode", { baseline }, 60_000);

    // "Moderate" must mean moderate on this machine today: a third of a first saturating baseline
    // window (capped at the configured rate), the same for every latency window of the run.
    await setMode(true);
    const probe = await measureThroughput(worker, publishers, ctx.prosodyPid, plan("baseline"));
    const rate = Math.max(5, Math.min(ctx.sizes.latencyRate, Math.round(probe.updatesPerSec / 3)));
    ctx.progress(
      `first baseline window: ${probe.updatesPerSec.toFixed(1)} events/s; latency windows at ${rate} updates/s`,
    );

    const pairs = ctx.sizes.rounds;
    const tput: Array<{ base?: ThroughputResult; bot?: ThroughputResult }> = [];
    for (let i = 0; i < pairs; i++) {
      const pair: { base?: ThroughputResult; bot?: ThroughputResult } = {};
      for (const baseline of order(i)) {
        await setMode(baseline);
        const t = await measureThroughput(
          worker,
          publishers,
          ctx.prosodyPid,
          plan(baseline ? "baseline" : "bot"),
          baseline ? undefined : { person: alice, database },
        );
        if (baseline) pair.base = t;
        else pair.bot = t;
      }
      ctx.progress(
        `pair ${i + 1}/${pairs} saturating: baseline ${pair.base!.updatesPerSec.toFixed(1)} events/s, bot ${pair.bot!.updatesPerSec.toFixed(1)} updates/s`,
      );
      tput.push(pair);
    }
    const lat: Array<{ base?: LatencySamples; bot?: LatencySamples }> = [];
    for (let i = 0; i < pairs; i++) {
      const pair: { base?: LatencySamples; bot?: LatencySamples } = {};
      for (const baseline of order(i)) {
        await setMode(baseline);
        const l = await measureLatency(worker, publishers, rate, ctx.sizes.latencyMs, baseline ? undefined : alice);
        if (baseline) pair.base = l;
        else pair.bot = l;
      }
      const legs = summariseChatLegs(pair.bot!.chatLegs);
      const slow = legs?.slowest;
      ctx.progress(
        `pair ${i + 1}/${pairs} at ${rate}/s: publish->event p99 ${summarise(pair.base!.event).p99} ms, publish->chat p99 ${summarise(pair.bot!.chat).p99} ms` +
          (slow
            ? `; slowest ${slow.n} chat lines: to bot ${slow.toBot}, stored ${slow.toStored}, notice written ${slow.toNotice}, to person ${slow.toPerson} ms`
            : ""),
      );
      lat.push(pair);
    }
    await setMode(false);
    const botRssMb = (await readProc(worker.pid))?.rssMb ?? NaN;
    const raised = lat.flatMap((l) => l.bot!.raisedShortIds);
    const ack = await measureAcks(people.slice(1), {
      botJid: prosody.botJid,
      shortIds: raised.slice(0, ctx.sizes.acks),
      domain: prosody.domain,
      bot: worker,
      componentPort: prosody.componentPort,
    });
    ctx.progress(
      `ack->reply p50 ${ack.latency?.p50} ms, p99 ${ack.latency?.p99} ms (${ack.sampleReply}); person->person->person p50 ${ack.echo?.latency?.p50} ms, p99 ${ack.echo?.latency?.p99} ms`,
    );
    // The same acks while every publisher publishes as fast as Prosody confirms: a command reply
    // must not wait behind ingest.
    let ackSaturated: AckResult | undefined;
    const saturated = await measureThroughput(
      worker,
      publishers,
      ctx.prosodyPid,
      {
        ...plan("bot"),
        during: async () => {
          ackSaturated = await measureAcks(people.slice(1), {
            botJid: prosody.botJid,
            shortIds: raised.slice(ctx.sizes.acks, 2 * ctx.sizes.acks),
            domain: prosody.domain,
            bot: worker,
            componentPort: prosody.componentPort,
          });
        },
      },
      { person: alice, database },
    );
    ctx.progress(
      `ack->reply while saturated (${saturated.updatesPerSec.toFixed(1)} updates/s): p50 ${ackSaturated!.latency?.p50} ms, p99 ${ackSaturated!.latency?.p99} ms, max ${ackSaturated!.latency?.max} ms, ${ackSaturated!.failed} unanswered, ${ackSaturated!.otherLines} other lines meanwhile, at most ${ackSaturated!.prosodyUnreadMaxBytes} bytes of AlertBot's stream unread by Prosody; person->person->person p50 ${ackSaturated!.echo?.latency?.p50} ms, p99 ${ackSaturated!.echo?.latency?.p99} ms, ${ackSaturated!.echo?.failed} unanswered; legs p99 to bot ${ackSaturated!.legs?.toBot.p99}, in bot ${ackSaturated!.legs?.inBot.p99}, to person ${ackSaturated!.legs?.toPerson.p99} ms${botSide(ackSaturated!)}`,
    );
    await worker.call("deleteNodesAsBot", { nodes: publishers.map((p) => p.node), service: prosody.pubsubJid }, 60_000);
    const agent = whileBotUp ? await whileBotUp(worker) : null;
    return aggregate(
      tput,
      lat,
      { ...ack, saturated: ackSaturated!, saturatedUpdatesPerSec: saturated.updatesPerSec },
      agent,
      botRssMb,
    );
  } finally {
    await Promise.all([...publishers, ...people].map((p) => p.stop()));
    await remote?.stop();
    await bot?.worker.stop();
  }
}

// Where the bot's own part of a saturated ack went (progress line only; the JSON has it all).
function botSide(a: AckResult): string {
  const p = a.botSide;
  if (!p) return "";
  const longest = p.runs.longest[0];
  return (
    `; bot: CPU from read to answer p99 ${p.cpuMs.p99} ms, answer behind at most ${p.queuedBytesMax} bytes in its socket and ${p.kernelQueuedBytesMax} in the kernel, ` +
    `at most ${p.unreadBytesAtReadMax} bytes unread behind the ack; event loop blocked p99 ${p.loopDelayMs.p99}, max ${p.loopDelayMs.max} ms ` +
    `(longest batch ${longest ? `${longest.items} items, ${longest.wallMs} ms wall, ${longest.cpuMs} ms CPU, ${longest.voluntarySwitches} waits in a system call, ${longest.involuntarySwitches} preemptions` : "none"}; ` +
    `${p.runs.waitedInSyscall} of ${p.runs.count} batches waited in a system call, ${p.runs.waitedInSyscallWallMs} ms in all); ` +
    `answers that waited in a system call ${p.answersWaitingInSyscall}, were preempted ${p.answersPreempted} of ${p.cpuMs.n}; ` +
    `bench's main loop blocked p99 ${a.benchLoopDelayMs.p99}, max ${a.benchLoopDelayMs.max} ms`
  );
}

function aggregate(
  tput: ReadonlyArray<{ base?: ThroughputResult; bot?: ThroughputResult }>,
  lat: ReadonlyArray<{ base?: LatencySamples; bot?: LatencySamples }>,
  ack: NonNullable<BenchResults["bot"]>["ack"],
  agent: BenchResults["agent"],
  botRssMb: number,
): Pick<BenchResults, "baseline" | "bot" | "agent" | "ratios" | "rounds"> {
  const baseline = {
    throughput: meanThroughput(tput.map((p) => p.base!)),
    latency: summariseLatency(lat.map((p) => p.base!)),
  };
  const bot = {
    throughput: meanThroughput(tput.map((p) => p.bot!)),
    latency: summariseLatency(lat.map((p) => p.bot!)),
    ack,
    botRssMb,
  };
  const rounds: RoundRatios[] = tput.map((p, i) => {
    const a = p.base!;
    const b = p.bot!;
    const eventP99 = summarise(lat[i]!.base!.event).p99;
    const chatP99 = summarise(lat[i]!.bot!.chat).p99;
    return {
      baselinePerSec: a.updatesPerSec,
      botPerSec: b.updatesPerSec,
      updatesRatio: ratio(b.updatesPerSec, a.updatesPerSec),
      eventP99,
      chatP99,
      chatP99Ratio: ratio(chatP99, eventP99),
      prosodyCpuMsPerEvent: cpuMsPerUpdate(a.prosody, a.updatesPerSec),
      prosodyCpuMsPerUpdateWithBot: cpuMsPerUpdate(b.prosody, b.updatesPerSec),
      botCpuMsPerUpdate: cpuMsPerUpdate(b.subscriber, b.updatesPerSec),
      readerCpuMsPerEvent: cpuMsPerUpdate(a.subscriber, a.updatesPerSec),
      prosodyWriteKbPerEvent: writeKbPerUpdate(a.prosody, a.updatesPerSec),
      prosodyWriteKbPerUpdateWithBot: writeKbPerUpdate(b.prosody, b.updatesPerSec),
      botWriteKbPerUpdate: writeKbPerUpdate(b.subscriber, b.updatesPerSec),
    };
  });
  const ratios = {
    updatesPerSec: median(rounds.map((r) => r.updatesRatio)),
    storedP99: ratio(bot.latency.publishToStored?.p99 ?? NaN, baseline.latency.publishToEvent?.p99 ?? NaN),
    chatP99: ratio(bot.latency.publishToChat?.p99 ?? NaN, baseline.latency.publishToEvent?.p99 ?? NaN),
    chatP50: ratio(bot.latency.publishToChat?.p50 ?? NaN, baseline.latency.publishToEvent?.p50 ?? NaN),
    prosodyCpuMsPerEvent: median(rounds.map((r) => r.prosodyCpuMsPerEvent)),
    prosodyCpuMsPerUpdateWithBot: median(rounds.map((r) => r.prosodyCpuMsPerUpdateWithBot)),
    botCpuMsPerUpdate: median(rounds.map((r) => r.botCpuMsPerUpdate)),
    readerCpuMsPerEvent: median(rounds.map((r) => r.readerCpuMsPerEvent)),
    prosodyWriteKbPerEvent: median(rounds.map((r) => r.prosodyWriteKbPerEvent)),
    prosodyWriteKbPerUpdateWithBot: median(rounds.map((r) => r.prosodyWriteKbPerUpdateWithBot)),
    botWriteKbPerUpdate: median(rounds.map((r) => r.botWriteKbPerUpdate)),
  };
  return { baseline, bot, agent, ratios, rounds };
}
