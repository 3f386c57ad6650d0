// Validation of a design document ("tabula/1"). Every problem is one sentence
// at a JSON path saying what is wrong and what to do; unknown fields are
// errors so a typo is never silently ignored. A design with no errors comes
// back in normal form (./normalize.ts); warnings do not block it.
// docs/design-format.md lists every rule. The field readers are in
// ./validate/ (design.ts reads the top level and calls the others); the
// checks of the design as a whole are in ./checks.ts.
import { planProblems } from "../plan/compile";
import { checkDesign } from "./checks";
import { normalizeDesign } from "./normalize";
import { Findings } from "./reader";
import type { Design, Problem } from "./types";
import { originOf, readContext } from "./validate/context";
import { readDesign } from "./validate/design";

export { FIELDS, SYSTEMS } from "./validate/schema";
export { ACCOUNT_NAME, isAccountName } from "./validate/users";

export interface Validation {
  /** The design in normal form, or null when there is any error. */
  design: Design | null;
  problems: Problem[];
}

export function validateDesign(input: unknown): Validation {
  const findings = new Findings();
  const ctx = readContext(findings);
  const draft = readDesign(ctx, input);
  if (draft) checkDesign(findings, draft, (list, i) => originOf(ctx, list, i));
  // What the step plan cannot do with an otherwise valid design (shared/plan).
  if (draft && !findings.hasErrors)
    findings.problems.push(...planProblems(normalizeDesign(draft)));
  return {
    design: draft && !findings.hasErrors ? normalizeDesign(draft) : null,
    problems: findings.problems,
  };
}
