// AlertBot's legacy Mauve UDP listener: its `udp:` settings (where it listens, whom it hears,
// which sources an XMPP account may take over) and the listener itself.
import { createSocket, type RemoteInfo } from "node:dgram";
import { BlockList, isIP, isIPv4 } from "node:net";
import type { Clock, TimerHandle } from "../clock/clock.js";
import { decodeUpdateWithNotes } from "../codec/protobuf.js";
import { sourceKey, sourceNameProblem, sourceReading } from "../codec/source-name.js";
import type { AlertUpdate } from "../codec/types.js";
import { CodecError, StorageUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import { list, object, optional } from "../schema/combinators.js";
import { expected, INVALID, isMapping, keyPath, type Reader } from "../schema/reader.js";
import { bareJid, int } from "../schema/scalars.js";
import { HeldUpdates, HELD_UPDATES_LIMITS, type HeldUpdatesLimits } from "./held-updates.js";
import type { IngestOutcome } from "./ingest-update.js";
import { readSocketDrops } from "./udp-drops.js";

/** One allowed network, e.g. 10.0.0.0/8 or 2001:db8::/32. */
export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: "ipv4" | "ipv6";
}

/** The legacy Mauve UDP listener of AlertBot: where it listens, and whom it hears. */
export interface UdpConfig {
  readonly host: string;
  readonly port: number;
  /** Packets from anywhere else are dropped (and counted). */
  readonly allow: readonly Cidr[];
  /**
   * Sources heard over UDP and the one XMPP account (bare JID) that may take each over, keyed by
   * sourceKey (read it with {@link handoverFor}). A source UDP has spoken for is refused to every
   * account not listed here.
   */
  readonly handover: Readonly<Record<string, string>>;
  /**
   * The socket's receive buffer asked of the kernel: what a burst may hold while AlertBot reads.
   * Linux grants at most net.core.rmem_max (twice that, as it counts its own overhead in).
   */
  readonly receiveBufferBytes: number;
}

/** The receive buffer asked for unless the config says: a burst of a few thousand small datagrams. */
export const DEFAULT_UDP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The account `udp.handover` names for `source`, if any: matched letter-case-blind, the way sources
 * are told apart ("WEB1:" in the config names the source web1, as a sender could not claim both).
 */
export function handoverFor(udp: UdpConfig | null | undefined, source: string): string | undefined {
  return udp?.handover[sourceKey(source)];
}

/** Mauve's port. */
export const MAUVE_UDP_PORT = 32741;

/**
 * A listening address: "127.0.0.1:PORT", "[::1]:PORT", or an address alone (then `defaultPort`);
 * port 0 picks a free one (tests). Shared by every listener AlertBot opens (UDP, HTTP).
 */
export function listenAddress(defaultPort: number): Reader<{ host: string; port: number }> {
  return (value, path, ctx) => {
    const m = typeof value === "string" ? /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(value) : null;
    const host = m?.[1] ?? m?.[2] ?? "";
    const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
    if (!m || isIP(host) === 0 || port > 65535 || (m[1] !== undefined) !== (isIP(host) === 6)) {
      return expected(
        `an address and port like "127.0.0.1:${defaultPort}" or "[::1]:${defaultPort}"`,
        value,
        path,
        ctx,
      );
    }
    return { host, port };
  };
}

const listen = listenAddress(MAUVE_UDP_PORT);

/** Parses "10.0.0.0/8" (or an address alone: one host); undefined if it is not a network. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = "", bits, extra] = text.split("/");
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

const cidr: Reader<Cidr> = (value, path, ctx) =>
  (typeof value === "string" ? parseCidr(value) : undefined) ??
  expected('a network like "10.0.0.0/8" or "2001:db8::/32"', value, path, ctx);

// source name -> bare JID, keyed by sourceKey; every source name checked by the one source rule,
// and two that name one source (or read alike, so a reader cannot tell which is meant) refused.
const handover: Reader<Readonly<Record<string, string>>> = (value, path, ctx) => {
  if (!isMapping(value))
    return expected("a mapping of source names to accounts like { web1: web1@example.org }", value, path, ctx);
  const jid = bareJid();
  const out: Record<string, string> = {};
  const readings = new Map<string, string>();
  let ok = true;
  for (const [source, raw] of Object.entries(value)) {
    const at = keyPath(path, source);
    const seen = readings.get(sourceReading(source));
    const problem =
      sourceNameProblem(source) ??
      (seen === undefined
        ? undefined
        : `names the same source as "${seen}" (sources are told apart case-blind, and by how they read)`);
    readings.set(sourceReading(source), source);
    if (problem !== undefined) {
      ctx.report(at, problem);
      ok = false;
      continue;
    }
    const read = jid(raw, at, ctx);
    if (typeof read === "symbol") ok = false;
    else out[sourceKey(source)] = read;
  }
  return ok ? Object.freeze(out) : INVALID;
};

/** Reads `udp: { listen, allow, handover }`; absent means no listener (the default). */
export const udpSection: Reader<UdpConfig> = (value, path, ctx) => {
  const read = object({
    listen: optional(listen, `127.0.0.1:${MAUVE_UDP_PORT}`),
    allow: list(cidr, { min: 1 }),
    handover: optional(handover, {}),
    receive_buffer_bytes: optional(int(4096, 1024 * 1024 * 1024), DEFAULT_UDP_RECEIVE_BUFFER_BYTES),
  })(value, path, ctx);
  return typeof read === "symbol"
    ? read
    : {
        host: read.listen.host,
        port: read.listen.port,
        allow: read.allow,
        handover: read.handover,
        receiveBufferBytes: read.receiveBufferBytes,
      };
};

