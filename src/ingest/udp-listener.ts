import { createSocket, type RemoteInfo } from "node:dgram";
import { BlockList, isIPv4 } from "node:net";
import type { Clock } from "../clock/clock.js";
import { decodeUpdate } from "../codec/protobuf.js";
import type { AlertUpdate } from "../codec/types.js";
import type { UdpConfig } from "./udp-config.js";
import { CodecError } from "../errors.js";
import type { Logger } from "../log.js";
import type { IngestOutcome } from "./ingest-update.js";

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
  /** The core threw (a bug or a database error); the listener carried on. */
  failed: number;
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
  log: Logger;
  clock: Clock;
}

// A flood of junk must not become a flood of log lines: one warning per kind per minute, with counts.
const WARN_EVERY_MS = 60_000;

/**
 * Listens for Mauve's UDP AlertUpdates (one protobuf per datagram, as `mauvesend` sends them) and
 * feeds them to the bot down the same path as pubsub updates. Packets from outside the allow-list
 * are dropped and counted; malformed ones are logged and counted; nothing a packet holds can crash it.
 */
export async function startUdpIngest(config: UdpConfig, deps: UdpIngestDeps): Promise<UdpIngest> {
  const allow = new BlockList();
  for (const net of config.allow) allow.addSubnet(net.address, net.prefix, net.family);
  const stats: UdpStats = { received: 0, denied: 0, malformed: 0, applied: 0, duplicate: 0, stale: 0, rejected: 0, failed: 0 };
  const lastWarn = new Map<string, number>();
  const warn = (kind: string, msg: string, fields: Record<string, unknown>): void => {
    const now = deps.clock.now();
    if (now - (lastWarn.get(kind) ?? -Infinity) < WARN_EVERY_MS) return;
    lastWarn.set(kind, now);
    deps.log.warn(msg, { ...fields, [`${kind}Total`]: stats[kind as keyof UdpStats] });
  };
  const socket = createSocket({ type: isIPv4(config.host) ? "udp4" : "udp6" });

  const onPacket = async (msg: Buffer, from: RemoteInfo): Promise<void> => {
    stats.received++;
    if (!allowed(allow, from.address)) {
      stats.denied++;
      return warn("denied", "UDP packet from outside the allow-list dropped", { from: from.address });
    }
    let update: AlertUpdate;
    try {
      update = decodeUpdate(msg);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      stats.malformed++;
      return warn("malformed", "malformed UDP packet dropped", { from: from.address, bytes: msg.length, reason: err.message });
    }
    const outcome = await deps.apply(update);
    stats[outcome.status]++;
    if (outcome.status === "rejected") warn("rejected", "UDP update rejected", { from: from.address, source: update.source, reason: outcome.reason });
  };
  socket.on("message", (msg, from) => {
    onPacket(msg, from).catch((err: unknown) => {
      stats.failed++;
      deps.log.error("UDP update could not be applied", { from: from.address, err });
    });
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
  deps.log.info("listening for Mauve UDP updates", { host: bound.address, port: bound.port, allow: config.allow.map((n) => `${n.address}/${n.prefix}`) });

  return {
    address: { host: bound.address, port: bound.port },
    stats: () => ({ ...stats }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

// A dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d; the allow-list speaks plain IPv4.
function allowed(list: BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return list.check(mapped[1], "ipv4");
  return list.check(address, isIPv4(address) ? "ipv4" : "ipv6");
}
