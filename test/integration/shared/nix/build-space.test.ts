// Where the generated system's Nix builds, for the Nix each nixpkgs branch
// ships: nixos/stateless.nix evaluated by the module system (the stand-in
// lib, or nixpkgs' lib with NIXPKGS_LIB) with config.nix.package set to
// each of them, and the one sudoers line it adds checked by the real visudo
// and the real sudo.
//
// - Nix 2.30 and later (nixos-25.11: 2.31) build in build-dir whoever
//   builds: build-dir named, on the /nix partition; nothing else needed.
// - Older Nix (nixos-24.11: 2.24, 25.05: 2.28) and Lix build in the
//   builder's TMPDIR: the daemon's moved to /var/cache/nix, root's commands
//   sent through the daemon, and sudo told to keep NIX_REMOTE (it resets the
//   environment otherwise, so `sudo nixos-rebuild` would build in /tmp, on
//   the tmpfs root).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, it } from "vitest";
import {
  NIX_BUILD_DIR,
  NIX_DAEMON_TMPDIR,
} from "../../../../shared/design/layout";
import type { Design } from "../../../../shared/design/types";
import { validateDesign } from "../../../../shared/design/validate";
import { planFiles } from "../../../../shared/plan-files";
import { describeWith } from "../../../support/needs";
import { tempDir } from "../../../support/nix";
import {
  evaluateConfiguration,
  type EvaluatedConfig,
} from "../../../support/nixos-tools";

const example = (mode: string) =>
  validateDesign(JSON.parse(readFileSync(`docs/examples/${mode}.json`, "utf8")))
    .design as Design;

function writePlan(design: Design): string {
  const dir = tempDir(`build-space-${design.mode}`);
  for (const f of planFiles(design)) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return dir;
}

const KEEP = "Defaults env_keep+=NIX_REMOTE";

type Builds = Omit<EvaluatedConfig["nixBuilds"], "nixPackage">;

const OLDER: Builds = {
  buildDir: null,
  daemonTmpdir: NIX_DAEMON_TMPDIR,
  daemonCacheDirectory: "nix",
  nixRemote: "daemon",
  sudoExtraConfig: KEEP,
  sudoRsExtraConfig: KEEP,
};
const NEWER: Builds = {
  buildDir: NIX_BUILD_DIR,
  daemonTmpdir: NIX_DAEMON_TMPDIR,
  daemonCacheDirectory: "nix",
  nixRemote: null,
  sudoExtraConfig: null,
  sudoRsExtraConfig: null,
};

describeWith(["nix"], "build space for the Nix the system ships", () => {
  const cases: [string, string, Builds][] = [
    ["nixos-25.11", "nix-2.31.2", NEWER],
    ["the first with build-dir by default", "nix-2.30.0", NEWER],
    ["a pre-release of 2.31", "nix-2.31pre20250712_b1a2c3d", NEWER],
    ["nixos-25.05", "nix-2.28.4", OLDER],
    ["nixos-24.11", "nix-2.24.14", OLDER],
    ["Lix (its own numbering, no build-dir default)", "lix-2.93.3", OLDER],
  ];

  for (const mode of ["install", "convert"]) {
    const dir = writePlan(example(mode));
    for (const [branch, nixPackage, expected] of cases)
      it(`${mode}, ${nixPackage} (${branch})`, () => {
        const r = evaluateConfiguration(
          { configuration: join(dir, "nixos/stateless.nix") },
          { nixPackage },
        );
        expect(r.nixBuilds).toEqual({ nixPackage, ...expected });
      });
  }

  it("a build-dir or daemon TMPDIR the user sets wins, with no conflicting definitions", () => {
    const dir = writePlan(example("convert"));
    const own = join(dir, "own.nix");
    writeFileSync(
      own,
      `{
        imports = [ ./nixos/stateless.nix ];
        nix.settings.build-dir = "/srv/nix-builds";
        systemd.services.nix-daemon.environment.TMPDIR = "/srv/nix-tmp";
      }\n`,
    );
    for (const nixPackage of ["nix-2.31.2", "nix-2.28.4"]) {
      const r = evaluateConfiguration({ configuration: own }, { nixPackage });
      expect(r.nixBuilds.buildDir).toBe("/srv/nix-builds");
      expect(r.nixBuilds.daemonTmpdir).toBe("/srv/nix-tmp");
    }
  });
});

describeWith(["sudo", "root"], "the sudoers line for older Nix", () => {
  it("parses with visudo, and a root shell's NIX_REMOTE reaches sudo only with it", () => {
    const dir = tempDir("sudoers");
    const base = "Defaults env_reset\nroot ALL=(ALL:ALL) NOPASSWD: ALL\n";
    const without = join(dir, "without");
    const withKeep = join(dir, "with");
    writeFileSync(without, base);
    writeFileSync(withKeep, `${base}${KEEP}\n`);
    for (const f of [without, withKeep]) chmodSync(f, 0o440);
    const check = spawnSync("visudo", ["-c", "-f", withKeep], {
      encoding: "utf8",
    });
    expect(check.status, check.stdout + check.stderr).toBe(0);

    // sudo reads /etc/sudoers only: each file is laid over it in a private
    // mount namespace, never on the machine itself.
    const envThroughSudo = (sudoers: string): string => {
      const r = spawnSync(
        "unshare",
        [
          "-m",
          "sh",
          "-c",
          'mount --bind "$1" /etc/sudoers && exec sudo env',
          "sh",
          sudoers,
        ],
        { encoding: "utf8", env: { ...process.env, NIX_REMOTE: "daemon" } },
      );
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(envThroughSudo(without)).not.toMatch(/^NIX_REMOTE=/m);
    expect(envThroughSudo(withKeep)).toMatch(/^NIX_REMOTE=daemon$/m);
  });
});
