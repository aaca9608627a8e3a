// RFC 5802 SCRAM-SHA-1 as a `saslmechanisms` mechanism, hashing with Node's
// native crypto. The mechanism @xmpp/client ships runs PBKDF2 as one awaited
// WebCrypto HMAC call per iteration (servers ask for thousands), which makes every
// login slow, and a fleet's reconnect slower; crypto.pbkdf2 does the same
// derivation natively on the libuv thread pool (figures: docs/performance.md).
// Ours to keep, not a patch waiting for upstream: a browser library has no native PBKDF2 to
// call. Drop it only if @xmpp/sasl-scram-sha-1 switches to one PBKDF2 call (WebCrypto's
// deriveBits does the loop natively too) and the bench's login figures say it caught up.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

/** The name under which the native mechanism is registered with @xmpp/client's SASL factory. */
export const NATIVE_SCRAM_SHA1 = "X-MAUVE-NATIVE-SCRAM-SHA-1";

// A server asking for fewer rounds weakens the stored proof; one asking for
// absurdly many would pin a thread-pool thread. RFC 5802 §5.1 suggests >= 4096.
const MIN_ITERATIONS = 4096;
const MAX_ITERATIONS = 1_000_000;

/** Remembers the salted password between logins of one session, so reconnects skip PBKDF2. */
export interface ScramCache {
  entry?: { salt: string; iterations: number; saltedPassword: Buffer };
}

/** The credentials @xmpp/sasl hands to `response()`. */
interface ScramCredentials {
  readonly username?: string | null;
  readonly password?: string | null;
  readonly scramCache?: ScramCache;
}

// @xmpp/base64 uses atob/btoa: strings on that side hold one byte per char.
const toBinary = (s: string): string => Buffer.from(s, "utf8").toString("latin1");
const fromBinary = (s: string): string => Buffer.from(s, "latin1").toString("utf8");
const hmac = (key: Buffer, data: string | Buffer): Buffer => createHmac("sha1", key).update(data).digest();
// RFC 5802 §5.1: "=" and "," in names are escaped.
const saslName = (name: string): string => name.replace(/=/g, "=3D").replace(/,/g, "=2C");

/** SCRAM-SHA-1 client (RFC 5802 §3), without channel binding; SASLprep is not applied to the password. */
export class NativeScramSha1 {
  readonly name = "SCRAM-SHA-1";
  readonly clientFirst = true;
  private stage: "initial" | "challenge" | "final" = "initial";
  private clientNonce = "";
  private clientFirstBare = "";
  private serverFirst = "";
  private expectedServerSignature: Buffer | undefined;

  /** `clientNonce` is for test vectors only; the SASL factory constructs us without arguments. */
  constructor(private readonly options: { clientNonce?: string } = {}) {}

  /** Takes the server-first message (binary string, as @xmpp/sasl decodes it). */
  challenge(chal: string): this {
    this.serverFirst = fromBinary(chal);
    return this;
  }

  /** Produces the client-first message, then the client-final message with the proof. */
  async response(cred: ScramCredentials): Promise<string> {
    if (this.stage === "initial") {
      this.clientNonce = this.options.clientNonce ?? randomBytes(18).toString("base64");
      this.clientFirstBare = `n=${saslName(cred.username ?? "")},r=${this.clientNonce}`;
      this.stage = "challenge";
      return toBinary(`n,,${this.clientFirstBare}`);
    }
    if (this.stage === "challenge") {
      this.stage = "final";
      return toBinary(await this.clientFinal(cred));
    }
    return "";
  }

  /** SASL2 (XEP-0388) passes the server-final message here: verify the server's signature. */
  final(data: string): void {
    const v = parseAttributes(fromBinary(data)).get("v");
    const expected = this.expectedServerSignature;
    if (!v || !expected) throw new Error("SCRAM-SHA-1: missing server signature");
    const got = Buffer.from(v, "base64");
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new Error("SCRAM-SHA-1: server signature mismatch");
    }
  }

  private async clientFinal(cred: ScramCredentials): Promise<string> {
    const attrs = parseAttributes(this.serverFirst);
    const nonce = attrs.get("r") ?? "";
    const salt = attrs.get("s") ?? "";
    const iterations = Number(attrs.get("i"));
    if (attrs.has("m")) throw new Error("SCRAM-SHA-1: unsupported mandatory extension");
    if (!nonce.startsWith(this.clientNonce) || nonce.length <= this.clientNonce.length) {
      throw new Error("SCRAM-SHA-1: server nonce does not extend ours");
    }
    if (!salt) throw new Error("SCRAM-SHA-1: no salt");
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new Error(`SCRAM-SHA-1: iteration count ${attrs.get("i")} out of bounds`);
    }
    const saltedPassword = await this.saltedPassword(cred, salt, iterations);
    const clientKey = hmac(saltedPassword, "Client Key");
    const storedKey = createHash("sha1").update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`; // biws = base64("n,,"): no channel binding, no authzid
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = (clientKey[i] ?? 0) ^ (clientSignature[i] ?? 0);
    this.expectedServerSignature = hmac(hmac(saltedPassword, "Server Key"), authMessage);
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  private async saltedPassword(cred: ScramCredentials, salt: string, iterations: number): Promise<Buffer> {
    const cached = cred.scramCache?.entry;
    if (cached && cached.salt === salt && cached.iterations === iterations) return cached.saltedPassword;
    // RFC 5802 §2.2: Hi() is PBKDF2 with HMAC-SHA-1 and one output block.
    const saltedPassword = await pbkdf2Async(cred.password ?? "", Buffer.from(salt, "base64"), iterations, 20, "sha1");
    if (cred.scramCache) cred.scramCache.entry = { salt, iterations, saltedPassword };
    return saltedPassword;
  }
}

function parseAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}
