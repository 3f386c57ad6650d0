// fast-check arbitraries for designs: random valid designs of every mode, with
// hostile characters in paths, names of storage and text fields (quotes,
// "${", backslashes, spaces, unicode), and breaking mutations for invalid ones.
import fc from "fast-check";
import { NIXOS_FILLED } from "../../shared/design/persist-checks";
import { utf8Bytes } from "../../shared/utf8";
import type { DirEntry, FileEntry } from "../../shared/design/types";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = Record<string, any>;

const hostileChar = fc.constantFrom(
  ...Array.from("abcxyz019 _-.'\"\\$${}()[]@#%&*+=,;:!?~`^|<>é漢ß🎉\u00a0"),
);

/** One path component: never empty, "." or "..", never a slash or control character. */
export const segment = fc
  .string({ unit: hostileChar, minLength: 1, maxLength: 8 })
  .filter((s) => s !== "." && s !== "..");

const hostileSegment = fc.oneof(
  segment,
  fc.constantFrom(
    'a"b',
    "${x}",
    "back\\slash",
    "with space",
    "ünï©ødé",
    "$${y}",
    "🎉",
  ),
);

const safeTop = fc.constantFrom(
  "etc",
  "var",
  "srv",
  "opt",
  "home",
  "root",
  "var/lib",
  "etc/ssh",
  "média",
);

export const systemPath = fc
  .tuple(safeTop, fc.array(hostileSegment, { minLength: 1, maxLength: 3 }))
  .map(([top, rest]) => `/${top}/${rest.join("/")}`);

export const homePath = fc
  .array(hostileSegment, { minLength: 1, maxLength: 3 })
  .map((s) => s.join("/"))
  .filter((p) => p !== "~" && !p.startsWith("~/"));

const mode = fc.constantFrom("0700", "0755", "u=rwx,g=rx,o=", "750");
/** Every owner a random design's entries name. */
export const ACCOUNTS = ["root", "mira", "colord", "_svc", "postgres"] as const;
const account = fc.constantFrom(...ACCOUNTS);

function dirEntry(p: fc.Arbitrary<string>): fc.Arbitrary<DirEntry> {
  return fc.oneof(
    p,
    fc.record(
      {
        directory: p,
        user: account,
        group: account,
        mode,
        hideMount: fc.boolean(),
      },
      { requiredKeys: ["directory"] },
    ),
  );
}

function fileEntry(p: fc.Arbitrary<string>): fc.Arbitrary<FileEntry> {
  return fc.oneof(
    p,
    fc.record(
      {
        file: p,
        parentDirectory: fc.record(
          { user: account, group: account, mode },
          { requiredKeys: [] },
        ),
        method: fc.constantFrom("auto" as const, "symlink" as const),
      },
      { requiredKeys: ["file"] },
    ),
  );
}

const pathOf = (e: DirEntry | FileEntry) =>
  typeof e === "string" ? e : "directory" in e ? e.directory : e.file;

/** Paths already used by a design being built, to keep it valid. */
interface Taken {
  all: Set<string>;
  files: string[];
}

/**
 * Keeps a valid subset: every path once (files and directories together),
 * and nothing under a persisted file. Paths under a persisted directory stay:
 * they are only a warning. With `holdNothing` (recover.add), no folder that
 * holds a path taken already: recovering it whole is refused.
 */
function prune(
  lists: { dirs: DirEntry[]; files: FileEntry[] },
  taken: Taken,
  base = "",
  holdNothing = false,
): { dirs: DirEntry[]; files: FileEntry[] } {
  // An owner or mode on a folder NixOS fills (/etc, /var/lib...) is refused:
  // keep such entries as plain paths.
  const filled = new Set(NIXOS_FILLED.map((x) => x.path));
  const parent = (p: string) => p.slice(0, Math.max(1, p.lastIndexOf("/")));
  lists = {
    dirs: lists.dirs.map((e) =>
      typeof e !== "string" && !base && filled.has(e.directory)
        ? e.directory
        : e,
    ),
    files: lists.files.map((e) =>
      typeof e !== "string" && !base && filled.has(parent(e.file)) ? e.file : e,
    ),
  };
  const clashes = (p: string) =>
    taken.all.has(p) ||
    taken.files.some((f) => p.startsWith(`${f}/`)) ||
    [...taken.all].some((t) => t.startsWith(`${p}/`));
  const files: FileEntry[] = [];
  for (const f of lists.files) {
    const p = base + pathOf(f);
    // A file may not hold paths either: refuse one that is a parent of a taken path.
    if (clashes(p)) continue;
    taken.all.add(p);
    taken.files.push(p);
    files.push(f);
  }
  const dirs: DirEntry[] = [];
  for (const d of lists.dirs) {
    const p = base + pathOf(d);
    if (taken.all.has(p) || taken.files.some((f) => p.startsWith(`${f}/`)))
      continue;
    if (holdNothing && [...taken.all].some((t) => t.startsWith(`${p}/`)))
      continue;
    taken.all.add(p);
    dirs.push(d);
  }
  return { dirs, files };
}

const storage = fc
  .array(hostileSegment, { minLength: 1, maxLength: 2 })
  .filter((s) => s[0] !== "store" && s[0] !== "var")
  .map((s) => `/nix/${s.join("/")}`);

const text = fc
  .string({ unit: hostileChar, maxLength: 20 })
  .filter((s) => !s.includes(":"));

