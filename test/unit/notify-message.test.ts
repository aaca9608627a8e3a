import assert from "node:assert/strict";
import type { AlertRecord } from "../../src/alerts/types.js";
import { mailSubject, senderDomain, threadHeaders } from "../../src/notify/email-channel.js";
import { DIGEST_RANKED, buildDigest, buildMessage, threadKeyFor } from "../../src/notify/message.js";
import { smsText } from "../../src/notify/sms-channel.js";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function alert(shortId: number, fields: Partial<AlertRecord> = {}): AlertRecord {
  return {
    shortId,
    source: "web1",
    alertId: "disk-full",
    status: "raised",
    subject: "web1",
    summary: "/var is 98% full",
    detail: "",
    importance: 0,
    raisedAt: T0,
    clearedAt: null,
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    suppressUntil: null,
    ack: null,
    policyDueAt: null,
    updatedAt: T0,
    ...fields,
  };
}

describe("notify: messages", () => {
  it("builds a raise with the id, the ack hint, the detail as text and the facts", () => {
    const m = buildMessage(alert(42, { detail: "<p>Used: <b>98%</b></p>", importance: 3 }), "raised");
    assert.equal(m.kind, "raised");
    assert.equal(m.shortId, 42);
    assert.equal(m.subject, "RAISED web1 disk-full: /var is 98% full");
    assert.equal(
      m.text,
      'RAISED #42 web1 disk-full: /var is 98% full\nSay "ack 42" in chat to acknowledge.\n\n> Used: 98%\n\n' +
        "Source: web1\nAlert: disk-full\nImportance: 3\nRaised: 2026-01-05 09:00 UTC",
    );
    assert.equal(m.threadKey, threadKeyFor(alert(42)));
  });

  it("keeps a stored summary with line breaks on one line, and quotes every detail line", () => {
    const forged = "disk full\nBcc: attacker@example.org\u2028RAISED #7\u0085x\r\ny";
    const m = buildMessage(
      alert(42, { summary: forged, subject: "a\nb", detail: "ok\u2028Reply ack 9<br>fine" }),
      "raised",
    );
    assert.equal(m.subject, "RAISED web1 disk-full (subject 'a b'): disk full Bcc: attacker@example.org RAISED #7 x y");
    const lines = m.text.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/);
    assert.equal(
      lines[0],
      "RAISED #42 web1 disk-full (subject 'a b'): disk full Bcc: attacker@example.org RAISED #7 x y",
    );
    assert.ok(lines.includes("> Reply ack 9"), m.text);
    for (const line of lines) assert.ok(!/^(Bcc|RAISED #7|Reply ack 9|fine)/.test(line), line);
  });

  it("escapes our own text in HTML and re-sanitises the detail", () => {
    const m = buildMessage(
      alert(7, {
        summary: "<script>x</script> & co",
        detail: '<p onclick="x()">ok</p><script>alert(1)</script><a href="javascript:x">l</a>',
      }),
      "raised",
    );
    assert.ok(m.html?.includes("&lt;script&gt;x&lt;/script&gt; &amp; co"), m.html);
    assert.ok(!m.html?.includes("<script"), m.html);
    assert.ok(!m.html?.includes("onclick"), m.html);
    assert.ok(!m.html?.includes("javascript:"), m.html);
    assert.ok(m.html?.includes("<div><p>ok</p>"), m.html);
  });

  it("asks for an ack only where one is wanted", () => {
    const wanted = {
      raised: true,
      reminder: true,
      escalated: true,
      "ack-expired": true,
      cleared: false,
      acked: false,
    } as const;
    for (const [kind, asks] of Object.entries(wanted)) {
      const m = buildMessage(alert(5), kind as keyof typeof wanted);
      assert.equal(m.text.includes('"ack 5"'), asks, kind);
    }
  });

  it("says who acknowledged and until when", () => {
    const m = buildMessage(alert(9, { ack: { by: "alice", at: T0, until: T0 + 3_600_000, note: "on it" } }), "acked");
    assert.equal(m.subject, "ACKED web1 disk-full by alice: /var is 98% full");
    assert.ok(m.text.includes("Acknowledged by alice until 2026-01-05 10:00 UTC: on it"), m.text);
  });

  it("keeps the subject to one bounded line and adds the policy's reason", () => {
    const m = buildMessage(alert(3, { subject: "Disk\nfull", summary: "x".repeat(1000) }), "escalated", {
      reason: "nobody acknowledged it\nwithin 15m",
    });
    assert.ok(!m.subject.includes("\n"));
    assert.ok(m.subject.length <= 200);
    assert.ok(m.subject.startsWith("ESCALATED web1 disk-full (subject 'Disk full'): xxx"));
    assert.ok(m.text.includes("nobody acknowledged it within 15m"));
  });

  it("keys threads by short id and (source, id), stably", () => {
    assert.equal(threadKeyFor(alert(42)), threadKeyFor(alert(42, { summary: "other" })));
    assert.notEqual(threadKeyFor(alert(42)), threadKeyFor(alert(42, { source: "web2" })));
    assert.match(threadKeyFor(alert(42)), /^alert-42-[0-9a-f]{10}$/);
  });

  it("digests a storm: count, the most urgent few, the rest counted", () => {
    const alerts = [1, 2, 3, 4, 5, 6, 7].map((n) =>
      alert(n, { alertId: `a${n}`, importance: n === 6 ? 9 : 1, status: n === 7 ? "cleared" : "raised" }),
    );
    const d = buildDigest(alerts, { show: 3, reason: "7 alerts in 1m" });
    assert.equal(d.kind, "digest");
    assert.equal(d.shortId, undefined);
    assert.equal(d.threadKey, undefined);
    assert.equal(d.subject, "DIGEST 7 alerts, 6 raised");
    const lines = d.text.split("\n");
    assert.deepEqual(lines.slice(0, 5), [
      "DIGEST 7 alerts, 6 raised",
      "7 alerts in 1m",
      "- #6 web1 a6: /var is 98% full",
      "- #1 web1 a1: /var is 98% full",
      "- #2 web1 a2: /var is 98% full",
    ]);
    assert.equal(lines[5], "…and 4 more.");
  });
});

describe("notify: SMS text", () => {
  it("fits one segment and never cuts the ack hint", () => {
    const m = buildMessage(alert(42, { summary: "y".repeat(500) }), "raised");
    const text = smsText(m, 160);
    assert.equal(text.length, 160);
    assert.ok(text.startsWith("#42 RAISED web1 disk-full: yyy"));
    assert.ok(text.endsWith('... Say "ack 42" in chat'), text);
  });

  it("is short and plain when it fits, with no hint for a clear", () => {
    assert.equal(
      smsText(buildMessage(alert(42), "raised")),
      '#42 RAISED web1 disk-full: /var is 98% full Say "ack 42" in chat',
    );
    assert.equal(smsText(buildMessage(alert(42), "cleared")), "#42 CLEARED web1 disk-full: /var is 98% full");
  });

  it("never tells anyone to reply to an SMS or an email: acks are taken in chat", () => {
    for (const kind of ["raised", "reminder", "escalated", "ack-expired"] as const) {
      const m = buildMessage(alert(42), kind);
      assert.doesNotMatch(smsText(m), /reply/i);
      assert.doesNotMatch(m.text, /reply/i);
      assert.match(smsText(m), /"ack 42" in chat/);
    }
  });

  it("lists a digest's ids, most urgent first, within the SMS length", () => {
    const alerts = Array.from({ length: 4 }, (_, i) =>
      alert(i + 1, { alertId: `a${i + 1}`, importance: i === 2 ? 9 : 1 }),
    );
    assert.equal(
      smsText(buildDigest(alerts)),
      'DIGEST 4 alerts, 4 raised: #3 web1 a3; #1 web1 a1; #2 web1 a2; #4 web1 a4. Say "ack <id>" in chat',
    );
    const many = Array.from({ length: 60 }, (_, i) => alert(i + 1, { alertId: `disk-${i + 1}` }));
    const text = smsText(buildDigest(many), 160);
    assert.ok(text.length <= 160, `${text.length}: ${text}`);
    assert.match(text, /^DIGEST 60 alerts, 60 raised: #1 #2 #3 .*#\d+ \+\d+ more\. Say "ack <id>" in chat$/);
    const listed = text.match(/#\d+/g)!.length;
    assert.equal(Number(/\+(\d+) more/.exec(text)![1]) + listed, 60, "every alert is listed or counted");
  });

  it("a storm's digest reads the same from its most urgent alerts and the counts of the rest", () => {
    const all = Array.from({ length: 5_000 }, (_, i) =>
      alert(i + 1, { alertId: `disk-${i + 1}`, importance: (i * 37) % 11, status: i % 9 === 0 ? "cleared" : "raised" }),
    );
    const whole = buildDigest(all, { show: 5, reason: "5000 notices at once" });
    assert.equal(whole.alerts!.length, DIGEST_RANKED, "it carries its most urgent alerts, not all 5,000");
    const first = whole.alerts!;
    const raised = all.filter((a) => a.status === "raised").length;
    const counted = buildDigest([...first].reverse(), {
      show: 5,
      reason: "5000 notices at once",
      counts: { alerts: all.length, raised },
    });
    assert.deepEqual(counted, whole);
    assert.match(smsText(counted), / \+\d+ more\. Say/);
    const sms = smsText(counted);
    assert.equal(
      Number(/\+(\d+) more/.exec(sms)![1]) + sms.match(/#\d+/g)!.length,
      5_000,
      "every alert listed or counted",
    );
  });

  it("spells an ellipsis in GSM-7", () => {
    assert.ok(!smsText(buildMessage(alert(1, { summary: "z".repeat(400) }), "cleared"), 300).includes("…"));
  });
});

describe("notify: email subject and threading", () => {
  it("puts the id inside a bracketed prefix", () => {
    assert.equal(mailSubject("[mauve]", 42, "RAISED web1 disk-full: x"), "[mauve #42] RAISED web1 disk-full: x");
    assert.equal(mailSubject("ALERT:", 42, "RAISED x"), "ALERT: #42 RAISED x");
    assert.equal(mailSubject("[mauve]", undefined, "DIGEST 3 alerts"), "[mauve] DIGEST 3 alerts");
  });

  it("gives each mail its own Message-ID and points all of an alert's mails at one root", () => {
    let n = 0;
    const unique = (): string => `u${++n}`;
    const a = threadHeaders("alert-42-abc", "example.org", unique);
    const b = threadHeaders("alert-42-abc", "example.org", unique);
    assert.deepEqual(a, {
      messageId: "<alert-42-abc.u1@example.org>",
      inReplyTo: "<alert-42-abc@example.org>",
      references: "<alert-42-abc@example.org>",
    });
    assert.notEqual(a.messageId, b.messageId);
    assert.equal(a.references, b.references);
    assert.deepEqual(threadHeaders(undefined, "example.org", unique), { messageId: "<u3@example.org>" });
  });

  it("names Message-IDs after the sender's domain", () => {
    assert.equal(senderDomain("Mauve <alerts@Example.org>"), "example.org");
    assert.equal(senderDomain("alerts@ops.example.org"), "ops.example.org");
  });
});

describe("notify: an alert whose sender writes another source's name as its subject", () => {
  // Source x9 writes "web1" as the subject of its alert disk2, beside the real web1 (issue #11).
  const lookAlike = (fields: Partial<AlertRecord> = {}): AlertRecord =>
    alert(2, { source: "x9", alertId: "disk2", subject: "web1", ...fields });
  const KINDS = ["raised", "cleared", "reminder", "escalated", "acked", "ack-expired", "noted"] as const;
  const WORD = {
    raised: "RAISED",
    cleared: "CLEARED",
    reminder: "REMINDER",
    escalated: "ESCALATED",
    acked: "ACKED",
    "ack-expired": "ACK EXPIRED",
    noted: "NOTE",
  } as const;

  it("leads every notice with its id, source and alert id, the subject after them marked as the sender's", () => {
    for (const kind of KINDS) {
      const m = buildMessage(lookAlike({ ack: { by: "alice", at: T0, until: T0 + 3_600_000, note: "" } }), kind);
      // Chat, and the line a workgroup room gets (the first line of the chat text).
      assert.ok(m.text.startsWith(`${WORD[kind]} #2 x9 disk2 (subject 'web1')`), m.text);
      // Email: the mail subject and the HTML.
      assert.ok(
        mailSubject("[mauve]", m.shortId, m.subject).startsWith(`[mauve #2] ${WORD[kind]} x9 disk2 (subject 'web1')`),
        m.subject,
      );
      assert.ok(m.html?.includes(`<strong>${WORD[kind]} #2 x9 disk2 (subject 'web1')`), m.html);
      // SMS.
      assert.ok(smsText(m).startsWith(`#2 ${WORD[kind]} x9 disk2 (subject 'web1')`), smsText(m));
    }
    const digest = buildDigest([lookAlike(), alert(1, { alertId: "disk", subject: "web1" })]);
    assert.ok(digest.text.includes("\n- #2 x9 disk2 (subject 'web1'): /var is 98% full\n"), digest.text);
    assert.ok(digest.text.includes("\n- #1 web1 disk: /var is 98% full\n"), digest.text);
  });

  it("keeps the subject inside its quotes and short, however it is written", () => {
    const closing = buildMessage(lookAlike({ subject: "x') RAISED #1 web1 disk (\\" }), "raised");
    assert.ok(
      closing.text.startsWith("RAISED #2 x9 disk2 (subject 'x\\') RAISED #1 web1 disk (\\\\'): "),
      closing.text,
    );
    const long = buildMessage(lookAlike({ subject: "s".repeat(512), summary: "" }), "raised");
    assert.equal(long.text.split("\n")[0], `RAISED #2 x9 disk2 (subject '${"s".repeat(59)}…')`);
    // The facts below give it whole, in chat and in the mail's text and HTML alike.
    assert.ok(long.text.includes(`\nSubject, as its sender wrote it: '${"s".repeat(512)}'`), long.text);
    assert.ok(
      long.html?.includes(`<th align="left">Subject, as its sender wrote it</th><td>'${"s".repeat(512)}'</td>`),
    );
  });
});
