// Where the running NixOS configuration lives, and whether it is a flake.
//
// nixos-rebuild reads /etc/nixos (flake.nix there, else configuration.nix
// through NIX_PATH's nixos-config) and, for a flake, builds
// nixosConfigurations.<hostname> unless told otherwise: the host attribute
// is the hostname. Tabula cannot evaluate the flake without Nix, so it
// reports that default and the UI lets the user change it.
import { readFile, stat } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import type { MachineFacts } from "../../shared/machine/types";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function readHostname(hostnameFile: string): Promise<string> {
  try {
    const name = (await readFile(hostnameFile, "utf8")).trim();
    if (name !== "") return name;
  } catch {
    // No /etc/hostname: NixOS sets it through the kernel at boot anyway.
  }
  return osHostname();
}

export async function detectNixosConfig(
  configDir: string,
  hostname: string,
): Promise<MachineFacts["nixosConfig"]> {
  if (await isFile(join(configDir, "flake.nix"))) {
    return { dir: configDir, isFlake: true, flakeAttr: hostname };
  }
  if (await isFile(join(configDir, "configuration.nix"))) {
    return { dir: configDir, isFlake: false, flakeAttr: null };
  }
  return null;
}
