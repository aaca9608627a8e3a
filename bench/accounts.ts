// Creates many agent accounts on the private Prosody at once, straight into its storage.
// prosodyctl adduser takes 35-100 ms per account (a Lua start-up each), so 10,000 would take
// minutes; writing the records Prosody's mod_auth_internal_hashed reads takes a second.
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { runDirLayout } from "../prosody/launcher.js";
import { prosodySqlitePath } from "../prosody/sqlite-journal.js";

/** Where and how the accounts are stored: as the launcher configured Prosody. */
export interface AccountTarget {
  readonly runDir: string;
  readonly domain: string;
  readonly storage: "internal" | "sql";
}

// mod_auth_internal_hashed's default_iteration_count in Prosody 0.12: logins cost what they cost in production.
const ITERATIONS = 10_000;
const SALT = "mauve-bench-salt";

interface ScramRecord {
  readonly salt: string;
  readonly iteration_count: number;
  readonly stored_key: string;
  readonly server_key: string;
}

/**
 * The SCRAM-SHA-1 credentials Prosody keeps for `password` (RFC 5802 §3: StoredKey, ServerKey).
 * All bench accounts share one password and salt, so the 10,000-round PBKDF2 runs once.
 */
function scramRecord(password: string): ScramRecord {
  const salted = pbkdf2Sync(password, SALT, ITERATIONS, 20, "sha1");
  const clientKey = createHmac("sha1", salted).update("Client Key").digest();
  return {
    salt: SALT,
    iteration_count: ITERATIONS,
    stored_key: createHash("sha1").update(clientKey).digest("hex"),
    server_key: createHmac("sha1", salted).update("Server Key").digest("hex"),
  };
}

// Prosody's datamanager escapes every non-alphanumeric byte of a path part as %xx.
function escapePart(s: string): string {
  return s.replace(/[^A-Za-z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Creates (or overwrites) `usernames` with `password`; Prosody picks them up at the next login. */
export async function createAccounts(
  target: AccountTarget,
  usernames: readonly string[],
  password: string,
): Promise<void> {
  const record = scramRecord(password);
  const { dataDir } = runDirLayout(target.runDir);
  if (target.storage === "internal") {
    const dir = join(dataDir, escapePart(target.domain), "accounts");
    await mkdir(dir, { recursive: true });
    const lua = `return {\n${Object.entries(record)
      .map(([k, v]) => `\t["${k}"] = ${typeof v === "number" ? v : `"${v}"`};`)
      .join("\n")}\n};\n`;
    for (let i = 0; i < usernames.length; i += 200) {
      await Promise.all(usernames.slice(i, i + 200).map((u) => writeFile(join(dir, `${escapePart(u)}.dat`), lua)));
    }
    return;
  }
  // mod_storage_sql's key-value layout: one row per field, typed.
  const db = new Database(prosodySqlitePath(dataDir));
  try {
    db.pragma("busy_timeout = 10000");
    const del = db.prepare(`DELETE FROM prosody WHERE host = ? AND user = ? AND store = 'accounts'`);
    const add = db.prepare(
      `INSERT INTO prosody (host, user, store, key, type, value) VALUES (?, ?, 'accounts', ?, ?, ?)`,
    );
    db.transaction(() => {
      for (const u of usernames) {
        del.run(target.domain, u);
        for (const [k, v] of Object.entries(record))
          add.run(target.domain, u, k, typeof v === "number" ? "number" : "string", String(v));
      }
    })();
  } finally {
    db.close();
  }
}
