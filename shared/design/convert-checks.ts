// Checks of a conversion's layout that need the design as a whole: what the
// existing system mounts besides its root stays mounted and is never
// persisted or moved; a /nix of its own keeps the storage on the old root
// filesystem; swap files move into storage and must not be persisted too.
import { NIX_MOUNT } from "./layout";
import { isAtOrUnder } from "./paths";
import type { Persisted } from "./checks";
import type { Findings } from "./reader";
import type { Design } from "./types";

export function checkConvertLayout(
  f: Findings,
  d: Design,
  paths: Persisted[],
): void {
  const c = d.convert;
  if (!c) return;
  const kept = c.keptMounts ?? [];
  kept.forEach((m, i) => {
    if (isAtOrUnder(m, "/boot") || (c.boot?.mountPoint ?? "/boot") === m)
      f.error(
        `convert.keptMounts[${i}]`,
        `"${m}" is the boot filesystem, which convert.boot describes: remove it here`,
      );
  });
  for (const p of paths) {
    const mount = kept.find((m) => isAtOrUnder(p.abs, m));
    if (mount)
      f.error(
        p.at,
        `"${p.abs}" is on ${mount}, a filesystem of its own that stays mounted after the conversion and keeps its files: persisting it would hide them behind an empty folder from the storage; remove it from the design`,
      );
  }
  if (c.nix) {
    const storage = d.persistence.storage;
    const parts = storage.slice(NIX_MOUNT.length + 1).split("/");
    if (!isAtOrUnder(storage, NIX_MOUNT) || parts.length !== 1)
      f.error(
        "persistence.storage",
        `"${storage}" must be a folder directly in /nix (e.g. "/nix/persistent") when /nix is a filesystem of its own (convert.nix): the old root filesystem is mounted there and becomes the storage`,
      );
    if (c.nix.device === c.device && sameOptions(c.nix.options, c.options))
      f.error(
        "convert.nix",
        "is the root filesystem itself (same device and options): leave convert.nix out when /nix is a folder on the root",
      );
  }
  (c.swapFiles ?? []).forEach((file, i) => {
    const where = `convert.swapFiles[${i}]`;
    const mount = kept.find((m) => isAtOrUnder(file, m));
    if (mount)
      f.error(
        where,
        `"${file}" is on ${mount}, which stays mounted: it keeps working where it is; remove it from convert.swapFiles`,
      );
    else if (isAtOrUnder(file, "/boot"))
      f.error(where, `"${file}" is under /boot: move the swap file elsewhere`);
    const persisted = paths.find((p) => p.abs === file);
    if (persisted || coveringDirectory(paths, file))
      f.error(
        where,
        `"${file}" is also persisted (${(persisted ?? coveringDirectory(paths, file))!.at}): the migration moves swap files into storage itself and points swapDevices there; remove it from the persisted paths`,
      );
  });
  const mapped = (c.swapDevices ?? []).filter((s) =>
    s.startsWith("/dev/mapper/"),
  );
  if ((c.swapFiles ?? []).length > 0 && mapped.length > 0)
    f.error(
      "convert.swapDevices",
      `holds ${mapped.join(", ")}, which looks like an encrypted swap (swapDevices.*.randomEncryption): moving the swap files means Tabula repeats every swap device in swapDevices, and it cannot repeat that one's encryption settings. Move the swap file onto a partition of its own first, or convert by hand`,
    );
}

/** The persisted directory at or above PATH (checks.ts has the same; kept here to avoid an import cycle). */
function coveringDirectory(
  paths: Persisted[],
  path: string,
): Persisted | undefined {
  return paths.find((p) => p.kind === "directory" && isAtOrUnder(path, p.abs));
}

function sameOptions(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((o, i) => o === b[i]);
}
