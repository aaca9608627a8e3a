import assert from "node:assert/strict";
import type { AlertRecord } from "../../src/alerts/types.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { buildDigest, buildMessage, type NotificationMessage } from "../../src/notify/message.js";
import { createSmsChannel, smsText, type SmsConfig } from "../../src/notify/sms-channel.js";
import { cutBetweenGraphemes, oneSegment, segments } from "../helpers/sms-segments.js";

function alert(fields: Partial<AlertRecord> = {}): AlertRecord {
  return {
    shortId: 4711,
    source: "web1",
    alertId: "disk",
    status: "raised",
    subject: "web1",
    summary: "",
    detail: "",
    importance: 100,
    raisedAt: Date.UTC(2026, 2, 2, 10),
    clearedAt: null,
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    suppressUntil: null,
    ack: null,
    policyDueAt: null,
    updatedAt: Date.UTC(2026, 2, 2, 10),
    ...fields,
  };
}

const EXT_ONLY = "{}[]|^~\\€".repeat(40);
const ACKED = /#4711 .* Say "ack 4711" in chat$/;

describe("SMS text: one segment by the real encoding rules", () => {
  const probe: Array<[string, Partial<AlertRecord>]> = [
    ["a long ASCII summary", { summary: "x".repeat(300) }],
    ["accented GSM-7 letters", { summary: "café déjà vu ".repeat(20) }],
    ["an emoji in the summary", { summary: "🔥 disk full on /var " + "y".repeat(200) }],
    ["a Cyrillic summary", { summary: "Диск заполнен на сервере ".repeat(8) }],
    ["one curly quote", { summary: "disk ’full’ " + "z".repeat(200) }],
    ["GSM-7 extension characters in the id", { alertId: "[disk]{/var}" + "[]".repeat(60) }],
    ["a long id", { alertId: "d".repeat(400) }],
    ["a long id of emoji", { alertId: "📀".repeat(200), source: "🖥️".repeat(50) }],
    ["a long source and id with extension characters", { source: "|".repeat(120), alertId: "€".repeat(120) }],
    ["only extension characters", { source: "{}", alertId: "[]", subject: "|", summary: EXT_ONLY }],
    ["emoji split by the cut", { summary: "a" + "👨‍👩‍👧🇬🇧".repeat(40) }],
  ];
  for (const [name, fields] of probe) {
    it(`keeps ${name} to one segment, with the id and the ack hint`, () => {
      for (const kind of ["raised", "reminder", "escalated", "ack-expired"] as const) {
        const text = smsText(buildMessage(alert(fields), kind));
        oneSegment(text);
        assert.match(text, ACKED);
      }
      oneSegment(smsText(buildMessage(alert(fields), "cleared")));
      oneSegment(smsText(buildMessage(alert({ ...fields, ack: { by: "alice", at: 0, until: 0, note: "" } }), "acked")));
    });
  }

  it("cuts no character in half", () => {
    const fields = { summary: "a" + "👨‍👩‍👧🇬🇧e\u0301".repeat(40) };
    const m = buildMessage(alert(fields), "raised");
    const cut = /^#4711 (.*)\.\.\. Say "ack 4711" in chat$/u.exec(smsText(m))?.[1] ?? "";
    assert.ok(m.subject.startsWith(cut) && cut.length > 20, cut);
    cutBetweenGraphemes(cut, m.subject);
  });

  it("spells curly quotes, dashes and no-break spaces in GSM-7 so the SMS stays 160 long", () => {
    const text = smsText(buildMessage(alert({ summary: "disk ’full’ –\u00a0" + "z".repeat(200) }), "raised"));
    assert.equal(segments(text).encoding, "GSM-7");
    assert.equal(text.length, 160);
    assert.match(text, /^#4711 RAISED web1 disk: disk 'full' - zzz/);
  });

  it("keeps the id and the hint at the smallest max_chars, as UCS-2 too", () => {
    for (const summary of ["x".repeat(300), "Диск ".repeat(40), EXT_ONLY]) {
      const text = smsText(buildMessage(alert({ shortId: 4711, summary }), "escalated"), 60);
      assert.match(text, ACKED);
      const s = segments(text);
      assert.ok(s.units <= (s.encoding === "GSM-7" ? 60 : 26), `${s.encoding} ${s.units}: ${text}`);
    }
  });

  it("lists a digest of emoji ids in one segment, every id listed or counted", () => {
    const alerts = [1, 2, 3, 4, 5].map((i) => alert({ shortId: i, alertId: `📀-${i}` }));
    const text = smsText(buildDigest(alerts));
    oneSegment(text);
    assert.match(text, /^DIGEST 5 alerts, 5 raised: .*#1\b.*#5\b.* Say "ack <id>" in chat$/);
  });

  it("lists a digest of long ids made of extension characters in one segment", () => {
    const alerts = Array.from({ length: 30 }, (_, i) => alert({ shortId: 100 + i, alertId: "{[|]}".repeat(30) }));
    const text = smsText(buildDigest(alerts));
    oneSegment(text);
    const listed = text.match(/#\d+/g) ?? [];
    assert.ok(listed.length > 5, text);
    assert.equal(Number(/\+(\d+) more/.exec(text)?.[1] ?? 0) + listed.length, 30, text);
  });

  it("keeps the storage notice and anything else the channel sends to one segment", async () => {
    const config: SmsConfig = {
      preset: null,
      url: "http://127.0.0.1:9/send",
      method: "POST",
      headers: {},
      auth: null,
      bodyTemplate: '{"to":"{to}","text":"{text}"}',
      encoding: "json",
      from: null,
      timeoutMs: 5_000,
      maxChars: 160,
      successBody: null,
    };
    const sent: string[] = [];
    const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      sent.push((JSON.parse(init?.body as string) as { text: string }).text);
      return new Response("ok", { status: 200 });
    };
    const channel = createSmsChannel(config, { clock: new FakeClock(0), fetch });
    const storage: NotificationMessage = {
      kind: "raised",
      subject: `AlertBot cannot start: it cannot open its database (${"SQLITE_FULL: database or disk is full ’🔥’ ".repeat(5)})`,
      text: "",
    };
    const outcome = await channel.send({ name: "alice", jid: "alice@example.org", sms: "+447700900123" }, storage);
    assert.equal(outcome.ok, true);
    assert.equal(sent.length, 1);
    oneSegment(sent[0] ?? "");
  });
});
