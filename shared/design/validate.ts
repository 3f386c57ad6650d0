// Validation of a design document ("tabula/1"). Every problem is one sentence
// at a JSON path saying what is wrong and what to do; unknown fields are
// errors so a typo is never silently ignored. A design with no errors comes
// back in normal form (./normalize.ts); warnings do not block it.
// docs/design-format.md lists every rule.
import { planProblems } from "../plan/compile";
import { checkDesign } from "./checks";
import { normalizeDesign } from "./normalize";
import { homePathFault, systemPathFault } from "./paths";
import { at, Findings, Reader, type Obj } from "./reader";
import { DEFAULT_STORAGE } from "./layout";
import { parseSize } from "../size";
import {
  DESIGN_FORMAT,
  MODES,
  NIX_FS_TYPES,
  type Bootloader,
  type ConvertDesign,
  type Design,
  type DirEntry,
  type DirPerms,
  type DiskDesign,
  type FileEntry,
  type FsRef,
  type GroupDesign,
  type Mode,
  type PersistenceDesign,
  type Problem,
  type RecoverDesign,
  type UserDesign,
  type UserPersistence,
} from "./types";

export interface Validation {
  /** The design in normal form, or null when there is any error. */
  design: Design | null;
  problems: Problem[];
}

export const FIELDS = {
  design: [
    "format",
    "mode",
    "hostname",
    "system",
    "stateVersion",
    "root",
    "disk",
    "convert",
    "recover",
    "persistence",
    "users",
    "groups",
    "notes",
  ],
  root: ["size"],
  disk: ["device", "bootloader", "esp", "swap", "encrypt", "nix", "probed"],
  size: ["size"],
  nixFs: ["fsType", "options"],
  probed: ["sizeBytes", "model", "serial"],
  fsRef: ["device", "fsType", "options"],
  boot: ["device", "fsType", "options", "mountPoint"],
  convert: [
    "device",
    "fsType",
    "options",
    "configDir",
    "flakeAttr",
    "boot",
    "bootloader",
  ],
  recover: ["from", "nix", "configDir", "flakeAttr", "boot", "add"],
  add: ["directories", "files", "users"],
  persistence: [
    "storage",
    "hideMounts",
    "allowTrash",
    "directories",
    "files",
    "users",
  ],
  userPersistence: ["directories", "files"],
  dirEntry: ["directory", "user", "group", "mode", "hideMount", "allowTrash"],
  fileEntry: ["file", "parentDirectory", "method"],
  perms: ["user", "group", "mode"],
  user: [
    "uid",
    "isNormalUser",
    "isSystemUser",
    "group",
    "extraGroups",
    "description",
    "home",
    "hashedPassword",
    "hashedPasswordFile",
    "openssh",
  ],
  openssh: ["authorizedKeys"],
  authorizedKeys: ["keys"],
  group: ["gid"],
} as const;

export const SYSTEMS = [
  "x86_64-linux",
  "aarch64-linux",
  "i686-linux",
  "riscv64-linux",
  "armv7l-linux",
  "armv6l-linux",
  "powerpc64le-linux",
] as const;

const BOOTLOADERS: readonly Bootloader[] = ["systemd-boot", "grub"];

/** networking.hostName's own check in NixOS: letters, digits, "-" and "_", no dots. */
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
/** A user or group name as shadow-utils accepts it (at most 32 characters). */
export const ACCOUNT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?$/;

