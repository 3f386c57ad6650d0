// flake.nix (install only): nixpkgs of the installed release and the
// impermanence module, and one nixosConfigurations entry named after the host
// that imports ./nixos (nixos/default.nix imports every generated module).
import type { Design } from "../design/types";
import { apply, attrs, bind, lambda, list, path, ref, str } from "./ast";
import { generatedHeader } from "./header";
import { printFile } from "./print";

export const IMPERMANENCE_URL = "github:nix-community/impermanence";
export const IMPERMANENCE_MODULE = "impermanence.nixosModules.impermanence";

export function nixpkgsUrl(stateVersion: string): string {
  return `github:NixOS/nixpkgs/nixos-${stateVersion}`;
}

export function flakeNix(d: Design): string {
  const expr = attrs([
    bind(
      ["description"],
      str(`${d.hostname}: stateless NixOS, made with Tabula`),
    ),
    bind(
      ["inputs"],
      attrs([
        bind(["nixpkgs", "url"], str(nixpkgsUrl(d.stateVersion))),
        bind(["impermanence", "url"], str(IMPERMANENCE_URL)),
      ]),
      { blankBefore: true },
    ),
    bind(
      ["outputs"],
      lambda(
        ["nixpkgs", "impermanence"],
        attrs([
          bind(
            ["nixosConfigurations", d.hostname],
            apply(
              ref("nixpkgs.lib.nixosSystem"),
              attrs([
                bind(
                  ["modules"],
                  list([ref(IMPERMANENCE_MODULE), path("./nixos")]),
                ),
              ]),
            ),
          ),
        ]),
      ),
      { blankBefore: true },
    ),
  ]);
  return printFile(generatedHeader(d), expr);
}
