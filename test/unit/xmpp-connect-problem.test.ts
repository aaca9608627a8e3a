// Why a try to reach the server failed, and what to change when retrying alone will not mend it:
// a log that said only "will retry" for an untrusted certificate or a refused password left the
// admin guessing while the agent kept trying for good.
import assert from "node:assert/strict";
import { connectAdvice, connectProblem } from "../../src/xmpp/connect-problem.js";

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe("xmpp connect problems", () => {
  it("says the error's code beside its message, once", () => {
    assert.equal(
      connectProblem(withCode("unable to verify the first certificate", "UNABLE_TO_VERIFY_LEAF_SIGNATURE")),
      "unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
    );
    assert.equal(
      connectProblem(withCode("connect ECONNREFUSED 127.0.0.1:5222", "ECONNREFUSED")),
      "connect ECONNREFUSED 127.0.0.1:5222",
    );
    assert.equal(connectProblem(new Error("not-authorized")), "not-authorized");
    assert.equal(connectProblem("timeout"), "timeout");
  });

  it("advises on what will not mend by itself", () => {
    const untrusted = [
      "unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
      "self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)",
      "self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)",
      "unable to get local issuer certificate (UNABLE_TO_GET_ISSUER_CERT_LOCALLY)",
    ];
    for (const p of untrusted) assert.match(connectAdvice(p, "password") ?? "", /NODE_EXTRA_CA_CERTS/, p);
    assert.match(connectAdvice("certificate has expired (CERT_HAS_EXPIRED)", "password") ?? "", /expired/);
    assert.match(
      connectAdvice(
        "Hostname/IP does not match certificate's altnames: Host: a. is not cert's CN: b (ERR_TLS_CERT_ALTNAME_INVALID)",
        "password",
      ) ?? "",
      /names another host/,
    );
    assert.match(connectAdvice("not-authorized", "password") ?? "", /xmpp\.password/);
    assert.match(connectAdvice("not-authorized", "secret") ?? "", /secret/);
  });

  it("gives no advice where retrying is all there is to do", () => {
    for (const p of [
      "connect ECONNREFUSED 127.0.0.1:5222",
      "getaddrinfo EAI_AGAIN xmpp.example.org",
      "no session within 5000 ms",
      "system-shutdown",
      "connection lost",
    ])
      assert.equal(connectAdvice(p, "password"), undefined, p);
  });
});
