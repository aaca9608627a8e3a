// Mauve's UDP datagrams as its Ruby mauvesend lays them out (protoc's encoding of text-format
// fixtures in test/fixtures/udp), and sending one to a port on loopback.
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The fixture `name`, with NOW replaced by `nowSec`, encoded by protoc. */
export function mauvePacket(name: string, nowSec: number): Buffer {
  const text = readFileSync(join(ROOT, "test/fixtures/udp", `${name}.txtpb`), "utf8").replaceAll("NOW", String(nowSec));
  return mauveTextPacket(text);
}

/**
 * An AlertUpdate in protoc's text format, encoded by protoc. Its escapes (`"caf\351"`) put bytes
 * that are not UTF-8 on the wire, as an old sender's Latin-1 does: protoc complains, and encodes them.
 */
export function mauveTextPacket(text: string): Buffer {
  const run = spawnSync("protoc", ["--encode=mauve.proto.AlertUpdate", "-I", "proto", "mauve.proto"], {
    cwd: ROOT,
    input: text,
  });
  if (run.status !== 0) throw new Error(`protoc --encode failed: ${run.stderr.toString()}`);
  return run.stdout;
}

/** Sends one datagram to 127.0.0.1:`port`, from the address `from`. */
export function sendUdp(bytes: Uint8Array, port: number, from = "127.0.0.1"): Promise<void> {
  const socket = createSocket("udp4");
  return new Promise((resolve, reject) => {
    socket.bind(0, from, () =>
      socket.send(bytes, port, "127.0.0.1", (err) => (socket.close(), err ? reject(err) : resolve())),
    );
  });
}
