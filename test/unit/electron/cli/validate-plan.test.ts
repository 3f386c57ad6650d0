// tabula validate and tabula plan, run in-process on real files and once
// through the installed launcher.
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main, type CliIO } from "../../../../electron/cli";

function capture(): CliIO & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

const temp = () => mkdtempSync(join(tmpdir(), "tabula-design-cli-"));

function badDesign(): string {
  const d = JSON.parse(readFileSync("docs/examples/install.json", "utf8"));
  d.persistence.directories.push("var/lib/x");
  d.persistence.hideMount = true;
  const file = join(temp(), "bad.json");
  writeFileSync(file, JSON.stringify(d));
  return file;
}

describe("tabula validate", () => {
  it("exits 0 for a valid design and says so", async () => {
    const io = capture();
    expect(await main(["validate", "docs/examples/install.json"], io)).toBe(0);
    expect(io.stdout()).toBe(
      "docs/examples/install.json is a valid install design (no problems).\n",
    );
  });

  it("prints warnings of a valid design and still exits 0", async () => {
    const d = JSON.parse(readFileSync("docs/examples/convert.json", "utf8"));
    d.persistence.files = d.persistence.files.filter(
      (f: string) => f !== "/etc/machine-id",
    );
    const file = join(temp(), "d.json");
    writeFileSync(file, JSON.stringify(d));
    const io = capture();
    expect(await main(["validate", file], io)).toBe(0);
    expect(io.stdout()).toMatch(
      /^warning: persistence\.files: does not persist "\/etc\/machine-id"/m,
    );
    expect(io.stdout()).toMatch(/is a valid convert design \(1 warning\)/);
  });

  it("exits 1 with one line per problem: <json path>: <message>", async () => {
    const io = capture();
    expect(await main(["validate", badDesign()], io)).toBe(1);
    const lines = io.stdout().trim().split("\n");
    expect(lines).toContain(
      'persistence.directories[8]: the directory "var/lib/x" is not absolute: write it from the root, e.g. "/var/lib/x"',
    );
    expect(
      lines.some((l) => l.startsWith("persistence.hideMount: is not a field")),
    ).toBe(true);
    expect(lines.at(-1)).toMatch(/is not valid: 2 errors\.$/);
  });

  it("prints {path, message, severity} with --json", async () => {
    const io = capture();
    expect(await main(["validate", badDesign(), "--json"], io)).toBe(1);
    const problems = JSON.parse(io.stdout()) as {
      path: string;
      message: string;
      severity: string;
    }[];
    expect(problems).toContainEqual({
      path: "persistence.directories[8]",
      message: expect.stringMatching(/not absolute/),
      severity: "error",
    });
  });

  it("treats a file that is not JSON as an invalid design, and a missing file as bad usage", async () => {
    const file = join(temp(), "x.json");
    writeFileSync(file, "{ nope");
    const io = capture();
    expect(await main(["validate", file], io)).toBe(1);
    expect(io.stdout()).toMatch(/^\(document\): is not JSON/);
    const io2 = capture();
    expect(await main(["validate", "/nonexistent/design.json"], io2)).toBe(2);
    expect(io2.stderr()).toMatch(/cannot be read \(ENOENT\)/);
    const io3 = capture();
    expect(await main(["validate"], io3)).toBe(2);
    expect(await main(["validate", "a.json", "--yaml"], io3)).toBe(2);
  });
});

