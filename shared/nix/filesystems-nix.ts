// nixos/filesystems.nix: the disk side of a stateless system.
// Install: /nix by filesystem label (on LUKS2 opened in the initrd by
// partition label when encrypted), /boot (vfat) by label, swap by label or,
// beside an encrypted /nix, on a partition re-keyed at every boot. Labels let
// the configuration be written before the disk is formatted (FACTS.md,
// "Installing"); shared/design/labels.ts names them for the step script too.
// Convert: the old root partition mounted at /nix, with its own type and
// options; /boot and swap stay as hardware-configuration.nix declares them.
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
import {
  attrs,
  bind,
  bool,
  list,
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
    b.push(
      bind(["fileSystems", "/nix"], mount(d.convert, true), {
        comment: [
          "The old root partition becomes /nix: the migration moves the store to its top and the state to keep under persistent storage.",
        ],
      }),
    );
  }
  return attrs(b);
}

export function filesystemsNix(d: Design): string {
  return printFile(generatedHeader(d), filesystemsExpr(d));
}
