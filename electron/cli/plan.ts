// `tabula plan DESIGN.json --out DIR [--flake FILE]`: validates the design,
// then writes every generated file into DIR. On any error it prints the
// problems, exits 1 and writes nothing. Over an earlier plan, the earlier
// plan's files this one does not write are removed (and said so).
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { planFiles, stalePlanFiles } from "../../shared/plan-files";
import type { Command } from "../cli";
import {
  countProblems,
  problemLines,
  readDesign,
  UsageError,
} from "./design-file";

const USAGE = `Usage: tabula plan DESIGN.json --out DIR [--flake FILE]

Validates the design, then writes the plan into DIR: the NixOS modules under
nixos/, flake.nix (install) or flake-changes.md and flake.patch (convert;
configuration-changes.md and configuration.patch without a flake),
design.json, plan.json (every step and its exact commands), steps.sh (the
script that runs them: bash steps.sh PHASE --dry-run shows them) and
migration.json (convert). On any error it prints the problems and writes
nothing.

Options:
  --out DIR      the plan folder: new, empty, or holding an earlier plan
  --flake FILE   the file to propose changes to (convert); by default
                 CONFIGDIR/flake.nix of the design, or CONFIGDIR/configuration.nix
                 when convert.configType is "configuration.nix", when it can be read

Exit status: 0 written, 1 invalid design, 2 bad usage.`;

interface PlanArgs {
  file: string;
  out: string;
  flake: string | null;
}

function parseArgs(args: string[]): PlanArgs {
  let file: string | null = null;
  let out: string | null = null;
  let flake: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (hint: string) => {
      const v = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (v === undefined || v === "")
        throw new UsageError(`${flag} needs ${hint}.`);
      return v;
    };
    if (flag === "--out") out = value("a folder, e.g. --out plan");
    else if (flag === "--flake")
      flake = value("a flake.nix file, e.g. --flake /etc/nixos/flake.nix");
    else if (arg.startsWith("-"))
      throw new UsageError(
        `tabula plan does not take "${arg}". Run "tabula plan --help" for its options.`,
      );
    else if (file === null) file = arg;
    else
      throw new UsageError(
        `tabula plan takes one design; "${arg}" is one too many.`,
      );
  }
  if (file === null)
    throw new UsageError(
      "tabula plan needs a design file: tabula plan DESIGN.json --out DIR.",
    );
  if (out === null)
    throw new UsageError(
      "tabula plan needs the folder to write to: --out DIR.",
    );
  return { file, out, flake };
}

/** DIR must be new, empty, or an earlier plan (it holds design.json): never someone else's folder. */
function checkOut(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory())
    throw new UsageError(`--out ${out} is a file: give a folder.`);
  const entries = readdirSync(out);
  if (entries.length > 0 && !entries.includes("design.json"))
    throw new UsageError(
      `--out ${out} already holds other files and no earlier plan (design.json): choose a new or empty folder.`,
    );
}

function readFlake(file: string, explicit: boolean): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if (!explicit) return undefined;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--flake ${file} cannot be read (${code ?? (error as Error).message}): give your flake.nix (or configuration.nix).`,
    );
  }
}

export const planCommand: Command = {
  summary:
    "validate a design and write its plan (NixOS files, steps.sh) into a folder",
  usage: USAGE,
  async run(args, io) {
    try {
      const a = parseArgs(args);
      const result = readDesign(a.file);
      if (!result.design) {
        io.err(problemLines(result.problems));
        io.err(
          `${a.file} is not valid (${countProblems(result.problems)}): nothing was written.\n`,
        );
        return 1;
      }
      const design = result.design;
      checkOut(a.out);
      let userConfig: string | undefined;
      const configFile =
        design.convert?.configType === "configuration.nix"
          ? "configuration.nix"
          : "flake.nix";
      if (a.flake !== null) userConfig = readFlake(a.flake, true);
      else if (design.mode === "convert" && design.convert)
        userConfig = readFlake(
          join(design.convert.configDir, configFile),
          false,
        );
      const files = planFiles(design, { userConfig });
      const root = resolve(a.out);
      for (const f of files) {
        const target = resolve(root, f.path);
        if (!target.startsWith(root + sep))
          throw new Error(`generated path escapes the plan folder: ${f.path}`);
        mkdirSync(dirname(target), { recursive: true });
        // Write beside, then rename: a reader never sees half a file.
        const temp = `${target}.tabula-tmp`;
        writeFileSync(temp, f.content, {
          mode: f.path.endsWith(".sh") ? 0o755 : 0o644,
        });
        renameSync(temp, target);
      }
      const removed: string[] = [];
      for (const stale of stalePlanFiles(files)) {
        const target = resolve(root, stale);
        if (lstatSync(target, { throwIfNoEntry: false })?.isFile()) {
          unlinkSync(target);
          removed.push(stale);
        }
      }
      io.out(problemLines(result.problems));
      io.out(files.map((f) => `wrote ${join(a.out, f.path)}\n`).join(""));
      io.out(
        removed
          .map(
            (f) =>
              `removed ${join(a.out, f)} (an earlier plan's; this design has none)\n`,
          )
          .join(""),
      );
      if (design.mode === "convert" && userConfig === undefined)
        io.out(
          configFile === "flake.nix"
            ? `note: no flake.nix was read, so there is no flake.patch; flake-changes.md says what to change.\n`
            : `note: no configuration.nix was read, so there is no configuration.patch; configuration-changes.md says what to change.\n`,
        );
      return 0;
    } catch (error) {
      if (error instanceof UsageError) {
        io.err(`tabula plan: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
  },
};
