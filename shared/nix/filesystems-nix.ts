// nixos/filesystems.nix: the disk side of a stateless system.
// Install: /nix by filesystem label (on LUKS2 opened in the initrd by
// partition label when encrypted), /boot (vfat) by label, swap by label or,
// beside an encrypted /nix, on a partition re-keyed at every boot. Labels let
// the configuration be written before the disk is formatted (FACTS.md,
// "Installing"); shared/design/labels.ts names them for the step script too.
// Convert (shared/design/convert-layout.ts): the old root partition mounted
// at /nix with its own type and options, or, when the system has a /nix of
// its own, the old root mounted as the storage; GRUB pointed at its folder
// on the partition when /boot was on the root; swap files at their place in
// the storage. /boot and the rest stay as hardware-configuration.nix
// declares them.
import {
  BOOT_FS_TYPE,
  BOOT_OPTIONS,
  FILESYSTEM_LABELS,
  LUKS_NAME,
  PARTITION_LABELS,
  byLabel,
  byPartlabel,
} from "../design/labels";
import type { Design, FsRef } from "../design/types";
import { convertLayout } from "../design/convert-layout";
import { NIX_MOUNT } from "../design/layout";
import {
  apply,
  attrs,
  bind,
  bool,
  lambda,
  list,
  ref,
  str,
  strings,
  type Binding,
  type NixExpr,
} from "./ast";
import { generatedHeader } from "./header";
import { printFile } from "./print";

function mount(fs: FsRef, neededForBoot: boolean): NixExpr {
  const b: Binding[] = [
    bind(["device"], str(fs.device)),
    bind(["fsType"], str(fs.fsType)),
  ];
  // fileSystems.<name>.options must not be empty: leave it out for the default.
  if (fs.options.length) b.push(bind(["options"], strings(fs.options)));
  if (neededForBoot) b.push(bind(["neededForBoot"], bool(true)));
  return attrs(b);
}

export function filesystemsExpr(d: Design): NixExpr {
  const b: Binding[] = [];
  if (d.mode === "install" && d.disk) {
    const disk = d.disk;
    if (disk.encrypt)
      b.push(
        bind(
          ["boot", "initrd", "luks", "devices", LUKS_NAME, "device"],
          str(byPartlabel(PARTITION_LABELS.nix)),
          {
            comment: [
              "The LUKS2 container that holds /nix, opened in the initrd (asks for the passphrase).",
            ],
          },
        ),
      );
    b.push(
      bind(
        ["fileSystems", "/nix"],
        mount(
          {
            device: byLabel(FILESYSTEM_LABELS.nix),
            fsType: disk.nix.fsType,
            options: disk.nix.options,
          },
          true,
        ),
        {
          comment: [
            "The disk: the Nix store and, under it, the persistent storage.",
          ],
        },
      ),
      bind(
        ["fileSystems", "/boot"],
        mount(
          {
            device: byLabel(FILESYSTEM_LABELS.boot),
            fsType: BOOT_FS_TYPE,
            options: [...BOOT_OPTIONS],
          },
          false,
        ),
        {
          comment: [
            disk.bootloader === "systemd-boot"
              ? "The EFI system partition."
              : "The boot partition (grub installs its core image in the BIOS boot partition).",
          ],
        },
      ),
    );
    if (disk.swap)
      b.push(
        bind(
          ["swapDevices"],
          list([
            disk.encrypt
              ? attrs([
                  bind(["device"], str(byPartlabel(PARTITION_LABELS.swap))),
                  bind(["randomEncryption", "enable"], bool(true)),
                ])
              : attrs([bind(["device"], str(byLabel(FILESYSTEM_LABELS.swap)))]),
          ]),
          {
            comment: disk.encrypt
              ? [
                  "Swap with a fresh random key at every boot: memory written there stays as private as the encrypted /nix.",
                ]
              : undefined,
          },
        ),
      );
  } else if (d.mode === "convert" && d.convert) {
    b.push(...convertBindings(d));
    return needsModuleArgs(d) ? lambda(["config", "lib"], attrs(b)) : attrs(b);
  }
  return attrs(b);
}

/** The convert module uses lib.mkForce and config when it rewrites GRUB's folder or the swap list. */
function needsModuleArgs(d: Design): boolean {
  const layout = convertLayout(d);
  return layout.grubBootDir !== null || layout.swapFiles.length > 0;
}

function convertBindings(d: Design): Binding[] {
  const c = d.convert!;
  const layout = convertLayout(d);
  const storage = d.persistence.storage;
  const rootFs: FsRef = {
    device: c.device,
    fsType: c.fsType,
    options: c.options,
  };
  const b: Binding[] = [
    layout.kind === "hoist"
      ? bind(["fileSystems", NIX_MOUNT], mount(rootFs, true), {
          comment: [
            "The old root partition becomes /nix: the migration moves the store to its top and the state to keep under persistent storage.",
          ],
        })
      : bind(["fileSystems", storage], mount(rootFs, true), {
          comment: [
            `The old root filesystem becomes the persistent storage, mounted in the initrd: the kept state is on it where it was, the rest in ${storage}/old-root. /nix stays the filesystem the configuration mounts there.`,
          ],
        }),
  ];
  if (layout.grubBootDir !== null) {
    const mirror: Binding[] = [
      bind(["path"], str(layout.grubBootDir)),
      bind(["devices"], ref("config.boot.loader.grub.devices")),
    ];
    if (layout.bootMount !== null)
      mirror.push(
        bind(
          ["efiSysMountPoint"],
          ref("config.boot.loader.efi.efiSysMountPoint"),
        ),
      );
    b.push(
      bind(
        ["boot", "loader", "grub", "mirroredBoots"],
        apply(ref("lib.mkForce"), list([attrs(mirror)])),
        {
          blankBefore: true,
          comment: [
            `/boot was a folder on the old root, where GRUB keeps grub.cfg and its modules; it stays on the partition as ${layout.grubBootDir}, and GRUB is installed there (it reads the kernels from /nix/store on the same filesystem).`,
            "mkForce replaces the /boot entry NixOS makes from boot.loader.grub.devices: /boot is on the tmpfs now.",
          ],
        },
      ),
    );
  }
  if (layout.swapFiles.length > 0)
    b.push(
      bind(
        ["swapDevices"],
        apply(
          ref("lib.mkForce"),
          list([
            ...layout.swapFiles.map((f) =>
              attrs([bind(["device"], str(f.to))]),
            ),
            ...(c.swapDevices ?? []).map((dev) =>
              attrs([bind(["device"], str(dev))]),
            ),
          ]),
        ),
        {
          blankBefore: true,
          comment: [
            `The swap file${layout.swapFiles.length > 1 ? "s" : ""} ${layout.swapFiles.map((f) => f.from).join(", ")} moved into the storage (the same file${layout.swapFiles.length > 1 ? "s" : ""}): at the old place it would be on the tmpfs.`,
            "mkForce replaces the whole list, so every other swap device of this system is repeated here.",
          ],
        },
      ),
    );
  return b;
}

export function filesystemsNix(d: Design): string {
  return printFile(generatedHeader(d), filesystemsExpr(d));
}
