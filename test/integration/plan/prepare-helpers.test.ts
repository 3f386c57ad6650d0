// The helpers phase prepare (and recover) use on the user's configuration,
// run from the library exactly as steps.sh runs them: the generated modules
// copied in (a differing file only with consent, the old one kept), the
// design stream's flake.patch applied to a real flake (once, with a backup),
// new files made visible to a git flake as the repository's owner, and
// migration.json written atomically. (The phase as a whole needs NixOS.)
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Design } from "../../../shared/design/types";
import { planFiles } from "../../../shared/plan-files";
import { STEPS_LIB } from "../../../shared/plan/steps-lib";
import { convertDesign } from "../../support/designs";
import { describeWith } from "../../support/needs";

const tmpRoot = join(import.meta.dirname, "../../.tmp");

describeWith(
  ["root", "bash", "git"],
  "prepare's helpers on a configuration folder",
  () => {
    let work: string;
    let lib: string;

    beforeAll(() => {
      mkdirSync(tmpRoot, { recursive: true });
      work = mkdtempSync(join(tmpRoot, "steps-prepare-"));
      chmodSync(work, 0o755); // the repository's owner must reach it
      lib = join(work, "lib.sh");
      writeFileSync(lib, STEPS_LIB);
    });

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    function helper(
      args: string[],
      options: { yes?: boolean; input?: string } = {},
    ) {
      return spawnSync(
        "bash",
        [
          "-c",
          'set -euo pipefail; source "$1"; shift; TABULA_PHASE=prepare; TABULA_YES=$1; shift; PLAN_DIR=$1; shift; "$@"',
          "bash",
          lib,
          options.yes ? "1" : "0",
          join(work, "plan"),
          ...args,
        ],
        { encoding: "utf8", input: options.input ?? "" },
      );
    }

    it("copies the modules, keeps a differing file unless you consent, and keeps the old one as FILE.~1~", () => {
      const src = join(work, "plan/nixos");
      mkdirSync(src, { recursive: true });
      writeFileSync(join(src, "default.nix"), "{ imports = [ ]; }\n");
      const config = join(work, "config");
      mkdirSync(config);
      chownSync(config, 1000, 100);
      const dst = join(config, "nixos");

      const first = helper(["tabula_install_modules", src, dst]);
      expect(first.status, first.stderr).toBe(0);
      expect(readFileSync(join(dst, "default.nix"), "utf8")).toBe(
        "{ imports = [ ]; }\n",
      );
      expect(statSync(join(dst, "default.nix")).uid).toBe(1000);
      expect(helper(["tabula_install_modules", src, dst]).stdout).toContain(
        "is up to date.",
      );

      writeFileSync(
        join(src, "default.nix"),
        "{ imports = [ ./persistence.nix ]; }\n",
      );
      const refused = helper(["tabula_install_modules", src, dst], {
        input: "no\n",
      });
      expect(refused.status).toBe(4);
      expect(refused.stdout).toContain("+{ imports = [ ./persistence.nix ]; }");
      expect(readFileSync(join(dst, "default.nix"), "utf8")).toBe(
        "{ imports = [ ]; }\n",
      );

      const agreed = helper(["tabula_install_modules", src, dst], {
        input: "yes\n",
      });
      expect(agreed.status, agreed.stderr).toBe(0);
      expect(readFileSync(join(dst, "default.nix"), "utf8")).toContain(
        "persistence.nix",
      );
      expect(readFileSync(join(dst, "default.nix.~1~"), "utf8")).toBe(
        "{ imports = [ ]; }\n",
      );
    });

    it("applies the design stream's flake.patch once, with flake.nix.orig, and says when it no longer applies", () => {
      const flake = readFileSync("test/fixtures/flakes/classic.nix", "utf8");
      const design: Design = convertDesign();
      const patch = planFiles(design, { userConfig: flake }).find(
        (f) => f.path === "flake.patch",
      );
      expect(patch).toBeDefined();
      const patchFile = join(work, "flake.patch");
      writeFileSync(patchFile, patch!.content);
      const config = join(work, "flake-config");
      mkdirSync(config);
      writeFileSync(join(config, "flake.nix"), flake);

      const applied = helper(["tabula_apply_flake_patch", config, patchFile], {
        yes: true,
      });
      expect(applied.status, applied.stderr).toBe(0);
      expect(applied.stdout).toContain("+++ b/flake.nix");
      const patched = readFileSync(join(config, "flake.nix"), "utf8");
      expect(patched).toMatch(/impermanence/);
      expect(readFileSync(join(config, "flake.nix.orig"), "utf8")).toBe(flake);

      const again = helper(["tabula_apply_flake_patch", config, patchFile], {
        yes: true,
      });
      expect(again.status).toBe(0);
      expect(again.stdout).toContain("already has these changes.");
      expect(readFileSync(join(config, "flake.nix"), "utf8")).toBe(patched);

      writeFileSync(join(config, "flake.nix"), "{ outputs = _: { }; }\n");
      const stale = helper(["tabula_apply_flake_patch", config, patchFile], {
        yes: true,
      });
      expect(stale.status).toBe(1);
      expect(stale.stderr).toMatch(
        /flake\.patch no longer applies to .*flake\.nix/,
      );

      const none = helper(
        ["tabula_apply_flake_patch", config, join(work, "absent.patch")],
        { yes: true },
      );
      expect(none.status).toBe(1);
      expect(none.stderr).toMatch(
        /Make the changes flake-changes\.md .* describes/,
      );
    });

    it("leaves a flake.nix.orig of the user's alone and keeps the old flake as flake.nix.~1~", () => {
      const flake = readFileSync("test/fixtures/flakes/classic.nix", "utf8");
      const patch = planFiles(convertDesign(), { userConfig: flake }).find(
        (f) => f.path === "flake.patch",
      );
      const patchFile = join(work, "flake-orig.patch");
      writeFileSync(patchFile, patch!.content);
      const config = join(work, "flake-orig");
      mkdirSync(config);
      writeFileSync(join(config, "flake.nix"), flake);
      writeFileSync(join(config, "flake.nix.orig"), "# the user's own notes\n");

      const asked = helper(["tabula_apply_flake_patch", config, patchFile], {
        input: "yes\n",
      });
      expect(asked.status, asked.stderr).toBe(0);
      expect(asked.stdout).toMatch(/the old file is kept as flake\.nix\.~1~/);
      expect(readFileSync(join(config, "flake.nix"), "utf8")).toMatch(
        /impermanence/,
      );
      expect(readFileSync(join(config, "flake.nix.orig"), "utf8")).toBe(
        "# the user's own notes\n",
      );
      expect(readFileSync(join(config, "flake.nix.~1~"), "utf8")).toBe(flake);
    });

    it("refuses persisted paths on another mounted filesystem (it stays mounted, and an empty folder from storage would hide it)", () => {
      // The root filesystem, as the running system has it: here, the
      // filesystem the test folder is on; a separate /home partition: a
      // tmpfs mounted inside it.
      const root = spawnSync("findmnt", ["-n", "-o", "TARGET", "-T", work], {
        encoding: "utf8",
      }).stdout.trim();
      const sys = join(work, "sys");
      mkdirSync(join(sys, "home"), { recursive: true });
      mkdirSync(join(sys, "var/lib/nixos"), { recursive: true });
      execFileSync("mount", [
        "-t",
        "tmpfs",
        "review-steps-home",
        join(sys, "home"),
      ]);
      try {
        mkdirSync(join(sys, "home/mira/Documents"), { recursive: true });
        // A link on the root filesystem is judged where it is, not where it points.
        symlinkSync("../home/mira", join(sys, "var/mira-link"));
        const rel = (p: string) => join(sys, p).slice(1);
        const ok = helper([
          "tabula_check_on_mount",
          root,
          rel("var/lib/nixos"),
          rel("var/lib/absent"),
          rel("var/mira-link"),
        ]);
        expect(ok.status, ok.stderr).toBe(0);
        const r = helper([
          "tabula_check_on_mount",
          root,
          rel("var/lib/nixos"),
          rel("home/mira/Documents"),
        ]);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(
          /home\/mira\/Documents is on the filesystem mounted at .*sys\/home \(review-steps-home\), not on the root filesystem: it stays mounted after the conversion, so persisting it would hide it behind an empty folder from the storage\. Remove it from the design: it is kept already\./,
        );
        // A path that does not exist yet is judged by the folder it would be in.
        const absent = helper([
          "tabula_check_on_mount",
          root,
          rel("home/mira/Music"),
        ]);
        expect(absent.status).toBe(2);
      } finally {
        execFileSync("umount", [join(sys, "home")]);
      }
    });

    it("makes new files visible to a git flake, as the repository's owner", () => {
      const repo = join(work, "repo");
      mkdirSync(join(repo, "nixos"), { recursive: true });
      writeFileSync(join(repo, "flake.nix"), "{ }\n");
      execFileSync("git", ["init", "-q", repo]);
      execFileSync("chown", ["-R", "1000:100", repo]);
      writeFileSync(join(repo, "nixos/default.nix"), "{ }\n");
      const r = helper(["tabula_git_track", repo, "nixos"]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /\+ runuser -u \S+ -- git -C .* add --intent-to-add -- nixos/,
      );
      const listed = execFileSync(
        "runuser",
        [
          "-u",
          String(
            execFileSync("id", ["-nu", "1000"], { encoding: "utf8" }).trim(),
          ),
          "--",
          "git",
          "-C",
          repo,
          "ls-files",
        ],
        { encoding: "utf8" },
      );
      expect(listed).toContain("nixos/default.nix");
      expect(statSync(join(repo, ".git/index")).uid).toBe(1000);
    });

    it("writes migration.json atomically and copies the plan for the LiveCD", () => {
      const plan = join(work, "plan");
      writeFileSync(join(plan, "migration.json"), '{ "planId": "x" }\n');
      const root = join(work, "root/.tabula");
      mkdirSync(root, { recursive: true });
      const w = helper([
        "tabula_write_atomic",
        join(plan, "migration.json"),
        join(root, "migration.json"),
      ]);
      expect(w.status, w.stderr).toBe(0);
      expect(w.stdout).toMatch(
        /\+ mv -T -- \S+migration\.json\.tmp \S+migration\.json/,
      );
      expect(readFileSync(join(root, "migration.json"), "utf8")).toBe(
        '{ "planId": "x" }\n',
      );
      expect(existsSync(join(root, "migration.json.tmp"))).toBe(false);
      const c = helper(["tabula_copy_plan", join(root, "plan")]);
      expect(c.status, c.stderr).toBe(0);
      expect(readFileSync(join(root, "plan/migration.json"), "utf8")).toBe(
        '{ "planId": "x" }\n',
      );
      expect(helper(["tabula_copy_plan", join(root, "plan")]).stdout).toContain(
        "is up to date.",
      );
    });
  },
);