/** What the listener has seen since it started. */
export interface UdpStats {
  received: number;
  /** From outside the allow-list: dropped unread. */
  denied: number;
  /** Not a valid Mauve AlertUpdate (or over 64 KiB). */
  malformed: number;
  applied: number;
  duplicate: number;
  stale: number;
  rejected: number;
  /** The core threw (a bug); the listener carried on. */
  failed: number;
  /** Dropped by the kernel unread: a burst beyond the socket's receive buffer (udp-drops.ts). */
  dropped: number;
  /** Held now, until the database takes writes again (see held-updates.ts). */
  held: number;
  /** Dropped from the held ones past their limits. */
  lost: number;
}

/** A running UDP listener. */
export interface UdpIngest {
  /** Where it listens (the real port when the config said 0). */
  readonly address: { readonly host: string; readonly port: number };
  stats(): UdpStats;
  close(): Promise<void>;
}

/** How decoded updates reach the bot, and what the listener logs with. */
export interface UdpIngestDeps {
  apply(update: AlertUpdate): Promise<IngestOutcome>;
  /**
   * Told of each alert refused alone (one no receiver could key), its update's others applied, and
   * of each malformed datagram (source "": it has none to read).
   */
  refused?: (source: string, reason: string) => void;
  log: Logger;
  clock: Clock;
  /** How long and how much is held while the database cannot be written (tests shorten it). */
  held?: HeldUpdatesLimits;
  /** The kernel's count of datagrams it dropped at the socket, or null (udp-drops.ts; tests replace it). */
  readDrops?: (host: string, port: number) => number | null;
}

/** How often the kernel's count of dropped datagrams is read. */
const DROPS_CHECK_MS = 10_000;

// A flood of junk must not become a flood of log lines: one warning per kind per minute, with counts.
const WARN_EVERY_MS = 60_000;

/**
 * Listens for Mauve's UDP AlertUpdates (one protobuf per datagram, as `mauvesend` sends them) and
 * feeds them to the bot down the same path as pubsub updates. Packets from outside the allow-list
 * are dropped and counted; malformed ones are logged and counted; nothing a packet holds can crash it.
 * While the database cannot be written, updates are held in memory and applied once it can (a
 * datagram has no answer its sender could retry on; see held-updates.ts).
 */
