// A snapshot of the active AlertBot's database, asked for by the standby over IQ (docs/failover.md):
// for a standby the replica log no longer reaches. The standby asks `alertbot.<domain>` for an
// offer (<snapshot/>: id, size, sha256, seq, schema), then for the file in chunks (<chunk id offset/>,
// base64 of at most SNAPSHOT_CHUNK_BYTES). Only the configured standby JID may ask.
import type { Unsubscribe } from "./emitter.js";
import type { HandlerFailure } from "./errors.js";
import { jidEquals } from "./jid.js";
import { NS_MAUVE_REPLICA_SNAPSHOT } from "./namespaces.js";
import { coreOf, type XmppSession } from "./session.js";
import { attr, type XmlElement } from "./xml.js";

/** The most bytes one chunk carries: its base64 stays far below servers' stanza limits. */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

/** What the active offers: one copy of its file, kept for a while under `id`. */
export interface SnapshotOffer {
  readonly id: string;
  readonly sizeBytes: number;
  /** Hex SHA-256 of the whole file. */
  readonly sha256: string;
  /** The last batch of the replica log the copy holds. */
  readonly seq: number;
  /** The copy's schema version; absent from an active too old to say it. */
  readonly schema?: number;
}

/** The active's side: makes an offer, and reads a chunk of an offered copy. */
export interface SnapshotProvider {
  offer(): Promise<SnapshotOffer | HandlerFailure>;
  /** At most SNAPSHOT_CHUNK_BYTES of copy `id` from `offset`; empty at the end. */
  chunk(id: string, offset: number): Promise<Buffer | HandlerFailure>;
}

/** Answers the standby's snapshot requests on the active's session; others get <forbidden/>. */
export function serveReplicaSnapshots(
  session: XmppSession,
  standbyJid: string,
  provider: SnapshotProvider,
): Unsubscribe {
  const core = coreOf(session);
  const { xml } = core;
  const refuse = (from: string): HandlerFailure | null =>
    jidEquals(from, standbyJid, { bare: true })
      ? null
      : { ok: false, condition: "forbidden", text: "only the standby may ask for a snapshot" };
  const offOffer = core.handleIq(
    "get",
    NS_MAUVE_REPLICA_SNAPSHOT,
    "snapshot",
    "replica snapshot offer",
    async (req) => {
      const refused = refuse(req.from);
      if (refused) return refused;
      const offer = await provider.offer();
      if ("ok" in offer) return offer;
      return {
        ok: true,
        payload: xml("snapshot", {
          xmlns: NS_MAUVE_REPLICA_SNAPSHOT,
          id: offer.id,
          size: offer.sizeBytes,
          sha256: offer.sha256,
          seq: offer.seq,
          ...(offer.schema === undefined ? {} : { schema: offer.schema }),
        }),
      };
    },
  );
  const offChunk = core.handleIq("get", NS_MAUVE_REPLICA_SNAPSHOT, "chunk", "replica snapshot chunk", async (req) => {
    const refused = refuse(req.from);
    if (refused) return refused;
    const id = attr(req.element, "id");
    const offset = wholeNumber(attr(req.element, "offset"));
    if (id === undefined || offset === null)
      return { ok: false, condition: "bad-request", text: "a chunk needs an id and a whole-number offset" };
    const data = await provider.chunk(id, offset);
    if (!Buffer.isBuffer(data)) return data;
    return {
      ok: true,
      payload: xml("chunk", { xmlns: NS_MAUVE_REPLICA_SNAPSHOT, id, offset }, data.toString("base64")),
    };
  });
  return () => {
    offOffer();
    offChunk();
  };
}

/** The standby's side: asks the active for an offer and for chunks; refusals and bad answers throw. */
export interface SnapshotClient {
  offer(): Promise<SnapshotOffer>;
  chunk(id: string, offset: number): Promise<Buffer>;
}

/** Asks `activeJid` over `session`; an offer may take `offerTimeoutMs` (the active waits for its log first). */
export function createSnapshotClient(
  session: XmppSession,
  activeJid: string,
  options: { readonly offerTimeoutMs: number; readonly chunkTimeoutMs: number },
): SnapshotClient {
  const core = coreOf(session);
  const { xml } = core;
  return {
    async offer() {
      const reply = await core.request(
        xml("iq", { type: "get", to: activeJid }, xml("snapshot", { xmlns: NS_MAUVE_REPLICA_SNAPSHOT })),
        "replica snapshot offer",
        options.offerTimeoutMs,
      );
      if (!reply.ok)
        throw new Error(`${activeJid} refused a snapshot: ${reply.condition}${reply.text ? ` (${reply.text})` : ""}`);
      const el = reply.stanza.getChild("snapshot", NS_MAUVE_REPLICA_SNAPSHOT);
      if (!el) throw new Error(`${activeJid} answered a snapshot request without an offer`);
      return parseSnapshotOffer(el);
    },
    async chunk(id, offset) {
      const reply = await core.request(
        xml("iq", { type: "get", to: activeJid }, xml("chunk", { xmlns: NS_MAUVE_REPLICA_SNAPSHOT, id, offset })),
        "replica snapshot chunk",
        options.chunkTimeoutMs,
      );
      if (!reply.ok)
        throw new Error(
          `${activeJid} refused chunk ${offset} of snapshot ${id}: ${reply.condition}${reply.text ? ` (${reply.text})` : ""}`,
        );
      const el = reply.stanza.getChild("chunk", NS_MAUVE_REPLICA_SNAPSHOT);
      if (!el) throw new Error(`${activeJid} answered a chunk request without a chunk`);
      return parseSnapshotChunk(el, id, offset);
    },
  };
}

/** Reads an offer; throws on a missing or malformed field. */
export function parseSnapshotOffer(el: XmlElement): SnapshotOffer {
  const id = attr(el, "id");
  const sizeBytes = wholeNumber(attr(el, "size"));
  const sha256 = attr(el, "sha256")?.toLowerCase();
  const seq = wholeNumber(attr(el, "seq"));
  if (id === undefined || sizeBytes === null || seq === null || sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256))
    throw new Error(`a snapshot offer needs id, size, sha256 and seq: ${el.toString()}`);
  const schema = wholeNumber(attr(el, "schema"));
  return schema === null ? { id, sizeBytes, sha256, seq } : { id, sizeBytes, sha256, seq, schema };
}

/** Reads a chunk that must answer (`id`, `offset`); its bytes. Throws on anything else. */
export function parseSnapshotChunk(el: XmlElement, id: string, offset: number): Buffer {
  if (attr(el, "id") !== id || wholeNumber(attr(el, "offset")) !== offset)
    throw new Error(
      `a snapshot chunk for ${attr(el, "id") ?? "?"}@${attr(el, "offset") ?? "?"}, expected ${id}@${offset}`,
    );
  const text = el.text().replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0)
    throw new Error(`snapshot chunk ${id}@${offset} is not base64`);
  const data = Buffer.from(text, "base64");
  if (data.length > SNAPSHOT_CHUNK_BYTES)
    throw new Error(`snapshot chunk ${id}@${offset} holds ${data.length} bytes, more than ${SNAPSHOT_CHUNK_BYTES}`);
  return data;
}

function wholeNumber(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}
