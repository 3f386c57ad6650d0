import { describe, expect, it } from "vitest";
import {
  DEFAULT_STATE_VERSION,
  newDesign,
} from "../../../../renderer/src/model/new-design";
import { validateDesign } from "../../../../shared/design/validate";
import { baseEntries } from "../../../../renderer/src/model/presets";
import { sampleFacts } from "../support";

const livecd = () =>
  sampleFacts({
    rootFs: { device: "tmpfs", fsType: "tmpfs", options: ["mode=755"] },
    rootIsTmpfs: true,
    installs: [
      {
        device: "/dev/nvme0n1p2",
        fsType: "ext4",
        migrationPending: false,
        hasOldRoot: true,
        converted: false,
      },
    ],
  });

describe("a new design from what the probe found", () => {
  it("from the LiveCD, converts the NixOS found on a disk (by UUID), not the LiveCD's tmpfs", () => {
    const d = newDesign("convert", livecd(), baseEntries());
    expect(d.convert?.device).toBe("/dev/disk/by-uuid/1111-2222");
    expect(d.convert?.fsType).toBe("ext4");
  });

  it("recovers from old-root/ on the LiveCD, and live only on a running stateless NixOS", () => {
    expect(newDesign("recover", livecd(), baseEntries()).recover?.from).toBe(
      "old-root",
    );
    const running = livecd();
    running.os = { kind: "nixos", prettyName: "NixOS", versionId: "25.11" };
    running.mounts = [
      {
        target: "/nix",
        source: "/dev/nvme0n1p2",
        fsType: "ext4",
        options: ["rw"],
      },
    ];
    const d = newDesign("recover", running, baseEntries());
    expect(d.recover?.from).toBe("live");
    expect(d.recover?.nix).toEqual({
      device: "/dev/disk/by-uuid/1111-2222", // the stable name, not the kernel's
      fsType: "ext4",
      options: ["rw"],
    });
  });

  it("from the LiveCD, a recover design mounts the quarantine's partition and the ESP beside it", () => {
    const d = newDesign("recover", livecd(), baseEntries());
    expect(d.recover?.nix).toEqual({
      device: "/dev/disk/by-uuid/1111-2222",
      fsType: "ext4",
      options: [],
    });
    expect(d.recover?.boot).toEqual({
      device: "/dev/disk/by-uuid/AB12-CD34",
      fsType: "vfat",
      options: [],
      mountPoint: "/boot",
    });
    // Only the host attribute is left to the user.
    d.recover!.flakeAttr = "orchid";
    d.recover!.add.directories.push("/var/lib/docker");
    expect(
      validateDesign(d).problems.filter((p) => p.severity === "error"),
    ).toEqual([]);
  });

  it("takes stateVersion from the NixOS it runs on, never from another OS", () => {
    const nixos = livecd();
    nixos.os = {
      kind: "nixos-livecd",
      prettyName: "NixOS 25.05",
      versionId: "25.05",
    };
    expect(newDesign("install", nixos, baseEntries()).stateVersion).toBe(
      "25.05",
    );
    const debian = livecd();
    debian.os = { kind: "other", prettyName: "Debian 12", versionId: "12" };
    const fromDebian = newDesign("install", debian, baseEntries());
    expect(fromDebian.stateVersion).toBe(DEFAULT_STATE_VERSION);
    expect(
      validateDesign(fromDebian).problems.map((p) => p.path),
    ).not.toContain("stateVersion");
  });

  it("sizes / from memory and picks the bootloader from the firmware", () => {
    const bios = sampleFacts({ firmware: "bios", memoryBytes: 2 * 1024 ** 3 });
    const d = newDesign("install", bios, baseEntries());
    expect(d.disk?.bootloader).toBe("grub");
    expect(d.root.size).toBe("1G");
    expect(newDesign("install", null, baseEntries()).root.size).toBe("2G");
  });
});

describe("the suggested install disk", () => {
  it("is an empty disk, or none when every candidate holds data and there is a choice", () => {
    const facts = sampleFacts();
    const empty = {
      ...facts.disks[0]!,
      path: "/dev/sdc",
      partitions: [],
      model: "Empty",
    };
    facts.disks.push(empty);
    expect(newDesign("install", facts, baseEntries()).disk?.device).toBe(
      "/dev/sdc",
    );
    const two = sampleFacts();
    two.disks.push({ ...two.disks[0]!, path: "/dev/sdd" });
    expect(newDesign("install", two, baseEntries()).disk?.device).toBe("");
    expect(
      newDesign("install", sampleFacts(), baseEntries()).disk?.device,
    ).toBe("/dev/nvme0n1");
  });
});

describe("the boot partition of a conversion from the LiveCD", () => {
  it("is the FAT partition beside the install, by UUID", () => {
    const d = newDesign("convert", livecd(), baseEntries());
    expect(d.convert?.boot).toEqual({
      device: "/dev/disk/by-uuid/AB12-CD34",
      fsType: "vfat",
      options: [],
      mountPoint: "/boot",
    });
  });
});
