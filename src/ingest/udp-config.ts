import { isIP } from "node:net";
import { sourceNameProblem } from "../codec/source-name.js";
import { list, object, optional } from "../schema/combinators.js";
import { expected, INVALID, isMapping, keyPath, type Reader } from "../schema/reader.js";
import { bareJid } from "../schema/scalars.js";

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
   * Sources heard over UDP and the one XMPP account (bare JID) that may take each over. A source UDP
   * has spoken for is refused to every account not listed here.
   */
  readonly handover: Readonly<Record<string, string>>;
}

/** Mauve's port. */
export const MAUVE_UDP_PORT = 32741;

// "127.0.0.1:32741", "[::1]:32741", or an address alone (Mauve's port); port 0 picks a free one (tests).
const listen: Reader<{ host: string; port: number }> = (value, path, ctx) => {
  const m = typeof value === "string" ? /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(value) : null;
  const host = m?.[1] ?? m?.[2] ?? "";
  const port = m?.[3] === undefined ? MAUVE_UDP_PORT : Number(m[3]);
  if (!m || isIP(host) === 0 || port > 65535 || (m[1] !== undefined) !== (isIP(host) === 6)) {
    return expected('an address and port like "127.0.0.1:32741" or "[::]:32741"', value, path, ctx);
  }
  return { host, port };
};

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
  (typeof value === "string" ? parseCidr(value) : undefined) ?? expected('a network like "10.0.0.0/8" or "2001:db8::/32"', value, path, ctx);

// source name -> bare JID; every source name checked by the one source rule.
const handover: Reader<Readonly<Record<string, string>>> = (value, path, ctx) => {
  if (!isMapping(value)) return expected("a mapping of source names to accounts like { web1: web1@example.org }", value, path, ctx);
  const jid = bareJid();
  const out: Record<string, string> = {};
  let ok = true;
  for (const [source, raw] of Object.entries(value)) {
    const at = keyPath(path, source);
    const problem = sourceNameProblem(source);
    if (problem !== undefined) {
      ctx.report(at, problem);
      ok = false;
      continue;
    }
    const read = jid(raw, at, ctx);
    if (typeof read === "symbol") ok = false;
    else out[source] = read;
  }
  return ok ? Object.freeze(out) : INVALID;
};

/** Reads `udp: { listen, allow, handover }`; absent means no listener (the default). */
export const udpSection: Reader<UdpConfig> = (value, path, ctx) => {
  const read = object({
    listen: optional(listen, `127.0.0.1:${MAUVE_UDP_PORT}`),
    allow: list(cidr, { min: 1 }),
    handover: optional(handover, {}),
  })(value, path, ctx);
  return typeof read === "symbol" ? read : { host: read.listen.host, port: read.listen.port, allow: read.allow, handover: read.handover };
};
