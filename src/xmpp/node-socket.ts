// The Node socket under an xmpp.js entity: the entity's socket itself on plain TCP, or the TLS
// socket inside @xmpp/tls's wrapper, which is what `entity.socket` is after STARTTLS and on an
// xmpps:// connection. The wrapper forwards only write, end and the socket's events: whatever else
// we do to the connection (TCP_NODELAY, destroying a dead link) must reach the socket inside.

/** The parts of a Node socket (net.Socket, tls.TLSSocket) we use. */
export interface NodeSocket {
  destroy(): unknown;
  setNoDelay?(noDelay?: boolean): unknown;
}

// A Node stream corks; the wrapper, an event emitter forwarding write and end, does not.
function isNodeSocket(value: unknown): value is NodeSocket {
  const candidate = value as { cork?: unknown; destroy?: unknown } | null;
  return typeof candidate?.cork === "function" && typeof candidate.destroy === "function";
}

/** The Node socket an entity's socket is, or wraps (@xmpp/tls); null when there is none. */
export function nodeSocketOf(socket: unknown): NodeSocket | null {
  if (isNodeSocket(socket)) return socket;
  const inner = (socket as { socket?: unknown } | null)?.socket;
  return isNodeSocket(inner) ? inner : null;
}
