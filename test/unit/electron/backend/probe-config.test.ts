// The running system's NixOS configuration, its root and boot filesystems as
// the config names them, and the tools on PATH.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { probeMachine } from "../../../../electron/backend/probe";
import {
  detectNixosConfig,
  readHostname,
} from "../../../../electron/backend/probe-nixos-config";
import { findTools } from "../../../../electron/backend/probe-tools";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "machine-config-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the NixOS configuration", () => {
  it("is a flake whose host attribute is the hostname (nixos-rebuild's default)", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "flake.nix"), "{ outputs = _: { }; }");
    writeFileSync(join(dir, "configuration.nix"), "{ }");
    expect(await detectNixosConfig(dir, "tern")).toEqual({
      dir,
      isFlake: true,
      flakeAttr: "tern",
    });
  });

  it("is a plain configuration.nix without a host attribute", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "configuration.nix"), "{ }");
    expect(await detectNixosConfig(dir, "tern")).toEqual({
      dir,
      isFlake: false,
      flakeAttr: null,
    });
  });

  it("is absent when the folder holds neither", async () => {
    expect(await detectNixosConfig(tempDir(), "tern")).toBeNull();
    expect(await detectNixosConfig("/nonexistent/machine", "tern")).toBeNull();
  });

  it("takes the hostname from /etc/hostname", async () => {
    const file = join(tempDir(), "hostname");
    writeFileSync(file, "tern\n");
    expect(await readHostname(file)).toBe("tern");
  });
});

describe("the running system's filesystems", () => {
  it("names / and /boot as the fstab NixOS writes from fileSystems does", async () => {
    const dir = tempDir();
    const fstab = join(dir, "fstab");
    writeFileSync(
      fstab,
      "/dev/disk/by-uuid/8c1e3a56-5b8a-4c5e-9c2c-1f0e7d4c2a11 / ext4 defaults 0 1\n",
    );
    const facts = await probeMachine({ disks: [], files: { fstab } });
    expect(facts.rootFs?.fstabDevice).toBe(
      "/dev/disk/by-uuid/8c1e3a56-5b8a-4c5e-9c2c-1f0e7d4c2a11",
    );
    expect(facts.disks).toEqual([]);
    const withoutFstab = await probeMachine({
      disks: [],
      files: { fstab: join(dir, "missing") },
    });
    expect(withoutFstab.rootFs?.fstabDevice).toBeNull();
  });

  it("reads the firmware from /sys/firmware/efi", async () => {
    const efi = await probeMachine({ disks: [], files: { efiDir: tempDir() } });
    expect(efi.firmware).toBe("uefi");
    const bios = await probeMachine({
      disks: [],
      files: { efiDir: "/nonexistent/efi" },
    });
    expect(bios.firmware).toBe("bios");
  });
});

describe("tools", () => {
  it("finds executables on PATH, not plain files", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "nixos-install"), "#!/bin/sh\n");
    chmodSync(join(dir, "nixos-install"), 0o755);
    writeFileSync(join(dir, "nixos-enter"), "not executable");
    chmodSync(join(dir, "nixos-enter"), 0o644);
    expect(
      findTools(["nixos-install", "nixos-enter", "nixos-rebuild"], dir),
    ).toEqual({
      "nixos-install": true,
      "nixos-enter": false,
      "nixos-rebuild": false,
    });
  });
});
