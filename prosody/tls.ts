// Certificates for a private Prosody or ejabberd (ejabberd/launcher.ts uses these too, as it does
// ports.ts and process.ts) that runs with TLS: a private CA made for the run and a server
// certificate it signs for the test host, the way an admin with an in-house CA sets up a server.
// openssl's command line makes them (Node has no API to issue a certificate); its config is ours,
// written beside them, so nothing depends on the system's openssl.cnf.
import { spawn } from "node:child_process";
import { chmod, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** A private CA: the certificate clients are told to trust, and its key (to sign with). */
export interface PrivateCa {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A server certificate for one host and the CA that signed it. */
export interface ServerCertificate {
  /** PEM certificate of the private CA: what agents must trust (NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  /** PEM certificate of the host, signed by the CA, with the host name in subjectAltName. */
  readonly certFile: string;
  /** PEM private key of the host's certificate (mode 0600). */
  readonly keyFile: string;
}

/** Lifetime of certificates made for a run: long enough for any run, short if one leaks. */
const VALID_DAYS = "7";

// The extensions of each kind of certificate: a CA that signs only certificates, a server that
// only serves.
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:$ENV::MAUVE_TLS_HOST
authorityKeyIdentifier = keyid
`;

/** Makes a new private CA named `name` in `dir` (`<name>.crt`, `<name>.key`). */
export async function makePrivateCa(dir: string, name: string): Promise<PrivateCa> {
  const config = await writeConfig(dir);
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await openssl(
    [
      ...["req", "-x509", "-config", config, "-extensions", "ca", "-days", VALID_DAYS, "-nodes"],
      ...["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
      ...["-subj", `/CN=${name}`, "-keyout", keyFile, "-out", certFile],
    ],
    {},
  );
  await chmod(keyFile, 0o600);
  return { certFile, keyFile };
}

/**
 * Makes a private CA and a certificate for `host` signed by it, in `dir`: `<host>.crt` and
 * `<host>.key` are the names Prosody looks for under its `certificates` directory (ejabberd is
 * given both files by name).
 */
export async function makeServerCertificate(dir: string, host: string): Promise<ServerCertificate> {
  const ca = await makePrivateCa(dir, "mauve-test-ca");
  const config = await writeConfig(dir);
  const certFile = join(dir, `${host}.crt`);
  const keyFile = join(dir, `${host}.key`);
  const request = join(dir, `${host}.csr`);
  const env = { MAUVE_TLS_HOST: host };
  await openssl(
    [
      ...["req", "-new", "-config", config, "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
      ...["-subj", `/CN=${host}`, "-keyout", keyFile, "-out", request],
    ],
    env,
  );
  await chmod(keyFile, 0o600);
  await openssl(
    [
      ...["x509", "-req", "-in", request, "-CA", ca.certFile, "-CAkey", ca.keyFile, "-set_serial", "2"],
      ...["-days", VALID_DAYS, "-extfile", config, "-extensions", "server", "-out", certFile],
    ],
    env,
  );
  // The CA's key signed its one certificate: nothing else should.
  await Promise.all([rm(request, { force: true }), rm(ca.keyFile, { force: true })]);
  return { caFile: ca.certFile, certFile, keyFile };
}

async function writeConfig(dir: string): Promise<string> {
  const config = join(dir, "openssl.cnf");
  await writeFile(config, OPENSSL_CONFIG);
  return config;
}

// Rejects with openssl's own words when it fails.
function openssl(args: readonly string[], env: Readonly<Record<string, string>>): Promise<void> {
  return new Promise((done, fail) => {
    // The config's $ENV reference must resolve even for a certificate without a host.
    const child = spawn("openssl", args, { env: { ...process.env, MAUVE_TLS_HOST: "", ...env } });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", (err) => fail(new Error(`cannot run openssl (apt-get install openssl): ${err.message}`)));
    child.once("close", (code) =>
      code === 0 ? done() : fail(new Error(`openssl ${args[0] ?? ""} failed (exit ${code}): ${output.trim()}`)),
    );
  });
}
