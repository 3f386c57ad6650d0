// Parsers for small system files the probe reads: /proc/swaps,
// /proc/cmdline and /etc/fstab. Pure.

/** The kernel escapes space, tab, newline and backslash as octal in these files. */
export function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) =>
    String.fromCharCode(parseInt(oct, 8)),
  );
}

export interface ActiveSwap {
  path: string;
  /** "partition" or "file". */
  type: string;
}

/** `/proc/swaps`: a header line, then "Filename Type Size Used Priority". */
export function parseProcSwaps(text: string): ActiveSwap[] {
  return text
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 2 && fields[0] !== "")
    .map((fields) => ({
      path: unescapeOctal(fields[0]!),
      type: fields[1]!,
    }));
}

export type RootSpec =
  | { kind: "label"; value: string }
  | { kind: "uuid"; value: string }
  | { kind: "partlabel"; value: string }
  | { kind: "partuuid"; value: string }
  | { kind: "path"; value: string };

export interface KernelCmdline {
  /** `root=`: a NixOS ISO passes `root=LABEL=<volume ID>` and mounts it at /iso. */
  root: RootSpec | null;
  /** `copytoram`: the ISO was copied into RAM and its device released. */
  copytoram: boolean;
  /** `findiso=`: the ISO is a file on another filesystem. */
  findiso: string | null;
}

export function parseKernelCmdline(text: string): KernelCmdline {
  const result: KernelCmdline = { root: null, copytoram: false, findiso: null };
  // Quoting on the kernel command line is rare and NixOS never needs it here.
  for (const word of text.trim().split(/\s+/)) {
    if (word === "copytoram") result.copytoram = true;
    else if (word.startsWith("findiso=")) result.findiso = word.slice(8);
    else if (word.startsWith("root="))
      result.root = parseRootSpec(word.slice(5));
  }
  return result;
}

function parseRootSpec(value: string): RootSpec | null {
  const tagged = /^(LABEL|UUID|PARTLABEL|PARTUUID)=(.+)$/.exec(value);
  if (tagged) {
    const kind = tagged[1]!.toLowerCase() as
      "label" | "uuid" | "partlabel" | "partuuid";
    return { kind, value: tagged[2]! };
  }
  const byPath = /^\/dev\/disk\/by-(label|uuid|partlabel|partuuid)\/(.+)$/.exec(
    value,
  );
  if (byPath) {
    return {
      kind: byPath[1] as "label" | "uuid" | "partlabel" | "partuuid",
      value: unescapeUdev(byPath[2]!),
    };
  }
  return value.startsWith("/") ? { kind: "path", value } : null;
}

/** udev encodes unsafe characters in /dev/disk/by-* names as \xNN. */
function unescapeUdev(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

export interface FstabEntry {
  spec: string;
  file: string;
  vfsType: string;
  options: string[];
}

/** /etc/fstab; NixOS writes it from `fileSystems`, so its devices are the config's own names. */
export function parseFstab(text: string): FstabEntry[] {
  const entries: FstabEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    if (fields.length < 3) continue;
    entries.push({
      spec: unescapeOctal(fields[0]!),
      file: unescapeOctal(fields[1]!),
      vfsType: fields[2]!,
      options: (fields[3] ?? "defaults").split(",").filter((o) => o !== ""),
    });
  }
  return entries;
}
