// The web board's cost to ingest (issue 14 item 7): the real bot with its board on, the same
// saturating publishers in interleaved windows with no board open and with BOARDS open. A board
// is what a browser does (board-worker.ts): a session signed in through a link the bot gave in
// chat, holding the live feed and fetching its page again on each change. Pairs run in ABBA order
// as in the comparison, and the headline is the median of the pairs' rate ratios.
import { join } from "node:path";
import { startBotWorker } from "./bot-worker.js";
import type { BoardCounters } from "./board-worker.js";
import { Worker } from "./children.js";
import { cpuMsPerUpdate, mean, median } from "./compare-aggregate.js";
import { BENCH_PASSWORD, type BenchContext } from "./context.js";
import { Person } from "./person.js";
import { PEOPLE, publisherAccounts } from "./phase-compare.js";
import { measureThroughput, type ThroughputResult } from "./phase-throughput.js";
import { QuietLog, SimAgent } from "./sim-agent.js";
import { ratio, summarise, type LatencySummary } from "./stats.js";
import { pickFreePorts } from "../prosody/ports.js";

/** Boards open in the "with boards" windows (issue 14: five). */
export const BOARDS = 5;

/** One pair of windows: the same load with no board and with BOARDS boards. */
export interface BoardPair {
  readonly noBoardsPerSec: number;
  readonly boardsPerSec: number;
  /** With boards over without. */
  readonly ratio: number;
  readonly botCpuMsPerUpdateNoBoards: number;
  readonly botCpuMsPerUpdateBoards: number;
}

/** What the board phase measured. */
export interface BoardResult {
  readonly boards: number;
  readonly pairs: BoardPair[];
  /** Median over pairs of (updates/s with boards) / (updates/s without). */
  readonly ratio: number;
  readonly noBoards: { readonly updatesPerSec: number; readonly botCpuMsPerUpdate: number };
  readonly withBoards: { readonly updatesPerSec: number; readonly botCpuMsPerUpdate: number };
  /** Page fetches of the boards while the publishers ran (request to last byte). */
  readonly fetch: LatencySummary;
  readonly failedFetches: number;
  /** `change` events each board got per second of a window, and in all (min and max over boards). */
  readonly eventsPerBoardPerSec: number;
  readonly eventsPerBoard: { readonly min: number; readonly max: number };
  /** Size of one board page as fetched, bytes. */
  readonly pageBytes: number;
}

/** ABBA: pair i measures "no boards" first when true. */
const noBoardsFirst = (i: number): boolean => i % 4 === 0 || i % 4 === 3;

