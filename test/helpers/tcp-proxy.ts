// A TCP relay between a client and a server on loopback that a test can pause or cut: while paused it
// reads nothing from either side, so bytes (a stream's end included) wait in the kernel's buffers
// and neither end sees the connection close; resumed, everything held flows on in order. This is a
// network partition as the bot sees one: its writes are accepted and nothing comes back.
import { createServer, connect, type Server, type Socket } from "node:net";

/** A relay listening on 127.0.0.1 (port 0) that forwards every connection to `127.0.0.1:targetPort`. */
export class TcpRelay {
  private readonly sockets = new Set<Socket>();
  private readonly clientSockets = new Set<Socket>();
  private readonly dropping = new WeakSet<Socket>();
  private paused = false;
  private refusing = false;
  /** While flapping: how long each new connection is relayed whole. */
  private flapUpMs: number | undefined;
  /** Armed by `delayClientAt`: what a client's chunk must contain to be held, and for how long. */
  private delayAt: { marker: string; ms: number } | undefined;
  /** Chunks from a client held back, by socket, until their delay is over. */
  private readonly holding = new Map<Socket, Buffer[]>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpRelay> {
    let relay: TcpRelay | undefined;
    const server = createServer((client) => {
      if (relay?.refusing) client.destroy();
      else relay?.relay(client, connect(targetPort, "127.0.0.1"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("tcp relay has no port");
    relay = new TcpRelay(server, address.port);
    return relay;
  }

  /** Stops forwarding both ways without closing anything. */
  pause(): void {
    this.paused = true;
    for (const s of this.sockets) s.pause();
  }

  /** Forwards again, what was held first. */
  resume(): void {
    this.paused = false;
    for (const s of this.sockets) s.resume();
  }

  /**
   * From now on, what the clients of the connections open now send is read and thrown away, while
   * what the server sends still reaches them (a half-dead link: the server never hears the client,
   * the client hears the server). New connections are relayed whole.
   */
  dropFromClients(): void {
    for (const s of this.clientSockets) this.dropping.add(s);
  }

  /**
   * From now on, each new connection is relayed whole for `upMs`, then what its client sends is
   * thrown away as with `dropFromClients()`: a link that comes back at every reconnection and
   * silently dies a moment later. `steady()` relays the connections opened after it whole again.
   */
  flap(upMs: number): void {
    this.flapUpMs = upMs;
  }

  /**
   * The next time a client sends a chunk containing `marker`, that chunk and what the same client
   * sends after it wait `ms` before they go on, in order (a server slow to answer one request, and
   * what follows it, while the connection stays up). Once.
   */
  delayClientAt(marker: string, ms: number): void {
    this.delayAt = { marker, ms };
  }

  /** Ends `flap()` for new connections (the ones dying already stay dead). */
  steady(): void {
    this.flapUpMs = undefined;
  }

  /**
   * Ends every relayed connection and refuses new ones until `restore()`: the link to the server is
   * down while the server itself, and everyone else on it, stays up.
   */
  cut(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
  }

  /** Relays new connections again after `cut()`. */
  restore(): void {
    this.refusing = false;
  }

  /** Closes the listener and every relayed connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, upstream: Socket): void {
    this.clientSockets.add(client);
    if (this.flapUpMs !== undefined) {
      const dies = setTimeout(() => this.dropping.add(client), this.flapUpMs);
      client.on("close", () => clearTimeout(dies));
    }
    // No pipe(): its back-pressure handling resumes a paused socket on 'drain'.
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on("data", (chunk: Buffer) => {
        if (this.dropping.has(from)) return;
        const held = this.holding.get(from);
        if (held) held.push(chunk);
        else if (from === client && this.delayAt && chunk.includes(this.delayAt.marker)) {
          const queue = [chunk];
          this.holding.set(from, queue);
          setTimeout(() => {
            this.holding.delete(from);
            for (const c of queue) if (!to.destroyed) to.write(c);
          }, this.delayAt.ms);
          this.delayAt = undefined;
        } else to.write(chunk);
      });
      from.on("end", () => to.end());
      from.on("close", () => {
        this.sockets.delete(from);
        this.clientSockets.delete(from);
        to.destroy();
      });
      from.on("error", () => to.destroy());
      if (this.paused) from.pause();
    }
  }
}
