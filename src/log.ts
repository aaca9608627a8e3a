/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** A structured logger: one JSON line per event, on stderr, so stdout stays free for tools. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A sink receives finished lines; tests pass one that collects them. */
export type LogSink = (line: string) => void;

/** Logger options; `redact` scrubs the text of each line of the secrets it knows (notify/redact.ts makes one). */
export interface LoggerOptions {
  level?: LogLevel;
  sink?: LogSink;
  fields?: Record<string, unknown>;
  redact?: (text: string) => string;
}

/** Makes a logger writing JSON lines at or above `level`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const sink = options.sink ?? ((line: string) => process.stderr.write(line + "\n"));
  const base = options.fields ?? {};
  const redact = options.redact ?? ((text: string) => text);
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[lvl] < ORDER[level]) return;
    // eslint-disable-next-line no-restricted-syntax -- a log line's time is the wall clock's, also under a fake clock
    const head = { time: new Date().toISOString(), level: lvl, msg };
    sink(serialize({ ...head, ...base, ...fields }, head, replacer));
  };
  // Every string of the line is scrubbed, not chosen fields: a secret echoed into an error's
  // message, stack, cause or a library's own field (an SMTP server's `response`) is caught wherever
  // it landed. Keys are left alone, so that a line keeps its shape (`msg`, `err`) whatever it says.
  const replacer = (key: string, value: unknown): unknown => {
    const safe = jsonSafe(key, value);
    return typeof safe === "string" ? redact(safe) : safe;
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** How many causes deep an error is followed: enough for wrapped I/O errors, finite for cycles. */
const MAX_CAUSE_DEPTH = 8;

// A field that cannot be serialised (a cycle, a throwing getter) must not lose the line, nor throw
// into the code that was only trying to report something.
function serialize(line: Record<string, unknown>, head: Record<string, unknown>, replacer: Replacer): string {
  try {
    return JSON.stringify(line, replacer);
  } catch (err) {
    return JSON.stringify({ ...head, logError: `fields could not be serialised: ${String(err)}` }, replacer);
  }
}

type Replacer = (key: string, value: unknown) => unknown;

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return errorJson(value, 0);
  if (hasOwnText(value)) return String(value);
  return value;
}

/**
 * Whether `value` is an instance of a class that says itself as text (an XML element on a stanza
 * error, a URL): its text is what a reader wants, and its fields may hold cycles (an element's parent).
 */
function hasOwnText(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return false;
  return (value as { toString: unknown }).toString !== Object.prototype.toString;
}

/**
 * An error as JSON: name, message, stack, its own fields (`code`, `errno`, `syscall`, a library's
 * `response`...) and its cause chain, so that a log line says where a failure came from and why.
 */
function errorJson(err: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const nested = (value: unknown): unknown =>
    !(value instanceof Error) ? value : depth < MAX_CAUSE_DEPTH ? errorJson(value, depth + 1) : String(value);
  for (const [key, value] of Object.entries(err)) out[key] = nested(value);
  if (err.stack !== undefined) out["stack"] = err.stack;
  if (err.cause !== undefined) out["cause"] = nested(err.cause);
  if (err instanceof AggregateError && Array.isArray(err.errors)) out["errors"] = err.errors.map(nested);
  return out;
}