/** A random valid design (validation must accept it; tests check that too). */
export const validDesign: fc.Arbitrary<Doc> = fc
  .record({
    mode: fc.constantFrom("install", "convert", "recover"),
    storage,
    hideMounts: fc.boolean(),
    dirs: fc.array(dirEntry(systemPath), { maxLength: 6 }),
    files: fc.array(fileEntry(systemPath), { maxLength: 6 }),
    userDirs: fc.array(dirEntry(homePath), { maxLength: 4 }),
    userFiles: fc.array(fileEntry(homePath), { maxLength: 4 }),
    addDirs: fc.array(dirEntry(systemPath), { minLength: 1, maxLength: 3 }),
    description: text,
    // A SHA-512 crypt salt may hold any character but "$", ":" and spaces:
    // quotes, backslashes and "{" (after "$6$": "${") test the escaping.
    hashTail: fc
      .string({ unit: hostileChar, minLength: 1, maxLength: 16 })
      .filter((s) => !/[\s:$]/.test(s) && utf8Bytes(s).length <= 16),
    size: fc.constantFrom("512M", "2G", "25%", "100%"),
    encrypt: fc.boolean(),
    bootloader: fc.constantFrom("systemd-boot", "grub"),
    swap: fc.boolean(),
  })
  .map((r) => {
    const taken: Taken = { all: new Set(["/etc/nixos"]), files: [] };
    const sys = prune({ dirs: r.dirs, files: r.files }, taken);
    const home = prune(
      { dirs: r.userDirs, files: r.userFiles },
      taken,
      "/home/mira/",
    );
    const add = prune(
      { dirs: r.addDirs, files: [] as FileEntry[] },
      taken,
      "",
      true,
    );
    const d: Doc = {
      format: "tabula/1",
      mode: r.mode,
      hostname: "host-1",
      system: "x86_64-linux",
      stateVersion: "25.11",
      root: { size: r.size },
      persistence: {
        storage: r.storage,
        hideMounts: r.hideMounts,
        directories: ["/etc/nixos", ...sys.dirs],
        files: sys.files,
        users: { mira: { directories: home.dirs, files: home.files } },
      },
      users: {
        mira: {
          uid: 1000,
          isNormalUser: true,
          extraGroups: ["wheel"],
          description: r.description,
          hashedPassword: `$6$${r.hashTail}$${"./0123456789AaBb".repeat(5)}012345`,
        },
      },
    };
    if (r.mode === "install")
      d.disk = {
        device: "/dev/vda",
        bootloader: r.bootloader,
        esp: { size: "1G" },
        ...(r.swap ? { swap: { size: "2G" } } : {}),
        encrypt: r.encrypt,
        nix: { fsType: "btrfs", options: ["compress=zstd"] },
      };
    const fsRef = {
      device: "/dev/disk/by-uuid/0000-aaaa",
      fsType: "ext4",
      options: ["noatime"],
    };
    const boot = {
      device: "/dev/disk/by-uuid/BOOT-1",
      fsType: "vfat",
      options: [],
    };
    if (r.mode === "convert")
      d.convert = {
        ...fsRef,
        configDir: "/etc/nixos",
        flakeAttr: "host-1",
        boot,
      };
    if (r.mode === "recover") {
      // The add block must bring something in that persistence lacks.
      const addDirs = add.dirs.length ? add.dirs : ["/srv/recovered"];
      d.recover = {
        from: "live",
        nix: fsRef,
        configDir: "/etc/nixos",
        flakeAttr: "host-1",
        boot,
        add: { directories: addDirs, files: [] },
      };
    }
    return d;
  });

export interface Breakage {
  name: string;
  /** The JSON path the refusal must name. */
  path: string;
  apply: (d: Doc) => void;
}

/** Mutations that make any valid design invalid, each naming the field it breaks. */
export const breakages: Breakage[] = [
  {
    name: "relative system path",
    path: "persistence.directories[0]",
    apply: (d) => (d.persistence.directories[0] = "etc/nixos"),
  },
  {
    name: "trailing slash",
    path: "persistence.directories[0]",
    apply: (d) => (d.persistence.directories[0] = "/etc/nixos/"),
  },
  {
    name: "dot-dot segment",
    path: "persistence.files[0]",
    apply: (d) => d.persistence.files.unshift("/etc/../shadow"),
  },
  {
    name: "newline in a path",
    path: "persistence.files[0]",
    apply: (d) => d.persistence.files.unshift("/etc/a\nb"),
  },
  {
    name: "absolute user path",
    path: "persistence.users.mira.directories[0]",
    apply: (d) => d.persistence.users.mira.directories.unshift("/home/mira/x"),
  },
  {
    name: "path under /proc",
    path: "persistence.directories[0]",
    apply: (d) => d.persistence.directories.unshift("/proc/x"),
  },
  {
    name: "unknown field",
    path: "persistence.hidemounts",
    apply: (d) => (d.persistence.hidemounts = true),
  },
  {
    name: "unknown top-level field",
    path: "hostName",
    apply: (d) => (d.hostName = "x"),
  },
  { name: "bad size", path: "root.size", apply: (d) => (d.root.size = "lots") },
  { name: "bad mode", path: "mode", apply: (d) => (d.mode = "reinstall") },
  {
    name: "storage off /nix",
    path: "persistence.storage",
    apply: (d) => (d.persistence.storage = "/persist"),
  },
  {
    name: "duplicate path",
    path: "persistence.directories[1]",
    apply: (d) => d.persistence.directories.splice(1, 0, "/etc/nixos"),
  },
  {
    name: "undeclared user",
    path: "persistence.users.nobody",
    apply: (d) => (d.persistence.users.nobody = { directories: ["x"] }),
  },
  {
    name: "bad hash",
    path: "users.mira.hashedPassword",
    apply: (d) => (d.users.mira.hashedPassword = "secret"),
  },
  {
    name: "bad chmod",
    path: "persistence.directories[0].mode",
    apply: (d) =>
      (d.persistence.directories[0] = { directory: "/etc/nixos", mode: "rw" }),
  },
];
