#!/usr/bin/env -S node --lite-mode --no-expose-wasm
// --lite-mode: V8 without its optimising tiers. An agent publishes a few updates a minute, so the
// memory those compilers hold buys it nothing (figures: docs/performance.md). It also turns
// WebAssembly off (the agent uses none); --no-expose-wasm says so, which silences V8's warning.
// mauve-agent's entry point: it holds SIGHUP, then loads the program (agents/mauve-agent-main.ts).
// Nothing may come before: ESM loads and evaluates every static import before a module's first
// statement, and a SIGHUP in that time (a reload right after a start) ended the process. One import only.
import { holdHangups } from "../src/cli/early-hangups.js";

holdHangups();
await import("./mauve-agent-main.js");
