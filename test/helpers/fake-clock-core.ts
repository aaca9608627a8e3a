// BotCore on a fake clock for unit tests: everyone online, no host down, one delivery attempt.
import { BotCore, type BotCoreDeps, type ChatPort } from "../../src/bot/bot-core.js";
import { Settings, type BotSettings } from "../../src/bot/settings.js";
import type { FakeClock } from "../../src/clock/fake-clock.js";
import { createLogger } from "../../src/log.js";
import {
  createXmppChannel,
  type Channel,
  type ChannelKind,
  type ChatSender,
  type DeliveryOutcome,
  type Recipient,
} from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";

/** Settings for a test: ack limits at quiet defaults unless given. */
export function testSettings(
  given: Pick<BotSettings, "policy" | "channels"> & Partial<BotSettings>,
): Settings<BotSettings> {
  return new Settings<BotSettings>({ ackDefaultMs: 3_600_000, ackMaxMs: 86_400_000, ...given });
}

/** The channels a core sends through, each under its own name. */
export function channelsOf(...channels: Channel[]): Map<ChannelKind, Channel> {
  return new Map(channels.map((c) => [c.name, c]));
}

/** Chat as the only channel: the bot's own XMPP channel over `chat`. */
export function chatOnly(chat: ChatSender): Map<ChannelKind, Channel> {
  return channelsOf(createXmppChannel(chat));
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

/** A channel that records "person: first line" of each message and answers as scripted (default: delivered). */
export class RecordingChannel implements Channel {
  sent: string[] = [];
  /** The outcomes of the next sends, in order. */
  answers: DeliveryOutcome[] = [];
  constructor(readonly name: ChannelKind) {}
  async send(to: Recipient, m: NotificationMessage): Promise<DeliveryOutcome> {
    this.sent.push(`${to.name}: ${m.text.split("\n")[0]}`);
    return this.answers.shift() ?? { ok: true };
  }
}
