// Which system Tabula runs on: the NixOS LiveCD, an installed NixOS, or
// something else. Pure.
//
// Facts (nixpkgs):
// - nixos/modules/misc/version.nix writes /etc/os-release with ID=nixos, and
//   VARIANT_ID from `system.nixos.variant_id`;
// - nixos/modules/profiles/installation-device.nix (imported by every
//   installation-cd-*.nix, so by our LiveCD too) sets
//   `system.nixos.variant_id = lib.mkDefault "installer"`;
// - nixos/modules/installer/cd-dvd/iso-image.nix mounts "/" as a tmpfs, the
//   boot medium at /iso and the squashfs store at /nix/.ro-store.
// VARIANT_ID is the primary mark; the ISO's mounts are the fallback for
// images that override the variant.
import type { OsKind } from "../../shared/machine/types";
import type { MountEntry } from "./probe-findmnt";
import { mountAt } from "./probe-findmnt";

/** KEY=value lines; values may be double- or single-quoted with backslash escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    let value = line.slice(eq + 1);
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(.)/g, "$1");
    }
    result[key] = value;
  }
  return result;
}

export interface OsFacts {
  kind: OsKind;
  prettyName: string;
  versionId: string | null;
}

export function classifyOs(
  osRelease: Record<string, string>,
  mounts: MountEntry[],
  isoMountPoint = "/iso",
): OsFacts {
  const prettyName =
    osRelease.PRETTY_NAME || osRelease.NAME || "an unknown Linux system";
  const versionId = osRelease.VERSION_ID || null;
  if (osRelease.ID !== "nixos") return { kind: "other", prettyName, versionId };
  const variant = osRelease.VARIANT_ID ?? "";
  const root = mountAt(mounts, "/");
  const isoLayout =
    root?.fsType === "tmpfs" &&
    mountAt(mounts, isoMountPoint) !== null &&
    mountAt(mounts, "/nix/.ro-store") !== null;
  const kind = variant === "installer" || isoLayout ? "nixos-livecd" : "nixos";
  return { kind, prettyName, versionId };
}
