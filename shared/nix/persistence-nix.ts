// nixos/persistence.nix: environment.persistence exactly as designed, in
// impermanence's own shapes (nix-community/impermanence, nixos.nix and
// submodule-options.nix). In recover mode the paths being brought in
// (recover.add) are merged into the persisted ones.
//
// An owner the configuration may not declare (a service's user such as
// colord, which only services.colord.enable creates) is written under a
// condition: impermanence chowns every persisted folder at activation, and
// a chown to a user that does not exist fails it (create-directories.bash
// runs with errexit). Without the user, impermanence's default (root) owns
// the folder; once the service is enabled its user exists, the owner
// applies, and the service's own tmpfiles or StateDirectory= keep it so.
// Owners known to exist are written plainly: root, the design's users and
// groups, and the groups NixOS always declares.
import { normalizePersistence } from "../design/normalize";
import type {
  Design,
  DirEntry,
  FileEntry,
  PersistenceDesign,
  UserPersistence,
} from "../design/types";
import {
  apply,
  attrs,
  bind,
  bool,
  lambda,
  list,
  ref,
  str,
  type Binding,
  type NixExpr,
} from "./ast";
import { generatedHeader } from "./header";
import { printFile } from "./print";

/** The persistence a design ends with: recover mode adds recover.add to what is persisted. */
export function effectivePersistence(d: Design): PersistenceDesign {
  const add = d.mode === "recover" ? d.recover?.add : undefined;
  if (!add) return d.persistence;
  const users: Record<string, UserPersistence> = { ...d.persistence.users };
  for (const [name, u] of Object.entries(add.users)) {
    const before = users[name] ?? { directories: [], files: [] };
    users[name] = {
      directories: [...before.directories, ...u.directories],
      files: [...before.files, ...u.files],
    };
  }
  return normalizePersistence({
    ...d.persistence,
    directories: [...d.persistence.directories, ...add.directories],
    files: [...d.persistence.files, ...add.files],
    users,
  });
}

/**
 * The groups nixos/modules/config/users-groups.nix declares on every system
 * (its ids.gids entries that are always set), beside root.
 */
const NIXOS_GROUPS = [
  "root",
  "wheel",
  "disk",
  "kmem",
  "tty",
  "floppy",
  "uucp",
  "lp",
  "cdrom",
  "tape",
  "audio",
  "video",
  "dialout",
  "nogroup",
  "users",
  "nixbld",
  "utmp",
  "adm",
  "input",
  "kvm",
  "render",
  "sgx",
  "shadow",
];

/** Who certainly exists on the system the configuration builds. */
export interface KnownOwners {
  users: ReadonlySet<string>;
  groups: ReadonlySet<string>;
}

export function knownOwners(d: Design): KnownOwners {
  const users = new Set(["root", ...Object.keys(d.users)]);
  const groups = new Set([
    ...NIXOS_GROUPS,
    ...Object.keys(d.groups ?? {}),
    ...Object.values(d.users).flatMap((u) => (u.group ? [u.group] : [])),
  ]);
  return { users, groups };
}

/** Builds entries, noting whether any owner had to be made conditional. */
class EntryWriter {
  conditional = false;
  constructor(private readonly known: KnownOwners) {}

  /** user = "x" or group = "x", under a condition when x may not exist. */
  private owner(field: "user" | "group", name: string): Binding {
    const declared = field === "user" ? this.known.users : this.known.groups;
    if (declared.has(name)) return bind([field], str(name));
    const table =
      field === "user" ? "config.users.users" : "config.users.groups";
    return bind(
      [field],
      apply(
        ref("lib.mkIf"),
        apply(ref("builtins.hasAttr"), str(name), ref(table)),
        str(name),
      ),
    );
  }

  private owners(e: { user?: string; group?: string }): Binding[] {
    const b: Binding[] = [];
    if (e.user !== undefined) b.push(this.owner("user", e.user));
    if (e.group !== undefined) b.push(this.owner("group", e.group));
    const first = b.find((x) => x.value.kind === "apply");
    if (first) {
      this.conditional = true;
      first.comment = [
        "Applied once the configuration declares this owner (its service does): a chown to a missing one fails activation. Root until then.",
      ];
    }
    return b;
  }

  dir = (e: DirEntry): NixExpr => {
    if (typeof e === "string") return str(e);
    const b: Binding[] = [
      bind(["directory"], str(e.directory)),
      ...this.owners(e),
    ];
    if (e.mode !== undefined) b.push(bind(["mode"], str(e.mode)));
    if (e.hideMount !== undefined)
      b.push(bind(["hideMount"], bool(e.hideMount)));
    if (e.allowTrash !== undefined)
      b.push(bind(["allowTrash"], bool(e.allowTrash)));
    return attrs(b);
  };

  file = (e: FileEntry): NixExpr => {
    if (typeof e === "string") return str(e);
    const b: Binding[] = [bind(["file"], str(e.file))];
    const p = e.parentDirectory;
    if (p) {
      const pb: Binding[] = this.owners(p);
      if (p.mode !== undefined) pb.push(bind(["mode"], str(p.mode)));
      if (pb.length) b.push(bind(["parentDirectory"], attrs(pb)));
    }
    if (e.method !== undefined) b.push(bind(["method"], str(e.method)));
    return attrs(b);
  };

  lists(l: { directories: DirEntry[]; files: FileEntry[] }): Binding[] {
    const b: Binding[] = [];
    if (l.directories.length)
      b.push(bind(["directories"], list(l.directories.map(this.dir))));
    if (l.files.length) b.push(bind(["files"], list(l.files.map(this.file))));
    return b;
  }
}

/**
 * The module: a plain set, or a function of { config, lib } when an owner
 * is written under a condition.
 */
export function persistenceExpr(
  p: PersistenceDesign,
  known: KnownOwners = {
    users: new Set(["root"]),
    groups: new Set(NIXOS_GROUPS),
  },
): NixExpr {
  const w = new EntryWriter(known);
  const body: Binding[] = [bind(["hideMounts"], bool(p.hideMounts))];
  if (p.allowTrash !== undefined)
    body.push(bind(["allowTrash"], bool(p.allowTrash)));
  body.push(...w.lists(p));
  for (const [name, u] of Object.entries(p.users)) {
    const inner = w.lists(u);
    if (inner.length) body.push(bind(["users", name], attrs(inner)));
  }
  const module = attrs([
    bind(["environment", "persistence", p.storage], attrs(body), {
      comment: [
        `Kept on disk under ${p.storage} and mounted back at every boot by impermanence; everything else on / starts empty.`,
      ],
    }),
  ]);
  return w.conditional ? lambda(["config", "lib"], module) : module;
}

export function persistenceNix(d: Design): string {
  return printFile(
    generatedHeader(d),
    persistenceExpr(effectivePersistence(d), knownOwners(d)),
  );
}