/** A sign-in link from the bot, asked for in chat as a person would (`web`). */
async function askForLink(person: Person, botJid: string): Promise<string> {
  const link = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${person.name} got no sign-in link from the bot within 60 s`));
    }, 60_000);
    const stop = person.onMessage((m) => {
      const url = /(http:\/\/\S+\/sign-in\?t=\S+)/.exec(m.body)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      stop();
      resolve(url);
    });
  });
  await person.say(botJid, "web");
  return link;
}

/** Uses a link as the sign-in page's button does; the session cookie it sets. */
async function signIn(link: string): Promise<string> {
  const url = new URL(link);
  const res = await fetch(new URL("/sign-in", url), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ t: url.searchParams.get("t") ?? "" }).toString(),
    redirect: "manual",
  });
  const cookie = res.headers.get("set-cookie")?.split(";", 1)[0];
  if (res.status !== 303 && res.status !== 302) throw new Error(`sign-in answered ${res.status}`);
  if (!cookie) throw new Error("sign-in set no cookie");
  return cookie;
}

/** The board phase: its own bot with the board on, publishers, and a worker holding the boards. */
export async function boardPhase(ctx: BenchContext): Promise<BoardResult> {
  const { prosody } = ctx.server;
  const [port] = await pickFreePorts(1);
  const base = `http://127.0.0.1:${port}/`;
  ctx.progress(`board: the bot's web board on ${base}; ${BOARDS} boards vs none, same load`);
  const log = new QuietLog();
  const people: Person[] = [];
  let publishers: SimAgent[] = [];
  let boardsWorker: Worker | undefined;
  const bot = await startBotWorker(ctx, "bot-board", [], `http:\n  listen: "127.0.0.1:${port}"\n  board: {}\n`);
  try {
    const { worker, database } = bot;
    for (const name of PEOPLE)
      people.push(
        await Person.login({ service: ctx.target.service, domain: prosody.domain, name, password: BENCH_PASSWORD }),
      );
    const cookies: string[] = [];
    for (let i = 0; i < BOARDS; i++)
      cookies.push(await signIn(await askForLink(people[i % people.length]!, prosody.botJid)));
    const page = await fetch(base, { headers: { cookie: cookies[0]!, "x-board-refresh": "1" } });
    const pageBytes = (await page.arrayBuffer()).byteLength;
    if (!page.ok) throw new Error(`the board page answered ${page.status}`);

    publishers = await Promise.all(
      publisherAccounts(ctx.sizes.publishers).map((n) => SimAgent.connect(n, ctx.target, log)),
    );
    for (const p of publishers) {
      await p.announce(!ctx.experiments.has("no-first-contact-resync"));
      if (!(await p.ensureNode())) throw new Error(`the bot did not provision ${p.node}: ${log.first.join("; ")}`);
    }
    boardsWorker = await Worker.start("board-worker", join(ctx.workDir, "boards.log"), {
      compiledDir: ctx.compiledDir,
    });
    const boards = boardsWorker;
    const alice = people[0]!;
    const plan = {
      cycle: "bot",
      warmMs: ctx.sizes.warmMs,
      measureMs: ctx.sizes.measureMs,
      batch: ctx.sizes.batch,
      drainTimeoutMs: 30_000,
    };
    // The first window of a fresh bot runs on an empty database and a cold process: it warms the
    // bot up and is not counted, as the comparison's first baseline window is not paired.
    const warm = await measureThroughput(worker, publishers, ctx.prosodyPid, plan, { person: alice, database });
    ctx.progress(`  warm-up window (not counted): ${warm.updatesPerSec.toFixed(1)} updates/s`);
    const pairs: Array<{ none: ThroughputResult; open: ThroughputResult }> = [];
    const seen: BoardCounters[] = [];
    for (let i = 0; i < ctx.sizes.rounds; i++) {
      const pair: { none?: ThroughputResult; open?: ThroughputResult } = {};
      for (const withBoards of noBoardsFirst(i) ? [false, true] : [true, false]) {
        if (withBoards) {
          await boards.call("open", { url: base, cookies }, 60_000);
          await boards.call("take");
        }
        const t = await measureThroughput(worker, publishers, ctx.prosodyPid, plan, { person: alice, database });
        if (withBoards) {
          seen.push(await boards.call<BoardCounters>("take"));
          await boards.call("close");
          pair.open = t;
        } else pair.none = t;
      }
      const last = seen.at(-1)!;
      ctx.progress(
        `  pair ${i + 1}/${ctx.sizes.rounds}: no boards ${pair.none!.updatesPerSec.toFixed(1)} updates/s, ${BOARDS} boards ${pair.open!.updatesPerSec.toFixed(1)} updates/s; ${last.fetches} page fetches, p99 ${summarise(last.fetchMs).p99} ms`,
      );
      pairs.push({ none: pair.none!, open: pair.open! });
    }
    await worker.call("deleteNodesAsBot", { nodes: publishers.map((p) => p.node), service: prosody.pubsubJid }, 60_000);

    const rows: BoardPair[] = pairs.map(({ none, open }) => ({
      noBoardsPerSec: none.updatesPerSec,
      boardsPerSec: open.updatesPerSec,
      ratio: ratio(open.updatesPerSec, none.updatesPerSec),
      botCpuMsPerUpdateNoBoards: cpuMsPerUpdate(none.subscriber, none.updatesPerSec),
      botCpuMsPerUpdateBoards: cpuMsPerUpdate(open.subscriber, open.updatesPerSec),
    }));
    const perBoard = seen.flatMap((s) => s.events);
    const seconds = seen.reduce((n, s) => n + s.seconds, 0);
    return {
      boards: BOARDS,
      pairs: rows,
      ratio: median(rows.map((r) => r.ratio)),
      noBoards: {
        updatesPerSec: mean(rows.map((r) => r.noBoardsPerSec)),
        botCpuMsPerUpdate: median(rows.map((r) => r.botCpuMsPerUpdateNoBoards)),
      },
      withBoards: {
        updatesPerSec: mean(rows.map((r) => r.boardsPerSec)),
        botCpuMsPerUpdate: median(rows.map((r) => r.botCpuMsPerUpdateBoards)),
      },
      fetch: summarise(seen.flatMap((s) => s.fetchMs)),
      failedFetches: seen.reduce((n, s) => n + s.failedFetches, 0),
      eventsPerBoardPerSec: seconds > 0 ? perBoard.reduce((a, b) => a + b, 0) / BOARDS / seconds : NaN,
      eventsPerBoard: { min: Math.min(...perBoard), max: Math.max(...perBoard) },
      pageBytes,
    };
  } finally {
    await boardsWorker?.stop();
    await Promise.all([...publishers, ...people].map((p) => p.stop()));
    await bot.worker.stop();
  }
}
