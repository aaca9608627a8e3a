import type { Clock } from "../clock/clock.js";
import { ellipsize, oneLine } from "../codec/text.js";
import type { NotificationMessage } from "./message.js";
import type { ChannelName } from "../policy/types.js";

/** The channels that send: the policy's `email_digest` is email, collected first (src/policy/storm.ts). */
export type ChannelKind = Exclude<ChannelName, "email_digest">;

/** The channel kinds `names` send on: an email digest is an email when sent at once, and each kind once. */
export function sendingKinds(names: readonly ChannelName[]): ChannelKind[] {
  return [...new Set(names.map((n): ChannelKind => (n === "email_digest" ? "email" : n)))];
}

/** Someone to notify, with the addresses they have (a channel needs only its own). */
export interface Recipient {
  readonly name: string;
  /** Bare JID. */
  readonly jid: string;
  readonly email?: string | null;
  /** E.164 phone number. */
  readonly sms?: string | null;
}

/**
 * What one delivery attempt came to. `error` and `detail` are safe to log and to store in an
 * alert's history: channels scrub credentials out of them before returning.
 */
export type DeliveryOutcome =
  | { readonly ok: true; readonly detail?: string }
  | {
      readonly ok: false;
      /** True when trying again later may succeed (4xx SMTP, HTTP 5xx/429, timeouts, refused connections). */
      readonly recoverable: boolean;
      readonly error: string;
      /** The server's own hint (HTTP Retry-After) for when to try again, in milliseconds. */
      readonly retryAfterMs?: number;
    };

/** A failed outcome, the type narrowed for callers that only build failures. */
export type DeliveryFailure = Extract<DeliveryOutcome, { ok: false }>;

/**
 * One notification channel. `send` never rejects: every failure, expected or not, comes back as
 * an outcome, so the retry loop and the alert's history see all of them.
 */
export interface Channel {
  readonly name: ChannelKind;
  send(recipient: Recipient, message: NotificationMessage): Promise<DeliveryOutcome>;
}

/** A successful outcome. */
export function delivered(detail?: string): DeliveryOutcome {
  return detail === undefined ? { ok: true } : { ok: true, detail };
}

/** A failed outcome. */
export function failed(recoverable: boolean, error: string, retryAfterMs?: number): DeliveryFailure {
  return retryAfterMs === undefined
    ? { ok: false, recoverable, error }
    : { ok: false, recoverable, error, retryAfterMs };
}

const ADDRESS_WORD: Readonly<Record<ChannelKind, string>> = { xmpp: "JID", email: "email address", sms: "SMS number" };

/** The outcome for a person the channel cannot reach: no retry will conjure up an address. */
export function noAddress(channel: ChannelKind, recipient: Recipient): DeliveryFailure {
  return failed(false, `no ${ADDRESS_WORD[channel]} for ${recipient.name}`);
}

/**
 * Runs one send with a time limit on the injected clock: when it runs out, `signal` aborts (fetch
 * stops) and the send resolves with `onTimeout()`, even if the library underneath never gives up.
 * A send that rejects (a bug: sends catch their own errors) becomes a failure naming no detail.
 */
export function withDeadline(
  clock: Clock,
  ms: number,
  onTimeout: () => DeliveryOutcome,
  run: (signal: AbortSignal) => Promise<DeliveryOutcome>,
): Promise<DeliveryOutcome> {
  const controller = new AbortController();
  return new Promise((resolve) => {
    const timer = clock.setTimer(ms, () => {
      controller.abort(new Error("deadline"));
      resolve(onTimeout());
    });
    run(controller.signal).then(
      (outcome) => {
        timer.cancel();
        resolve(outcome);
      },
      (err: unknown) => {
        timer.cancel();
        resolve(failed(false, `send failed unexpectedly (${err instanceof Error ? err.name : typeof err})`));
      },
    );
  });
}

/** How the channel hands a chat line to the XMPP edge (the bot's ChatPort fits). */
export interface ChatSender {
  /** Resolves once the server has the message; rejects when it could not be sent. */
  send(toJid: string, body: string): Promise<void>;
}

/**
 * The chat channel: the message's text to the person's JID. A send that fails (the bot is
 * disconnected, say) is recoverable. Whether the person is online is the policy's business.
 */
export function createXmppChannel(chat: ChatSender): Channel {
  return {
    name: "xmpp",
    async send(recipient, message): Promise<DeliveryOutcome> {
      if (!recipient.jid) return noAddress("xmpp", recipient);
      try {
        await chat.send(recipient.jid, message.text);
        return delivered(`chat to ${recipient.jid}`);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return failed(true, ellipsize(oneLine(`chat to ${recipient.jid} failed: ${why}`), 300));
      }
    },
  };
}
