// Why a try to reach the XMPP server failed, said so that an admin can act on it. Most failures
// mend themselves (the server restarts, the network comes back) and are only retried; a few never
// will until someone changes something (a certificate the process does not trust, a refused
// password or secret), and a log that said only "will retry" for those left the admin guessing
// while the process kept trying for good.

/** What a failed try says: the error's message, with Node's code when it has one (TLS codes name the cause). */
export function connectProblem(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && code !== "" && !err.message.includes(code)
    ? `${err.message} (${code})`
    : err.message;
}

// Node's codes (and OpenSSL's) for a server certificate this process cannot trust.
const UNTRUSTED =
  /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE/;
const EXPIRED = /CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/;
const WRONG_NAME = /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/;
const REFUSED_LOGIN = /not-authorized|SASL.*(failure|failed)/i;

/**
 * What to change when the problem will not mend by itself, or undefined when retrying is all
 * there is to do. `login` says what the process logs in with, named in the advice.
 */
export function connectAdvice(problem: string, login: "password" | "secret"): string | undefined {
  if (UNTRUSTED.test(problem))
    return (
      "the server's certificate is not signed by an authority this process trusts: for a private CA, " +
      "give its certificate file in the environment variable NODE_EXTRA_CA_CERTS and restart; otherwise fix the " +
      "server's certificate chain (docs/agents.md, TLS)"
    );
  if (EXPIRED.test(problem))
    return "the server's certificate has expired (or is not valid yet): renew it on the server";
  if (WRONG_NAME.test(problem))
    return "the server's certificate names another host: it must name the XMPP domain (the part of the JID after @)";
  if (REFUSED_LOGIN.test(problem))
    return login === "password"
      ? "the server refused the login: check the account exists and that xmpp.password (or its _env/_file) matches"
      : "the server refused the component's secret: it must be the same in AlertBot's config and the server's";
  return undefined;
}
