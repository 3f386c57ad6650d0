// The one design document being edited, and where it lives: a name in the
// backend's workspace folder (open/save through the API, the same in Electron
// and in a browser) or a JSON file the user imports and exports through the
// browser. Screens edit `design` directly; validation follows every change.
import { defineStore } from "pinia";
import { computed, ref, watch } from "vue";
import type {
  DirEntry,
  DirPerms,
  Design,
  FileEntry,
  Mode,
} from "../../../shared/design/types";
import type { Disk } from "../../../shared/machine/types";
import { asDesign } from "../model/design-shape";
import type { EntryKind } from "../model/entries";
import {
  dirPath,
  filePath,
  listsOf,
  withDirPerms,
  withFilePerms,
} from "../model/entries";
import type { BaseEntries } from "../model/new-design";
import { newDesign, probedOf } from "../model/new-design";
import { messageOf, useSessionStore } from "./session";

export interface AddEntry {
  kind: EntryKind;
  path: string;
  /** Null for system-wide, else the user whose home the path is relative to. */
  user: string | null;
  perms?: DirPerms;
}

/** A plain copy: reactive proxies cannot cross IPC (structured clone) and must not be shared. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export const useDesignStore = defineStore("design", () => {
  const design = ref<Design | null>(null);
  /** The name in the workspace it was last opened from or saved to. */
  const name = ref<string | null>(null);
  const dirty = ref(false);
  const workspace = ref<string | null>(null);
  const saved = ref<string[]>([]);
  const message = ref<string | null>(null);
  const error = ref<string | null>(null);

  const mode = computed<Mode | null>(() => design.value?.mode ?? null);

  // Any edit after a load or save marks the document dirty.
  let loading = false;
  watch(
    design,
    () => {
      if (!loading) dirty.value = true;
    },
    { deep: true, flush: "sync" },
  );

  function replace(next: Design, newName: string | null): void {
    loading = true;
    design.value = next;
    loading = false;
    name.value = newName;
    dirty.value = false;
  }

  function start(m: Mode, base: BaseEntries): void {
    const session = useSessionStore();
    replace(newDesign(m, session.facts, base), null);
    message.value = null;
    error.value = null;
  }

  /** Replace the document with one read from a file or the workspace; refuses a malformed one and keeps the current. */
  function load(doc: unknown, source: string, newName: string | null): boolean {
    const checked = asDesign(doc);
    if ("error" in checked) {
      error.value = `${source} was not opened. ${checked.error}`;
      return false;
    }
    replace(plain(checked.design), newName);
    error.value = null;
    message.value = `Opened ${source}.`;
    return true;
  }

  async function refreshWorkspace(): Promise<void> {
    try {
      const r = await useSessionStore().api().call("listDesigns", {});
      workspace.value = r.workspace;
      saved.value = r.designs;
    } catch (e) {
      error.value = `The saved designs could not be listed: ${messageOf(e)}`;
    }
  }

  async function open(designName: string): Promise<boolean> {
    try {
      const r = await useSessionStore()
        .api()
        .call("openDesign", { name: designName });
      return load(r.design, `“${designName}”`, designName);
    } catch (e) {
      error.value = `“${designName}” could not be opened: ${messageOf(e)}`;
      return false;
    }
  }

  async function save(designName: string): Promise<boolean> {
    if (!design.value) return false;
    const clean = designName.trim();
    if (!clean) {
      error.value = "Name: give the design a name to save it under.";
      return false;
    }
    try {
      const r = await useSessionStore()
        .api()
        .call("saveDesign", { name: clean, design: plain(design.value) });
      name.value = clean;
      dirty.value = false;
      error.value = null;
      message.value = `Saved to ${r.path}.`;
      await refreshWorkspace();
      return true;
    } catch (e) {
      error.value = `The design was not saved: ${messageOf(e)}`;
      return false;
    }
  }

  /** Import a JSON file the user picked (browser file input). */
  function importJson(text: string, fileName: string): boolean {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      error.value = `${fileName} was not opened: it is not valid JSON (${messageOf(e)}).`;
      return false;
    }
    return load(doc, fileName, null);
  }

  function exportJson(): string {
    return `${JSON.stringify(design.value, null, 2)}\n`;
  }

  function exportFileName(): string {
    const base = (name.value ?? design.value?.hostname ?? "design").replace(
      /[^A-Za-z0-9._-]+/g,
      "-",
    );
    return `${base}.tabula.json`;
  }

  // ---- edits the screens share ----

  function selectDisk(disk: Disk): void {
    const d = design.value?.disk;
    if (!d) return;
    d.device = disk.path;
    d.probed = probedOf(disk);
  }

  /** Adds a path unless it is already listed there; returns false when it was. */
  function addEntry(add: AddEntry): boolean {
    const p = design.value?.persistence;
    if (!p) return false;
    const lists = listsOf(p, add.user);
    const path = add.path.trim();
    if (add.kind === "directory") {
      if (lists.directories.some((e) => dirPath(e) === path)) return false;
      lists.directories.push(withDirPerms(path, add.perms ?? {}));
    } else {
      if (lists.files.some((e) => filePath(e) === path)) return false;
      lists.files.push(withFilePerms(path, add.perms ?? {}));
    }
    return true;
  }

  function removeEntry(kind: EntryKind, index: number, user: string | null) {
    const p = design.value?.persistence;
    if (!p) return;
    const lists = listsOf(p, user);
    if (kind === "directory") lists.directories.splice(index, 1);
    else lists.files.splice(index, 1);
  }

  function setPerms(
    kind: EntryKind,
    index: number,
    user: string | null,
    perms: DirPerms,
  ) {
    const p = design.value?.persistence;
    if (!p) return;
    const lists = listsOf(p, user);
    if (kind === "directory") {
      const e = lists.directories[index];
      if (e !== undefined)
        lists.directories[index] = withDirPerms(e as DirEntry, perms);
    } else {
      const e = lists.files[index];
      if (e !== undefined)
        lists.files[index] = withFilePerms(e as FileEntry, perms);
    }
  }

  function addUser(userName: string, normal = true): void {
    const d = design.value;
    if (!d || d.users[userName]) return;
    d.users[userName] = normal
      ? { isNormalUser: true, extraGroups: ["wheel"] }
      : {};
  }

  function removeUser(userName: string): void {
    const d = design.value;
    if (!d) return;
    delete d.users[userName];
    delete d.persistence.users[userName];
  }

  return {
    design,
    name,
    dirty,
    workspace,
    saved,
    message,
    error,
    mode,
    start,
    load,
    refreshWorkspace,
    open,
    save,
    importJson,
    exportJson,
    exportFileName,
    selectDisk,
    addEntry,
    removeEntry,
    setPerms,
    addUser,
    removeUser,
  };
});
