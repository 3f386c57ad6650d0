// flake.nix (install only): nixpkgs of the installed release and the
// impermanence module (pinned, ./impermanence-pin.ts), and one
// nixosConfigurations entry named after the host that imports ./nixos
// (nixos/default.nix imports every generated module).
import type { Design } from "../design/types";
import { apply, attrs, bind, lambda, list, path, ref, str } from "./ast";
import { generatedHeader } from "./header";
import { IMPERMANENCE_MODULE, IMPERMANENCE_URL } from "./impermanence-pin";
import { printFile } from "./print";

export { IMPERMANENCE_MODULE, IMPERMANENCE_URL } from "./impermanence-pin";

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
        bind(["impermanence", "url"], str(IMPERMANENCE_URL), {
          comment: [
            "Pinned: this revision's module needs nixpkgs 24.11 or later. Its own nixpkgs and home-manager inputs are not needed by the NixOS module.",
          ],
        }),
        bind(["impermanence", "inputs", "nixpkgs", "follows"], str("")),
        bind(["impermanence", "inputs", "home-manager", "follows"], str("")),
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
