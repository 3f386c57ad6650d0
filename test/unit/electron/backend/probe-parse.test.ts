// The probe's parsers against real captured outputs (test/fixtures/machine,
// see its README and capture.sh).
import { describe, expect, it } from "vitest";
import { parseBlkidExport } from "../../../../electron/backend/probe-blkid";
import {
  FindmntParseError,
  mountAt,
  parseFindmnt,
} from "../../../../electron/backend/probe-findmnt";
import {
  LsblkParseError,
  parseLsblk,
  walkDevices,
} from "../../../../electron/backend/probe-lsblk";
import {
  classifyOs,
  parseOsRelease,
} from "../../../../electron/backend/probe-os";
import {
  parseFstab,
  parseKernelCmdline,
  parseProcSwaps,
} from "../../../../electron/backend/probe-proc";
import {
  captureInfo,
  capturedDevices,
  capturedMounts,
  fixture,
} from "../../../support/machine-fixtures";

describe("lsblk -J -b -O", () => {
  const info = captureInfo();
  const devices = parseLsblk(fixture("lsblk-loops.json"));
  const byPath = new Map([...walkDevices(devices)].map((d) => [d.path, d]));

  it("reads the tree of disks and partitions with sizes in bytes", () => {
    expect(devices.map((d) => d.path)).toEqual([
      info.disk1,
      info.disk2,
      info.disk3,
    ]);
    expect(devices[0]!.children.map((c) => c.path)).toEqual([
      `${info.disk1}p1`,
      `${info.disk1}p2`,
      `${info.disk1}p3`,
    ]);
    expect(devices[0]!.type).toBe("loop");
    expect(devices[0]!.sizeBytes).toBe(400 * 1024 * 1024);
    expect(byPath.get(`${info.disk1}p1`)!.sizeBytes).toBe(64 * 1024 * 1024);
    expect(byPath.get(`${info.disk1}p1`)!.type).toBe("part");
  });

  it("separates active swap from mount points and keeps each mount's fs root", () => {
    const swap = byPath.get(`${info.disk1}p2`)!;
    expect(swap.isSwap).toBe(true);
    expect(swap.mountPoints).toEqual([]);
    const root = byPath.get(`${info.disk1}p3`)!;
    expect(root.isSwap).toBe(false);
    expect(root.mountPoints).toEqual([`${info.work}/root`]);
    expect(root.fsRoots).toEqual(["/"]);
    expect(byPath.get(`${info.disk1}p1`)!.mountPoints).toEqual([]);
  });

  it("knows no filesystem types without udev (which is why blkid is merged in)", () => {
    expect([...walkDevices(devices)].every((d) => d.fsType === null)).toBe(
      true,
    );
  });

  it("reads the string-valued JSON of util-linux before 2.33 and its single mountpoint", () => {
    const old = JSON.stringify({
      blockdevices: [
        {
          name: "sda",
          size: "500107862016",
          rm: "0",
          ro: "1",
          type: "disk",
          mountpoint: null,
          model: "Samsung SSD 850   ",
          children: [
            {
              name: "sda1",
              size: "536870912",
              type: "part",
              mountpoint: "/boot",
            },
            {
              name: "sda2",
              size: "8589934592",
              type: "part",
              mountpoint: "[SWAP]",
            },
          ],
        },
      ],
    });
    const [disk] = parseLsblk(old);
    expect(disk).toMatchObject({
      path: "/dev/sda",
      sizeBytes: 500107862016,
      readOnly: true,
      removable: false,
      model: "Samsung SSD 850",
    });
    expect(disk!.children[0]!.mountPoints).toEqual(["/boot"]);
    expect(disk!.children[1]!.isSwap).toBe(true);
  });

  it("names what is wrong with output it cannot read", () => {
    expect(() => parseLsblk("lsblk: unknown column")).toThrow(LsblkParseError);
    expect(() => parseLsblk('{"devices": []}')).toThrow(/no "blockdevices"/);
  });
});

