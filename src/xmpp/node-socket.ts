// The Node socket under an xmpp.js entity: the entity's socket itself on plain TCP, or the TLS
// socket inside @xmpp/tls's wrapper, which is what `entity.socket` is after STARTTLS and on an
// xmpps:// connection. The wrapper forwards only write, end and the socket's events: whatever else
// we do to the connection (TCP_NODELAY, corking, destroying a dead link) must reach the socket inside.

/** The parts of a Node socket (net.Socket, tls.TLSSocket) we use. */
export interface NodeSocket {
  cork(): void;
  uncork(): void;
  destroy?(): unknown;
  setNoDelay?(noDelay?: boolean): unknown;
  readonly destroyed?: boolean;
  readonly writableEnded?: boolean;
}

function isNodeSocket(value: unknown): value is NodeSocket {
  const candidate = value as Partial<NodeSocket> | null;
  return typeof candidate?.cork === "function" && typeof candidate.uncork === "function";
}

/** The Node socket an entity's socket is, or wraps (@xmpp/tls); null when there is none. */
export function nodeSocketOf(socket: unknown): NodeSocket | null {
  if (isNodeSocket(socket)) return socket;
  const inner = (socket as { socket?: unknown } | null)?.socket;
  return isNodeSocket(inner) ? inner : null;
}
