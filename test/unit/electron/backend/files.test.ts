import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  designName,
  openWorkspace,
  type FilesService,
} from "../../../../electron/backend/files";

let base: string;
let ws: string;
let outside: string;
let files: FilesService;

/** Every path under `dir`, to prove a refused call changed nothing. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

beforeEach(async () => {
  base = mkdtempSync(path.join(tmpdir(), "api-files-"));
  ws = path.join(base, "workspace");
  outside = path.join(base, "outside");
  mkdirSync(ws);
  mkdirSync(outside);
  writeFileSync(path.join(outside, "secret.json"), '{"secret":true}\n');
  files = await openWorkspace(ws);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const design = { format: "tabula/1", hostname: "laptop" };

describe("workspace files", () => {
  it("saves, lists and opens designs, adding .json", async () => {
    const saved = await files.saveDesign("laptop", design);
    expect(saved.path).toBe(path.join(ws, "laptop.json"));
    expect(JSON.parse(readFileSync(saved.path, "utf8"))).toEqual(design);
    await files.saveDesign("hosts/server.json", { ...design, hostname: "s" });
    expect(await files.listDesigns()).toEqual({
      workspace: ws,
      designs: ["hosts/server.json", "laptop.json"],
    });
    expect(await files.openDesign("hosts/server")).toEqual({
      design: { ...design, hostname: "s" },
    });
  });

  it("overwrites atomically and leaves no temporary files", async () => {
    await files.saveDesign("laptop", design);
    await files.saveDesign("laptop", { ...design, hostname: "new" });
    expect(readdirSync(ws)).toEqual(["laptop.json"]);
    expect((await files.openDesign("laptop")).design).toMatchObject({
      hostname: "new",
    });
  });

  it("lists neither plan folders, hidden entries nor other files", async () => {
    await files.saveDesign("a", design);
    await files.writePlan("a", [{ path: "plan.json", content: "{}" }]);
    mkdirSync(path.join(ws, ".git"));
    writeFileSync(path.join(ws, ".git", "x.json"), "{}");
    writeFileSync(path.join(ws, "notes.txt"), "");
    symlinkSync(path.join(outside, "secret.json"), path.join(ws, "link.json"));
    symlinkSync(outside, path.join(ws, "linked-dir"));
    expect((await files.listDesigns()).designs).toEqual(["a.json"]);
  });

  it("writes a plan's files into the design's plan folder, steps.sh executable", async () => {
    const result = await files.writePlan("hosts/laptop", [
      { path: "steps.sh", content: "#!/bin/bash\n" },
      { path: "nixos/persistence.nix", content: "{ }\n" },
    ]);
    const dir = path.join(ws, "hosts", "laptop.plan");
    expect(result).toEqual({
      dir,
      files: ["steps.sh", "nixos/persistence.nix"],
    });
    expect(statSync(path.join(dir, "steps.sh")).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(dir, "nixos/persistence.nix")).mode & 0o777).toBe(
      0o644,
    );
    expect(readFileSync(path.join(dir, "nixos/persistence.nix"), "utf8")).toBe(
      "{ }\n",
    );
  });

  it("removes an earlier plan's files the new plan lacks, never through a link", async () => {
    const dir = path.join(ws, "old.plan");
    await files.writePlan("old", [
      { path: "steps.sh", content: "" },
      { path: "flake.patch", content: "stale" },
      { path: "migration.json", content: "{}" },
    ]);
    // migration.json as a link to a file of the user's: the link may go,
    // the file it points to never.
    rmSync(path.join(dir, "migration.json"));
    writeFileSync(path.join(ws, "mine.json"), "{}");
    symlinkSync(path.join(ws, "mine.json"), path.join(dir, "migration.json"));
    await files.writePlan("old", [{ path: "steps.sh", content: "#!" }]);
    expect(readdirSync(dir).sort()).toEqual(["migration.json", "steps.sh"]);
    expect(readFileSync(path.join(ws, "mine.json"), "utf8")).toBe("{}");
  });

  it("opens a folder only if it exists, unless it is the default", async () => {
    await expect(openWorkspace(path.join(base, "typo"))).rejects.toThrow(
      /workspace folder .*typo does not exist; create it or pass --workspace/,
    );
    const created = await openWorkspace(path.join(base, "fresh"), {
      create: true,
    });
    expect(created.workspace).toBe(path.join(base, "fresh"));
    writeFileSync(path.join(base, "file"), "");
    await expect(openWorkspace(path.join(base, "file"))).rejects.toThrow(
      /is not a folder/,
    );
  });

  it("says what is wrong with a missing or broken design", async () => {
    await expect(files.openDesign("nope")).rejects.toThrow(
      /Design "nope.json" does not exist in the workspace/,
    );
    writeFileSync(path.join(ws, "bad.json"), "{ not json");
    await expect(files.openDesign("bad")).rejects.toThrow(
      /Design "bad.json" is not valid JSON .*; fix the file/,
    );
    await expect(files.saveDesign("arr", [1, 2])).rejects.toThrow(
      /must be a JSON object/,
    );
  });
});

describe("workspace confinement", () => {
  const badNames: [string, RegExp][] = [
    ["../outside/secret", /contains "\.\."/],
    ["hosts/../../outside/x", /contains "\.\."/],
    ["/etc/passwd", /is an absolute path/],
    ["C:/x", /is an absolute path/],
    ["", /is empty/],
    ["a//b", /empty or "\." part/],
    ["./a", /empty or "\." part/],
    [".ssh/authorized_keys", /hidden part ".ssh"/],
    ["a\u0000b", /control character/],
    ["a\\..\\b", /backslash/],
  ];

  it.each(badNames)(
    "refuses the name %j and writes nothing",
    async (name, why) => {
      const before = tree(base);
      await expect(files.saveDesign(name, design)).rejects.toThrow(why);
      await expect(files.openDesign(name)).rejects.toThrow(why);
      await expect(
        files.writePlan(name, [{ path: "steps.sh", content: "" }]),
      ).rejects.toThrow(why);
      expect(tree(base)).toEqual(before);
    },
  );

  it("refuses plan file names that leave the plan folder", async () => {
    const before = tree(base);
    await expect(
      files.writePlan("ok", [
        { path: "steps.sh", content: "" },
        { path: "../../outside/evil.sh", content: "" },
      ]),
    ).rejects.toThrow(/Plan file "..\/..\/outside\/evil.sh" contains ".."/);
    // The good file before the bad one was not written either.
    expect(tree(base)).toEqual(before);
  });

  it("refuses a folder symlink that leads outside, for reads and writes", async () => {
    symlinkSync(outside, path.join(ws, "escape"));
    const before = tree(outside);
    await expect(files.openDesign("escape/secret")).rejects.toThrow(
      /symbolic link escape, which leads outside the workspace/,
    );
    await expect(files.saveDesign("escape/new", design)).rejects.toThrow(
      /leads outside the workspace/,
    );
    await expect(
      files.writePlan("escape/x", [{ path: "steps.sh", content: "" }]),
    ).rejects.toThrow(/leads outside the workspace/);
    expect(tree(outside)).toEqual(before);
  });

  it("refuses a design that is a symlink to a file outside, and leaves the file alone", async () => {
    symlinkSync(path.join(outside, "secret.json"), path.join(ws, "trap.json"));
    await expect(files.openDesign("trap")).rejects.toThrow(
      /leads outside the workspace/,
    );
    await expect(files.saveDesign("trap", design)).rejects.toThrow(
      /leads outside the workspace/,
    );
    expect(readFileSync(path.join(outside, "secret.json"), "utf8")).toBe(
      '{"secret":true}\n',
    );
    expect(lstatSync(path.join(ws, "trap.json")).isSymbolicLink()).toBe(true);
  });

  it("refuses a plan folder that is a symlink leading outside", async () => {
    symlinkSync(outside, path.join(ws, "laptop.plan"));
    await expect(
      files.writePlan("laptop", [{ path: "steps.sh", content: "x" }]),
    ).rejects.toThrow(/laptop.plan, which leads outside/);
    expect(readdirSync(outside)).toEqual(["secret.json"]);
  });

  it("follows symlinks that stay inside the workspace", async () => {
    mkdirSync(path.join(ws, "real"));
    symlinkSync(path.join(ws, "real"), path.join(ws, "alias"));
    const saved = await files.saveDesign("alias/x", design);
    expect(saved.path).toBe(path.join(ws, "real", "x.json"));
    expect((await files.openDesign("alias/x")).design).toEqual(design);
  });

  it("stays confined when the workspace itself is reached through a symlink", async () => {
    symlinkSync(ws, path.join(base, "ws-link"));
    const viaLink = await openWorkspace(path.join(base, "ws-link"));
    expect(viaLink.workspace).toBe(ws);
    await viaLink.saveDesign("a", design);
    expect(readdirSync(ws)).toEqual(["a.json"]);
  });

  it("names designs the way they are stored", () => {
    expect(designName("laptop")).toBe("laptop.json");
    expect(designName("hosts/laptop.json")).toBe("hosts/laptop.json");
  });
});
