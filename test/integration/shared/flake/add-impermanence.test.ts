// flake.patch on flakes of the usual shapes: git apply accepts it, the result
// parses, and evaluating its outputs with stand-in inputs shows the host's
// modules starting with the impermanence module and ./nixos, the other hosts
// untouched. Unusual flakes get no patch and a reason.
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addImpermanence } from "../../../../shared/flake/add-impermanence";
import { addNixosImport } from "../../../../shared/flake/add-nixos-import";
import {
  configurationChanges,
  flakeChanges,
} from "../../../../shared/flake/flake-changes";
import { IMPERMANENCE_REV } from "../../../../shared/nix/impermanence-pin";
import { validateDesign } from "../../../../shared/design/validate";
import type { Design } from "../../../../shared/design/types";
import { describeWith } from "../../../support/needs";
import { nixEval, nixParse, tempDir } from "../../../support/nix";

const fixture = (name: string) => `test/fixtures/flakes/${name}.nix`;
const convert = validateDesign(
  JSON.parse(readFileSync("docs/examples/convert.json", "utf8")),
).design as Design;

/** The host's modules, as strings: paths by their last component. */
function hostModules(flakeFile: string, host: string): string[] {
  return nixEval(`
    let
      flake = import ${flakeFile};
      inputs = {
        self = { };
        nixpkgs.lib.nixosSystem = args: args;
        home-manager.nixosModules.home-manager = "home-manager-module";
        impermanence.nixosModules.impermanence = "impermanence-module";
      };
      wanted = builtins.functionArgs flake.outputs;
      outputs = flake.outputs (if wanted == { } then inputs else builtins.intersectAttrs wanted inputs);
      name = m: if builtins.isPath m then baseNameOf m else m;
    in
    map name outputs.nixosConfigurations.${host}.modules
  `) as string[];
}

describeWith(["nix", "git"], "flake.patch", () => {
  it.each([
    ["classic", ["impermanence-module", "nixos", "configuration.nix"]],
    [
      "nixfmt",
      ["impermanence-module", "nixos", "tern.nix", "home-manager-module"],
    ],
    [
      "flat-inputs",
      [
        "impermanence-module",
        "nixos",
        "configuration.nix",
        "hardware-configuration.nix",
      ],
    ],
    ["no-final-newline", ["impermanence-module", "nixos", "configuration.nix"]],
  ])("applies to the %s flake and adds the two modules", (name, modules) => {
    const original = readFileSync(fixture(name), "utf8");
    const changes = flakeChanges(convert, original);
    expect(changes.patch).not.toBeNull();
    const dir = tempDir("flake");
    copyFileSync(fixture(name), join(dir, "flake.nix"));
    writeFileSync(join(dir, "flake.patch"), changes.patch!);
    execFileSync("git", ["apply", "flake.patch"], { cwd: dir, stdio: "pipe" });
    const patched = join(dir, "flake.nix");
    nixParse([patched]);
    expect(hostModules(patched, "tern")).toEqual(modules);
    const inputs = nixEval(
      `builtins.attrNames (import ${patched}).inputs`,
    ) as string[];
    expect(inputs).toContain("impermanence");
    // Pinned, with its development inputs dropped (its README's advice).
    expect(nixEval(`(import ${patched}).inputs.impermanence`)).toEqual({
      url: `github:nix-community/impermanence/${IMPERMANENCE_REV}`,
      inputs: { nixpkgs: { follows: "" }, "home-manager": { follows: "" } },
    });
    if (name === "nixfmt")
      expect(hostModules(patched, "laptop")).toEqual(["laptop.nix"]);
    expect(changes.markdown).toContain("patch -p1");
  });
});

