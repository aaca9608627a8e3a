// The database file as AlertBot opened it, and the file its path names now. SQLite keeps writing
// to the file it opened: deleted (`rm alertbot.db*`) or replaced (a backup moved over it) under a
// running AlertBot, every write still "commits", to a file nobody will ever open again, and the
// next start makes a fresh empty database at the path with every alert gone. Nobody was told.
import { closeSync, fstatSync, openSync, statSync, type Stats } from "node:fs";

/** A hold on the file at a path, to tell later whether the path still names it. */
export class FileIdentity {
  private constructor(
    private readonly path: string,
    private fd: number | null,
  ) {}

  /**
   * Holds the file now at `path` (opened read-only: the descriptor is only for fstat). Taken right
   * after SQLite opened it, so it is the same file.
   */
  static hold(path: string): FileIdentity {
    return new FileIdentity(path, openSync(path, "r"));
  }

  /**
   * Why the path no longer names the file held (deleted, or another file in its place), or null
   * while it does. Anything else that stops the check (a path that cannot be read) is no change.
   */
  change(): string | null {
    if (this.fd === null) return null;
    let held: Stats;
    try {
      held = fstatSync(this.fd);
    } catch {
      return null;
    }
    if (held.nlink === 0) return `${this.path} was deleted while AlertBot had it open`;
    let now: Stats;
    try {
      now = statSync(this.path);
    } catch (err) {
      if ((err as { code?: unknown }).code === "ENOENT")
        return `${this.path} was moved away while AlertBot had it open (nothing is at that path now)`;
      return null;
    }
    if (now.ino !== held.ino || now.dev !== held.dev)
      return `${this.path} was replaced by another file while AlertBot had it open`;
    return null;
  }

  /** Lets the file go (with the store). */
  release(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
