#!/usr/bin/env node
// mauvesend's entry point: it holds SIGHUP, then loads the program (agents/mauvesend-main.ts).
// Nothing may come before: ESM loads and evaluates every static import before a module's first
// statement, and a SIGHUP in that time (the terminal closed as it starts) ended the process.
// One import only. The hold lasts to the end: a hangup never cuts a send short.
import { holdHangups } from "../src/cli/early-hangups.js";

holdHangups();
await import("./mauvesend-main.js");
