// The generated NixOS files, read back by the real nix-instantiate:
// - for random valid designs (hostile characters in paths, storage, names and
//   text), every .nix file parses and the persistence block evaluates to
//   exactly the designed paths and settings;
// - the example designs' modules say what FACTS.md requires, checked on the
//   evaluated values rather than the text.
// nix-instantiate runs once per batch (many files per process).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import { validateDesign } from "../../../../shared/design/validate";
import type { Design } from "../../../../shared/design/types";
import { IMPERMANENCE_REV } from "../../../../shared/nix/impermanence-pin";
import { planFiles } from "../../../../shared/plan-files";
import {
  ACCOUNTS,
  validDesign,
  type Doc,
} from "../../../support/design-arbitrary";
import { describeWith } from "../../../support/needs";
import { nixEval, nixParse, tempDir } from "../../../support/nix";

const RUNS = Number(process.env.TABULA_PROPERTY_RUNS ?? 60);

function writePlan(design: Design, dir: string, userFlake?: string): string[] {
  const nixFiles: string[] = [];
  for (const f of planFiles(design, { userConfig: userFlake })) {
    const file = join(dir, f.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, f.content);
    if (file.endsWith(".nix")) nixFiles.push(file);
  }
  return nixFiles;
}

type Entry = string | Record<string, unknown>;

/** One comparable form for an entry, whether from the design or from Nix. */
function canon(e: Entry, key: "directory" | "file"): Record<string, unknown> {
  const o: Record<string, unknown> =
    typeof e === "string" ? { [key]: e } : { ...e };
  if (o.method === "auto") delete o.method;
  if (
    o.parentDirectory &&
    Object.keys(o.parentDirectory as object).length === 0
  )
    delete o.parentDirectory;
  return o;
}

function canonList(list: Entry[] | undefined, key: "directory" | "file") {
  return (list ?? [])
    .map((e) => canon(e, key))
    .sort((a, b) => (String(a[key]) < String(b[key]) ? -1 : 1));
}

/** What environment.persistence must evaluate to: the design's lists (plus recover.add), compared as sets. */
function expected(d: Doc) {
  const p = d.persistence;
  const add =
    d.mode === "recover" ? d.recover.add : { directories: [], files: [] };
  const users: Record<string, unknown> = {};
  for (const [name, u] of Object.entries(p.users as Record<string, Doc>)) {
    if (u.directories.length + u.files.length === 0) continue;
    users[name] = {
      directories: canonList(u.directories, "directory"),
      files: canonList(u.files, "file"),
    };
  }
  return {
    [p.storage]: {
      hideMounts: p.hideMounts,
      directories: canonList(
        [...p.directories, ...add.directories],
        "directory",
      ),
      files: canonList([...p.files, ...add.files], "file"),
      users,
    },
  };
}

function actual(evaluated: Record<string, Doc>) {
  const out: Record<string, unknown> = {};
  for (const [storage, s] of Object.entries(evaluated)) {
    const users: Record<string, unknown> = {};
    for (const [name, u] of Object.entries(
      (s.users ?? {}) as Record<string, Doc>,
    ))
      users[name] = {
        directories: canonList(u.directories, "directory"),
        files: canonList(u.files, "file"),
      };
    out[storage] = {
      hideMounts: s.hideMounts,
      directories: canonList(s.directories, "directory"),
      files: canonList(s.files, "file"),
      users,
    };
  }
  return out;
}

describeWith(["nix"], "generated Nix for random designs", () => {
  it(`parses, and evaluates to exactly the designed persistence (${RUNS} designs, hostile characters)`, () => {
    const seed = Number(
      process.env.TABULA_PROPERTY_SEED ?? Date.now() % 2 ** 31,
    );
    const docs = fc.sample(validDesign, { numRuns: RUNS, seed });
    const root = tempDir("prop");
    const files: string[] = [];
    const designs = docs.map((doc, i) => {
      const result = validateDesign(doc);
      expect(
        result.design,
        `seed ${seed}, design ${i} refused: ${JSON.stringify(result.problems)}\n${JSON.stringify(doc)}`,
      ).not.toBeNull();
      files.push(...writePlan(result.design!, join(root, `d${i}`)));
      return result.design!;
    });
    nixParse(files);
    // A module with owners under a condition is a function of { config,
    // lib }: read here with every owner declared, so each condition holds
    // (what it does when one is missing: persistence-owners.test.ts).
    const owners = `builtins.listToAttrs (map (name: { inherit name; value = { }; }) ${JSON.stringify(ACCOUNTS).replace(/,/g, " ")})`;
    const evaluated = nixEval(
      `let
         owners = ${owners};
         load = f: let m = import f; in
           if builtins.isFunction m
           then m { config.users = { users = owners; groups = owners; }; lib.mkIf = c: x: assert c; x; }
           else m;
       in [ ${docs.map((_, i) => `(load ${root}/d${i}/nixos/persistence.nix).environment.persistence`).join(" ")} ]`,
    ) as Record<string, Doc>[];
    docs.forEach((doc, i) => {
      expect(
        actual(evaluated[i]!),
        `seed ${seed}, design ${i}: ${JSON.stringify(doc)}`,
      ).toEqual(expected(doc));
    });
    // Install designs: the users' text fields and hashes survive escaping too.
    const installs = designs
      .map((d, i) => [d, i] as const)
      .filter(([d]) => d.mode === "install");
    const users = nixEval(
      `[ ${installs.map(([, i]) => `(import ${root}/d${i}/nixos/configuration.nix { lib.mkDefault = x: x; }).users.users.mira`).join(" ")} ]`,
    ) as Doc[];
    installs.forEach(([d], j) => {
      expect(users[j]!.hashedPassword).toBe(d.users.mira!.hashedPassword);
      expect(users[j]!.description).toBe(d.users.mira!.description);
    });
  });
});

