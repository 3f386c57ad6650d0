// What every reader of a design's fields shares: one Reader reporting into one
// Findings, and the original index of each entry kept from a list where a bad
// entry was left out, so the whole-design checks (../checks.ts) still report
// at the index the user wrote.
import { Reader, type Findings } from "../reader";

export interface ReadContext {
  readonly r: Reader;
  readonly findings: Findings;
  readonly origins: WeakMap<object, number[]>;
}

export function readContext(findings: Findings): ReadContext {
  return { r: new Reader(findings), findings, origins: new WeakMap() };
}

/** Index of entry I of LIST in the document, before bad entries were left out. */
export function originOf(
  ctx: ReadContext,
  list: readonly unknown[],
  i: number,
): number {
  return ctx.origins.get(list)?.[i] ?? i;
}
