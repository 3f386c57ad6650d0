// Against the real impermanence module (nix-community/impermanence) and
// nixpkgs' module system, through /work/shared/tools/nixos-eval/check: every
// catalog preset, in install mode and in convert mode (with an existing
// hardware-configuration-like root, which stateless.nix must mkForce over),
// evaluates with no failed assertion and no warning, and gives one bind
// mount per persisted directory and one service per persisted file. The
// reference article's design gives the same mounts as the article itself.
//
// Runs only where both checkouts are given (they are fetched for checking and
// never committed, so CI has neither):
//   NIXPKGS_LIB=/work/ext/nixpkgs.lib IMPERMANENCE_SRC=/work/ext/impermanence \
//     npx vitest run --config test/vitest.config.ts test/integration/shared/nix/impermanence.test.ts
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { PRESETS } from "../../../../shared/catalog";
import { validateDesign } from "../../../../shared/design/validate";
import type { Design, DirEntry } from "../../../../shared/design/types";
import {
  IMPERMANENCE_GIT,
  IMPERMANENCE_REV,
} from "../../../../shared/nix/impermanence-pin";
import { planFiles } from "../../../../shared/plan-files";
import { presetDesign } from "../../../support/preset-design";
import { tempDir } from "../../../support/nix";

const CHECK =
  process.env.TABULA_NIXOS_EVAL ?? "/work/shared/tools/nixos-eval/check";
const ready = Boolean(process.env.NIXPKGS_LIB && process.env.IMPERMANENCE_SRC);

interface CheckResult {
  assertionsFailed: string[];
  warnings: string[];
  rootFs: { fsType: string; options: string[] } | null;
  fileSystems: Record<
    string,
    {
      device: string;
      fsType: string;
      options: string[];
      neededForBoot: boolean;
    }
  >;
  bindMounts: { what: string; where: string }[];
  persistedFiles: string[];
}

function check(args: string[]): {
  status: number;
  result: CheckResult | null;
  stderr: string;
} {
  const r = spawnSync(CHECK, args, { encoding: "utf8", env: process.env });
  let result: CheckResult | null = null;
  try {
    result = JSON.parse(r.stdout) as CheckResult;
  } catch {
    result = null;
  }
  return { status: r.status ?? 1, result, stderr: r.stderr };
}

function writePlan(design: Design, dir: string): void {
  for (const f of planFiles(design)) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
}

/** The users an existing configuration declares (a conversion keeps them; impermanence needs their homes). */
function usersModule(design: Design, dir: string): string {
  const file = join(dir, "existing-users.nix");
  const users = Object.entries(design.users)
    .map(
      ([name, u]) =>
        `users.users.${name} = { isNormalUser = true; ${u.uid !== undefined ? `uid = ${u.uid};` : ""} };`,
    )
    .join(" ");
  writeFileSync(file, `{ ... }: { ${users} }\n`);
  return file;
}

function counts(design: Design) {
  const p = design.persistence;
  const users = Object.values(p.users);
  return {
    directories:
      p.directories.length +
      users.reduce((n, u) => n + u.directories.length, 0),
    files: p.files.length + users.reduce((n, u) => n + u.files.length, 0),
  };
}

