// The readable table printed at the end of a run.
import { projectedBulkRate } from "./phase-open-alerts.js";
import type { Spread as TakeoverSpread } from "./phase-takeover.js";
import type { LatencySummary } from "./stats.js";
import type { AckResult } from "./phase-ack.js";
import type { BenchResults } from "./results.js";
import type { ProcWindow } from "./proc-stats.js";
import { SERVER_NAMES } from "./server.js";

const n0 = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? "n/a" : Math.round(x).toLocaleString("en-US");
const n1 = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(1);
const n2 = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(2);
const lat = (s: LatencySummary | null | undefined): string =>
  s ? `p50 ${n2(s.p50)}  p99 ${n2(s.p99)}  max ${n2(s.max)} ms (n=${s.n})` : "n/a";
const proc = (w: ProcWindow): string =>
  `CPU ${n0(w.cpuPercent)}%  RSS ${n1(w.rssMb)} MB  writes ${n0(w.writeKbPerSec)} KiB/s`;

/** Renders the results as aligned lines of text. */
export function renderTable(r: BenchResults): string {
  const rows: Array<[string, string]> = [];
  const section = (title: string): void => {
    rows.push(["", ""], [`== ${title}`, ""]);
  };
  const m = r.machine;
  // The server the run measured: its results keep Prosody's field names for either server.
  const server = SERVER_NAMES[m.server];
  section("machine");
  rows.push(
    ["cpu", `${m.cpu}, ${m.cores} cores, ${n0(m.memoryGb)} GB`],
    ["software", `${m.prosody} (${m.storage} storage), Node ${m.node}, Linux ${m.kernel}`],
  );
  rows.push(["load average at start", m.loadAverage.map(n2).join(" ")]);
  if (m.contended) rows.push(["contended", "a CPU hog (busy loop, own process) ran beside the whole run"]);
  rows.push(["bot workers run", r.runtime]);
  if (r.experiments.length > 0) rows.push(["EXPERIMENT (not as shipped)", r.experiments.join(", ")]);

  if (r.baseline) {
    const { throughput: t, latency: l } = r.baseline;
    section(
      `baseline: do-nothing component subscriber (${r.sizes.publishers} publishers, ${r.sizes.batch} alerts/update)`,
    );
    rows.push(["events/s (saturating)", `${n1(t.updatesPerSec)}  (publishes confirmed ${n1(t.confirmedPerSec)}/s)`]);
    rows.push([
      `${server} / subscriber / generator`,
      `${proc(t.prosody)} | ${proc(t.subscriber)} | ${proc(t.generator)}`,
    ]);
    rows.push([`publish->event @${l.rate}/s`, lat(l.publishToEvent)]);
    rows.push([`publish->confirm @${l.rate}/s`, lat(l.publishToConfirm)]);
  }
  if (r.bot) {
    const { throughput: t, latency: l, ack } = r.bot;
    section("AlertBot: decode, apply, store, policy, chat to alice");
    rows.push([
      "updates/s (saturating)",
      `${n1(t.updatesPerSec)}  (received ${n1(t.receivedPerSec)}/s, confirmed ${n1(t.confirmedPerSec)}/s)`,
    ]);
    rows.push(["alerts/s", n1(t.alertsPerSec)], ["chat lines/s to alice", n1(t.chatPerSec)]);
    const pubs = Object.entries(t.sentPerSec.publishes)
      .map(([node, rate]) => `${node} ${n1(rate)}`)
      .join(", ");
    rows.push([
      `bot -> ${server} per second`,
      `${n1(t.sentPerSec.messages)} messages, ${n1(t.sentPerSec.iqs)} IQs (publishes: ${pubs || "none"})`,
    ]);
    rows.push(["backlog at end / drain", `${n0(t.backlogAtEnd)} updates, ${n0(t.drainMs)} ms`]);
    if (t.auditAtEnd)
      rows.push([
        "audit feed at end",
        `${n0(t.auditAtEnd.unpublished)} of ${n0(t.auditAtEnd.historyLines)} history lines not yet published`,
      ]);
    rows.push([`${server} / bot / generator`, `${proc(t.prosody)} | ${proc(t.subscriber)} | ${proc(t.generator)}`]);
    rows.push([`publish->stored @${l.rate}/s`, lat(l.publishToStored)]);
    rows.push([`publish->chat @${l.rate}/s`, lat(l.publishToChat)]);
    const legs = (a: typeof ack.saturated): string =>
      a.legs
        ? `; p50/p99 to bot ${n1(a.legs.toBot.p50)}/${n1(a.legs.toBot.p99)}, in bot ${n1(a.legs.inBot.p50)}/${n1(a.legs.inBot.p99)}, to person ${n1(a.legs.toPerson.p50)}/${n1(a.legs.toPerson.p99)} ms`
        : "";
    rows.push([
      "ack->reply (bus idle)",
      `${lat(ack.latency)}${ack.failed > 0 ? `, ${ack.failed} failed` : ""}${legs(ack)}`,
    ]);
    rows.push([
      `ack->reply (saturated, ${n1(ack.saturatedUpdatesPerSec)} updates/s)`,
      `${lat(ack.saturated.latency)}${ack.saturated.failed > 0 ? `, ${ack.saturated.failed} failed` : ""}${legs(ack.saturated)}`,
    ]);
  }
  if (r.ratios) {
    section(
      `bot / baseline (same run, ${r.rounds.length} ABBA pairs of windows; throughput ratio = median of the pairs' ratios)`,
    );
    rows.push(["updates/s ratio", n2(r.ratios.updatesPerSec)], ["stored p99 / event p99", n2(r.ratios.storedP99)]);
    rows.push(["chat p50 / event p50", n2(r.ratios.chatP50)], ["chat p99 / event p99", n2(r.ratios.chatP99)]);
    rows.push([
      "CPU ms per update (median of pairs)",
      `${server} ${n2(r.ratios.prosodyCpuMsPerEvent)} (baseline) vs ${n2(r.ratios.prosodyCpuMsPerUpdateWithBot)} (with the bot's traffic); bot ${n2(r.ratios.botCpuMsPerUpdate)}, of which ${n2(r.ratios.readerCpuMsPerEvent)} reading the events (the same process as the do-nothing subscriber)`,
    ]);
    rows.push([
      "KiB written per update (median of pairs)",
      `${server} ${n1(r.ratios.prosodyWriteKbPerEvent)} (baseline) vs ${n1(r.ratios.prosodyWriteKbPerUpdateWithBot)} (with the bot's traffic); bot ${n1(r.ratios.botWriteKbPerUpdate)}`,
    ]);
    r.rounds.forEach((x, i) =>
      rows.push([
        `  pair ${i + 1}`,
        `baseline ${n1(x.baselinePerSec)}/s, bot ${n1(x.botPerSec)}/s (${n2(x.updatesRatio)}); event p99 ${n1(x.eventP99)} ms, chat p99 ${n1(x.chatP99)} ms (${n2(x.chatP99Ratio)}x)`,
      ]),
    );
  }
  if (r.agent) {
    section("mauve-agent process");
    for (const a of [r.agent.tsx, r.agent.compiled]) {
      if (!a) continue;
      rows.push([
        a.command,
        `idle RSS ${n1(a.idleRssMb)} MB (CPU ${n1(a.idleCpuPercent)}%${a.idleHelpersRssMb > 0 ? `, + helpers ${n1(a.idleHelpersRssMb)} MB` : ""}); busy max RSS ${n1(a.busyMaxRssMb)} MB, CPU ${n0(a.busyCpuPercent)}%, ${n1(a.busyUpdatesPerSec)} updates/s`,
      ]);
    }
  }
  if (r.openAlerts) {
    const o = r.openAlerts;
    section(`AlertBot with ${n0(o.count)} open alerts`);
    rows.push([
      "RSS before -> after (settled)",
      `${n1(o.rssBeforeMb)} -> ${n1(o.rssAfterMb)} MB (+${n1(o.rssDeltaMb)}); at the last update ${n1(o.rssAtLastUpdateMb)} MB, peak ${n1(o.peakRssMb)} MB`,
    ]);
    rows.push([
      "V8 heap used before -> after",
      `${n1(o.heapUsedBeforeMb)} -> ${n1(o.heapUsedAfterMb)} MB; external ${n1(o.externalAfterMb)} MB; SQLite file ${n1(o.dbFileMb)} MB`,
    ]);
    rows.push([
      `apply time per update (${o.perUpdate} alerts)`,
      `${n1(o.firstTenthMsPerUpdate)} ms first tenth, ${n1(o.lastTenthMsPerUpdate)} ms last tenth; ${n1(o.seconds)} s in all (${n0(o.raised / o.seconds)} alerts/s)`,
    ]);
    rows.push([
      "the store alone, same alerts (alerts/s)",
      `${n0(o.floor.rowsPerSec)} each alert's row; ${n0(o.floor.rowsAndHistoryPerSec)} with its history line; ${n0(o.floor.allWritesPerSec)} with every statement the bot runs for it (AlertBot: ${n0(o.raised / o.seconds)}, ${n0((100 * o.raised) / o.seconds / o.floor.allWritesPerSec)}% of that)`,
    ]);
    rows.push([
      "the same, the look apart / one delivery row a digest",
      `${n0(o.floor.lookWrittenApartPerSec)} with the policy's look written apart from the row (as before); ${n0(o.floor.digestDeliveryRowPerSec)} with one delivery row per digest (AlertBot at the same share: about ${n0(projectedBulkRate(o))})`,
    ]);
  }
  if (r.stormPeople) {
    const p = r.stormPeople;
    section(`people with ${n0(p.openAlerts)} open alerts and a silence in force`);
    const line = (a: AckResult): string =>
      `p50 ${a.latency?.p50 ?? "-"} ms, p99 ${a.latency?.p99 ?? "-"} ms, max ${a.latency?.max ?? "-"} ms, ${a.failed} unanswered; ` +
      `bot's event loop blocked p99 ${a.botSide?.loopDelayMs?.p99 ?? "-"} ms, max ${a.botSide?.loopDelayMs?.max ?? "-"} ms`;
    rows.push([
      "audit feed caught up with the raises in",
      `${n1(p.auditCatchUpSeconds)} s (waited for: the board is published after it)`,
    ]);
    rows.push(["ack->reply, nothing arriving", line(p.idle)]);
    rows.push([`ack->reply, ${p.updatesPerSec} updates/s arriving`, line(p.arriving)]);
  }
  if (r.scale) {
    const s = r.scale;
    section(`scale: ${n0(s.agents)} agents, heartbeat every ${n0(s.heartbeatMs / 1000)} s`);
    rows.push([
      "logged in / ready",
      `${n0(s.connected)} / ${n0(s.ready)}${s.loginFailures + s.setupFailures > 0 ? ` (failures: ${s.loginFailures} login, ${s.setupFailures} setup: ${s.firstError})` : ""}${s.loginRetries + s.nodeRetries > 0 ? `; tried again: ${s.loginRetries} logins, ${s.nodeRetries} node set-ups (first error: ${s.firstError})` : ""}`,
    ]);
    rows.push(["connect (all)", `${n1(s.connectSeconds)} s; per login ${lat(s.login)}`]);
    rows.push(["setup (presence, node via bot, full state)", `${n1(s.setupSeconds)} s; per agent ${lat(s.setup)}`]);
    rows.push([
      `${server} RSS`,
      `${n1(s.prosodyRssBeforeMb)} -> ${n1(s.prosodyRssConnectedMb)} (logged in) -> ${n1(s.prosodyRssReadyMb)} MB (nodes)`,
    ]);
    rows.push([
      `${server} per connection / per node`,
      `${n1(s.prosodyKbPerConnection)} KB / ${n1(s.prosodyKbPerNode)} KB`,
    ]);
    rows.push([
      "heartbeats",
      `${n1(s.heartbeatRate)}/s expected; confirmed ${n1(s.steady.confirmedPerSec)}/s, stored ${n1(s.steady.appliedPerSec)}/s over ${n0(s.steady.seconds)} s`,
    ]);
    rows.push([
      "bot backlog",
      `${n0(s.steady.backlogStart)} -> ${n0(s.steady.backlogEnd)} (max ${n0(s.steady.backlogMax)}, trend ${n2(s.steady.backlogSlopePerSec)}/s): ${s.steady.growing ? "GROWING" : "not growing"}`,
    ]);
    rows.push([
      `${server} / bot while heartbeating`,
      `${proc(s.steady.prosody)} | ${proc(s.steady.bot)}; bot sent ${n1(s.steady.botIqsPerSec)} IQs/s`,
    ]);
    rows.push([
      "audit feed lag while heartbeating",
      `${n0(s.steady.auditUnpublishedStart)} -> ${n0(s.steady.auditUnpublishedEnd)} history lines unpublished`,
    ]);
  }
  if (r.peer) {
    const p = r.peer;
    const x = (v: number): string => `${n2(v)}x`;
    section(`${p.alertmanager} beside AlertBot, same work (ratio = AlertBot / Alertmanager)`);
    rows.push([
      `one alert -> notification (n=${p.single.count})`,
      `Alertmanager POST->webhook p50 ${n2(p.single.alertmanager.p50)} p99 ${n2(p.single.alertmanager.p99)} ms; AlertBot publish->chat p50 ${n2(p.single.bot.p50)} p99 ${n2(p.single.bot.p99)} ms; ratio p50 ${x(p.ratios.singleP50)}, p99 ${x(p.ratios.singleP99)}`,
    ]);
    const b = p.burst;
    rows.push([
      `${n0(b.alertmanager.alerts)} distinct alerts -> all told`,
      `Alertmanager ${n2(b.alertmanager.seconds)} s, peak RSS ${n1(b.alertmanager.peakRssMb)} MB (${n0(b.alertmanager.notifications)} webhooks${b.alertmanager.missing ? `, ${b.alertmanager.missing} MISSING` : ""}); AlertBot ${n2(b.bot.seconds)} s, peak RSS ${n1(b.bot.peakRssMb)} MB (${n0(b.bot.notifications)} chat lines${b.bot.missing ? `, ${b.bot.missing} MISSING` : ""}); ratio time ${x(p.ratios.burstSeconds)}, peak RSS ${x(p.ratios.burstPeakRss)}`,
    ]);
    rows.push([
      `RSS with ${n0(p.open.count)} open alerts`,
      `Alertmanager ${n1(p.open.alertmanagerRssMb)} MB (took them in at ${n0(p.open.alertmanagerIngestPerSec)}/s, in memory); AlertBot ${n1(p.open.botRssMb)} MB (${n0(p.open.botAppliedPerSec)}/s, each change on disk); ratio ${x(p.ratios.openRss)}`,
    ]);
  }
  if (r.soak) {
    const k = r.soak;
    section(
      `soak: ${n0(k.ready)}/${n0(k.agents)} agents heartbeating every ${n0(k.heartbeatMs / 1000)} s for ${k.minutes} min, ${k.flappers} flapping every ${n0(k.flapMs / 1000)} s`,
    );
    // Issue 17 (perf, soak verdict)
    rows.push([
      "retention windows",
      k.retention
        ? `short, for the soak: history ${n0(k.retention.historyMs / 60_000)} min, transmissions ${n0(k.retention.transmissionsMs / 60_000)} min, quiet digest ${n0(k.retention.quietDigestEveryMs / 60_000)} min (pruned every ${n0(k.retention.everyMs / 1000)} s); trends and rows per hour judged over minutes ${k.judgedFromMinute}-${k.minutes}`
        : `as shipped (history 30 d, transmissions 1 h); trends judged over minutes ${k.judgedFromMinute}-${k.minutes}`,
    ]);
    rows.push([
      "published / acks",
      `${n0(k.published)} confirmed (${k.publishFailures} failed); ${k.acksSent} acks sent, ${k.acksAnswered} replies`,
    ]);
    for (const s of k.samples)
      rows.push([
        `  minute ${s.minute}`,
        `bot RSS ${n1(s.botRssMb)} MB, CPU ${n1(s.botCpuPercent)}%; SQLite ${n2(s.dbMb)} MB + WAL ${n2(s.walMb)} MB; backlog ${n0(s.backlog)}; ${server} ${n1(s.prosodyRssMb)} MB, CPU ${n1(s.prosodyCpuPercent)}%`,
      ]);
    rows.push([
      "rows added per hour",
      Object.entries(k.rowsPerHour)
        .map(([t, n]) => `${t} ${n0(n)}`)
        .join(", "),
    ]);
    for (const t of k.trends)
      rows.push([
        `trend ${t.name}`,
        `${n2(t.first)} -> ${n2(t.last)} ${t.unit} (max ${n2(t.max)}), ${t.slopePerHour >= 0 ? "+" : ""}${n2(t.slopePerHour)} ${t.unit}/h: ${t.growing ? "GROWING" : "flat"}`,
      ]);
  }
  // Issue 14 (boardbench): the web board's cost.
  if (r.board) {
    const w = r.board;
    section(`web board: ${w.boards} open boards vs none, same saturating load, interleaved (ratio = boards / none)`);
    rows.push([
      "ingest updates/s",
      `none ${n1(w.noBoards.updatesPerSec)}, ${w.boards} boards ${n1(w.withBoards.updatesPerSec)}; median of pair ratios ${n2(w.ratio)} (pairs ${w.pairs.map((p) => n2(p.ratio)).join(", ")})`,
    ]);
    rows.push([
      "bot CPU per update",
      `none ${n2(w.noBoards.botCpuMsPerUpdate)} ms, ${w.boards} boards ${n2(w.withBoards.botCpuMsPerUpdate)} ms`,
    ]);
    rows.push([
      `board page fetch (n=${w.fetch.n}, ${n0(w.pageBytes)} bytes)`,
      `p50 ${n2(w.fetch.p50)} ms, p99 ${n2(w.fetch.p99)} ms, max ${n2(w.fetch.max)} ms${w.failedFetches ? `; ${w.failedFetches} FAILED` : ""}`,
    ]);
    rows.push([
      "live feed events per board",
      `${n2(w.eventsPerBoardPerSec)}/s; ${w.eventsPerBoard.min}-${w.eventsPerBoard.max} per board per window`,
    ]);
  }
  // Issue 13 (taketime): two AlertBots, the active killed.
  if (r.takeover) {
    const k = r.takeover;
    const s = (ms: number | null): string =>
      ms === null || !Number.isFinite(ms) ? "n/a" : `${(ms / 1000).toFixed(1)} s`;
    section(
      `takeover: two AlertBot processes, ${k.ready}/${k.agents} agents publishing every ${n0(k.publishEveryMs / 1000)} s, an alert raised every ${n0(k.raiseEveryMs / 1000)} s`,
    );
    rows.push([
      "failover timings (defaults)",
      `T ${s(k.failover.takeoverAfterMs)}, L ${s(k.failover.leaseMs)}, G ${s(k.failover.graceMs)}; first claim with no active ${s(k.firstClaimMs)} after start`,
    ]);
    k.rounds.forEach((x, i) =>
      rows.push([
        `  round ${i + 1}: ${x.kind} ${x.victim}`,
        `claim ${s(x.killToClaimMs)}, active ${s(x.killToActiveMs)} (${x.claimReason}), first notice ${s(x.killToFirstNoticeMs)}; ` +
          `${x.raised} raised, ${x.repeated} repeated, ${x.missing} never told` +
          (x.thawedExit ? `; thawed: ${x.thawedExit}` : "") +
          (x.rejoin
            ? x.rejoin.caughtUp
              ? `; restarted: caught up to batch ${x.rejoin.caughtUpToSeq} in ${s(x.rejoin.catchUpMs)}${x.rejoin.rebuilt ? " (rebuilt from the log)" : ""}`
              : `; restarted: DID NOT CATCH UP (${x.rejoin.problem ?? "?"})`
            : ""),
      ]),
    );
    const spread = (x: TakeoverSpread): string => `${s(x.min)} / ${s(x.median)} / ${s(x.max)} (n=${x.n})`;
    rows.push(["SIGKILL -> standby active min/median/max", spread(k.killToActive)]);
    rows.push(["SIGKILL -> first notice min/median/max", spread(k.killToFirstNotice)]);
    rows.push([
      "publishes / notices",
      `${n0(k.published)} confirmed (${k.publishFailures} failed); ${k.repeated} notices repeated, ${k.missing} alerts never told; replica log at batch ${n0(k.logSeqAtEnd)} (keeps 1,000)`,
    ]);
    if (k.stoppedEarly) rows.push(["STOPPED EARLY", k.stoppedEarly]);
  }
  section("targets (issues 7, 13, 14 and 17)");
  for (const t of r.targets) rows.push([`${t.status.toUpperCase().padEnd(13)} ${t.name}`, t.detail]);
  rows.push(["", ""], ["run took", `${n0(r.durationSeconds)} s`]);

  const width = Math.min(48, Math.max(...rows.map(([k]) => k.length)));
  return rows.map(([k, v]) => (v === "" ? k : `${k.padEnd(width)}  ${v}`)).join("\n") + "\n";
}
