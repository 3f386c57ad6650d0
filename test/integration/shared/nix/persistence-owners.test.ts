// Persisted folders owned by a service's user (the catalog's /var/lib/colord
// as colord, /var/lib/postgresql as postgres): impermanence chowns them at
// activation, and a chown to a user the system does not have fails it. The
// generated persistence.nix writes such owners under a condition; evaluated
// by the module system (the stand-in lib, or nixpkgs' lib and the real
// impermanence module with NIXPKGS_LIB and IMPERMANENCE_SRC), the folder is
// root's while the configuration does not declare the user, and the
// service's once it does. Owners known to exist (root, the design's users)
// are written plainly.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, it } from "vitest";
import type { Design } from "../../../../shared/design/types";
import { validateDesign } from "../../../../shared/design/validate";
import {
  IMPERMANENCE_GIT,
  IMPERMANENCE_REV,
} from "../../../../shared/nix/impermanence-pin";
import { planFiles } from "../../../../shared/plan-files";
import { describeWith } from "../../../support/needs";
import { tempDir } from "../../../support/nix";
import { evaluateConfiguration } from "../../../support/nixos-tools";

function writePlan(design: Design): string {
  const dir = tempDir(`owners-${design.mode}`);
  for (const f of planFiles(design)) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return dir;
}

function design(mode: string): Design {
  const raw = JSON.parse(
    readFileSync(`docs/examples/${mode}.json`, "utf8"),
  ) as Record<string, unknown>;
  const result = validateDesign(raw);
  expect(result.design, JSON.stringify(result.problems)).not.toBeNull();
  return result.design!;
}

/** A configuration of the generated modules, with the service's user declared or not. */
function configuration(
  dir: string,
  service: { user: string; group: string } | null,
): string {
  const file = join(dir, service ? "with-service.nix" : "without.nix");
  const declare = service
    ? `users.users.${service.user} = { isSystemUser = true; group = "${service.group}"; };
       users.groups.${service.group} = { };`
    : "";
  // The design's own user, as its configuration declares it.
  writeFileSync(
    file,
    `{
      imports = [
        ./nixos/persistence.nix
        ./nixos/stateless.nix
        "\${builtins.fetchGit { url = "${IMPERMANENCE_GIT}"; rev = "${IMPERMANENCE_REV}"; }}/nixos.nix"
      ];
      users.users.mira = { isNormalUser = true; };
      users.users.sam = { isNormalUser = true; };
      ${declare}
    }\n`,
  );
  return file;
}

describeWith(["nix"], "owners a configuration may not declare", () => {
  const cases = [
    ["install", "/var/lib/colord", "colord"],
    ["convert", "/var/lib/postgresql", "postgres"],
  ] as const;

  for (const [mode, folder, owner] of cases) {
    it(`${mode}: ${folder} is root's without the ${owner} user, and ${owner}'s with it`, () => {
      const dir = writePlan(design(mode));
      const text = readFileSync(join(dir, "nixos/persistence.nix"), "utf8");
      expect(text).toContain(
        `user = lib.mkIf (builtins.hasAttr "${owner}" config.users.users) "${owner}";`,
      );
      const ownerOf = (service: boolean) => {
        const r = evaluateConfiguration({
          configuration: configuration(
            dir,
            service ? { user: owner, group: owner } : null,
          ),
        });
        // Only the boot loader is left undeclared here.
        expect(
          r.assertions.filter((a) => !a.includes("boot.loader.grub")),
        ).toEqual([]);
        const entry = r.persistenceOwners!["/nix/persistent"]!.find(
          (e) => e.directory === folder,
        );
        expect(entry, `${folder} persisted`).toBeDefined();
        // The real impermanence submodule falls back to its default, root;
        // the stub keeps only what was written.
        const unset = r.evaluator.impermanence === "real" ? "root" : null;
        return { ...entry!, unset };
      };
      const without = ownerOf(false);
      expect(without.user).toBe(without.unset);
      expect(without.group).toBe(without.unset);
      const withService = ownerOf(true);
      expect(withService.user).toBe(owner);
      expect(withService.group).toBe(owner);
    });
  }

  it("writes root and the design's own users plainly, and stays a plain set when no owner needs a condition", () => {
    const d = design("install");
    d.persistence.directories = d.persistence.directories.map((e) =>
      typeof e !== "string" && e.directory === "/var/lib/colord"
        ? { directory: e.directory, user: "mira", group: "root" }
        : e,
    );
    const dir = writePlan(d);
    const text = readFileSync(join(dir, "nixos/persistence.nix"), "utf8");
    expect(text).toContain('user = "mira";');
    expect(text).toContain('group = "root";');
    expect(text).not.toContain("lib.mkIf");
    expect(text).not.toMatch(/^\{\s*config,/m);
  });
});
