// `tabula scan --root DIR [--design D.json] [--json]`: what under DIR would be
// lost at the next reboot of a stateless system. See docs/scan.md.
import { readFileSync } from "node:fs";
import { formatBytes } from "../../shared/size";
import type { ScanEntry, ScanResult } from "../../shared/scan/types";
import { printablePath } from "../../shared/text/printable-path";
import { ScanError, scanRoot } from "../backend/scan";
import { keptByDesign } from "../backend/scan-design";
import type { CliIO, Command } from "../cli";

export { printablePath };

const USAGE = `Usage: tabula scan --root DIR [--design D.json] [--json]

Lists the state under DIR that would be lost at the next reboot of a
stateless system: everything that is not Nix-managed, not persisted by the
design, not under /nix, /proc, /sys, /dev or /run, and on DIR's own
filesystem. A folder with nothing kept inside is one entry. /tmp is listed
apart, as scratch.

Options:
  --root DIR       the folder that is "/" of the system to scan (/ for this one)
  --design D.json  leave out what this design persists
  --json           print the result as JSON (paths as on the live system)`;

class UsageError extends Error {}

interface ScanArgs {
  root: string;
  design: string | null;
  json: boolean;
}

function parseArgs(args: string[]): ScanArgs {
  let root: string | null = null;
  let design: string | null = null;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (v === undefined || v === "")
        throw new UsageError(
          flag === "--root"
            ? "--root needs a folder, e.g. --root / (the running system) or --root /mnt."
            : "--design needs a design file, e.g. --design tern.json.",
        );
      return v;
    };
    if (flag === "--root") root = value();
    else if (flag === "--design") design = value();
    else if (arg === "--json") json = true;
    else
      throw new UsageError(
        `tabula scan does not take "${arg}". Run "tabula scan --help" for its options.`,
      );
  }
  if (root === null)
    throw new UsageError(
      "tabula scan needs the folder to scan: --root DIR (--root / for the running system).",
    );
  return { root, design, json };
}

/** Reads a design file into the live paths it keeps, or one sentence (plus its problems). */
export function keptByDesignFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `--design ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give the path of a design file.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--design ${file} is not JSON (${(error as Error).message}): give a design saved by Tabula.`,
    );
  }
  const kept = keptByDesign(json);
  if (!kept.ok) {
    const n = kept.problems.length;
    throw new UsageError(
      [
        `--design ${file} has ${n} problem${n === 1 ? "" : "s"}; fix ${n === 1 ? "it" : "them"} or scan without --design:`,
        ...kept.problems.map(
          (p) => `  ${p.path || "(document)"}: ${p.message}`,
        ),
      ].join("\n"),
    );
  }
  return kept.kept;
}

export const scanCommand: Command = {
  summary: "list state that would be lost at reboot (stateless NixOS)",
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    let result: ScanResult;
    let parsed: ScanArgs;
    try {
      parsed = parseArgs(args);
      const persisted = parsed.design ? keptByDesignFile(parsed.design) : [];
      result = scanRoot({ root: parsed.root, persisted });
    } catch (error) {
      if (error instanceof UsageError || error instanceof ScanError) {
        io.err(`tabula scan: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
    io.out(
      parsed.json ? `${JSON.stringify(result, null, 2)}\n` : formatScan(result),
    );
    return 0;
  },
};

function total(entries: ScanEntry[]): { bytes: number; files: number } {
  return entries.reduce(
    (t, e) => ({ bytes: t.bytes + e.bytes, files: t.files + e.files }),
    { bytes: 0, files: 0 },
  );
}

function table(entries: ScanEntry[]): string[] {
  const rows = entries.map((e) => [
    formatBytes(e.bytes),
    String(e.files),
    e.newest.slice(0, 10),
    printablePath(e.path) + (e.kind === "dir" ? "/" : ""),
  ]);
  const header = ["SIZE", "FILES", "NEWEST", "PATH"];
  const width = [0, 1, 2].map((c) =>
    Math.max(header[c]!.length, ...rows.map((r) => r[c]!.length)),
  );
  const line = (r: string[]) =>
    `  ${r[0]!.padStart(width[0]!)}  ${r[1]!.padStart(width[1]!)}  ${r[2]!.padEnd(width[2]!)}  ${r[3]}`;
  const out = [line(header)];
  entries.forEach((e, i) => {
    out.push(line(rows[i]!));
    if (e.suggestion)
      out.push(
        `  ${" ".repeat(width[0]! + width[1]! + width[2]! + 6)}  ↳ ${e.suggestion.reason}`,
      );
  });
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function formatScan(result: ScanResult): string {
  const out: string[] = [];
  const sum = total(result.entries);
  if (result.entries.length === 0) {
    out.push(`Nothing under ${result.root} would be lost at reboot.`);
  } else {
    out.push(
      `State under ${result.root} that would be lost at reboot: ${plural(result.entries.length, "entry").replace("entrys", "entries")}, ${formatBytes(sum.bytes)} in ${plural(sum.files, "file")}.`,
      "",
      ...table(result.entries),
    );
  }
  if (result.scratch.length > 0) {
    const s = total(result.scratch);
    out.push(
      "",
      `Scratch in /tmp (expected to go): ${formatBytes(s.bytes)} in ${plural(s.files, "file")}.`,
      "",
      ...table(result.scratch),
    );
  }
  if (result.errors.length > 0) {
    out.push(
      "",
      `Could not fully read or name ${plural(result.errors.length, "path")}:`,
    );
    for (const e of result.errors)
      out.push(`  ${printablePath(e.path)}: ${e.message}`);
  }
  return `${out.join("\n")}\n`;
}