/** A user or group name; "__proto__" is refused since it cannot be a plain object key. */
export function isAccountName(name: string): boolean {
  return ACCOUNT_NAME.test(name) && name !== "__proto__";
}
const FLAKE_ATTR = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const FS_TYPE = /^[a-z0-9][a-z0-9._+-]*$/;
/** chmod modes: octal, or symbolic clauses such as "u=rwx,g=rx,o=". */
const CHMOD =
  /^(?:[0-7]{3,4}|[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+(?:,[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+)*)$/;
/** crypt(3) hashes NixOS accepts, or a locked account ("!" or "*" first). */
const CRYPT_HASH = /^(?:[!*]|!?\$(?:y|gy|7|2[abxy]?|5|6|sha1|md5|1)\$[^\s:]+)$/;

const MAX_ID = 2 ** 31 - 1;

export function validateDesign(input: unknown): Validation {
  const findings = new Findings();
  const read = new DesignReader(new Reader(findings));
  const draft = read.design(input);
  if (draft) checkDesign(findings, draft, (list, i) => read.origin(list, i));
  // What the step plan cannot do with an otherwise valid design (shared/plan).
  if (draft && !findings.hasErrors)
    findings.problems.push(...planProblems(normalizeDesign(draft)));
  return {
    design: draft && !findings.hasErrors ? normalizeDesign(draft) : null,
    problems: findings.problems,
  };
}

/**
 * Reads the document field by field. The result may have holes where a field
 * was wrong (each reported); it is only handed out when there is no error.
 */
class DesignReader {
  private readonly findings: Findings;
  /** Original index of each kept entry, for lists where a bad entry was left out. */
  private readonly origins = new WeakMap<object, number[]>();

  origin(list: readonly unknown[], i: number): number {
    return this.origins.get(list)?.[i] ?? i;
  }

  constructor(private readonly r: Reader) {
    this.findings = r.findings;
  }

  design(input: unknown): Design | undefined {
    const o = this.r.object(
      input === undefined ? null : input,
      "",
      FIELDS.design,
      "a Tabula design",
    );
    if (!o) return undefined;
    const format = this.r.required(
      o,
      "format",
      "",
      `add "format": "${DESIGN_FORMAT}"`,
    );
    if (format !== undefined && format !== DESIGN_FORMAT) {
      this.findings.error(
        "format",
        `${JSON.stringify(format)} is not a format this Tabula reads: use "${DESIGN_FORMAT}"`,
      );
    }
    const mode = this.r.oneOf<Mode>(
      this.r.required(o, "mode", "", 'give "install", "convert" or "recover"'),
      "mode",
      MODES,
    );
    const hostname = this.hostname(o);
    const system = this.r.oneOf(
      this.r.required(
        o,
        "system",
        "",
        'give the platform, e.g. "x86_64-linux"',
      ),
      "system",
      SYSTEMS,
    );
    const stateVersion = this.stateVersion(o);
    const root = this.root(o);
    const design = {
      format: DESIGN_FORMAT,
      mode,
      hostname,
      system,
      stateVersion,
      root,
    } as Design;

    // Each mode has its own block; a block for another mode is a mistake.
    const blocks = {
      install: "disk",
      convert: "convert",
      recover: "recover",
    } as const;
    for (const [m, key] of Object.entries(blocks)) {
      if (mode === undefined) break;
      if (m === mode && o[key] === undefined)
        this.findings.error(
          key,
          `is missing: ${mode === "install" ? "an" : "a"} ${mode} design needs it (see docs/design-format.md)`,
        );
      if (m !== mode && o[key] !== undefined)
        this.findings.error(
          key,
          `belongs to ${m} mode, but this design's mode is "${mode}": remove it or change the mode`,
        );
    }
    if (mode === "install" && o.disk !== undefined)
      design.disk = this.disk(o.disk);
    if (mode === "convert" && o.convert !== undefined)
      design.convert = this.convert(o.convert);
    if (mode === "recover" && o.recover !== undefined)
      design.recover = this.recover(o.recover);

    design.persistence = this.persistence(
      o.persistence === undefined ? {} : o.persistence,
    ) as PersistenceDesign;
    design.users = this.users(o.users);
    if (o.groups !== undefined) design.groups = this.groups(o.groups);
    if (o.notes !== undefined)
      design.notes = this.r.string(o.notes, "notes", "free text");
    return design;
  }

  private hostname(o: Obj): string | undefined {
    const value = this.r.string(
      this.r.required(
        o,
        "hostname",
        "",
        'give the machine\'s name, e.g. "orchid"',
      ),
      "hostname",
      'e.g. "orchid"',
    );
    if (value === undefined) return undefined;
    if (!HOSTNAME.test(value)) {
      this.findings.error(
        "hostname",
        `${JSON.stringify(value)} is not a valid host name: use letters, digits, "-" and "_" (no dots, at most 63 characters, starting and ending with a letter or digit)`,
      );
      return undefined;
    }
    return value;
  }

  private stateVersion(o: Obj): string | undefined {
    const value = this.r.string(
      this.r.required(
        o,
        "stateVersion",
        "",
        'give the NixOS release this system was first installed with, e.g. "25.11"',
      ),
      "stateVersion",
      'e.g. "25.11"',
    );
    if (value === undefined) return undefined;
    if (!/^[0-9]{2}\.[0-9]{2}$/.test(value)) {
      this.findings.error(
        "stateVersion",
        `${JSON.stringify(value)} is not a NixOS release: write it as YY.MM, e.g. "25.11"`,
      );
      return undefined;
    }
    return value;
  }

  private root(o: Obj): { size: string } | undefined {
    const root = this.r.object(
      this.r.required(
        o,
        "root",
        "",
        'give the tmpfs root, e.g. { "size": "4G" }',
      ),
      "root",
      FIELDS.root,
      "the tmpfs root",
    );
    if (!root) return undefined;
    const size = this.size(
      this.r.required(
        root,
        "size",
        "root",
        'give the tmpfs size, e.g. "4G" or "25%"',
      ),
      "root.size",
      true,
    );
    if (size === undefined) return undefined;
    const parsed = parseSize(size, { allowPercent: true });
    if (
      parsed.ok &&
      parsed.size.kind === "bytes" &&
      parsed.size.bytes < 512 * 1024 ** 2
    )
      this.findings.warn(
        "root.size",
        `${size} is a small tmpfs root: everything written outside persistent storage until the next boot must fit in it; 2G or more is usual`,
      );
    return { size };
  }

  private size(
    value: unknown,
    path: string,
    allowPercent: boolean,
  ): string | undefined {
    if (value === undefined) return undefined;
    const parsed = parseSize(value, { allowPercent });
    if (!parsed.ok) {
      this.findings.error(path, parsed.message);
      return undefined;
    }
    return parsed.size.text;
  }

  private sizeBlock(
    value: unknown,
    path: string,
    what: string,
  ): { size: string } | undefined {
    const o = this.r.object(value, path, FIELDS.size, what);
    if (!o) return undefined;
    const size = this.size(
      this.r.required(o, "size", path, `give its size, e.g. "1G"`),
      at(path, "size"),
      false,
    );
    return size === undefined ? undefined : { size };
  }

  /** A device path: absolute and normalized. */
  device(value: unknown, path: string, example: string): string | undefined {
    const text = this.r.string(value, path, `e.g. "${example}"`);
    if (text === undefined) return undefined;
    const fault = systemPathFault(text);
    if (fault) {
      this.findings.error(
        path,
        `${JSON.stringify(text)} ${fault.startsWith("is not absolute") ? `is not an absolute device path: write it in full, e.g. "${example}"` : fault}`,
      );
      return undefined;
    }
    return text;
  }

  /** An absolute, normalized path other than a device. */
  absolutePath(
    value: unknown,
    path: string,
    example?: string,
  ): string | undefined {
    const text = this.r.string(
      value,
      path,
      `an absolute path, e.g. "${example ?? "/etc/nixos"}"`,
    );
    if (text === undefined) return undefined;
    const fault = systemPathFault(text, example);
    if (fault) {
      this.findings.error(path, `${JSON.stringify(text)} ${fault}`);
      return undefined;
    }
    return text;
  }

  private mountOptions(value: unknown, path: string): string[] | undefined {
    const list = this.r.list(value, path, 'mount options, e.g. ["noatime"]');
    if (!list) return value === undefined ? [] : undefined;
    const out: string[] = [];
    let ok = true;
    list.forEach((item, i) => {
      const p = at(path, i);
      const text = this.r.string(item, p, 'a mount option, e.g. "noatime"');
      if (text === undefined) {
        ok = false;
        return;
      }
      let fault: string | null = null;
      if (text === "") fault = "is empty: remove it";
      else if (text.includes(","))
        fault = `${JSON.stringify(text)} holds a comma: give each mount option as its own list item`;
      // eslint-disable-next-line no-control-regex
      else if (/[\s\x00-\x1f\x7f]/.test(text))
        fault = `${JSON.stringify(text)} holds a space or control character, which mount options cannot: remove it`;
      if (fault) {
        this.findings.error(p, fault);
        ok = false;
      } else out.push(text);
    });
    return ok ? out : undefined;
  }

  private fsType(value: unknown, path: string): string | undefined {
    const text = this.r.string(value, path, 'a filesystem type, e.g. "ext4"');
    if (text === undefined) return undefined;
    if (!FS_TYPE.test(text)) {
      this.findings.error(
        path,
        `${JSON.stringify(text)} is not a filesystem type: write it as mount(8) does, e.g. "ext4" or "btrfs"`,
      );
      return undefined;
    }
    return text;
  }

  private fsRef(
    value: unknown,
    path: string,
    what: string,
    fields: readonly string[],
  ): (FsRef & { mountPoint?: string }) | undefined {
    const o = this.r.object(value, path, fields, what);
    if (!o) return undefined;
    const device = this.device(
      this.r.required(
        o,
        "device",
        path,
        'give the device, e.g. "/dev/disk/by-uuid/..."',
      ),
      at(path, "device"),
      "/dev/disk/by-uuid/...",
    );
    const fsType = this.fsType(
      this.r.required(
        o,
        "fsType",
        path,
        'give its filesystem type, e.g. "ext4"',
      ),
      at(path, "fsType"),
    );
    const options = this.mountOptions(o.options, at(path, "options"));
    const out = { device, fsType, options } as FsRef & { mountPoint?: string };
    if (fields.includes("mountPoint") && o.mountPoint !== undefined)
      out.mountPoint = this.absolutePath(o.mountPoint, at(path, "mountPoint"));
    if (device !== undefined && !/^\/dev\/(disk\/by-|mapper\/)/.test(device))
      this.findings.warn(
        at(path, "device"),
        `"${device}" is a kernel name, which can change between boots: prefer its /dev/disk/by-uuid/... or /dev/disk/by-label/... link`,
      );
    return out;
  }

  private disk(value: unknown): DiskDesign | undefined {
    const o = this.r.object(value, "disk", FIELDS.disk, "the install disk");
    if (!o) return undefined;
    const device = this.device(
      this.r.required(
        o,
        "device",
        "disk",
        'give the whole disk to erase, e.g. "/dev/nvme0n1"',
      ),
      "disk.device",
      "/dev/nvme0n1",
    );
    if (
      device &&
      /^\/dev\/(sd[a-z]+[0-9]+|vd[a-z]+[0-9]+|(nvme[0-9]+n[0-9]+|mmcblk[0-9]+)p[0-9]+)$/.test(
        device,
      )
    )
      this.findings.warn(
        "disk.device",
        `"${device}" looks like a partition: Tabula partitions a whole disk, give the disk itself (e.g. "${device.replace(/p?[0-9]+$/, "")}")`,
      );
    const bootloader = this.r.oneOf(
      this.r.required(
        o,
        "bootloader",
        "disk",
        'give "systemd-boot" (UEFI) or "grub" (BIOS)',
      ),
      "disk.bootloader",
      BOOTLOADERS,
    );
    const esp = this.sizeBlock(
      this.r.required(
        o,
        "esp",
        "disk",
        'give the boot partition, e.g. { "size": "1G" }',
      ),
      "disk.esp",
      "the boot partition",
    );
    const swap =
      o.swap === undefined
        ? undefined
        : this.sizeBlock(o.swap, "disk.swap", "the swap partition");
    const encrypt =
      o.encrypt === undefined
        ? false
        : this.r.boolean(o.encrypt, "disk.encrypt");
    const nixBlock = this.r.object(
      this.r.required(
        o,
        "nix",
        "disk",
        'give the /nix filesystem, e.g. { "fsType": "btrfs" }',
      ),
      "disk.nix",
      FIELDS.nixFs,
      "the /nix filesystem",
    );
    let nix: DiskDesign["nix"] | undefined;
    if (nixBlock) {
      const fsType = this.r.oneOf(
        this.r.required(
          nixBlock,
          "fsType",
          "disk.nix",
          'give "btrfs", "ext4" or "xfs"',
        ),
        "disk.nix.fsType",
        NIX_FS_TYPES,
      );
      const options = this.mountOptions(nixBlock.options, "disk.nix.options");
      nix = { fsType, options } as DiskDesign["nix"];
    }
    let probed: DiskDesign["probed"];
    if (o.probed !== undefined) {
      const p = this.r.object(
        o.probed,
        "disk.probed",
        FIELDS.probed,
        "facts probed from the disk",
      );
      if (p) {
        probed = {
          sizeBytes: this.r.integer(
            p.sizeBytes,
            "disk.probed.sizeBytes",
            0,
            Number.MAX_SAFE_INTEGER,
          ),
          model: this.r.string(p.model, "disk.probed.model", "the disk model"),
          serial: this.r.string(
            p.serial,
            "disk.probed.serial",
            "the serial number",
          ),
        };
      }
    }
    return {
      device,
      bootloader,
      esp,
      swap,
      encrypt,
      nix,
      probed,
    } as DiskDesign;
  }

  private convert(value: unknown): ConvertDesign | undefined {
    const ref = this.fsRef(
      value,
      "convert",
      "the existing root filesystem",
      FIELDS.convert,
    );
    if (!ref) return undefined;
    const o = value as Obj;
    const configDir = this.absolutePath(
      this.r.required(
        o,
        "configDir",
        "convert",
        'give the configuration folder, e.g. "/etc/nixos"',
      ),
      "convert.configDir",
    );
    const flakeAttr = this.flakeAttr(o, "convert");
    let boot: ConvertDesign["boot"];
    if (o.boot === undefined)
      this.findings.error(
        "convert.boot",
        "is missing: without a separate ESP or /boot filesystem, /boot lives inside the old root, which the migration moves aside; give that filesystem (device, fsType), or convert by hand",
      );
    else
      boot = this.fsRef(
        o.boot,
        "convert.boot",
        "the boot filesystem",
        FIELDS.boot,
      );
    const bootloader =
      o.bootloader === undefined
        ? undefined
        : this.r.oneOf(o.bootloader, "convert.bootloader", BOOTLOADERS);
    return { ...ref, configDir, flakeAttr, boot, bootloader } as ConvertDesign;
  }

  private flakeAttr(o: Obj, path: string): string | undefined {
    const text = this.r.string(
      this.r.required(
        o,
        "flakeAttr",
        path,
        'give the name under nixosConfigurations, e.g. "tern"',
      ),
      at(path, "flakeAttr"),
      'e.g. "tern"',
    );
    if (text !== undefined && !FLAKE_ATTR.test(text)) {
      this.findings.error(
        at(path, "flakeAttr"),
        `${JSON.stringify(text)} is not a plain attribute name: use letters, digits, "_" and "-" (rename the nixosConfigurations entry if needed)`,
      );
      return undefined;
    }
    return text;
  }

  private recover(value: unknown): RecoverDesign | undefined {
    const o = this.r.object(
      value,
      "recover",
      FIELDS.recover,
      "what to recover",
    );
    if (!o) return undefined;
    const from = this.r.oneOf(
      this.r.required(
        o,
        "from",
        "recover",
        'give "live" (the running system) or "old-root" (the quarantine of a conversion)',
      ),
      "recover.from",
      ["live", "old-root"] as const,
    );
    const nix = this.fsRef(
      this.r.required(
        o,
        "nix",
        "recover",
        "give the partition that holds /nix (device, fsType, options)",
      ),
      "recover.nix",
      "the /nix filesystem",
      FIELDS.fsRef,
    );
    const configDir = this.absolutePath(
      this.r.required(
        o,
        "configDir",
        "recover",
        'give the configuration folder, e.g. "/etc/nixos"',
      ),
      "recover.configDir",
    );
    const flakeAttr = this.flakeAttr(o, "recover");
    let boot: RecoverDesign["boot"];
    if (o.boot !== undefined)
      boot = this.fsRef(
        o.boot,
        "recover.boot",
        "the boot filesystem",
        FIELDS.boot,
      );
    else if (from === "old-root")
      this.findings.error(
        "recover.boot",
        "is missing: recovering from the LiveCD rebuilds the system there, which needs the boot filesystem; give its device and fsType",
      );
    const add = this.persistedLists(
      this.r.required(
        o,
        "add",
        "recover",
        'give what to bring in, e.g. { "directories": ["/var/lib/docker"] }',
      ),
      "recover.add",
      FIELDS.add,
      "the paths to bring in",
    );
    return { from, nix, configDir, flakeAttr, boot, add } as RecoverDesign;
  }

  private persistence(value: unknown): PersistenceDesign | undefined {
    const lists = this.persistedLists(
      value,
      "persistence",
      FIELDS.persistence,
      "the persistence settings",
    );
    if (!lists) return undefined;
    const o = value as Obj;
    const storage =
      o.storage === undefined
        ? DEFAULT_STORAGE
        : this.absolutePath(
            o.storage,
            "persistence.storage",
            "/nix/persistent",
          );
    const hideMounts =
      o.hideMounts === undefined
        ? true
        : this.r.boolean(o.hideMounts, "persistence.hideMounts");
    const allowTrash =
      o.allowTrash === undefined
        ? undefined
        : this.r.boolean(o.allowTrash, "persistence.allowTrash");
    return { storage, hideMounts, allowTrash, ...lists } as PersistenceDesign;
  }

  /** directories, files and users: the part of persistence that recover.add repeats. */
  private persistedLists(
    value: unknown,
    path: string,
    fields: readonly string[],
    what: string,
  ):
    | {
        directories: DirEntry[];
        files: FileEntry[];
        users: Record<string, UserPersistence>;
      }
    | undefined {
    const o = this.r.object(value, path, fields, what);
    if (!o) return undefined;
    const directories = this.entries(
      o.directories,
      at(path, "directories"),
      "directory",
      false,
    );
    const files = this.entries(o.files, at(path, "files"), "file", false);
    const users: Record<string, UserPersistence> = {};
    if (o.users !== undefined) {
      const u = this.r.object(
        o.users,
        at(path, "users"),
        Object.keys(isObj(o.users) ? o.users : {}),
        "per-user persistence",
      );
      for (const [name, entry] of Object.entries(u ?? {})) {
        const p = at(at(path, "users"), name);
        if (!isAccountName(name)) {
          this.findings.error(
            p,
            `${JSON.stringify(name)} is not a user name: use the login name, e.g. "mira"`,
          );
          continue;
        }
        const block = this.r.object(
          entry,
          p,
          FIELDS.userPersistence,
          `${name}'s persistence`,
        );
        if (!block) continue;
        users[name] = {
          directories: this.entries(
            block.directories,
            at(p, "directories"),
            "directory",
            true,
          ) as DirEntry[],
          files: this.entries(
            block.files,
            at(p, "files"),
            "file",
            true,
          ) as FileEntry[],
        };
      }
    }
    return {
      directories: directories as DirEntry[],
      files: files as FileEntry[],
      users,
    };
  }

  private entries(
    value: unknown,
    path: string,
    kind: "directory" | "file",
    inHome: boolean,
  ): (DirEntry | FileEntry)[] {
    if (value === undefined) return [];
    const list = this.r.list(
      value,
      path,
      kind === "directory"
        ? `directories, each a path or { "directory": ..., "mode": ... }`
        : `files, each a path or { "file": ..., "parentDirectory": ... }`,
    );
    if (!list) return [];
    const out: (DirEntry | FileEntry)[] = [];
    const indices: number[] = [];
    list.forEach((item, i) => {
      const p = at(path, i);
      const entry =
        kind === "directory"
          ? this.dirEntry(item, p, inHome)
          : this.fileEntry(item, p, inHome);
      if (entry === undefined) return;
      out.push(entry);
      indices.push(i);
    });
    this.origins.set(out, indices);
    return out;
  }

  private persistedPath(
    value: unknown,
    path: string,
    inHome: boolean,
    kind: string,
  ): string | undefined {
    const text = this.r.string(
      value,
      path,
      inHome
        ? `a path relative to the home, e.g. ".ssh"`
        : `an absolute path, e.g. "/var/log"`,
    );
    if (text === undefined) return undefined;
    const fault = inHome ? homePathFault(text) : systemPathFault(text);
    if (fault) {
      this.findings.error(path, `the ${kind} ${JSON.stringify(text)} ${fault}`);
      return undefined;
    }
    return text;
  }

  private dirEntry(
    item: unknown,
    path: string,
    inHome: boolean,
  ): DirEntry | undefined {
    if (typeof item === "string" || !isObj(item))
      return this.persistedPath(item, path, inHome, "directory");
    const o = this.r.object(
      item,
      path,
      FIELDS.dirEntry,
      "a persisted directory",
    );
    if (!o) return undefined;
    const directory = this.persistedPath(
      this.r.required(o, "directory", path, "give the directory's path"),
      at(path, "directory"),
      inHome,
      "directory",
    );
    const perms = this.perms(o, path);
    const hideMount = this.r.boolean(o.hideMount, at(path, "hideMount"));
    const allowTrash = this.r.boolean(o.allowTrash, at(path, "allowTrash"));
    if (directory === undefined || perms === undefined) return undefined;
    return { directory, ...perms, hideMount, allowTrash };
  }

  private fileEntry(
    item: unknown,
    path: string,
    inHome: boolean,
  ): FileEntry | undefined {
    if (typeof item === "string" || !isObj(item))
      return this.persistedPath(item, path, inHome, "file");
    const o = this.r.object(item, path, FIELDS.fileEntry, "a persisted file");
    if (!o) return undefined;
    const file = this.persistedPath(
      this.r.required(o, "file", path, "give the file's path"),
      at(path, "file"),
      inHome,
      "file",
    );
    let parentDirectory: DirPerms | undefined;
    if (o.parentDirectory !== undefined) {
      const p = this.r.object(
        o.parentDirectory,
        at(path, "parentDirectory"),
        FIELDS.perms,
        "the parent directory's ownership and mode",
      );
      parentDirectory = p
        ? this.perms(p, at(path, "parentDirectory"))
        : undefined;
      if (!parentDirectory) return undefined;
    }
    const method =
      o.method === undefined
        ? undefined
        : this.r.oneOf(o.method, at(path, "method"), [
            "auto",
            "symlink",
          ] as const);
    if (file === undefined || (o.method !== undefined && method === undefined))
      return undefined;
    return { file, parentDirectory, method };
  }

  private perms(o: Obj, path: string): DirPerms | undefined {
    let ok = true;
    const name = (key: "user" | "group"): string | undefined => {
      if (o[key] === undefined) return undefined;
      const text = this.r.string(
        o[key],
        at(path, key),
        `a ${key} name, e.g. "root"`,
      );
      if (text === undefined || !isAccountName(text)) {
        if (text !== undefined)
          this.findings.error(
            at(path, key),
            `${JSON.stringify(text)} is not a ${key} name: give the name, e.g. "root"`,
          );
        ok = false;
        return undefined;
      }
      return text;
    };
    const user = name("user");
    const group = name("group");
    let mode: string | undefined;
    if (o.mode !== undefined) {
      mode = this.r.string(
        o.mode,
        at(path, "mode"),
        'a chmod mode, e.g. "0700"',
      );
      if (mode !== undefined && !CHMOD.test(mode)) {
        this.findings.error(
          at(path, "mode"),
          `${JSON.stringify(mode)} is not a chmod mode: write octal such as "0700" or symbolic such as "u=rwx,g=rx,o="`,
        );
        mode = undefined;
      }
      if (mode === undefined) ok = false;
    }
    return ok ? { user, group, mode } : undefined;
  }

  private users(value: unknown): Record<string, UserDesign> {
    const out: Record<string, UserDesign> = {};
    if (value === undefined) return out;
    const o = this.r.object(
      value,
      "users",
      isObj(value) ? Object.keys(value) : [],
      "the users",
    );
    for (const [name, entry] of Object.entries(o ?? {})) {
      const user = this.user(name, entry);
      if (user) out[name] = user;
    }
    return out;
  }

  private user(name: string, value: unknown): UserDesign | undefined {
    const path = at("users", name);
    if (!isAccountName(name)) {
      this.findings.error(
        path,
        `${JSON.stringify(name)} is not a user name: use a login name such as "mira" (letters, digits, "_", "-", ".")`,
      );
      return undefined;
    }
    const o = this.r.object(value, path, FIELDS.user, `the user ${name}`);
    if (!o) return undefined;
    const u: UserDesign = {};
    if (o.uid !== undefined)
      u.uid = this.r.integer(o.uid, at(path, "uid"), 0, MAX_ID);
    if (o.isNormalUser !== undefined)
      u.isNormalUser = this.r.boolean(o.isNormalUser, at(path, "isNormalUser"));
    if (o.isSystemUser !== undefined)
      u.isSystemUser = this.r.boolean(o.isSystemUser, at(path, "isSystemUser"));
    if (o.group !== undefined)
      u.group = this.accountName(o.group, at(path, "group"), "group");
    if (o.extraGroups !== undefined) {
      const list = this.r.list(
        o.extraGroups,
        at(path, "extraGroups"),
        'group names, e.g. ["wheel"]',
      );
      if (list) {
        const groups = list.map((g, i) =>
          this.accountName(g, at(at(path, "extraGroups"), i), "group"),
        );
        if (groups.every((g) => g !== undefined))
          u.extraGroups = groups as string[];
      }
    }
    if (o.description !== undefined) {
      u.description = this.r.string(
        o.description,
        at(path, "description"),
        "the user's full name",
      );
      if (u.description !== undefined && /[:\n]/.test(u.description))
        this.findings.error(
          at(path, "description"),
          'holds ":" or a line break, which /etc/passwd cannot store: remove it',
        );
    }
    if (o.home !== undefined) {
      u.home = this.absolutePath(o.home, at(path, "home"));
      if (u.home?.includes(":"))
        this.findings.error(
          at(path, "home"),
          'holds ":", which /etc/passwd cannot store: choose another folder',
        );
    }
    if (o.hashedPassword !== undefined) {
      const hash = this.r.string(
        o.hashedPassword,
        at(path, "hashedPassword"),
        'a crypt(3) hash, e.g. from "mkpasswd -m yescrypt"',
      );
      if (hash !== undefined && !CRYPT_HASH.test(hash))
        this.findings.error(
          at(path, "hashedPassword"),
          hash === ""
            ? 'is empty, which would let anyone log in without a password: give a hash made with "mkpasswd -m yescrypt", or "!" to lock the password'
            : 'is not a crypt(3) password hash: make one with "mkpasswd -m yescrypt" and paste its output (never the password itself)',
        );
      else u.hashedPassword = hash;
    }
    if (o.hashedPasswordFile !== undefined)
      u.hashedPasswordFile = this.absolutePath(
        o.hashedPasswordFile,
        at(path, "hashedPasswordFile"),
        `/nix/persistent/passwords/${name}`,
      );
    if (o.openssh !== undefined) {
      const keys = this.authorizedKeys(o.openssh, at(path, "openssh"));
      if (keys) u.openssh = { authorizedKeys: { keys } };
    }
    return u;
  }

  private authorizedKeys(value: unknown, path: string): string[] | undefined {
    const o = this.r.object(value, path, FIELDS.openssh, "SSH settings");
    if (!o || o.authorizedKeys === undefined) return undefined;
    const a = this.r.object(
      o.authorizedKeys,
      at(path, "authorizedKeys"),
      FIELDS.authorizedKeys,
      "authorized SSH keys",
    );
    if (!a || a.keys === undefined) return undefined;
    const listPath = at(at(path, "authorizedKeys"), "keys");
    const list = this.r.list(
      a.keys,
      listPath,
      'public keys, e.g. ["ssh-ed25519 AAAA... mira@laptop"]',
    );
    if (!list) return undefined;
    const keys: string[] = [];
    list.forEach((k, i) => {
      const text = this.r.string(
        k,
        at(listPath, i),
        'a public key line, e.g. "ssh-ed25519 AAAA..."',
      );
      if (text === undefined) return;
      if (/[\n\r\0]/.test(text))
        this.findings.error(
          at(listPath, i),
          "holds a line break: give one key per list item",
        );
      else if (!/^(ssh-|ecdsa-|sk-)/.test(text.replace(/^\S+=\S*\s+/, "")))
        this.findings.error(
          at(listPath, i),
          'is not an SSH public key: paste a line such as "ssh-ed25519 AAAA... mira@laptop" (the .pub file)',
        );
      else keys.push(text);
    });
    return keys;
  }

  private accountName(
    value: unknown,
    path: string,
    kind: "user" | "group",
  ): string | undefined {
    const text = this.r.string(value, path, `a ${kind} name, e.g. "wheel"`);
    if (text !== undefined && !isAccountName(text)) {
      this.findings.error(
        path,
        `${JSON.stringify(text)} is not a ${kind} name: use letters, digits, "_", "-" or "."`,
      );
      return undefined;
    }
    return text;
  }

  private groups(value: unknown): Record<string, GroupDesign> {
    const out: Record<string, GroupDesign> = {};
    const o = this.r.object(
      value,
      "groups",
      isObj(value) ? Object.keys(value) : [],
      "the groups",
    );
    for (const [name, entry] of Object.entries(o ?? {})) {
      const path = at("groups", name);
      if (!isAccountName(name)) {
        this.findings.error(
          path,
          `${JSON.stringify(name)} is not a group name: use letters, digits, "_", "-" or "."`,
        );
        continue;
      }
      const g = this.r.object(entry, path, FIELDS.group, `the group ${name}`);
      if (!g) continue;
      out[name] =
        g.gid === undefined
          ? {}
          : { gid: this.r.integer(g.gid, at(path, "gid"), 0, MAX_ID) };
    }
    return out;
  }
}

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
