/**
 * Node's own ExperimentalWarnings that Latchkey knowingly triggers, hidden one feature at a time
 * (README, "Node versions"); every other warning is printed as usual. Node 22 still flags
 * node:sqlite experimental (db/sqlite.ts). On Node 24, @simplewebauthn/server asks
 * `SubtleCrypto.supports()` whether ML-DSA-44 can verify, and both that method and the algorithm
 * are still experimental there.
 */
const hidden = new Set<string>();
let installed = false;

export function hideExperimentalWarnings(...prefixes: string[]): void {
  for (const prefix of prefixes) hidden.add(prefix);
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const message = typeof warning === "string" ? warning : warning.message;
    if (type === "ExperimentalWarning" && [...hidden].some((p) => message.startsWith(p))) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
}
