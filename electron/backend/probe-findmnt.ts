// Parses `findmnt -J` (tree or `-l` list) into a flat list of mounts. Pure.

export interface MountEntry {
  target: string;
  source: string;
  fsType: string;
  options: string[];
  /** The mounted directory of the filesystem ("/", or a btrfs subvolume, or a bind source). */
  fsRoot: string;
  majMin: string | null;
}

export class FindmntParseError extends Error {}

export function parseFindmnt(json: string): MountEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new FindmntParseError(
      `findmnt printed something that is not JSON (${(error as Error).message})`,
    );
  }
  const list = (parsed as { filesystems?: unknown } | null)?.filesystems;
  if (!Array.isArray(list)) {
    throw new FindmntParseError('findmnt JSON has no "filesystems" list');
  }
  const out: MountEntry[] = [];
  const visit = (items: unknown[]) => {
    for (const item of items) {
      const raw = item as Record<string, unknown>;
      const target = typeof raw.target === "string" ? raw.target : null;
      if (target !== null) {
        out.push({
          target,
          // Without --nofsroot findmnt appends "[/subvol]" to the source.
          source: stripFsRoot(str(raw.source)),
          fsType: str(raw.fstype),
          options: str(raw.options)
            .split(",")
            .filter((o) => o !== ""),
          fsRoot: str(raw.fsroot) || "/",
          majMin: typeof raw["maj:min"] === "string" ? raw["maj:min"] : null,
        });
      }
      if (Array.isArray(raw.children)) visit(raw.children);
    }
  };
  visit(list);
  return out;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function stripFsRoot(source: string): string {
  return source.replace(/\[[^\]]*\]$/, "");
}

/** The mount that is visible at `target` (the last one mounted there). */
export function mountAt(
  mounts: MountEntry[],
  target: string,
): MountEntry | null {
  for (let i = mounts.length - 1; i >= 0; i--) {
    if (mounts[i]!.target === target) return mounts[i]!;
  }
  return null;
}
