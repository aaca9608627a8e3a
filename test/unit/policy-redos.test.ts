import assert from "node:assert/strict";
import { compilePattern } from "../../src/policy/index.js";

describe("patterns that could hang the bot", () => {
  for (const bad of ["/(a+)+$/", "/(x*y?)*/", "/((ab)*)+/", "/(a{1,5})+b/"]) {
    it(`refuses ${bad}`, () => {
      const r = compilePattern(bad);
      assert.equal(r.ok, false);
      assert.match(r.ok ? "" : r.reason, /exponential/);
    });
  }
  for (const fine of ["/^pg-[0-9]+$/", "/(web|db)[0-9]+/", "/backup|replication/i", "/(ab)+/", "/[(+*)]+/", "web*", "/a\\(b+\\)+/"]) {
    it(`accepts ${fine}`, () => assert.equal(compilePattern(fine).ok, true));
  }
});
