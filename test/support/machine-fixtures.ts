// Captured probe outputs (test/fixtures/machine, see its README).
import { readFileSync } from "node:fs";
import {
  mergeBlkid,
  parseBlkidExport,
} from "../../electron/backend/probe-blkid";
import { parseFindmnt } from "../../electron/backend/probe-findmnt";
import { parseLsblk } from "../../electron/backend/probe-lsblk";

export function fixture(name: string): string {
  return readFileSync(
    new URL(`../fixtures/machine/${name}`, import.meta.url),
    "utf8",
  );
}

/** Device and folder names at capture time (capture-info.txt). */
export function captureInfo(): {
  disk1: string;
  disk2: string;
  disk3: string;
  work: string;
} {
  const line = fixture("capture-info.txt").split("\n")[1]!;
  const get = (key: string) => new RegExp(`${key}=(\\S+)`).exec(line)![1]!;
  return {
    disk1: get("disk1"),
    disk2: get("disk2"),
    disk3: get("disk3"),
    work: get("work"),
  };
}

/** lsblk's tree with blkid merged in, as the probe builds it. */
export function capturedDevices() {
  const devices = parseLsblk(fixture("lsblk-loops.json"));
  mergeBlkid(devices, parseBlkidExport(fixture("blkid-loops.txt")));
  return devices;
}

export function capturedMounts() {
  return parseFindmnt(fixture("findmnt.json"));
}
