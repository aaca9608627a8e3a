// Write batching: what an entity writes during one turn of the event loop leaves in one system call.
//
// xmpp.js writes each stanza with its own `socket.write`, and with TCP_NODELAY on (raw-entity.ts)
// each becomes a `write` system call of its own, even when one turn sends several (the single
// notices about the alerts of one update, say).
// Corking the socket at the first write of a turn and uncorking it on the next tick hands them to
// the kernel together (one `writev`), as Node's own HTTP server does with its responses.
//
// The next tick, not setImmediate: the tick comes as soon as the code running now (and the promise
// continuations already queued, when the write came from one) is done, whereas an immediate would
// wait for every other callback of this loop iteration (more reads, a chunk of ingest) and so hold
// a person's chat line behind work that has nothing to do with it. A lone write still leaves as one
// plain `write`, only later in the same turn.

import { nodeSocketOf, type NodeSocket } from "./node-socket.js";

/** What batching needs of an xmpp.js entity (raw-entity.ts): the socket it writes to, and its write. */
interface WritingEntity {
  readonly socket: unknown;
  write(data: string): Promise<void>;
}

/**
 * Makes every write of `entity` during one turn of the event loop leave together on the next tick.
 * Each write's promise settles as before, once its data is handed to the kernel or has failed.
 */
export function batchWrites(entity: WritingEntity): void {
  const write = entity.write;
  // Usually one socket; two if a turn should write to a socket and to the one replacing it.
  const corked: NodeSocket[] = [];
  const uncorkAll = (): void => {
    for (const stream of corked.splice(0)) stream.uncork();
  };
  entity.write = function batchedWrite(this: WritingEntity, data: string): Promise<void> {
    const stream = nodeSocketOf(this.socket);
    // A stream that is gone or ending is left as it is: the write fails there as it did uncorked.
    if (stream && !stream.destroyed && !stream.writableEnded && !corked.includes(stream)) {
      stream.cork();
      if (corked.push(stream) === 1) process.nextTick(uncorkAll);
    }
    return write.call(this, data);
  };
}
