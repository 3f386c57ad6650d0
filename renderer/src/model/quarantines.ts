// The old-root/ quarantines the probe found, as the Recover screen offers
// them, and which one a recover design points at.
import type { FsRef } from "../../../shared/design/types";
import type { FoundInstall, MachineFacts } from "../../../shared/machine/types";
import { stableName } from "./new-design";

/** Installs whose partition holds old-root/. */
export function quarantinesOf(facts: MachineFacts | null): FoundInstall[] {
  return facts?.installs.filter((i) => i.hasOldRoot) ?? [];
}

/**
 * The quarantine the design's recover.nix names: by the kernel's name or the
 * stable one (/dev/disk/by-uuid/...), and the same subvolume.
 */
export function quarantineOf(
  facts: MachineFacts | null,
  nix: FsRef,
): FoundInstall | null {
  const subvol =
    nix.options.find((o) => o.startsWith("subvol="))?.slice(7) ?? null;
  const norm = (s: string | null | undefined) =>
    s ? `/${s.replace(/^\/+/, "")}` : null;
  return (
    quarantinesOf(facts).find(
      (i) =>
        (i.device === nix.device ||
          stableName(facts, i.device) === nix.device) &&
        norm(i.subvolume) === norm(subvol),
    ) ?? null
  );
}

/** A quarantine as one line: device, what it is, and where in it. */
export function quarantineKey(i: FoundInstall): string {
  return `${i.device}${i.subvolume ? `:${i.subvolume}` : ""}`;
}
