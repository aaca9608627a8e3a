// BotCore on a fake clock for unit tests: everyone online, no host down, one delivery attempt.
import { BotCore, type BotCoreDeps, type ChatPort } from "../../src/bot/bot-core.js";
import { Settings, type BotSettings } from "../../src/bot/settings.js";
import type { FakeClock } from "../../src/clock/fake-clock.js";
import { createLogger } from "../../src/log.js";

/** Settings for a test: ack limits at quiet defaults unless given. */
export function testSettings(
  given: Pick<BotSettings, "policy" | "channels"> & Partial<BotSettings>,
): Settings<BotSettings> {
  return new Settings<BotSettings>({ ackDefaultMs: 3_600_000, ackMaxMs: 86_400_000, ...given });
}

type CoreOptions = Pick<BotCoreDeps, "store" | "clock"> &
  Partial<Omit<BotCoreDeps, "settings">> &
  Pick<BotSettings, "policy" | "channels"> &
  Partial<BotSettings>;

/** A core over `deps` (store, clock, policy, channels), the rest quiet defaults that a test may override. */
export function fakeClockCore(deps: CoreOptions): BotCore {
  const { policy, channels, semantics, ackDefaultMs, ackMaxMs, permissions, maxClockSkewMs, ...rest } = deps;
  const given = { semantics, ackDefaultMs, ackMaxMs, permissions, maxClockSkewMs };
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<BotSettings>;
  return new BotCore({
    log: createLogger({ level: "error" }),
    inputs: { presence: () => "online", down: () => new Map() },
    retry: { attempts: 1 },
    settings: testSettings({ policy, channels, ...defined }),
    ...rest,
  });
}

/** Moves the clock on, runs what fell due and waits for the sends it started. */
export async function advanceCore(clock: FakeClock, core: BotCore, ms: number): Promise<void> {
  clock.advance(ms);
  await core.tick();
  await core.idle();
}

/** A chat channel that records what it sent, and fails for the JIDs in `failFor` (a person offline). */
export class RecordingChat implements ChatPort {
  sent: Array<{ to: string; body: string }> = [];
  failFor = new Set<string>();
  async send(to: string, body: string): Promise<void> {
    if (this.failFor.has(to)) throw new Error("offline");
    this.sent.push({ to, body });
  }
  /** The first line of each message sent since the last take, as "localpart: line". */
  take(): string[] {
    const lines = this.sent.map((m) => `${m.to.split("@")[0]}: ${m.body.split("\n")[0]}`);
    this.sent = [];
    return lines;
  }
}
