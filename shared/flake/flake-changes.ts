// flake-changes.md (convert mode): what to add to the user's own flake, in
// words and as code, and flake.patch when the flake has the usual shape.
import type { Design } from "../design/types";
import { unifiedDiff } from "../text/line-diff";
import { moduleFiles } from "../nix/default-nix";
import { IMPERMANENCE_MODULE, IMPERMANENCE_URL } from "../nix/flake-nix";
import { addImpermanence } from "./add-impermanence";

export interface FlakeChanges {
  markdown: string;
  /** A unified diff of flake.nix (apply in the configuration folder with `patch -p1`), when one could be made. */
  patch: string | null;
}

export function flakeChanges(d: Design, userFlake?: string): FlakeChanges {
  const c = d.convert!;
  let patch: string | null = null;
  let patchNote: string;
  if (userFlake === undefined) {
    patchNote = `Tabula could not read \`${c.configDir}/flake.nix\`, so there is no flake.patch: make the three changes by hand.`;
  } else {
    const edit = addImpermanence(userFlake, c.flakeAttr);
    if (edit.ok) {
      patch = unifiedDiff(userFlake, edit.text, {
        from: "a/flake.nix",
        to: "b/flake.nix",
      });
      patchNote = [
        "`flake.patch` beside this file makes exactly these changes to your flake.nix. Read it, then apply it in your configuration folder:",
        "",
        "```sh",
        `cd ${c.configDir} && patch -p1 < /path/to/plan/flake.patch`,
        "```",
      ].join("\n");
    } else {
      patchNote = `There is no flake.patch: ${edit.reason}. Make the three changes by hand.`;
    }
  }
  const modules = moduleFiles(d)
    .map((f) => `\`nixos/${f}\``)
    .join(", ");
  const markdown = [
    `# Changes to your flake (${c.configDir}/flake.nix)`,
    "",
    `Tabula generated a \`nixos/\` folder (${modules}, and \`default.nix\` importing them).`,
    `Copy it into \`${c.configDir}/\` and make three changes to your flake.nix; Tabula never edits your files without showing the change first.`,
    "",
    "1. Add the impermanence input, inside `inputs`:",
    "",
    "   ```nix",
    `   impermanence.url = "${IMPERMANENCE_URL}";`,
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
    `Then check that it builds before anything else changes, and install it for the next boot only (never \`switch\`: the running system still has its old root):`,
    "",
    "```sh",
    `nixos-rebuild build --flake ${c.configDir}#${c.flakeAttr}`,
    `nixos-rebuild boot --flake ${c.configDir}#${c.flakeAttr}`,
    "```",
    "",
    "The old generations stay in the boot menu until you remove them.",
    "",
  ].join("\n");
  return { markdown, patch };
}
