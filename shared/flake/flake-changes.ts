// What a conversion changes in the user's own configuration, in words and as
// code, and a patch when the file has the usual shape:
//   a flake            flake-changes.md, flake.patch (flake.nix)
//   configuration.nix  configuration-changes.md, configuration.patch
import type { Design } from "../design/types";
import { unifiedDiff } from "../text/line-diff";
import { moduleFiles } from "../nix/default-nix";
import {
  IMPERMANENCE_INPUT_LINES,
  IMPERMANENCE_MODULE,
  IMPERMANENCE_REV,
} from "../nix/impermanence-pin";
import { addImpermanence } from "./add-impermanence";
import { addNixosImport } from "./add-nixos-import";

export interface ConfigChanges {
  /** The file the change is made to, in the configuration folder. */
  file: "flake.nix" | "configuration.nix";
  /** The document's name in the plan folder. */
  docName: "flake-changes.md" | "configuration-changes.md";
  markdown: string;
  patchName: "flake.patch" | "configuration.patch";
  /** A unified diff of the file (apply in the configuration folder with `patch -p1`), when one could be made. */
  patch: string | null;
}

/** The changes for the design's kind of configuration; USER is that file's text when it could be read. */
export function configChanges(d: Design, user?: string): ConfigChanges {
  return d.convert?.configType === "configuration.nix"
    ? configurationChanges(d, user)
    : flakeChanges(d, user);
}

export function flakeChanges(d: Design, userFlake?: string): ConfigChanges {
  const c = d.convert!;
  const { patch, patchNote } = proposedPatch({
    configDir: c.configDir,
    file: "flake.nix",
    patchName: "flake.patch",
    text: userFlake,
    edit: (text) => addImpermanence(text, c.flakeAttr!),
    what: "these changes to your flake.nix",
    byHand: "the three changes",
  });
  const modules = moduleFiles(d)
    .map((f) => `\`nixos/${f}\``)
    .join(", ");
  const markdown = [
    `# Changes to your flake (${c.configDir}/flake.nix)`,
    "",
    `Tabula generated a \`nixos/\` folder (${modules}, and \`default.nix\` importing them).`,
    `Copy it into \`${c.configDir}/\` and make three changes to your flake.nix; Tabula never edits your files without showing the change first.`,
    "",
    `1. Add the impermanence input, inside \`inputs\`, pinned to the revision Tabula checked (${IMPERMANENCE_REV.slice(0, 7)}, which needs nixpkgs 24.11 or later; the two \`follows\` lines drop its development inputs, as its README advises):`,
    "",
    "   ```nix",
    ...IMPERMANENCE_INPUT_LINES.map((l) => `   ${l}`),
    "   ```",
    "",
    "2. Take it as an argument of `outputs`, e.g. `outputs = { self, nixpkgs, impermanence, ... }:`.",
    "",
    `3. Add two modules to \`nixosConfigurations.${c.flakeAttr}\`:`,
    "",
    "   ```nix",
    "   modules = [",
    `     ${IMPERMANENCE_MODULE}`,
    "     ./nixos",
    "     # ... your existing modules",
    "   ];",
    "   ```",
    "",
    patchNote,
    "",
    `If \`${c.configDir}\` is a git repository, run \`git add nixos\` there: a flake only sees files git tracks.`,
    "",
    ...buildAdvice(`nixos-rebuild build --flake ${c.configDir}#${c.flakeAttr}`),
  ].join("\n");
  return {
    file: "flake.nix",
    docName: "flake-changes.md",
    markdown,
    patchName: "flake.patch",
    patch,
  };
}

/**
 * The patch of the user's FILE (when its text could be read and the edit
 * knows its shape) and the paragraph saying how to apply it, or why there
 * is none.
 */
function proposedPatch(o: {
  configDir: string;
  file: string;
  patchName: string;
  text: string | undefined;
  edit: (
    text: string,
  ) => { ok: true; text: string } | { ok: false; reason: string };
  what: string;
  byHand: string;
}): { patch: string | null; patchNote: string } {
  if (o.text === undefined)
    return {
      patch: null,
      patchNote: `Tabula could not read \`${o.configDir}/${o.file}\`, so there is no ${o.patchName}: make ${o.byHand} by hand.`,
    };
  const edit = o.edit(o.text);
  if (!edit.ok)
    return {
      patch: null,
      patchNote: `There is no ${o.patchName}: ${edit.reason}. Make ${o.byHand} by hand.`,
    };
  return {
    patch: unifiedDiff(o.text, edit.text, {
      from: `a/${o.file}`,
      to: `b/${o.file}`,
    }),
    patchNote: [
      `\`${o.patchName}\` beside this file makes exactly ${o.what}. Read it, then apply it in your configuration folder:`,
      "",
      "```sh",
      `cd ${o.configDir} && patch -p1 < /path/to/plan/${o.patchName}`,
      "```",
    ].join("\n"),
  };
}

/** How to check the change by hand: build, and set the profile without touching the bootloader. */
function buildAdvice(build: string): string[] {
  return [
    "Phase prepare of steps.sh then builds it and points the system profile at it, without touching the bootloader, so the machine keeps booting its old system until the migration; by hand that is:",
    "",
    "```sh",
    `cd /.tabula && ${build}`,
    "nix-env -p /nix/var/nix/profiles/system --set $(readlink -f /.tabula/result)",
    "```",
    "",
    "Never `nixos-rebuild switch` or `boot` now: the running system still has its old root, and the new default boot entry would expect the new layout before it exists.",
    "",
  ];
}

export function configurationChanges(
  d: Design,
  userConfiguration?: string,
): ConfigChanges {
  const c = d.convert!;
  const file = `${c.configDir}/configuration.nix`;
  const { patch, patchNote } = proposedPatch({
    configDir: c.configDir,
    file: "configuration.nix",
    patchName: "configuration.patch",
    text: userConfiguration,
    edit: addNixosImport,
    what: "this change",
    byHand: "the change",
  });
  const modules = moduleFiles(d)
    .map((f) => `\`nixos/${f}\``)
    .join(", ");
  const markdown = [
    `# Changes to your configuration (${file})`,
    "",
    `This system has no flake: \`nixos-rebuild\` builds \`${file}\` with the nixpkgs of its channel. Tabula generated a \`nixos/\` folder (${modules}, and \`default.nix\` importing them); \`nixos/impermanence.nix\` brings in the impermanence module, pinned with \`builtins.fetchGit\` to revision ${IMPERMANENCE_REV.slice(0, 7)} (fetched by git when the configuration is evaluated; it needs nixpkgs 24.11 or later).`,
    `Copy it into \`${c.configDir}/\` and add one line to the \`imports\` of configuration.nix; Tabula never edits your files without showing the change first:`,
    "",
    "```nix",
    "  imports =",
    "    [ # Include the results of the hardware scan.",
    "      ./hardware-configuration.nix",
    "      ./nixos",
    "    ];",
    "```",
    "",
    patchNote,
    "",
    ...buildAdvice("nixos-rebuild build"),
  ].join("\n");
  return {
    file: "configuration.nix",
    docName: "configuration-changes.md",
    markdown,
    patchName: "configuration.patch",
    patch,
  };
}
