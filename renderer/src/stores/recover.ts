// Recover a missed path: on a running stateless system, from the scanner's
// findings on the live tmpfs root; from the LiveCD, from the old-root/
// quarantine a conversion left, browsed folder by folder straight from the
// partition the probe found it on (listQuarantine). The chosen paths
// become the design's `recover.add`, which the recover phase brings into
// persistent storage and adds to the persistence config.
import { defineStore } from "pinia";
import { computed, ref } from "vue";
import type { DirEntryInfo } from "../../../shared/api/contract";
import type { RecoverDesign } from "../../../shared/design/types";
import { dirPath, filePath } from "../model/entries";
import { splitHome } from "../model/coverage";
import { useDesignStore } from "./design";
import { messageOf, useSessionStore } from "./session";

export interface Chosen {
  path: string;
  kind: "directory" | "file";
  bytes: number;
}

/**
 * What the tree shows: the old-root/ of an install the probe found, read
 * from its partition (listQuarantine), or a folder on this machine (listDir).
 */
export type TreeSource =
  | { kind: "install"; device: string; subvolume: string | null }
  | { kind: "folder"; root: string };

export const useRecoverStore = defineStore("recover", () => {
  const source = ref<TreeSource | null>(null);
  /** Loaded folders: absolute path inside the tree -> its entries. */
  const folders = ref<Record<string, DirEntryInfo[]>>({});
  const open = ref<Record<string, boolean>>({});
  const loading = ref<Record<string, boolean>>({});
  const error = ref<string | null>(null);

  const recover = computed<RecoverDesign | null>(
    () => useDesignStore().design?.recover ?? null,
  );

  /** What the design will bring in, as absolute paths. */
  const chosen = computed<Chosen[]>(() => {
    const design = useDesignStore().design;
    const r = recover.value;
    if (!design || !r) return [];
    const out: Chosen[] = [];
    for (const e of r.add.directories)
      out.push({
        path: dirPath(e),
        kind: "directory",
        bytes: sizes.value[dirPath(e)] ?? 0,
      });
    for (const e of r.add.files)
      out.push({
        path: filePath(e),
        kind: "file",
        bytes: sizes.value[filePath(e)] ?? 0,
      });
    for (const [user, u] of Object.entries(r.add.users)) {
      const home = design.users[user]?.home ?? `/home/${user}`;
      for (const e of u.directories) {
        const p = `${home}/${dirPath(e)}`;
        out.push({ path: p, kind: "directory", bytes: sizes.value[p] ?? 0 });
      }
      for (const e of u.files) {
        const p = `${home}/${filePath(e)}`;
        out.push({ path: p, kind: "file", bytes: sizes.value[p] ?? 0 });
      }
    }
    return out;
  });
  const sizes = ref<Record<string, number>>({});

  function isChosen(path: string): boolean {
    return chosen.value.some((c) => c.path === path);
  }

  async function browse(path: string): Promise<void> {
    const from = source.value;
    if (!from) return;
    loading.value[path] = true;
    try {
      const api = useSessionStore().api();
      const r =
        from.kind === "install"
          ? await api.call("listQuarantine", {
              device: from.device,
              subvolume: from.subvolume,
              path,
            })
          : await api.call("listDir", { root: from.root, path });
      if (source.value !== from) return; // another tree was opened meanwhile
      folders.value[path] = [...r.entries].sort(
        (a, b) =>
          Number(b.kind === "dir") - Number(a.kind === "dir") ||
          a.name.localeCompare(b.name),
      );
      error.value = null;
    } catch (e) {
      if (source.value === from)
        error.value = `${path} could not be listed: ${messageOf(e)}`;
    } finally {
      loading.value[path] = false;
    }
  }

  async function toggleFolder(path: string): Promise<void> {
    open.value[path] = !open.value[path];
    if (open.value[path] && !folders.value[path]) await browse(path);
  }

  async function openTree(from: TreeSource): Promise<void> {
    source.value = from;
    folders.value = {};
    open.value = { "/": true };
    error.value = null;
    await browse("/");
  }

  function isOpenOn(from: TreeSource): boolean {
    const s = source.value;
    if (!s || s.kind !== from.kind) return false;
    return s.kind === "install" && from.kind === "install"
      ? s.device === from.device && s.subvolume === from.subvolume
      : s.kind === "folder" && from.kind === "folder" && s.root === from.root;
  }

  /** Choose or unchoose a path; home paths go to their user's list. */
  function toggle(path: string, kind: "directory" | "file", bytes = 0): void {
    const design = useDesignStore().design;
    const r = recover.value;
    if (!design || !r) return;
    sizes.value[path] = bytes;
    const home = splitHome(design, path);
    let lists: {
      directories: RecoverDesign["add"]["directories"];
      files: RecoverDesign["add"]["files"];
    } = r.add;
    let rel = path;
    if (home) {
      if (!design.users[home.user]) design.users[home.user] = {};
      lists = r.add.users[home.user] ??= { directories: [], files: [] };
      rel = home.rel;
    }
    if (kind === "directory") {
      const i = lists.directories.findIndex((e) => dirPath(e) === rel);
      if (i >= 0) lists.directories.splice(i, 1);
      else lists.directories.push(rel);
    } else {
      const i = lists.files.findIndex((e) => filePath(e) === rel);
      if (i >= 0) lists.files.splice(i, 1);
      else lists.files.push(rel);
    }
    if (home) {
      const u = r.add.users[home.user];
      if (u && u.directories.length === 0 && u.files.length === 0)
        delete r.add.users[home.user];
    }
  }

  return {
    source,
    folders,
    open,
    loading,
    error,
    recover,
    chosen,
    sizes,
    isChosen,
    browse,
    toggleFolder,
    openTree,
    isOpenOn,
    toggle,
  };
});