describe("flake changes without a patch", () => {
  it("explains why when the flake has an unusual shape", () => {
    const changes = flakeChanges(
      convert,
      readFileSync(fixture("unusual"), "utf8"),
    );
    expect(changes.patch).toBeNull();
    expect(changes.markdown).toMatch(
      /There is no flake.patch: no nixosConfigurations entry named "tern"/,
    );
  });

  it("says the flake could not be read when none is given", () => {
    const changes = flakeChanges(convert);
    expect(changes.patch).toBeNull();
    expect(changes.markdown).toMatch(
      /could not read `\/etc\/nixos\/flake.nix`/,
    );
    expect(changes.markdown).toContain(
      "impermanence.nixosModules.impermanence",
    );
    expect(changes.markdown).toContain(
      "cd /.tabula && nixos-rebuild build --flake /etc/nixos#tern",
    );
    expect(changes.markdown).toContain(
      "nix-env -p /nix/var/nix/profiles/system --set",
    );
    expect(changes.markdown).not.toMatch(/^nixos-rebuild (boot|switch)/m);
  });

  it("leaves a flake that already uses impermanence to the user", () => {
    const edit = addImpermanence(
      '{ inputs.impermanence.url = "x"; outputs = _: { }; }',
      "tern",
    );
    expect(edit).toEqual({
      ok: false,
      reason: expect.stringMatching(/already mentions impermanence/),
    });
  });

  it("refuses a modules list that belongs to another host", () => {
    const flake = [
      "{",
      "  inputs = {",
      '    nixpkgs.url = "x";',
      "  };",
      "  outputs = { nixpkgs, ... }: {",
      '    nixosConfigurations.tern = nixpkgs.lib.nixosSystem { system = "x86_64-linux"; };',
      "    nixosConfigurations.other = nixpkgs.lib.nixosSystem {",
      "      modules = [ ./other.nix ];",
      "    };",
      "  };",
      "}",
    ].join("\n");
    expect(addImpermanence(flake, "tern")).toEqual({
      ok: false,
      reason: expect.stringMatching(/belong to another system/),
    });
  });
});

describeWith(["nix"], "configuration.patch (a system without a flake)", () => {
  const noFlake = validateDesign({
    ...convert,
    convert: {
      ...convert.convert!,
      configType: "configuration.nix",
      flakeAttr: undefined,
    },
  }).design as Design;

  it.each(["generated", "one-line"])(
    "applies to the %s configuration.nix and imports ./nixos once",
    (name) => {
      const file = `test/fixtures/configurations/${name}.nix`;
      const changes = configurationChanges(noFlake, readFileSync(file, "utf8"));
      expect(changes.patchName).toBe("configuration.patch");
      expect(changes.patch).not.toBeNull();
      const dir = tempDir("configuration");
      copyFileSync(file, join(dir, "configuration.nix"));
      writeFileSync(join(dir, "configuration.patch"), changes.patch!);
      execFileSync("patch", ["-p1", "-i", "configuration.patch"], {
        cwd: dir,
        stdio: "pipe",
      });
      const patched = join(dir, "configuration.nix");
      nixParse([patched]);
      const imports = nixEval(
        `map baseNameOf ((import ${patched}) { config = {}; lib = {}; pkgs = {}; }).imports`,
      ) as string[];
      expect(imports[0]).toBe("hardware-configuration.nix");
      expect(imports.filter((i) => i === "nixos")).toHaveLength(1);
      if (name === "generated") expect(imports).toEqual([imports[0], "nixos"]);
      expect(changes.markdown).toContain("builtins.fetchGit");
      expect(changes.markdown).toContain("cd /.tabula && nixos-rebuild build");
    },
  );

  it("gives no patch, and says why, for a configuration.nix without imports", () => {
    const changes = configurationChanges(
      noFlake,
      readFileSync("test/fixtures/configurations/no-imports.nix", "utf8"),
    );
    expect(changes.patch).toBeNull();
    expect(changes.markdown).toMatch(
      /There is no configuration.patch: no "imports =" list was found/,
    );
  });

  it("leaves a configuration that imports ./nixos already to the user", () => {
    expect(addNixosImport("{ imports = [ ./nixos ]; }")).toEqual({
      ok: false,
      reason: expect.stringMatching(/already imports \.\/nixos/),
    });
  });
});
