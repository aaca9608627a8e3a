// Open boards without a browser: each one does what the page script (src/web/assets.ts BOARD_JS)
// does, with plain HTTP, so what the bench sees is the server's cost. A board holds the /events
// stream of its signed-in session and, on each `change`, fetches its page again with the
// x-board-refresh header; a change that arrives while a fetch is under way makes one more fetch
// after it (the script's busy/again), never a queue.
import { serve } from "./children.js";
import { hrMs } from "./hrtime.js";

/** What the boards saw since the last `take`. */
export interface BoardCounters {
  readonly boards: number;
  /** `change` events received, per board. */
  readonly events: number[];
  /** Page fetches finished (status 200) and failed. */
  readonly fetches: number;
  readonly failedFetches: number;
  /** Request to last byte of each page fetch, ms. */
  readonly fetchMs: number[];
  readonly seconds: number;
}

interface Board {
  readonly cookie: string;
  readonly abort: AbortController;
  events: number;
  busy: boolean;
  again: boolean;
}

let base = "";
let boards: Board[] = [];
let fetchMs: number[] = [];
let fetches = 0;
let failedFetches = 0;
let since = hrMs();

async function refresh(board: Board): Promise<void> {
  if (board.busy) {
    board.again = true;
    return;
  }
  board.busy = true;
  try {
    do {
      board.again = false;
      const t = hrMs();
      try {
        const res = await fetch(base, {
          headers: { cookie: board.cookie, "x-board-refresh": "1" },
          signal: board.abort.signal,
        });
        await res.text();
        if (res.ok) {
          fetches++;
          fetchMs.push(hrMs() - t);
        } else failedFetches++;
      } catch {
        if (board.abort.signal.aborted) return;
        failedFetches++;
      }
    } while (board.again && !board.abort.signal.aborted);
  } finally {
    board.busy = false;
  }
}

async function listen(board: Board): Promise<void> {
  const res = await fetch(new URL("events", base), {
    headers: { cookie: board.cookie, accept: "text/event-stream" },
    signal: board.abort.signal,
  });
  if (!res.ok || !res.body) throw new Error(`/events answered ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (/^event: change$/m.test(message)) {
            board.events++;
            void refresh(board);
          }
        }
      }
    } catch {
      // Aborted by close(): the board was shut.
    }
  })();
}

serve({
  /** Opens one board per session cookie on the board at `url` (its page address, "/"). */
  async open(args: { url: string; cookies: string[] }) {
    base = args.url;
    boards = args.cookies.map((cookie) => ({
      cookie,
      abort: new AbortController(),
      events: 0,
      busy: false,
      again: false,
    }));
    await Promise.all(boards.map(listen));
    return boards.length;
  },

  /** The counters since the last call, reset. */
  take(): BoardCounters {
    const now = hrMs();
    const out = {
      boards: boards.length,
      events: boards.map((b) => b.events),
      fetches,
      failedFetches,
      fetchMs,
      seconds: (now - since) / 1000,
    };
    for (const b of boards) b.events = 0;
    fetchMs = [];
    fetches = 0;
    failedFetches = 0;
    since = now;
    return out;
  },

  /** Shuts every board (streams and fetches under way). */
  close() {
    for (const b of boards) b.abort.abort();
    const n = boards.length;
    boards = [];
    return n;
  },

  stop() {
    for (const b of boards) b.abort.abort();
    return true;
  },
});
