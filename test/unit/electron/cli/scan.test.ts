// `tabula scan` in-process: the table, JSON, --design, and its refusals.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { scanRoot } from "../../../../electron/backend/scan";
import { main, type CliIO } from "../../../../electron/cli";
import { printablePath } from "../../../../electron/cli/scan";
import type { ScanResult } from "../../../../shared/scan/types";

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

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function liveRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "machine-cli-scan-"));
  dirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

async function run(args: string[]) {
  const io = capture();
  const code = await main(["scan", ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe("tabula scan", () => {
  it("prints a table with sizes, hostile names quoted, reasons, scratch apart", async () => {
    const root = liveRoot({
      "var/lib/postgresql/16/base": "x".repeat(3 * 1024),
      "etc/machine-id": "0123\n",
      "srv/line\nbreak": "y",
      "tmp/build/log": "z",
    });
    const { code, out, err } = await run(["--root", root]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toContain(
      `State under ${root} that would be lost at reboot: 3 entries, 3.01 KiB in 3 files.`,
    );
    expect(out).toMatch(/SIZE\s+FILES\s+NEWEST\s+PATH/);
    expect(out).toMatch(
      / 3 KiB\s+1\s+\d{4}-\d\d-\d\d\s+\/var\/lib\/postgresql\//,
    );
    expect(out).toMatch(/↳ .*PostgreSQL/);
    expect(out).toContain("$'/srv/line\\nbreak'");
    expect(out).not.toContain("line\nbreak");
    expect(out).toContain("Scratch in /tmp (expected to go): 1 B in 1 file.");
    expect(out).toContain("/tmp/build/");
  });

  it("prints the scan as JSON, paths as on the live system", async () => {
    const root = liveRoot({ "home/alice/notes.md": "# notes\n", "tmp/x": "" });
    const { code, out } = await run(["--root", root, "--json"]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as ScanResult;
    expect(parsed).toEqual(scanRoot({ root }));
    expect(parsed.entries[0]).toMatchObject({
      path: "/home/alice",
      kind: "dir",
      bytes: 8,
      files: 1,
    });
    expect(parsed.scratch.map((e) => e.path)).toEqual(["/tmp/x"]);
  });

  it("leaves out what a design persists", async () => {
    const root = liveRoot({
      "var/lib/docker/x": "d",
      "var/lib/nixos/uid-map": "{}",
      "var/lib/fwupd/y": "f",
      "etc/machine-id": "0123\n",
      "home/sam/Documents/a": "a",
      "home/sam/Downloads/b": "b",
      "nix/persistent/var/lib/docker/z": "kept",
    });
    const design = new URL(
      "../../../../docs/examples/convert.json",
      import.meta.url,
    ).pathname;
    const { code, out } = await run([
      "--root",
      root,
      "--design",
      design,
      "--json",
    ]);
    expect(code).toBe(0);
    expect((JSON.parse(out) as ScanResult).entries.map((e) => e.path)).toEqual([
      "/home/sam/Downloads",
      "/var/lib/fwupd",
    ]);
  });

  it("refuses a design with problems, listing each at its JSON path", async () => {
    const root = liveRoot({ "srv/x": "x" });
    const dir = mkdtempSync(join(tmpdir(), "machine-cli-design-"));
    dirs.push(dir);
    const file = join(dir, "bad.json");
    const design = JSON.parse(
      readFileSync(
        new URL("../../../../docs/examples/convert.json", import.meta.url),
        "utf8",
      ),
    ) as { persistence: { directories: unknown[] } };
    design.persistence.directories.push("var/relative");
    writeFileSync(file, JSON.stringify(design));
    const { code, out, err } = await run(["--root", root, "--design", file]);
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toMatch(
      /^tabula scan: --design .*bad\.json has 1 problem; fix it or scan without --design:\n {2}persistence\.directories\[\d+\]: /,
    );
    writeFileSync(file, "{ not json");
    expect((await run(["--root", root, "--design", file])).err).toMatch(
      /--design .*bad\.json is not JSON/,
    );
    expect(
      (await run(["--root", root, "--design", join(dir, "none.json")])).err,
    ).toMatch(/--design .*none\.json cannot be read \(ENOENT\)/);
  });

  it("says what is missing or wrong in one sentence, and changes nothing", async () => {
    expect(await run([])).toMatchObject({
      code: 2,
      err: "tabula scan: tabula scan needs the folder to scan: --root DIR (--root / for the running system).\n",
    });
    expect((await run(["--root"])).err).toMatch(/--root needs a folder/);
    expect((await run(["--root", "/", "--fast"])).err).toMatch(
      /tabula scan does not take "--fast"/,
    );
    expect((await run(["--root", "/nonexistent/machine"])).err).toMatch(
      /\/nonexistent\/machine is not a folder/,
    );
  });

  it("quotes control characters the way bash reads them back", () => {
    expect(printablePath("/srv/plain name")).toBe("/srv/plain name");
    expect(printablePath("/srv/a\nb\tc'd\\e\x1b")).toBe(
      "$'/srv/a\\nb\\tc\\'d\\\\e\\x1b'",
    );
  });

  it("quotes C1 controls and the characters that reorder text, so bash reads the same name back", () => {
    const names = [
      "/srv/csi\u009b2J",
      "/home/mira/invoice\u202egpj.exe",
      "/srv/iso\u2066late\u2069 \u200f\u061c\u2028",
    ];
    expect(printablePath(names[1]!)).toBe(
      "$'/home/mira/invoice\\u202egpj.exe'",
    );
    // Unicode outside those prints as itself.
    expect(printablePath("/srv/naïve €")).toBe("/srv/naïve €");
    for (const name of names) {
      const shown = printablePath(name);
      expect(shown).not.toMatch(/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/);
      const back = execFileSync("bash", ["-c", `printf '%s' ${shown}`], {
        encoding: "utf8",
        env: { ...process.env, LC_ALL: "C.UTF-8" },
      });
      expect(back).toBe(name);
    }
  });
});
