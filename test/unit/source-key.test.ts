// Names a person may read as one source: the same but for letter case, or drawn alike by common
// fonts. The store's SQL reads names exactly as the code does.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { lookalikeReason, sourceKey, sourceReading } from "../../src/codec/source-name.js";
import { openDatabase } from "../../src/store/database.js";
import { MIGRATIONS, SOURCE_READING_SQL } from "../../src/store/migrations.js";
import { LOOKALIKE_SQL } from "../../src/store/source-store.js";
import { Store } from "../../src/store/store.js";

describe("source names that read alike", () => {
  it("reads 1, I and l as one, 0 and O, rn and m, vv and w, cl and d, drops separators at the ends and folds runs of them; keeps other names apart", () => {
    const alike = [
      ["web1", "WEB1", "Web1", "webl", "webI", "WEBL", "WEBI", "web1.", ".web1", "web1..", "WEB1."],
      // Separators at either end, whichever and however many.
      ["web1", "web1-", "-web1", "web1_", "_web1", "-.web1", "web1._", "_-web1-.", "web1---"],
      // A run of separators reads as its first.
      ["web-1", "web--1", "web-.1", "web-_-1", "-web-1_"],
      ["web.1", "web..1", "web._1"],
      ["db0", "dbo", "DBO", "dB0"],
      ["mail01", "rnail01", "rnail0l", "mailOl"],
      ["www1", "vvww1", "wvvw1"],
      ["dc1", "clc1", "dcl"],
    ];
    for (const group of alike)
      for (const name of group) assert.equal(sourceReading(name), sourceReading(group[0]!), name);
    const apart = [
      "web1",
      "web2",
      "web-1",
      "web_1",
      "web.1",
      "web-1-a",
      "web-1a",
      "webi",
      "db0",
      "db00",
      "mail",
      "mall",
      "nail",
      "host10",
      "host01",
      "host11",
      "ci-runner",
      "d-runner",
    ];
    assert.equal(new Set(apart.map(sourceReading)).size, apart.length, apart.map(sourceReading).join());
  });

  it("says why in words: letter case alone, or the characters drawn alike", () => {
    assert.equal(
      lookalikeReason("WEB1", "web1"),
      'source "WEB1" differs only in letter case from the known source "web1"',
    );
    assert.equal(sourceKey("webi"), sourceKey("WEBI"));
    assert.match(lookalikeReason("WEBI", "webi"), /differs only in letter case/);
    assert.match(
      lookalikeReason("rnail01", "mail01"),
      /^source "rnail01" reads like the known source "mail01" \(.*"rn" and "m".*look alike\)$/,
    );
  });

  it("is read in SQL exactly as in code, and the store finds every look-alike of a known source", () => {
    const db = new Database(":memory:");
    const store = Store.open(":memory:");
    try {
      const inSql = db.prepare(`SELECT ${SOURCE_READING_SQL} AS k FROM (SELECT ? AS source)`);
      const alphabet = "abcdilmnorvwxyzABCDILMNORVWXYZ0123456789..-_";
      let seed = 17;
      const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const names = [
        "rnrn",
        "vvv",
        "cll",
        "clrn",
        "rvv",
        "i1Il0O",
        "RN",
        "VV",
        "CL",
        "c1",
        "cI",
        "ci",
        "rN",
        ".",
        "..",
        "-",
        "_-.",
        "a-.b",
        "a_-b_",
        ".a.",
        "a..b.",
        "..I1..",
      ];
      // Long runs of separators, up to the longest a source may be: the SQL folds them pass by pass.
      const separators = "._-";
      for (let i = 0; i < 300; i++) {
        const run = (n: number): string =>
          Array.from({ length: n }, () => separators[Math.floor(random() * 3)]).join("");
        names.push(`${run(i % 7)}a${run(1 + Math.floor(random() * 505))}b${run(i % 3)}`);
      }
      names.push(".".repeat(512), `a${"-_".repeat(255)}b`, `a${"_-".repeat(255)}b`, `a.${"-".repeat(509)}b`);
      for (let i = 0; i < 2_000; i++)
        names.push(
          Array.from(
            { length: 1 + Math.floor(random() * 12) },
            () => alphabet[Math.floor(random() * alphabet.length)],
          ).join(""),
        );
      for (const name of names)
        assert.equal((inSql.get(name) as { k: string }).k, sourceReading(name), JSON.stringify(name));

      store.sources.claim("mail01", "mauve/alerts/mail01", "mail01@x.org", 0);
      store.sources.claim("webi", "mauve/alerts/webi", "webi@x.org", 0);
      assert.equal(store.sources.lookalike("rnail01"), "mail01");
      assert.equal(store.sources.lookalike("mailOl"), "mail01");
      assert.equal(store.sources.lookalike("WEBI"), "webi", "letter case alone");
      assert.equal(store.sources.lookalike("MAIL01"), "mail01", "letter case alone");
      assert.equal(store.sources.lookalike("mail01"), undefined, "a source is not its own look-alike");
      assert.equal(store.sources.lookalike("mail02"), undefined);
      assert.equal(store.sources.lookalike("webl"), undefined, "an i keeps its dot");
    } finally {
      db.close();
      store.close();
    }
  });

  it("works the readings of known sources out again (schema 10), keeping both of two that now read alike", () => {
    const dir = mkdtempSync(join(tmpdir(), "mauve-source-key-"));
    try {
      const path = join(dir, "bot.sqlite");
      // Version 9 read "web1-" apart from "web1", and stored readings as it read them.
      const v9 = openDatabase(path, MIGRATIONS.slice(0, 9));
      const known = v9.prepare(
        "INSERT INTO sources (source, node, owner_jid, first_seen_at, last_seen_at, reading) VALUES (?, ?, ?, 0, 0, ?)",
      );
      for (const [source, owner] of [
        ["web1", "web1@x.org"],
        ["web1-", ""],
        ["db--1", "db@x.org"],
        ["db-1", ""],
        ["mail01", ""],
      ] as const)
        known.run(source, `mauve/alerts/${source}`, owner, source.replace(/^\.+|\.+$/g, "").toLowerCase());
      v9.close();

      const store = Store.open(path);
      try {
        assert.deepEqual(
          store.sources.all().map((s) => [s.source, s.ownerJid]),
          [
            ["db--1", "db@x.org"],
            ["db-1", ""],
            ["mail01", ""],
            ["web1", "web1@x.org"],
            ["web1-", ""],
          ],
          "every source kept, with its owner",
        );
        assert.deepEqual(store.sources.readAlike(), [
          ["db--1", "db-1"],
          ["web1", "web1-"],
        ]);
        // A newcomer reading like either of a pair is refused; each of the pair is its own source.
        assert.equal(store.sources.lookalike("_web1"), "web1");
        assert.ok(["db--1", "db-1"].includes(store.sources.lookalike("db-.1") ?? ""));
        assert.equal(store.sources.lookalike("mail0l-"), "mail01");
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds a look-alike through indexes, also among sources known before their reading was stored", () => {
    const dir = mkdtempSync(join(tmpdir(), "mauve-source-key-"));
    try {
      const path = join(dir, "bot.sqlite");
      // Version 7 knew sources without their reading: migration 8 works it out for them.
      const v7 = openDatabase(path, MIGRATIONS.slice(0, 7));
      const known = v7.prepare(
        "INSERT INTO sources (source, node, owner_jid, first_seen_at, last_seen_at) VALUES (?, ?, '', 0, 0)",
      );
      for (const source of ["mail01", "WEB1", "db.", "cl1ent"]) known.run(source, `mauve/alerts/${source}`);
      v7.close();

      const store = Store.open(path);
      try {
        assert.equal(store.sources.lookalike("rnail01"), "mail01");
        assert.equal(store.sources.lookalike("web1"), "WEB1", "letter case alone");
        assert.equal(store.sources.lookalike("db"), "db.");
        assert.equal(store.sources.lookalike("dIent"), "cl1ent");
        assert.equal(store.sources.lookalike("mail02"), undefined);
        store.sources.claim("backup0", "mauve/alerts/backup0", "", 0);
        assert.equal(store.sources.lookalike("backupO"), "backup0", "a source claimed since");
      } finally {
        store.close();
      }

      // Each new source asks this: a scan of every source made first contact cost in proportion to
      // the sources known (and a start with thousands of agents, their square).
      const db = new Database(path, { readonly: true });
      try {
        const plan = (
          db.prepare(`EXPLAIN QUERY PLAN ${LOOKALIKE_SQL}`).all({ key: "a", reading: "b", source: "c" }) as Array<{
            detail: string;
          }>
        )
          .map((r) => r.detail)
          .join("; ");
        assert.doesNotMatch(plan, /SCAN sources/, plan);
        assert.match(plan, /INDEX sources_by_key/, plan);
        assert.match(plan, /INDEX sources_by_reading/, plan);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