describe("tabula plan", () => {
  it("writes every file of an install plan", async () => {
    const out = join(temp(), "plan");
    const io = capture();
    expect(
      await main(["plan", "docs/examples/install.json", "--out", out], io),
    ).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      "design.json",
      "flake.nix",
      "nixos",
      "plan.json",
      "steps.sh",
    ]);
    // The step script is executable and valid bash.
    expect(statSync(join(out, "steps.sh")).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(out, "steps.sh"), "utf8")).toMatch(
      /^#!\/usr\/bin\/env bash\n/,
    );
    expect(readdirSync(join(out, "nixos")).sort()).toEqual([
      "configuration.nix",
      "default.nix",
      "filesystems.nix",
      "persistence.nix",
      "stateless.nix",
    ]);
    expect(io.stdout()).toContain(`wrote ${join(out, "flake.nix")}`);
  });

  it("writes nothing for an invalid design and exits 1 with the problems", async () => {
    const out = join(temp(), "plan");
    const io = capture();
    expect(await main(["plan", badDesign(), "--out", out], io)).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(io.stderr()).toMatch(
      /persistence\.directories\[8\]: .*not absolute/,
    );
    expect(io.stderr()).toMatch(/nothing was written/);
  });

  it("proposes flake.patch from --flake in convert mode, and explains without it", async () => {
    const withFlake = join(temp(), "plan");
    expect(
      await main(
        [
          "plan",
          "docs/examples/convert.json",
          "--out",
          withFlake,
          "--flake",
          "test/fixtures/flakes/classic.nix",
        ],
        capture(),
      ),
    ).toBe(0);
    expect(readFileSync(join(withFlake, "flake.patch"), "utf8")).toMatch(
      /^\+\s+impermanence\.nixosModules\.impermanence$/m,
    );
    // No flake in the configuration folder: no patch, and flake-changes.md says why.
    const configDir = temp();
    const design = JSON.parse(
      readFileSync("docs/examples/convert.json", "utf8"),
    );
    design.convert.configDir = configDir;
    design.persistence.directories.push(configDir);
    const file = join(temp(), "convert.json");
    writeFileSync(file, JSON.stringify(design));
    const without = join(temp(), "plan");
    const io = capture();
    expect(await main(["plan", file, "--out", without], io)).toBe(0);
    expect(existsSync(join(without, "flake.patch"))).toBe(false);
    expect(readFileSync(join(without, "flake-changes.md"), "utf8")).toMatch(
      /could not read/,
    );
    expect(io.stdout()).toMatch(/no flake\.nix was read/);
    // A flake there is read by default.
    writeFileSync(
      join(configDir, "flake.nix"),
      readFileSync("test/fixtures/flakes/nixfmt.nix"),
    );
    const withDefault = join(temp(), "plan");
    expect(await main(["plan", file, "--out", withDefault], capture())).toBe(0);
    expect(readFileSync(join(withDefault, "flake.patch"), "utf8")).toMatch(
      /^\+\s+impermanence,$/m,
    );
  });

  it("refuses a folder holding other files, but replaces an earlier plan", async () => {
    const busy = temp();
    writeFileSync(join(busy, "notes.txt"), "mine");
    const io = capture();
    expect(
      await main(["plan", "docs/examples/recover.json", "--out", busy], io),
    ).toBe(2);
    expect(io.stderr()).toMatch(/already holds other files/);
    expect(readdirSync(busy)).toEqual(["notes.txt"]);
    const out = join(temp(), "plan");
    expect(
      await main(
        ["plan", "docs/examples/recover.json", "--out", out],
        capture(),
      ),
    ).toBe(0);
    expect(
      await main(
        ["plan", "docs/examples/recover.json", "--out", out],
        capture(),
      ),
    ).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      "design.json",
      "nixos",
      "plan.json",
      "steps.sh",
    ]);
  });

  it("removes an earlier plan's files the new plan does not write, and nothing else", async () => {
    const out = join(temp(), "plan");
    const flake = ["--flake", "test/fixtures/flakes/classic.nix"];
    const convert = ["plan", "docs/examples/convert.json", "--out", out];
    expect(await main([...convert, ...flake], capture())).toBe(0);
    expect(existsSync(join(out, "flake.patch"))).toBe(true);
    // Over it, an install plan, then a recover plan: steps.sh must never
    // find a stale flake.patch, flake.nix or migration.json beside it.
    const install = capture();
    expect(
      await main(["plan", "docs/examples/install.json", "--out", out], install),
    ).toBe(0);
    expect(install.stdout()).toMatch(
      /^removed .*flake\.patch \(an earlier plan's; this design has none\)$/m,
    );
    for (const gone of ["flake.patch", "flake-changes.md", "migration.json"])
      expect(existsSync(join(out, gone)), gone).toBe(false);
    writeFileSync(join(out, "nixos", "my-notes.nix"), "{ }\n");
    expect(
      await main(
        ["plan", "docs/examples/recover.json", "--out", out],
        capture(),
      ),
    ).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      "design.json",
      "nixos",
      "plan.json",
      "steps.sh",
    ]);
    expect(readdirSync(join(out, "nixos")).sort()).toEqual([
      "my-notes.nix",
      "persistence.nix",
    ]);
  });

  it("refuses a --flake it cannot read and bad arguments", async () => {
    const io = capture();
    expect(
      await main(
        [
          "plan",
          "docs/examples/convert.json",
          "--out",
          join(temp(), "p"),
          "--flake",
          "/nonexistent",
        ],
        io,
      ),
    ).toBe(2);
    expect(io.stderr()).toMatch(/--flake \/nonexistent cannot be read/);
    expect(await main(["plan", "docs/examples/convert.json"], io)).toBe(2);
    expect(io.stderr()).toMatch(/needs the folder to write to: --out DIR/);
  });

  it("runs through the installed launcher", () => {
    const out = join(temp(), "plan");
    mkdirSync(out);
    execFileSync("node", [
      "electron/bin/tabula.mjs",
      "plan",
      "docs/examples/install.json",
      "--out",
      out,
    ]);
    expect(existsSync(join(out, "nixos/persistence.nix"))).toBe(true);
    const r = spawnSync(
      "node",
      ["electron/bin/tabula.mjs", "validate", badDesign()],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(1);
  });
});
