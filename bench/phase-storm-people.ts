// People in a big storm: with the open-alerts phase's alerts raised in the bot and a silence in
// force, ack -> reply with nothing else arriving and with updates still arriving. Work that grows
// with the open alerts and runs on the bot's one thread (the status board counted the silenced
// among every raised alert, once a second while history came) shows here as answers that wait.
import { readAuditLag } from "./audit-lag.js";
import type { Worker } from "./children.js";
import { hrMs, sleep } from "./hrtime.js";
import type { BenchContext } from "./context.js";
import { measureAcks, type AckResult } from "./phase-ack.js";
import { nextLine, type PersonClient } from "./person.js";

/** Acks with many open alerts and a silence in force. */
export interface StormPeopleResult {
  readonly openAlerts: number;
  /**
   * How long the audit feed took to publish the history of raising them, waited for before the
   * acks: until then it publishes no board, and the board's cost is what is measured here.
   */
  readonly auditCatchUpSeconds: number;
  /** Updates a second applied while `arriving` ran. */
  readonly updatesPerSec: number;
  readonly idle: AckResult;
  readonly arriving: AckResult;
}

/** A silence that matches none of the open alerts: any silence in force makes the board count. */
const SILENCE = "silence source=bench-nothing-* for 1h because the bench: a silence in force";
const UPDATES_PER_SEC = 10;
const AUDIT_CATCH_UP_MS = 600_000;

/**
 * Runs after the open-alerts phase's figures, on its bot (`openAlerts` raised): `onCall` sets the
 * silence, two `people` take turns at the acks.
 */
export async function measureStormPeople(
  ctx: BenchContext,
  bot: Worker,
  database: string,
  onCall: PersonClient,
  people: readonly PersonClient[],
  openAlerts: number,
): Promise<StormPeopleResult> {
  const { prosody } = ctx.server;
  if (people.length < 2) throw new Error("measureStormPeople needs two people to ack");
  const answered = nextLine(onCall, (m) => /silence/i.test(m.body), 30_000);
  await onCall.say(prosody.botJid, SILENCE);
  const reply = await answered;
  if (!reply || !/^Silence #\d+/.test(reply.body))
    throw new Error(`the bot did not set the silence: ${reply?.body ?? "no answer within 30 s"}`);
  const waitFrom = hrMs();
  while (!(readAuditLag(database).unpublished <= 0)) {
    if (hrMs() - waitFrom > AUDIT_CATCH_UP_MS) throw new Error("the audit feed did not catch up with the history");
    await sleep(500);
  }
  const auditCatchUpSeconds = (hrMs() - waitFrom) / 1000;
  const acks = ctx.sizes.acks;
  const ids = await bot.call<number[]>("trickle", { perSecond: 0, raisedIds: 2 * acks });
  const options = { botJid: prosody.botJid, domain: prosody.domain, bot, componentPort: prosody.componentPort };
  const idle = await measureAcks(people, { ...options, shortIds: ids.slice(0, acks) });
  await bot.call("trickle", { perSecond: UPDATES_PER_SEC });
  try {
    const arriving = await measureAcks(people, { ...options, shortIds: ids.slice(acks, 2 * acks) });
    return { openAlerts, auditCatchUpSeconds, updatesPerSec: UPDATES_PER_SEC, idle, arriving };
  } finally {
    await bot.call("trickle", { perSecond: 0 });
  }
}
