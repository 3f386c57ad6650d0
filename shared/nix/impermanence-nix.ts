// nixos/impermanence.nix (a conversion without a flake): the impermanence
// module at the revision Tabula pins, fetched by git when the configuration
// is evaluated (builtins.fetchGit of a revision needs no hash downloaded
// first). With a flake, the pinned flake input does this instead.
import type { Design } from "../design/types";
import { generatedHeader } from "./header";
import { IMPERMANENCE_GIT, IMPERMANENCE_REV } from "./impermanence-pin";
import { commentLine, quote } from "./print";

export function impermanenceNix(d: Design): string {
  return [
    ...generatedHeader(d).map(commentLine),
    "# The impermanence module (environment.persistence), pinned to one revision.",
    "let",
    "  impermanence = builtins.fetchGit {",
    `    url = ${quote(IMPERMANENCE_GIT)};`,
    `    rev = ${quote(IMPERMANENCE_REV)};`,
    "  };",
    "in",
    "{",
    '  imports = [ "${impermanence}/nixos.nix" ];',
    "}",
    "",
  ].join("\n");
}
