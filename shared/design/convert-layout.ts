// What a conversion does with the layout it finds, derived from the convert
// block once, for the generated modules and the step plan alike:
// - "hoist" (the usual case): /nix is a folder on the old root; the old root
//   partition becomes /nix, the store is hoisted to its top, persisted state
//   moves into the storage folder on it, the rest into old-root/.
// - "own-nix": the system mounts a /nix of its own already (a btrfs
//   subvolume such as @nix, or a partition); it stays /nix, and the old root
//   filesystem becomes the storage, mounted at persistence.storage: the
//   persisted paths stay where they are, the rest moves into its old-root/.
// GRUB reading /boot from the root (no /boot partition) keeps its folder on
// the partition; swap files on the root move into the storage.
import type { ConvertDesign, Design } from "./types";
import { NIX_MOUNT } from "./layout";

export type ConvertLayoutKind = "hoist" | "own-nix";

export interface ConvertLayout {
  kind: ConvertLayoutKind;
  /** The storage folder relative to the old root's top ("persistent"); "." with own-nix. */
  store: string;
  /** Top-level names of the old root the migration leaves where they are ("boot"). */
  keep: string[];
  /** Where the boot filesystem is mounted: "/boot", "/boot/efi" or "/efi"; null without one. */
  bootMount: string | null;
  /** Where GRUB's files are after the conversion ("/nix/boot"), when /boot was a folder on the root and GRUB boots. */
  grubBootDir: string | null;
  /** Swap files on the root (absolute) and where they are after the conversion. */
  swapFiles: { from: string; to: string }[];
  /** Tabula's folder on the old root (.tabula), as the assembled new layout sees it (relative to TARGET). */
  tabulaDir: string;
}

/** Is /boot a folder on the root filesystem (no boot filesystem mounted at /boot)? */
export function bootOnRoot(c: ConvertDesign): boolean {
  return !c.boot || (c.boot.mountPoint ?? "/boot") !== "/boot";
}

export function convertLayout(d: Design): ConvertLayout {
  const c = d.convert!;
  const storage = d.persistence.storage;
  const own = c.nix !== undefined;
  const grub = c.bootloader === "grub" && bootOnRoot(c);
  const storageRel = storage.slice(NIX_MOUNT.length + 1);
  return {
    kind: own ? "own-nix" : "hoist",
    store: own ? "." : storageRel,
    // With own-nix the old root is the storage: /boot stays in it as is.
    keep: grub && !own ? ["boot"] : [],
    bootMount: c.boot ? (c.boot.mountPoint ?? "/boot") : null,
    grubBootDir: grub ? (own ? `${storage}/boot` : `${NIX_MOUNT}/boot`) : null,
    swapFiles: (c.swapFiles ?? []).map((from) => ({
      from,
      to: `${storage}${from}`,
    })),
    tabulaDir: own
      ? `${storageRel ? `nix/${storageRel}` : "nix"}/.tabula`
      : "nix/.tabula",
  };
}
