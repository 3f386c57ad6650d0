// Recover a missed path: on a running stateless system, from the scanner's
// findings on the live tmpfs root; from the LiveCD, from the old-root/
// quarantine a conversion left, browsed folder by folder. The chosen paths
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

export const useRecoverStore = defineStore("recover", () => {
  /** The folder listDir browses (the quarantine or the live root), as the backend names it. */
  const treeRoot = ref<string | null>(null);
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
    if (!treeRoot.value) return;
    loading.value[path] = true;
    try {
      const r = await useSessionStore()
        .api()
        .call("listDir", { root: treeRoot.value, path });
      folders.value[path] = [...r.entries].sort(
        (a, b) =>
          Number(b.kind === "dir") - Number(a.kind === "dir") ||
          a.name.localeCompare(b.name),
      );
      error.value = null;
    } catch (e) {
      error.value = `${path} could not be listed: ${messageOf(e)}`;
    } finally {
      loading.value[path] = false;
    }
  }

  async function toggleFolder(path: string): Promise<void> {
    open.value[path] = !open.value[path];
    if (open.value[path] && !folders.value[path]) await browse(path);
  }

  async function openTree(root: string): Promise<void> {
    treeRoot.value = root;
    folders.value = {};
    open.value = { "/": true };
    await browse("/");
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
    treeRoot,
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
    toggle,
  };
});
