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
