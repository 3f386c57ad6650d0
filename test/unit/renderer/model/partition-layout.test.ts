import { describe, expect, it } from "vitest";
import type { DiskDesign } from "../../../../shared/design/types";
import { partitionLayout } from "../../../../renderer/src/model/partition-layout";

const GiB = 1024 ** 3;
const disk = (over: Partial<DiskDesign> = {}): DiskDesign => ({
  device: "/dev/vda",
  bootloader: "systemd-boot",
  esp: { size: "1G" },
  encrypt: false,
  nix: { fsType: "btrfs", options: [] },
  ...over,
});

describe("partition layout", () => {
  it("gives /nix what the ESP and swap leave", () => {
    const l = partitionLayout(
      disk({ swap: { size: "8G" }, encrypt: true }),
      100 * GiB,
    );
    expect(l.segments.map((s) => [s.key, s.bytes])).toEqual([
      ["esp", GiB],
      ["swap", 8 * GiB],
      ["nix", 91 * GiB],
    ]);
    expect(l.segments[2]!.detail).toContain("btrfs on LUKS2");
    expect(l.fits).toBe(true);
  });

  it("adds the BIOS boot partition for GRUB", () => {
    const l = partitionLayout(
      disk({ bootloader: "grub", esp: { size: "512M" } }),
      20 * GiB,
    );
    expect(l.segments.map((s) => s.key)).toEqual(["bios", "boot", "nix"]);
    expect(l.fixedBytes).toBe(1024 ** 2 + 512 * 1024 ** 2);
  });

  it("says when too little is left for /nix, and treats a half-typed size as zero", () => {
    expect(
      partitionLayout(disk({ swap: { size: "16G" } }), 20 * GiB).fits,
    ).toBe(false);
    const typing = partitionLayout(disk({ esp: { size: "1" } }), 20 * GiB);
    expect(typing.segments[0]!.bytes).toBe(0);
    expect(typing.segments[0]!.unsized).toBe(true);
    expect(typing.segments[1]!.bytes).toBe(20 * GiB);
    expect(typing.segments[1]!.unsized).toBeUndefined();
    // No disk chosen: /nix has no size yet either; valid sizes are sized.
    const none = partitionLayout(disk(), null);
    expect(none.segments.map((s) => [s.key, s.unsized ?? false])).toEqual([
      ["esp", false],
      ["nix", true],
    ]);
  });
});