export async function startUdpIngest(config: UdpConfig, deps: UdpIngestDeps): Promise<UdpIngest> {
  const allow = new BlockList();
  for (const net of config.allow) allow.addSubnet(net.address, net.prefix, net.family);
  // `held` and `lost` are HeldUpdates' own counts, read in stats().
  const stats: Omit<UdpStats, "held" | "lost"> = {
    received: 0,
    denied: 0,
    malformed: 0,
    applied: 0,
    duplicate: 0,
    stale: 0,
    rejected: 0,
    failed: 0,
    dropped: 0,
  };
  const lastWarn = new Map<string, number>();
  const warn = (kind: string, msg: string, fields: Record<string, unknown>): void => {
    const now = deps.clock.now();
    if (now - (lastWarn.get(kind) ?? -Infinity) < WARN_EVERY_MS) return;
    lastWarn.set(kind, now);
    deps.log.warn(msg, { ...fields, [`${kind}Total`]: stats[kind as keyof typeof stats] });
  };
  const socket = createSocket({
    type: isIPv4(config.host) ? "udp4" : "udp6",
    recvBufferSize: config.receiveBufferBytes,
  });

  const counted = (update: AlertUpdate, outcome: IngestOutcome, from: string): void => {
    stats[outcome.status]++;
    if (outcome.status === "rejected")
      warn("rejected", "UDP update rejected", { from, source: update.source, reason: outcome.reason });
  };
  const failed = (err: unknown, from: string): void => {
    stats.failed++;
    deps.log.error("UDP update could not be applied", { from, err });
  };
  // The sender's address is not kept with a held update: its source says who it speaks for.
  const held = new HeldUpdates(
    {
      apply: deps.apply,
      onOutcome: (update, outcome) => counted(update, outcome, "(held)"),
      onError: (_update, err) => failed(err, "(held)"),
      clock: deps.clock,
      log: deps.log,
      what: "UDP updates",
    },
    deps.held ?? HELD_UPDATES_LIMITS,
  );
  const onPacket = async (msg: Buffer, from: RemoteInfo): Promise<void> => {
    stats.received++;
    if (!allowed(allow, from.address)) {
      stats.denied++;
      return warn("denied", "UDP packet from outside the allow-list dropped", { from: from.address });
    }
    let update: AlertUpdate;
    try {
      const decoded = decodeUpdateWithNotes(msg);
      update = decoded.update;
      if (decoded.notes.length > 0)
        deps.log.info("UDP update cleaned on its way in", {
          from: from.address,
          source: update.source,
          notes: decoded.notes,
        });
      // One alert no receiver could key (an empty id) is refused alone: refusing the datagram lost
      // every other alert of it, which a Mauve sender never sends again.
      for (const reason of decoded.refused) {
        stats.rejected++;
        warn("rejected", "UDP alert rejected", { from: from.address, source: update.source, reason });
        deps.refused?.(update.source, reason);
      }
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      stats.malformed++;
      // Not even a source to name: its sender is part of the fleet gone silent all the same, and
      // only the log (one line a minute) would know. The alert rate-limits what reaches people.
      deps.refused?.("", `malformed datagram from ${from.address}: ${err.message}`);
      return warn("malformed", "malformed UDP packet dropped", {
        from: from.address,
        bytes: msg.length,
        reason: err.message,
      });
    }
    // Behind those held, so that a source's updates are applied in the order they came.
    if (held.holding) return held.hold(update, msg.length);
    let outcome: IngestOutcome;
    try {
      outcome = await deps.apply(update);
    } catch (err) {
      if (err instanceof StorageUnavailableError) return held.hold(update, msg.length, err);
      throw err;
    }
    counted(update, outcome, from.address);
  };
  socket.on("message", (msg, from) => {
    onPacket(msg, from).catch((err: unknown) => failed(err, from.address));
  });

  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(config.port, config.host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  // After binding, socket errors (ICMP noise, buffer trouble) are logged; the socket stays open.
  socket.on("error", (err) => deps.log.error("UDP socket error", { err }));
  const bound = socket.address();
  const receiveBufferBytes = socket.getRecvBufferSize();
  deps.log.info("listening for Mauve UDP updates", {
    host: bound.address,
    port: bound.port,
    allow: config.allow.map((n) => `${n.address}/${n.prefix}`),
    receiveBufferBytes,
  });

  // What the kernel dropped unread is said as any update that did not get in is: a warning (one a
  // minute) and AlertBot's refused-updates alert, with no source to name.
  const readDrops = deps.readDrops ?? readSocketDrops;
  let dropsSeen = readDrops(bound.address, bound.port);
  let dropsTimer: TimerHandle | null = null;
  const checkDrops = (): void => {
    const now = readDrops(bound.address, bound.port);
    if (now !== null && dropsSeen !== null && now > dropsSeen) {
      const dropped = now - dropsSeen;
      stats.dropped += dropped;
      const why =
        `the kernel dropped ${dropped} datagram${dropped === 1 ? "" : "s"} unread: a burst came faster than AlertBot ` +
        `read it, beyond the socket's receive buffer (${receiveBufferBytes} bytes); the alerts they carried are missing ` +
        "until their senders send again. Raise net.core.rmem_max and udp.receive_buffer_bytes (docs/integrations.md)";
      warn("dropped", "Mauve UDP datagrams dropped by the kernel", { dropped, receiveBufferBytes });
      deps.refused?.("", why);
    }
    dropsSeen = now ?? dropsSeen;
    dropsTimer = deps.clock.setTimer(DROPS_CHECK_MS, checkDrops);
  };
  if (dropsSeen !== null) dropsTimer = deps.clock.setTimer(DROPS_CHECK_MS, checkDrops);

  return {
    address: { host: bound.address, port: bound.port },
    stats: () => ({ ...stats, held: held.size, lost: held.lost }),
    close: () =>
      new Promise<void>((resolve) => {
        dropsTimer?.cancel();
        socket.close(() => {
          held.close();
          resolve();
        });
      }),
  };
}

// A dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d; the allow-list speaks plain IPv4.
function allowed(list: BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return list.check(mapped[1], "ipv4");
  return list.check(address, isIPv4(address) ? "ipv4" : "ipv6");
}
