/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`, which runs the main server
 * with --cpu-prof): the functions with the most self time, and the most inclusive time.
 *
 *   node --import tsx bench/profile-top.ts bench/results/CPU.….cpuprofile [rows=25] [filter]
 *
 * `filter` keeps only the inclusive-time rows whose location contains it (e.g. "src/").
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, rowsArg = "25", filter = ""] = process.argv.slice(2);
if (!file) throw new Error("usage: profile-top.ts FILE.cpuprofile [rows] [filter]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const rows = Number(rowsArg);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const name = (n: Node) => {
  const where = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|dist|src)\//, "$1/");
  return `${n.callFrame.functionName || "(anonymous)"} ${where}:${n.callFrame.lineNumber + 1}`;
};

const selfByName = new Map<string, number>();
const inclusiveByName = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  selfByName.set(name(n), (selfByName.get(name(n)) ?? 0) + t);
  // Each distinct function on the stack gets the sample once (recursion counted once).
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const key = name(byId.get(cur)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusiveByName.set(key, (inclusiveByName.get(key) ?? 0) + t);
  }
}

const show = (title: string, m: Map<string, number>, keep: (k: string) => boolean) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...m].filter(([k]) => keep(k)).sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    console.log(`${((t / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
  }
};
console.log(`${(total / 1e6).toFixed(1)} s sampled`);
show("self time", selfByName, () => true);
show("inclusive time", inclusiveByName, (k) => k.includes(filter));
