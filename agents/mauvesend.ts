#!/usr/bin/env node
// mauvesend: Mauve's command-line sender, over XMPP. Wiring only; the logic lives in src/cli/.
import { runMauvesend } from "../src/cli/mauvesend.js";
import { systemClock } from "../src/clock/clock.js";

const code = await runMauvesend(process.argv.slice(2), {
  clock: systemClock,
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
process.exit(code);