describe.skipIf(!ready)(
  "generated modules against the real impermanence module",
  () => {
    const cases = PRESETS.flatMap((p) => [
      [p.id, "install"],
      [p.id, "convert"],
    ]) as [string, "install" | "convert"][];

    it.each(cases)(
      "preset %s in %s mode: no failed assertion, no warning",
      (preset, mode) => {
        const design = validateDesign(presetDesign(mode, preset)).design!;
        expect(design).not.toBeNull();
        const dir = tempDir(`imp-${preset}-${mode}`);
        writePlan(design, dir);
        const args: string[] = [];
        if (mode === "install")
          writeFileSync(
            join(dir, "nixos/hardware-configuration.nix"),
            "{ ... }: { }\n",
          );
        else
          args.push(
            "--existing-root",
            design.convert!.device,
            design.convert!.fsType,
            usersModule(design, dir),
          );
        args.push(join(dir, "nixos/default.nix"));
        const { status, result, stderr } = check(args);
        expect(stderr).not.toMatch(/ASSERTION FAILED|WARNING|error:/);
        expect(status).toBe(0);
        expect(result!.assertionsFailed).toEqual([]);
        expect(result!.warnings).toEqual([]);
        expect(result!.rootFs).toMatchObject({ fsType: "tmpfs" });
        expect(result!.rootFs!.options).toContain("mode=755");
        expect(result!.fileSystems["/nix"]!.neededForBoot).toBe(true);
        const n = counts(design);
        expect(result!.bindMounts).toHaveLength(n.directories);
        expect(
          result!.persistedFiles.filter((s) => s.startsWith("persist-")),
        ).toHaveLength(n.files);
        for (const m of result!.bindMounts)
          expect(m.what).toBe(`/nix/persistent${m.where}`);
      },
    );

    it("fails without mkForce on a converted root, as FACTS.md says (the check is not blind)", () => {
      const design = validateDesign(presetDesign("convert", "server")).design!;
      const dir = tempDir("imp-noforce");
      writePlan(design, dir);
      const stateless = join(dir, "nixos/stateless.nix");
      writeFileSync(
        stateless,
        readFileSync(stateless, "utf8").replace("lib.mkForce {", "{"),
      );
      const { status, stderr } = check([
        "--existing-root",
        "/dev/vda1",
        "ext4",
        usersModule(design, dir),
        join(dir, "nixos/default.nix"),
      ]);
      expect(status).toBe(1);
      expect(stderr).toMatch(/conflicting definition|defined multiple times/);
    });

    /** A hardware-configuration.nix as nixos-generate-config writes it for btrfs subvolumes @, @nix, @home, @log. */
    function btrfsHardware(dir: string, device: string): string {
      const file = join(dir, "hardware-configuration.nix");
      const fs = (at: string, subvol: string) =>
        `fileSystems."${at}" = { device = "${device}"; fsType = "btrfs"; options = [ "subvol=${subvol}" ]; };`;
      writeFileSync(
        file,
        `{ ... }: { ${fs("/", "@")} ${fs("/nix", "@nix")} ${fs("/home", "@home")} ${fs("/var/log", "@log")} }\n`,
      );
      return file;
    }

    function ownNixDesign(): Design {
      const base = presetDesign("convert", "server");
      const c = base.convert!;
      return validateDesign({
        ...base,
        convert: {
          ...c,
          fsType: "btrfs",
          options: ["subvol=@"],
          nix: { device: c.device, fsType: "btrfs", options: ["subvol=@nix"] },
          keptMounts: ["/home", "/var/log"],
        },
        persistence: {
          ...base.persistence,
          directories: base.persistence.directories.filter(
            (e: DirEntry) =>
              (typeof e === "string" ? e : e.directory) !== "/var/log",
          ),
          users: {},
        },
      }).design!;
    }

    it("with a /nix of its own (btrfs @nix): one subvol= for /nix, the old root as the storage, mounted in the initrd", () => {
      const design = ownNixDesign();
      expect(design).not.toBeNull();
      const dir = tempDir("imp-own-nix");
      writePlan(design, dir);
      const { status, result, stderr } = check([
        btrfsHardware(dir, design.convert!.device),
        usersModule(design, dir),
        join(dir, "nixos/default.nix"),
      ]);
      expect(stderr).not.toMatch(/ASSERTION FAILED|WARNING|error:/);
      expect(status).toBe(0);
      const fs = result!.fileSystems;
      expect(fs["/nix"]!.options).toEqual(["subvol=@nix"]);
      expect(fs["/nix/persistent"]).toMatchObject({
        device: design.convert!.device,
        fsType: "btrfs",
        options: ["subvol=@"],
        neededForBoot: true,
      });
      expect(fs["/home"]!.options).toEqual(["subvol=@home"]);
      expect(result!.rootFs).toMatchObject({ fsType: "tmpfs" });
      for (const m of result!.bindMounts)
        expect(m.what).toBe(`/nix/persistent${m.where}`);
    });

    it("without convert.nix, the existing /nix and the generated one merge into two subvol= (why convert.nix exists)", () => {
      const base = presetDesign("convert", "server");
      const design = validateDesign({
        ...base,
        convert: { ...base.convert!, fsType: "btrfs", options: ["subvol=@"] },
      }).design!;
      const dir = tempDir("imp-merge");
      writePlan(design, dir);
      const { result } = check([
        btrfsHardware(dir, design.convert!.device),
        usersModule(design, dir),
        join(dir, "nixos/default.nix"),
      ]);
      expect(result!.fileSystems["/nix"]!.options).toEqual([
        "subvol=@nix",
        "subvol=@",
      ]);
    });

    it("without a flake: nixos/impermanence.nix brings in the pinned module (fetchGit stood in by the checkout)", () => {
      const base = presetDesign("convert", "server");
      const design = validateDesign({
        ...base,
        convert: {
          ...base.convert!,
          configType: "configuration.nix",
          flakeAttr: undefined,
        },
      }).design!;
      const dir = tempDir("imp-no-flake");
      writePlan(design, dir);
      expect(readFileSync(join(dir, "nixos/default.nix"), "utf8")).toContain(
        "./impermanence.nix",
      );
      // builtins.fetchGit cannot download here: the same file, read with a
      // fetchGit that checks the pin and answers with the checkout.
      const wrapper = join(dir, "nixos/impermanence-here.nix");
      writeFileSync(
        wrapper,
        `scopedImport { builtins = builtins // { fetchGit = a: assert a.url == "${IMPERMANENCE_GIT}" && a.rev == "${IMPERMANENCE_REV}"; { outPath = ${JSON.stringify(process.env.IMPERMANENCE_SRC)}; }; }; } ./impermanence.nix\n`,
      );
      const defaultNix = join(dir, "nixos/default.nix");
      writeFileSync(
        defaultNix,
        readFileSync(defaultNix, "utf8").replace(
          "./impermanence.nix",
          "./impermanence-here.nix",
        ),
      );
      const { status, result, stderr } = check([
        "--existing-root",
        design.convert!.device,
        design.convert!.fsType,
        usersModule(design, dir),
        defaultNix,
      ]);
      expect(stderr).not.toMatch(/ASSERTION FAILED|WARNING|error:/);
      expect(status).toBe(0);
      expect(result!.bindMounts.length).toBe(counts(design).directories);
    });

    it("the article's design gives the article's bind mounts and persisted files", () => {
      const design = validateDesign(
        JSON.parse(readFileSync("test/fixtures/designs/article.json", "utf8")),
      ).design!;
      const dir = tempDir("imp-article");
      writePlan(design, dir);
      const ours = check([
        "--existing-root",
        "/dev/vda1",
        "btrfs",
        usersModule(design, dir),
        join(dir, "nixos/default.nix"),
      ]);
      const article = check(["test/fixtures/designs/article-example.nix"]);
      expect(ours.status).toBe(0);
      expect(article.status).toBe(0);
      const sorted = (m: { what: string; where: string }[]) =>
        m.map((x) => `${x.what} -> ${x.where}`).sort();
      expect(sorted(ours.result!.bindMounts)).toEqual(
        sorted(article.result!.bindMounts),
      );
      expect(ours.result!.bindMounts).toHaveLength(15);
      const files = (r: CheckResult) =>
        r.persistedFiles.filter((s) => s.startsWith("persist-")).sort();
      expect(files(ours.result!)).toEqual(files(article.result!));
      expect(files(ours.result!)).toHaveLength(5);
    });
  },
);
