// The NixOS flake (build/nixos) with the Nix this machine has (Debian's
// nix-bin) and no nixpkgs: every .nix file parses, the lock fix-up that
// Nix's npm fetchers need is evaluated on the committed package-lock.json,
// and the LiveCD module is evaluated against a stand-in for nixpkgs' lib and
// packages. Building the package and the ISO needs nixpkgs (docs/packaging.md).
import { execFileSync } from "node:child_process";
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWith } from "../../support/needs";

const root = resolve(import.meta.dirname, "../../..");
const flakeDir = join(root, "build/nixos");
const SKIP_DIRS = new Set(["node_modules", ".git", "out", "release", ".tmp"]);

function nixFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory())
      return SKIP_DIRS.has(entry.name) ? [] : nixFiles(join(dir, entry.name));
    return entry.name.endsWith(".nix") ? [join(dir, entry.name)] : [];
  });
}

function evalJson(expression: string): unknown {
  const out = execFileSync(
    "nix-instantiate",
    ["--eval", "--strict", "--json", "-E", expression],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  return JSON.parse(out);
}

type LockEntry = Record<string, unknown> & { version?: string };
type Lock = { packages: Record<string, LockEntry> };

describeWith(["nix"], "the NixOS flake (build/nixos)", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "nixos-flake-test-"));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("parses every .nix file in the repository", () => {
    const files = nixFiles(root);
    expect(files.map((f) => relative(root, f))).toEqual(
      expect.arrayContaining([
        "build/nixos/flake.nix",
        "build/nixos/package.nix",
        "build/nixos/livecd.nix",
        "build/nixos/npm-lock-resolved.nix",
      ]),
    );
    const failures = files.flatMap((file) => {
      try {
        execFileSync("nix-instantiate", ["--parse", file], { stdio: "pipe" });
        return [];
      } catch (error) {
        const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
        return [`${relative(root, file)}: ${stderr.trim()}`];
      }
    });
    expect(failures).toEqual([]);
  });

  it("declares the inputs and outputs the docs promise", () => {
    const flake = evalJson(`
      let f = import ${flakeDir}/flake.nix; in {
        inherit (f) description;
        nixpkgs = f.inputs.nixpkgs.url;
        args = builtins.attrNames (builtins.functionArgs f.outputs);
      }`) as { description: string; nixpkgs: string; args: string[] };
    expect(flake.nixpkgs).toMatch(/^github:NixOS\/nixpkgs\/nixos-\d\d\.\d\d$/);
    expect(flake.args).toEqual(["nixpkgs", "self"]);
    const text = readFileSync(join(flakeDir, "flake.nix"), "utf8");
    for (const output of [
      "packages.${system}",
      "tabula = tabulaFor pkgs;",
      "iso = self.nixosConfigurations.livecd.config.system.build.isoImage;",
      "nixosModules.livecd",
      "nixosConfigurations.livecd",
      "installer/cd-dvd/installation-cd-minimal.nix",
    ])
      expect(text).toContain(output);
  });

  it("gives every registry package of the committed lock its npm tarball URL", () => {
    const original = JSON.parse(
      readFileSync(join(root, "package-lock.json"), "utf8"),
    ) as Lock;
    const fixed = evalJson(
      `import ${flakeDir}/npm-lock-resolved.nix (builtins.fromJSON (builtins.readFile ${root}/package-lock.json))`,
    ) as Lock;

    expect(Object.keys(fixed.packages).sort()).toEqual(
      Object.keys(original.packages).sort(),
    );
    expect(fixed.packages[""]).toEqual(original.packages[""]);
    // URLs as the registry gives them (checked with `npm view ... dist.tarball`).
    expect(fixed.packages["node_modules/node-pty"]?.resolved).toBe(
      `https://registry.npmjs.org/node-pty/-/node-pty-${original.packages["node_modules/node-pty"]?.version}.tgz`,
    );
    const esbuild = original.packages["node_modules/@esbuild/linux-x64"];
    expect(fixed.packages["node_modules/@esbuild/linux-x64"]?.resolved).toBe(
      `https://registry.npmjs.org/@esbuild/linux-x64/-/linux-x64-${esbuild?.version}.tgz`,
    );
    for (const [path, entry] of Object.entries(original.packages)) {
      if (path === "") continue;
      const name = path.slice(path.lastIndexOf("node_modules/") + 13);
      const base = name.slice(name.indexOf("/") + 1);
      const expected =
        entry.resolved ??
        `https://registry.npmjs.org/${name}/-/${base}-${entry.version}.tgz`;
      expect({ path, ...fixed.packages[path] }).toEqual({
        path,
        ...entry,
        resolved: expected,
      });
    }
  });

  it("leaves the root, links, bundled and non-registry entries alone", () => {
    const lockFile = join(work, "lock.json");
    const lock: Lock = {
      packages: {
        "": { name: "app", version: "1.0.0" },
        "node_modules/alias": {
          name: "@scope/real",
          version: "2.0.0",
          integrity: "sha512-a",
        },
        "node_modules/a/node_modules/@s/deep": {
          version: "3.1.4",
          integrity: "sha512-b",
        },
        "node_modules/linked": { resolved: "packages/linked", link: true },
        "node_modules/bundler/node_modules/inside": {
          version: "1.0.0",
          inBundle: true,
        },
        "node_modules/from-git": {
          version: "1.0.0",
          resolved: "git+ssh://git@example.org/x.git#abc",
        },
        "packages/linked": { version: "0.0.1" },
      },
    };
    writeFileSync(lockFile, JSON.stringify(lock));
    const fixed = evalJson(
      `import ${flakeDir}/npm-lock-resolved.nix (builtins.fromJSON (builtins.readFile ${lockFile}))`,
    ) as Lock;
    expect(fixed.packages).toEqual({
      ...lock.packages,
      "node_modules/alias": {
        ...lock.packages["node_modules/alias"],
        resolved: "https://registry.npmjs.org/@scope/real/-/real-2.0.0.tgz",
      },
      "node_modules/a/node_modules/@s/deep": {
        ...lock.packages["node_modules/a/node_modules/@s/deep"],
        resolved: "https://registry.npmjs.org/@s/deep/-/deep-3.1.4.tgz",
      },
    });
  });

  // The module evaluated against a stand-in for nixpkgs: its own logic
  // (who runs Tabula, how, which tools, the checks for the probe), not
  // nixpkgs' options, which only a real evaluation with nixpkgs checks.
  function evalLivecd(configOverrides: string) {
    return evalJson(`
      let
        names = [ "gptfdisk" "parted" "btrfs-progs" "dosfstools" "e2fsprogs"
          "xfsprogs" "cryptsetup" "rsync" "nix-output-monitor" "util-linux"
          "attr" "acl" "git" "efibootmgr" "mkpasswd" "dejavu_fonts" ];
        pkgs = builtins.listToAttrs (map (n: { name = n; value = "pkg-" + n; }) names) // {
          writeShellScript = name: text: { inherit name text; };
        };
        lib = {
          mkOption = o: o;
          types.package = "package";
          getExe' = pkg: exe: "\${pkg}/bin/\${exe}";
        };
        config = {
          tabula.livecd.package = "/tabula";
          fileSystems."/iso" = { device = "/dev/root"; };
          system.nixos.variant_id = "installer";
        } // (${configOverrides});
        module = import ${flakeDir}/livecd.nix { inherit config lib pkgs; };
      in module.config // { assertions = map (a: a.assertion) module.config.assertions; }`) as {
      assertions: boolean[];
      services: {
        cage: {
          enable: boolean;
          user: string;
          extraArguments: string[];
          program: { text: string };
          environment: Record<string, string>;
        };
        getty: { helpLine: string };
      };
      systemd: {
        services: Record<string, { unitConfig: Record<string, string> }>;
      };
      environment: { systemPackages: string[] };
      fonts: { fontconfig: { enable: boolean } };
    };
  }

  it("starts Tabula full screen as root under cage, with a way out to a shell", () => {
    const config = evalLivecd("{ }");
    expect(config.assertions).toEqual([true, true]);
    const cage = config.services.cage;
    expect(cage).toMatchObject({ enable: true, user: "root" });
    expect(cage.program.text).toContain(
      "exec /tabula/bin/tabula-gui --no-sandbox --ozone-platform=wayland",
    );
    expect(cage.extraArguments).toContain("-s"); // Ctrl+Alt+Fn reaches the consoles
    expect(cage.environment.WLR_RENDERER_ALLOW_SOFTWARE).toBe("1");
    expect(config.systemd.services["cage-tty1"]?.unitConfig).toEqual({
      OnSuccess: "getty@tty1.service",
      OnFailure: "getty@tty1.service",
    });
    expect(config.services.getty.helpLine).toContain("Ctrl+Alt+F1");
    expect(config.services.getty.helpLine).toContain("sudo -i");
    expect(config.fonts.fontconfig.enable).toBe(true);
  });

  it("puts the tools the steps need in the image", () => {
    const packages = evalLivecd("{ }").environment.systemPackages;
    for (const tool of [
      "gptfdisk",
      "parted",
      "btrfs-progs",
      "dosfstools",
      "e2fsprogs",
      "xfsprogs",
      "cryptsetup",
      "rsync",
      "nix-output-monitor",
    ])
      expect(packages).toContain(`pkg-${tool}`);
    expect(packages).toContain("/tabula");
  });

  it("refuses a configuration that hides the LiveCD from Tabula's probe", () => {
    expect(evalLivecd(`{ fileSystems = { }; }`).assertions).toEqual([
      false,
      true,
    ]);
    expect(
      evalLivecd(`{ system.nixos.variant_id = "live"; }`).assertions,
    ).toEqual([true, false]);
  });
});
