// A fix for @xmpp/stream-management 0.14's inbound counter (XEP-0198 §4).
//
// The count of handled stanzas ('h') starts at <enabled/>. xmpp.js resets it in
// a promise continuation, i.e. after the rest of the TCP chunk holding <enabled/>
// has been parsed: stanzas in that chunk are counted, acknowledged if an <r/>
// follows them, then forgotten by the late reset. The next <a/> then carries a
// smaller h and Prosody kills the stream ("Client acknowledged less stanzas than
// already acknowledged"). A client that sends presence or IQs right after login
// hit this on roughly every other connection here.
import type { XmlElement } from "./xml.js";
import type { RawEntity } from "./raw-entity.js";

const NS_SM = "urn:xmpp:sm:3";

/** Resets the inbound counter when <enabled/> is parsed, and ignores xmpp.js's late reset. */
export function fixInboundCounter(entity: RawEntity): void {
  const sm = entity.streamManagement as (RawEntity["streamManagement"] & { inbound: number }) | undefined;
  if (!sm) return;
  let value = sm.inbound;
  let lateResetPending = false;
  Object.defineProperty(sm, "inbound", {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (next: number) => {
      if (lateResetPending && next === 0) {
        lateResetPending = false;
        return;
      }
      value = next;
    },
  });
  entity.on("nonza", (el: XmlElement) => {
    if (!el.is("enabled", NS_SM)) return;
    value = 0;
    lateResetPending = true;
  });
  entity.on("disconnect", () => {
    lateResetPending = false;
  });
}
