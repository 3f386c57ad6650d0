import { describe, expect, it } from "vitest";
import { describeDevice } from "../../../../renderer/src/model/devices";
import { sampleFacts } from "../support";

describe("device descriptions", () => {
  it("names model and size of a disk, and the disk of a partition by any name", () => {
    const facts = sampleFacts();
    expect(describeDevice(facts, "/dev/nvme0n1").description).toBe(
      "Samsung SSD 980 PRO 512GB, 512 GB (477 GiB)",
    );
    expect(
      describeDevice(facts, "/dev/disk/by-uuid/1111-2222").description,
    ).toBe(
      "ext4 partition /dev/nvme0n1p2 of 476 GiB on /dev/nvme0n1, Samsung SSD 980 PRO 512GB",
    );
    expect(describeDevice(facts, "/dev/sdz").description).toBe(
      "not found on this machine",
    );
  });
});
