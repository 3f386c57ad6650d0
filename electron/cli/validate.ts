// `tabula validate DESIGN.json [--json]`: checks a design. Exit 0 when valid
// (warnings printed), 1 with one line per problem when not, 2 on bad usage.
import type { Command } from "../cli";
import {
  countProblems,
  problemLines,
  readDesign,
  UsageError,
} from "./design-file";

const USAGE = `Usage: tabula validate DESIGN.json [--json]

Checks a design document (format "tabula/1") and prints one line per
problem: "<json path>: <what is wrong and what to do>". Warnings do not make
a design invalid.

Options:
  --json   print the problems as a JSON list of {path, message, severity}

Exit status: 0 valid, 1 invalid, 2 bad usage (e.g. the file cannot be read).`;

function parseArgs(args: string[]): { file: string; json: boolean } {
  let file: string | null = null;
  let json = false;
  for (const arg of args) {
    if (arg === "--json") json = true;
    else if (arg.startsWith("-"))
      throw new UsageError(
        `tabula validate does not take "${arg}". Run "tabula validate --help" for its options.`,
      );
    else if (file === null) file = arg;
    else
      throw new UsageError(
        `tabula validate checks one design at a time; "${arg}" is one too many.`,
      );
  }
  if (file === null)
    throw new UsageError(
      "tabula validate needs a design file: tabula validate DESIGN.json.",
    );
  return { file, json };
}

export const validateCommand: Command = {
  summary: "check a design and print its problems",
  usage: USAGE,
  async run(args, io) {
    let parsed: { file: string; json: boolean };
    try {
      parsed = parseArgs(args);
      const result = readDesign(parsed.file);
      if (parsed.json) io.out(`${JSON.stringify(result.problems, null, 2)}\n`);
      else {
        io.out(problemLines(result.problems));
        io.out(
          result.design
            ? `${parsed.file} is a valid ${result.design.mode} design (${countProblems(result.problems)}).\n`
            : `${parsed.file} is not valid: ${countProblems(result.problems)}.\n`,
        );
      }
      return result.design ? 0 : 1;
    } catch (error) {
      if (error instanceof UsageError) {
        io.err(`tabula validate: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
  },
};
