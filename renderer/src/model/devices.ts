// Say which device a path is, in the words a person checks against the
// hardware: "Samsung SSD 980, 1 TB (931.5 GiB)". Used wherever a step is
// about to change a disk or partition.
import type {
  Disk,
  MachineFacts,
  Partition,
} from "../../../shared/machine/types";
import { diskSize, formatBytes } from "../format";

export interface DeviceInfo {
  path: string;
  disk: Disk | null;
  partition: Partition | null;
  /**
   * One line: model and size, and for a partition the disk it is on. No
   * parentheses of its own at the top level, so it reads after a colon or a
   * dash wherever a device is named.
   */
  description: string;
}

export function describeDevice(
  facts: MachineFacts | null,
  path: string,
): DeviceInfo {
  for (const disk of facts?.disks ?? []) {
    if (disk.path === path)
      return {
        path,
        disk,
        partition: null,
        description: `${disk.model ?? "unknown model"}, ${diskSize(disk.sizeBytes)}`,
      };
    const partition = disk.partitions.find(
      (p) =>
        p.path === path ||
        (p.uuid && path === `/dev/disk/by-uuid/${p.uuid}`) ||
        (p.label && path === `/dev/disk/by-label/${p.label}`) ||
        (p.partLabel && path === `/dev/disk/by-partlabel/${p.partLabel}`) ||
        (p.partUuid && path === `/dev/disk/by-partuuid/${p.partUuid}`),
    );
    if (partition)
      return {
        path,
        disk,
        partition,
        description: `${partition.fsType ? `${partition.fsType} partition` : "unformatted partition"} ${partition.path} of ${formatBytes(partition.sizeBytes)} on ${disk.path}, ${disk.model ?? "unknown model"}`,
      };
  }
  return {
    path,
    disk: null,
    partition: null,
    description: "not found on this machine",
  };
}
