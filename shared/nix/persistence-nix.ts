// nixos/persistence.nix: environment.persistence exactly as designed, in
// impermanence's own shapes (nix-community/impermanence, nixos.nix and
// submodule-options.nix). In recover mode the paths being brought in
// (recover.add) are merged into the persisted ones.
import { normalizePersistence } from "../design/normalize";
import type {
  Design,
  DirEntry,
  FileEntry,
  PersistenceDesign,
  UserPersistence,
} from "../design/types";
import {
  attrs,
  bind,
  bool,
  list,
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

function dirExpr(e: DirEntry): NixExpr {
  if (typeof e === "string") return str(e);
  const b: Binding[] = [bind(["directory"], str(e.directory))];
  if (e.user !== undefined) b.push(bind(["user"], str(e.user)));
  if (e.group !== undefined) b.push(bind(["group"], str(e.group)));
  if (e.mode !== undefined) b.push(bind(["mode"], str(e.mode)));
  if (e.hideMount !== undefined) b.push(bind(["hideMount"], bool(e.hideMount)));
  if (e.allowTrash !== undefined)
    b.push(bind(["allowTrash"], bool(e.allowTrash)));
  return attrs(b);
}

function fileExpr(e: FileEntry): NixExpr {
  if (typeof e === "string") return str(e);
  const b: Binding[] = [bind(["file"], str(e.file))];
  const p = e.parentDirectory;
  if (p) {
    const pb: Binding[] = [];
    if (p.user !== undefined) pb.push(bind(["user"], str(p.user)));
    if (p.group !== undefined) pb.push(bind(["group"], str(p.group)));
    if (p.mode !== undefined) pb.push(bind(["mode"], str(p.mode)));
    if (pb.length) b.push(bind(["parentDirectory"], attrs(pb)));
  }
  if (e.method !== undefined) b.push(bind(["method"], str(e.method)));
  return attrs(b);
}

function listsBindings(l: {
  directories: DirEntry[];
  files: FileEntry[];
}): Binding[] {
  const b: Binding[] = [];
  if (l.directories.length)
    b.push(bind(["directories"], list(l.directories.map(dirExpr))));
  if (l.files.length) b.push(bind(["files"], list(l.files.map(fileExpr))));
  return b;
}

export function persistenceExpr(p: PersistenceDesign): NixExpr {
  const body: Binding[] = [bind(["hideMounts"], bool(p.hideMounts))];
  if (p.allowTrash !== undefined)
    body.push(bind(["allowTrash"], bool(p.allowTrash)));
  body.push(...listsBindings(p));
  for (const [name, u] of Object.entries(p.users)) {
    const inner = listsBindings(u);
    if (inner.length) body.push(bind(["users", name], attrs(inner)));
  }
  return attrs([
    bind(["environment", "persistence", p.storage], attrs(body), {
      comment: [
        `Kept on disk under ${p.storage} and mounted back at every boot by impermanence; everything else on / starts empty.`,
      ],
    }),
  ]);
}

export function persistenceNix(d: Design): string {
  return printFile(
    generatedHeader(d),
    persistenceExpr(effectivePersistence(d)),
  );
}
