// Resource use of a process from /proc (Linux): resident memory and CPU time.
import { readFile } from "node:fs/promises";
import { hrMs } from "./hrtime.js";

/** One reading of a process. */
export interface ProcReading {
  /** Resident set size now, in MiB. */
  readonly rssMb: number;
  /** The peak resident set size so far (VmHWM), in MiB. */
  readonly peakRssMb: number;
  /** User + system CPU time consumed so far, in seconds. */
  readonly cpuSeconds: number;
  /** Bytes the process caused to be written to storage so far (/proc/<pid>/io write_bytes; NaN if unreadable). */
  readonly writeBytes: number;
  /** When it was taken (hrMs). */
  readonly at: number;
}

// USER_HZ, the unit of utime/stime in /proc/<pid>/stat: 100 on every Linux architecture Node runs on.
const CLOCK_TICKS_PER_SECOND = 100;

/** Reads /proc/<pid>/stat and /proc/<pid>/status; undefined when the process is gone. */
export async function readProc(pid: number): Promise<ProcReading | undefined> {
  try {
    const [stat, status, io] = await Promise.all([
      readFile(`/proc/${pid}/stat`, "utf8"),
      readFile(`/proc/${pid}/status`, "utf8"),
      readFile(`/proc/${pid}/io`, "utf8").catch(() => ""),
    ]);
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted after the last ")".
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(rest[11]) + Number(rest[12]); // utime, stime: fields 14 and 15 of proc(5)
    const written = /^write_bytes:\s+(\d+)/m.exec(io);
    return {
      rssMb: kbField(status, "VmRSS") / 1024,
      peakRssMb: kbField(status, "VmHWM") / 1024,
      cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND,
      writeBytes: written ? Number(written[1]) : NaN,
      at: hrMs(),
    };
  } catch {
    return undefined;
  }
}

function kbField(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
  return m ? Number(m[1]) : NaN;
}

/** CPU use between two readings, in percent of one core (200% = both cores of this machine). */
export function cpuPercent(from: ProcReading, to: ProcReading): number {
  const wallSeconds = (to.at - from.at) / 1000;
  return wallSeconds > 0 ? ((to.cpuSeconds - from.cpuSeconds) / wallSeconds) * 100 : NaN;
}

/** What a process did over a window: mean CPU, storage writes, and its resident memory at the end and at most. */
export interface ProcWindow {
  readonly cpuPercent: number;
  /** KiB per second written to storage (page cache writeback and fsyncs alike). */
  readonly writeKbPerSec: number;
  readonly rssMb: number;
  readonly maxRssMb: number;
}

/**
 * Samples one process every `everyMs` over a window, so a phase can report its mean CPU and the
 * highest RSS seen (VmHWM covers the process's whole life, not the window).
 */
export class ProcSampler {
  private first: ProcReading | undefined;
  private last: ProcReading | undefined;
  private maxRss = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly everyMs = 500,
  ) {}

  /** Starts a window. */
  async start(): Promise<void> {
    this.first = await readProc(this.pid);
    this.last = this.first;
    this.maxRss = this.first?.rssMb ?? 0;
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    this.timer.unref();
  }

  /** Ends the window and summarises it (NaN fields when the process could not be read). */
  async stop(): Promise<ProcWindow> {
    clearInterval(this.timer);
    await this.sample();
    const { first, last } = this;
    if (!first || !last) return { cpuPercent: NaN, writeKbPerSec: NaN, rssMb: NaN, maxRssMb: NaN };
    const seconds = (last.at - first.at) / 1000;
    return {
      cpuPercent: cpuPercent(first, last),
      writeKbPerSec: (last.writeBytes - first.writeBytes) / 1024 / seconds,
      rssMb: last.rssMb,
      maxRssMb: this.maxRss,
    };
  }

  private async sample(): Promise<void> {
    const r = await readProc(this.pid);
    if (!r) return;
    this.last = r;
    this.maxRss = Math.max(this.maxRss, r.rssMb);
  }
}

/**
 * The bytes waiting unread in the receive queues of the established TCP sockets whose local port is
 * `localPort` (/proc/net/tcp and tcp6), summed; 0 when there are none. With Prosody's component
 * port: how much of AlertBot's stream Prosody has not read yet.
 */
export async function unreadBytesOnPort(localPort: number): Promise<number> {
  const port = localPort.toString(16).toUpperCase().padStart(4, "0");
  let total = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue ...; st 01 is ESTABLISHED.
      const [, local, , state, queues] = line.trim().split(/\s+/);
      if (state !== "01" || !local?.endsWith(`:${port}`) || !queues) continue;
      total += parseInt(queues.split(":")[1] ?? "0", 16);
    }
  }
  return total;
}
