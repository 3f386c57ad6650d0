// nixos/default.nix: imports every generated module, so a configuration adds
// ./nixos once.
import type { Design } from "../design/types";
import { attrs, bind, list, path } from "./ast";
import { generatedHeader } from "./header";
import { printFile } from "./print";

/** The modules nixos/default.nix imports, relative to nixos/. */
export function moduleFiles(d: Design): string[] {
  const files = ["stateless.nix", "filesystems.nix", "persistence.nix"];
  if (d.mode === "install") files.push("configuration.nix");
  // Without a flake there is no flake input to bring impermanence in.
  if (d.mode === "convert" && d.convert?.configType === "configuration.nix")
    files.unshift("impermanence.nix");
  return files;
}

export function defaultNix(d: Design): string {
  return printFile(
    generatedHeader(d),
    attrs([bind(["imports"], list(moduleFiles(d).map((f) => path(`./${f}`))))]),
  );
}
