// `npx tsx bench/profile-top.ts FILE.cpuprofile [N]`: where a --cpu-prof profile spent its time,
// by function (self and total) and by source file, so a bench run's profile can be read in a terminal.
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function label(n: ProfileNode): string {
  const url = n.callFrame.url.replace(/^file:\/\//, "").replace(/^.*\/(node_modules|src|bench|prosody)\//, "$1/");
  return `${n.callFrame.functionName || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`;
}

function fileOf(n: ProfileNode): string {
  const url = n.callFrame.url;
  if (url === "") return n.callFrame.functionName; // (program), (garbage collector), (idle)
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return m ? `node_modules/${m[1]}` : url.replace(/^file:\/\//, "").replace(/^.*\/(src|bench|prosody)\//, "$1/");
}

const [file, topArg, ...extra] = process.argv.slice(2);
const top = Number(topArg ?? 25);
// A glob over a directory of profiles (`*.cpuprofile`) passes the second file as N: that printed
// empty tables, as if nothing had been sampled.
if (!file || extra.length > 0 || !Number.isInteger(top) || top < 1) {
  process.stderr.write(
    "usage: tsx bench/profile-top.ts FILE.cpuprofile [N]\n" +
      "  one profile at a time (a run may write several, one per thread); N, rows per table (default 25)\n",
  );
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map<string, number>();
const total = new Map<string, number>();
const files = new Map<string, number>();
let all = 0;
profile.samples.forEach((id, i) => {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000;
  all += dt;
  const node = byId.get(id)!;
  self.set(label(node), (self.get(label(node)) ?? 0) + dt);
  files.set(fileOf(node), (files.get(fileOf(node)) ?? 0) + dt);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + dt);
  }
});

const print = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`\n${title} (of ${all.toFixed(0)} ms sampled)\n`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${v.toFixed(0).padStart(8)} ms ${((100 * v) / all).toFixed(1).padStart(5)}%  ${k}\n`);
  }
};
print("self time by file", files);
print("self time by function", self);
print("total time by function", total);
