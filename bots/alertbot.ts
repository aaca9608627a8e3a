#!/usr/bin/env -S node --max-semi-space-size=4
// --max-semi-space-size=4 (MiB): V8's young generation, which a burst of updates grows to its
// default limit and which V8 then keeps, was most of the heap the bot held beyond its live objects.
// At a quarter of the default the bench measured the same rates (docs/performance.md).
// mauve-alertbot's entry point: it holds SIGHUP, then loads the program (bots/alertbot-main.ts).
// Nothing may come before: ESM loads and evaluates every static import before a module's first
// statement, and a SIGHUP in that time (`systemctl reload` right after a start) ended the process. One import only.
import { holdHangups } from "../src/cli/early-hangups.js";

holdHangups();
await import("./alertbot-main.js");
