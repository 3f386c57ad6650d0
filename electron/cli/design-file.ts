// Reading a design file for the CLI verbs: one sentence when it cannot be
// read (a usage error) and the validation result otherwise.
import { readFileSync } from "node:fs";
import { validateDesign, type Validation } from "../../shared/design/validate";
import type { Problem } from "../../shared/design/types";

export class UsageError extends Error {}

/** Reads and validates a design file; a file that is not JSON is an invalid design. */
export function readDesign(file: string): Validation {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${file} cannot be read (${code ?? (error as Error).message}): give the path of a design file.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      design: null,
      problems: [
        {
          path: "",
          severity: "error",
          message: `is not JSON (${(error as Error).message}): save the design as JSON, e.g. from Tabula or a copy of docs/examples/install.json`,
        },
      ],
    };
  }
  return validateDesign(json);
}

/** One line per problem: `<json path>: <message>`, warnings marked. */
export function problemLines(problems: Problem[]): string {
  return problems
    .map(
      (p) =>
        `${p.severity === "warning" ? "warning: " : ""}${p.path === "" ? "(document)" : p.path}: ${p.message}\n`,
    )
    .join("");
}

export function countProblems(problems: Problem[]): string {
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.length - errors;
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? "" : "s"}`;
  if (errors === 0) return warnings ? n(warnings, "warning") : "no problems";
  return warnings
    ? `${n(errors, "error")} and ${n(warnings, "warning")}`
    : n(errors, "error");
}
