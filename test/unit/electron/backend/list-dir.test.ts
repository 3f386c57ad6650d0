import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  listDir,
  listOpenFolder,
  openFolder,
  walkDown,
} from "../../../../electron/backend/list-dir";

let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), "api-listdir-"));
  root = path.join(base, "old-root");
  mkdirSync(path.join(root, "var", "lib", "docker"), { recursive: true });
  writeFileSync(path.join(root, "var", "lib", "notes.txt"), "12345");
  writeFileSync(path.join(base, "outside.txt"), "secret");
  symlinkSync(base, path.join(root, "var", "escape"));
  writeFileSync(path.join(root, "var", "line\nbreak"), "");
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("listDir", () => {
  it("lists one level with kinds, sizes and times, links not followed", async () => {
    const { entries } = await listDir(root, "var");
    expect(entries.map((e) => [e.name, e.kind])).toEqual([
      ["escape", "symlink"],
      ["lib", "dir"],
      ["line\nbreak", "file"],
    ]);
    const lib = await listDir(root, "/var/lib/");
    expect(lib.entries.find((e) => e.name === "notes.txt")).toMatchObject({
      kind: "file",
      bytes: 5,
      mtime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await listDir(root, "")).entries.map((e) => e.name)).toEqual([
      "var",
    ]);
  });

  it("shows a name that is not UTF-8, with its size, marked undecodable", async () => {
    const dir = path.join(base, "raw");
    mkdirSync(dir);
    writeFileSync(
      Buffer.concat([Buffer.from(`${dir}/`), Buffer.from("f\xff", "latin1")]),
      "abc",
    );
    writeFileSync(path.join(dir, "plain"), "");
    const { entries } = await listDir(base, "raw");
    expect(entries).toEqual([
      expect.objectContaining({
        name: "f\uFFFD",
        kind: "file",
        bytes: 3,
        undecodable: true,
      }),
      expect.not.objectContaining({ undecodable: true }),
    ]);
  });

  it("stays inside the root", async () => {
    await expect(listDir(root, "../")).rejects.toThrow(/contains "\.\."/);
    await expect(listDir(root, "var/../..")).rejects.toThrow(/contains "\.\."/);
    await expect(listDir(root, "var/escape")).rejects.toThrow(
      /var\/escape is a symbolic link; links are shown, not followed/,
    );
    await expect(listDir(root, "var/escape/old-root")).rejects.toThrow(
      /var\/escape\/old-root passes through the symbolic link .*var\/escape; links are shown, not followed/,
    );
  });

  it("names what is wrong with the root or the path", async () => {
    await expect(listDir("relative", "")).rejects.toThrow(
      /not an absolute path/,
    );
    await expect(listDir(path.join(base, "none"), "")).rejects.toThrow(
      /is not a folder on this machine/,
    );
    await expect(listDir(root, "var/lib/notes.txt")).rejects.toThrow(
      /is not a folder/,
    );
    await expect(listDir(root, "nope")).rejects.toThrow(/does not exist/);
    await expect(listDir(root, "var/lib/notes.txt/x")).rejects.toThrow(
      /passes through .*notes\.txt, which is not a folder/,
    );
  });

  it("lists the folder it opened, even if a link takes its place meanwhile", async () => {
    const work = mkdtempSync(path.join(base, "swap-"));
    mkdirSync(path.join(work, "a", "b"), { recursive: true });
    writeFileSync(path.join(work, "a", "b", "kept.txt"), "");
    const naming = { show: (p: string[]) => p.join("/") };
    const opened = await walkDown(
      await openFolder(work, () => "no"),
      ["a", "b"],
      naming,
    );
    // Someone swaps a/b for a link to the folder holding outside.txt.
    renameSync(path.join(work, "a", "b"), path.join(work, "a", "moved"));
    symlinkSync(base, path.join(work, "a", "b"));
    const { entries } = await listOpenFolder(opened, "a/b");
    expect(entries.map((e) => e.name)).toEqual(["kept.txt"]);
    await expect(listDir(work, "a/b")).rejects.toThrow(/is a symbolic link/);
  });
});
