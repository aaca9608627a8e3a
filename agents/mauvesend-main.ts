// mauvesend: Mauve's command-line sender, over XMPP. Wiring only; the logic lives in src/cli/.
import { runMauvesend } from "../src/cli/mauvesend.js";
import { keepGoingWithoutOutput } from "../src/cli/entry.js";
import { systemClock } from "../src/clock/clock.js";

// `mauvesend -v | head -0`: a closed stdout or stderr must neither stop the send nor print a stack.
keepGoingWithoutOutput();

const code = await runMauvesend(process.argv.slice(2), {
  clock: systemClock,
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
process.exit(code);
