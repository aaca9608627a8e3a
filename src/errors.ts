/** Malformed, oversize or out-of-bounds wire data. The message is safe to log. */
export class CodecError extends Error {
  override readonly name = "CodecError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A configuration problem; the message names the file and the key. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}: ${key}: ${problem}`);
  }
}

/** A failed chat command: `humanMessage` goes back to the person, `message` to the log. */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    readonly humanMessage: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(options?.detail ?? humanMessage, options);
  }
}

/**
 * The bot's database cannot be written now (disk full, I/O error, file made read-only): nothing
 * of the attempt was stored. Transient as far as callers know: send again later.
 */
export class StorageUnavailableError extends Error {
  override readonly name = "StorageUnavailableError";
  constructor(
    /** What SQLite said, as an admin reads it: "database or disk is full (SQLITE_FULL)". */
    readonly reason: string,
    options?: { cause?: unknown; advice?: string },
  ) {
    super(
      `AlertBot cannot write its database: ${reason}`,
      options?.cause !== undefined ? { cause: options.cause } : {},
    );
    this.advice = options?.advice;
  }

  /** What the people told should do, when it is not the usual "free disk space". */
  readonly advice: string | undefined;
}

/**
 * An error as people read it: its message, or a plain sentence when the thrower left it empty
 * (xmpp.js's own timeouts are `TimeoutError` with no message), so no report ends in a bare colon.
 */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.message !== "") return err.message;
  if (err.name === "TimeoutError") return "the server did not answer in time";
  return `${err.name} without a description`;
}