const example = (mode: string) =>
  validateDesign(JSON.parse(readFileSync(`docs/examples/${mode}.json`, "utf8")))
    .design as Design;

describeWith(["nix"], "generated modules say what FACTS.md requires", () => {
  // Modules read with this stub are not evaluated by the module system: a
  // value read through it must not depend on config.
  const stub = `{ config = { }; lib = { mkForce = x: { forced = x; }; mkDefault = x: x; }; }`;

  // Where Nix builds (stateless.nix's build space) is checked through the
  // module system, for each Nix, in build-space.test.ts.
  it("install: tmpfs root mode=755 with its size, immutable users, /nix by label on LUKS", () => {
    const dir = tempDir("install");
    writePlan(example("install"), dir);
    const r = nixEval(`
      let
        stateless = import ${dir}/nixos/stateless.nix ${stub};
        fs = import ${dir}/nixos/filesystems.nix;
        conf = import ${dir}/nixos/configuration.nix ${stub};
        flake = import ${dir}/flake.nix;
        nixos = import ${dir}/nixos/default.nix;
      in {
        root = stateless.fileSystems."/";
        mutable = stateless.users.mutableUsers;
        inherit (fs) fileSystems swapDevices;
        luks = fs.boot.initrd.luks.devices;
        loader = conf.boot.loader;
        host = conf.networking.hostName;
        state = conf.system.stateVersion;
        mira = conf.users.users.mira;
        hostKeys = conf.services.openssh.hostKeys or null;
        inputs = builtins.mapAttrs (_: i: i.url) flake.inputs;
        modules = map baseNameOf nixos.imports;
      }`) as Doc;
    expect(r.root).toEqual({
      device: "tmpfs",
      fsType: "tmpfs",
      options: ["defaults", "size=4G", "mode=755"],
    });
    expect(r.mutable).toBe(false);
    expect(r.fileSystems["/nix"]).toEqual({
      device: "/dev/disk/by-label/tabula-nix",
      fsType: "btrfs",
      options: ["compress-force=zstd", "noatime"],
      neededForBoot: true,
    });
    expect(r.fileSystems["/boot"]).toMatchObject({
      device: "/dev/disk/by-label/TABULA-BOOT",
      fsType: "vfat",
    });
    expect(r.luks).toEqual({
      "tabula-nix": { device: "/dev/disk/by-partlabel/tabula-nix" },
    });
    expect(r.swapDevices).toEqual([
      {
        device: "/dev/disk/by-partlabel/tabula-swap",
        randomEncryption: { enable: true },
      },
    ]);
    expect(r.loader).toEqual({
      "systemd-boot": { enable: true },
      efi: { canTouchEfiVariables: true },
    });
    expect(r.host).toBe("orchid");
    expect(r.state).toBe("25.11");
    expect(r.mira.hashedPassword).toMatch(/^\$y\$/);
    // Only the persisted host key: NixOS would make an RSA one too, new at every boot.
    expect(r.hostKeys).toEqual([
      { path: "/etc/ssh/ssh_host_ed25519_key", type: "ed25519" },
    ]);
    expect(r.inputs).toEqual({
      nixpkgs: "github:NixOS/nixpkgs/nixos-25.11",
      impermanence: `github:nix-community/impermanence/${IMPERMANENCE_REV}`,
    });
    expect(r.modules).toEqual([
      "stateless.nix",
      "filesystems.nix",
      "persistence.nix",
      "configuration.nix",
    ]);
  });

  it("install with grub: the loader goes to the disk; swap without encryption is found by label", () => {
    const d = example("install");
    d.disk = { ...d.disk!, bootloader: "grub", encrypt: false };
    const dir = tempDir("grub");
    writePlan(d, dir);
    const r = nixEval(`
      let fs = import ${dir}/nixos/filesystems.nix; conf = import ${dir}/nixos/configuration.nix ${stub};
      in { grub = conf.boot.loader.grub; swap = fs.swapDevices; luks = fs.boot or null; }`) as Doc;
    expect(r.grub).toEqual({ enable: true, device: "/dev/nvme0n1" });
    expect(r.swap).toEqual([{ device: "/dev/disk/by-label/tabula-swap" }]);
    expect(r.luks).toBeNull();
  });

  it("convert: / forced over the old root, the old root at /nix with its options, needed for boot; users stay mutable", () => {
    const dir = tempDir("convert");
    const files = writePlan(example("convert"), dir);
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      "nixos/default.nix",
      "nixos/filesystems.nix",
      "nixos/persistence.nix",
      "nixos/stateless.nix",
    ]);
    const r = nixEval(`
      let s = import ${dir}/nixos/stateless.nix ${stub}; fs = import ${dir}/nixos/filesystems.nix;
      in { root = s.fileSystems."/"; mutable = s.users.mutableUsers or null; sam = s.users.users.sam; nix = fs.fileSystems."/nix"; }`) as Doc;
    expect(r.root).toEqual({
      forced: {
        device: "tmpfs",
        fsType: "tmpfs",
        options: ["defaults", "size=25%", "mode=755"],
      },
    });
    expect(r.mutable).toBeNull();
    expect(r.sam).toEqual({
      hashedPassword: example("convert").users.sam!.hashedPassword,
    });
    expect(r.nix).toEqual({
      device: "/dev/disk/by-uuid/5b3a6e3c-8d0f-4f5e-9a7c-2f1e0d9c8b7a",
      fsType: "btrfs",
      options: ["subvol=@", "compress=zstd"],
      neededForBoot: true,
    });
  });

  it("convert with GRUB reading /boot from the root on EFI, and a swap file: GRUB pointed at /nix/boot, swapDevices forced", () => {
    const d = example("convert");
    d.convert = {
      ...d.convert!,
      bootloader: "grub",
      boot: { ...d.convert!.boot!, mountPoint: "/boot/efi" },
      swapFiles: ["/swapfile"],
      swapDevices: ["/dev/disk/by-uuid/77-88"],
    };
    const dir = tempDir("convert-grub");
    writePlan(d, dir);
    const r = nixEval(`
      let fs = import ${dir}/nixos/filesystems.nix (${stub} // {
        config.boot.loader.grub.devices = [ "nodev" ];
        config.boot.loader.efi.efiSysMountPoint = "/boot/efi";
      });
      in { grub = fs.boot.loader.grub.mirroredBoots; swap = fs.swapDevices; nix = fs.fileSystems."/nix".device; }`) as Doc;
    expect(r.grub).toEqual({
      forced: [
        {
          path: "/nix/boot",
          devices: ["nodev"],
          efiSysMountPoint: "/boot/efi",
        },
      ],
    });
    expect(r.swap).toEqual({
      forced: [
        { device: "/nix/persistent/swapfile" },
        { device: "/dev/disk/by-uuid/77-88" },
      ],
    });
    expect(r.nix).toBe(d.convert.device);
  });

  it("convert with GRUB on BIOS: no ESP, so no efiSysMountPoint", () => {
    const d = example("convert");
    d.convert = { ...d.convert!, bootloader: "grub", boot: undefined };
    const dir = tempDir("convert-bios");
    writePlan(d, dir);
    const r = nixEval(`
      (import ${dir}/nixos/filesystems.nix (${stub} // {
        config.boot.loader.grub.devices = [ "/dev/sda" ];
      })).boot.loader.grub.mirroredBoots`) as Doc;
    expect(r).toEqual({
      forced: [{ path: "/nix/boot", devices: ["/dev/sda"] }],
    });
  });

  it("convert with a /nix of its own: no /nix entry, the old root as the storage, needed for boot", () => {
    const d = example("convert");
    d.convert = {
      ...d.convert!,
      nix: {
        device: d.convert!.device,
        fsType: "btrfs",
        options: ["subvol=@nix"],
      },
    };
    const dir = tempDir("convert-own-nix");
    writePlan(d, dir);
    const r = nixEval(
      `(import ${dir}/nixos/filesystems.nix).fileSystems`,
    ) as Doc;
    expect(Object.keys(r)).toEqual(["/nix/persistent"]);
    expect(r["/nix/persistent"]).toEqual({
      device: d.convert.device,
      fsType: "btrfs",
      options: ["subvol=@", "compress=zstd"],
      neededForBoot: true,
    });
  });

  it("convert without a flake: nixos/default.nix imports the pinned impermanence first", () => {
    const d = example("convert");
    d.convert = {
      ...d.convert!,
      configType: "configuration.nix",
      flakeAttr: undefined,
    };
    const dir = tempDir("convert-no-flake");
    writePlan(d, dir);
    const r = nixEval(
      `map baseNameOf (import ${dir}/nixos/default.nix).imports`,
    ) as Doc;
    expect(r).toEqual([
      "impermanence.nix",
      "stateless.nix",
      "filesystems.nix",
      "persistence.nix",
    ]);
    nixParse([join(dir, "nixos/impermanence.nix")]);
    expect(readFileSync(join(dir, "nixos/impermanence.nix"), "utf8")).toContain(
      `rev = "${IMPERMANENCE_REV}";`,
    );
  });
});