describe("blkid -o export", () => {
  const info = captureInfo();

  it("reads one block per device", () => {
    const blkid = parseBlkidExport(fixture("blkid-loops.txt"));
    expect(blkid.get(`${info.disk1}p1`)).toMatchObject({
      TYPE: "vfat",
      LABEL: "BOOT",
      PARTLABEL: "ESP",
    });
    expect(blkid.get(`${info.disk2}p2`)!.TYPE).toBe("crypto_LUKS");
    expect(blkid.get(info.disk1)!.PTTYPE).toBe("gpt");
  });

  it("undoes the backslash escapes of labels with spaces", () => {
    const blkid = parseBlkidExport(
      "DEVNAME=/dev/sdb1\nLABEL=my\\ usb\\ stick\nTYPE=ext4\n",
    );
    expect(blkid.get("/dev/sdb1")!.LABEL).toBe("my usb stick");
  });

  it("fills in what lsblk left empty", () => {
    const devices = capturedDevices();
    const byPath = new Map([...walkDevices(devices)].map((d) => [d.path, d]));
    expect(byPath.get(`${info.disk1}p1`)).toMatchObject({
      fsType: "vfat",
      label: "BOOT",
      partLabel: "ESP",
    });
    expect(byPath.get(`${info.disk1}p2`)!.fsType).toBe("swap");
    expect(byPath.get(`${info.disk1}p3`)!.fsType).toBe("btrfs");
    expect(byPath.get(`${info.disk2}p1`)!.fsType).toBe("ext4");
    expect(byPath.get(`${info.disk2}p3`)!.fsType).toBe("xfs");
    expect(byPath.get(`${info.disk3}p1`)!.label).toBe(
      "nixos-minimal-25.05-x86_64",
    );
    expect(byPath.get(`${info.disk1}p3`)!.uuid).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("findmnt -J", () => {
  const info = captureInfo();

  it("reads the flat list with options split and fs roots", () => {
    const mounts = capturedMounts();
    expect(mountAt(mounts, "/")).toMatchObject({
      source: "/dev/vda",
      fsType: "ext4",
    });
    const iso = mountAt(mounts, `${info.work}/iso`)!;
    expect(iso).toMatchObject({
      source: `${info.disk3}p1`,
      fsType: "btrfs",
      fsRoot: "/",
    });
    expect(iso.options).toContain("ro");
    // btrfs reports an anonymous device number, not the partition's 259:N.
    expect(iso.majMin).toMatch(/^0:/);
  });

  it("flattens the tree form and strips the [/subvolume] suffix of sources", () => {
    const tree = JSON.stringify({
      filesystems: [
        {
          target: "/",
          source: "/dev/nvme0n1p2[/@]",
          fstype: "btrfs",
          options: "rw,relatime,subvol=/@",
          children: [
            {
              target: "/home",
              source: "/dev/nvme0n1p2[/@home]",
              fstype: "btrfs",
              options: "rw",
            },
            {
              target: "/boot",
              source: "/dev/nvme0n1p1",
              fstype: "vfat",
              options: "rw",
            },
          ],
        },
      ],
    });
    const mounts = parseFindmnt(tree);
    expect(mounts.map((m) => [m.target, m.source])).toEqual([
      ["/", "/dev/nvme0n1p2"],
      ["/home", "/dev/nvme0n1p2"],
      ["/boot", "/dev/nvme0n1p1"],
    ]);
    expect(mounts[0]!.options).toEqual(["rw", "relatime", "subvol=/@"]);
  });

  it("sees the last of several mounts on one target", () => {
    const mounts = parseFindmnt(
      JSON.stringify({
        filesystems: [
          {
            target: "/mnt",
            source: "/dev/sda1",
            fstype: "ext4",
            options: "rw",
          },
          { target: "/mnt", source: "tmpfs", fstype: "tmpfs", options: "rw" },
        ],
      }),
    );
    expect(mountAt(mounts, "/mnt")!.fsType).toBe("tmpfs");
    expect(mountAt(mounts, "/nowhere")).toBeNull();
  });

  it("names what is wrong with output it cannot read", () => {
    expect(() => parseFindmnt("")).toThrow(FindmntParseError);
  });
});

describe("/proc/swaps, /proc/cmdline, /etc/fstab", () => {
  it("lists active swap", () => {
    const info = captureInfo();
    expect(parseProcSwaps(fixture("proc-swaps.txt"))).toEqual([
      { path: `${info.disk1}p2`, type: "partition" },
    ]);
  });

  it("decodes the octal escapes of swap file names", () => {
    const text =
      "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/var/my\\040swap\tfile\t1024\t0\t-2\n";
    expect(parseProcSwaps(text)).toEqual([
      { path: "/var/my swap", type: "file" },
    ]);
  });

  it("reads a NixOS ISO's kernel command line (iso-image.nix's kernelParams)", () => {
    const cmdline = parseKernelCmdline(
      "BOOT_IMAGE=/boot/bzImage init=/nix/store/0aa1k0k0ivvrdq0nx9ppnhqalb1xsvx1-nixos-system-nixos-25.05/init root=LABEL=nixos-minimal-25.05-x86_64 boot.shell_on_fail loglevel=4\n",
    );
    expect(cmdline).toEqual({
      root: { kind: "label", value: "nixos-minimal-25.05-x86_64" },
      copytoram: false,
      findiso: null,
    });
    expect(parseKernelCmdline("root=UUID=1234-ABCD copytoram").root).toEqual({
      kind: "uuid",
      value: "1234-ABCD",
    });
    expect(parseKernelCmdline("copytoram").copytoram).toBe(true);
    expect(
      parseKernelCmdline("root=/dev/disk/by-label/NIXOS\\x20ISO").root,
    ).toEqual({ kind: "label", value: "NIXOS ISO" });
    expect(parseKernelCmdline("root=/dev/sr0").root).toEqual({
      kind: "path",
      value: "/dev/sr0",
    });
    expect(parseKernelCmdline("quiet").root).toBeNull();
  });

  it("reads the fstab NixOS writes from fileSystems", () => {
    const fstab = parseFstab(
      [
        "# This is a generated file.  Do not edit!",
        "#",
        "",
        "# Filesystems.",
        "/dev/disk/by-uuid/8c1e3a56-5b8a-4c5e-9c2c-1f0e7d4c2a11 / btrfs x-initrd.mount,subvol=@ 0 0",
        "/dev/disk/by-uuid/12CE-A600 /boot vfat fmask=0077,dmask=0077 0 2",
        "tmpfs /my\\040tmp tmpfs mode=755 0 0",
      ].join("\n"),
    );
    expect(fstab).toEqual([
      {
        spec: "/dev/disk/by-uuid/8c1e3a56-5b8a-4c5e-9c2c-1f0e7d4c2a11",
        file: "/",
        vfsType: "btrfs",
        options: ["x-initrd.mount", "subvol=@"],
      },
      {
        spec: "/dev/disk/by-uuid/12CE-A600",
        file: "/boot",
        vfsType: "vfat",
        options: ["fmask=0077", "dmask=0077"],
      },
      {
        spec: "tmpfs",
        file: "/my tmp",
        vfsType: "tmpfs",
        options: ["mode=755"],
      },
    ]);
  });
});

describe("/etc/os-release", () => {
  const mounts = capturedMounts();

  it("tells the NixOS LiveCD by VARIANT_ID=installer", () => {
    const os = classifyOs(
      parseOsRelease(fixture("os-release-nixos-installer.txt")),
      mounts,
    );
    expect(os).toEqual({
      kind: "nixos-livecd",
      prettyName: "NixOS 25.05 (Warbler)",
      versionId: "25.05",
    });
  });

  it("tells an installed NixOS (empty VARIANT_ID)", () => {
    const release = parseOsRelease(fixture("os-release-nixos.txt"));
    expect(release.VARIANT_ID).toBe("");
    expect(classifyOs(release, mounts).kind).toBe("nixos");
  });

  it("tells another system", () => {
    expect(
      classifyOs(parseOsRelease(fixture("os-release-debian.txt")), mounts),
    ).toEqual({
      kind: "other",
      prettyName: "Debian GNU/Linux 12 (bookworm)",
      versionId: "12",
    });
  });

  it("tells an ISO whose variant was overridden by its mounts (tmpfs /, /iso, /nix/.ro-store)", () => {
    const release = parseOsRelease(fixture("os-release-nixos.txt"));
    const isoMounts = parseFindmnt(
      JSON.stringify({
        filesystems: [
          {
            target: "/",
            source: "tmpfs",
            fstype: "tmpfs",
            options: "rw,mode=755",
          },
          {
            target: "/iso",
            source: "/dev/sdb1",
            fstype: "iso9660",
            options: "ro",
          },
          {
            target: "/nix/.ro-store",
            source: "/dev/loop0",
            fstype: "squashfs",
            options: "ro",
          },
        ],
      }),
    );
    expect(classifyOs(release, isoMounts).kind).toBe("nixos-livecd");
  });

  it("unquotes double-quoted values with escapes", () => {
    expect(parseOsRelease('PRETTY_NAME="Say \\"hi\\""\nID=x')).toEqual({
      PRETTY_NAME: 'Say "hi"',
      ID: "x",
    });
  });
});
