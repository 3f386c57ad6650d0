// Names on disk the step script uses. The partition and filesystem labels
// and the LUKS name are the design stream's (shared/design/labels.ts), which
// the generated filesystems.nix refers to; this file adds the step script's
// own names.
export {
  BOOT_FS_TYPE,
  BOOT_OPTIONS,
  FILESYSTEM_LABELS,
  LUKS_NAME,
  PARTITION_LABELS,
} from "../design/labels";
export { HARDWARE_CONFIG_FILE, INSTALL_CONFIG_DIR } from "../design/layout";

/**
 * The LUKS2 header's own label. It must differ from the filesystem label
 * inside: udev links both under /dev/disk/by-label/.
 */
export const LUKS_HEADER_LABEL = "tabula-crypt";

/** On the converted partition (mounted at /nix): the quarantine of the old root. */
export const QUARANTINE = "old-root";

/** On the partition: Tabula's own folder (migration.json, the journal, the plan copy). */
export const TABULA_DIR = ".tabula";

/** The generated modules' folder inside the configuration directory (`./nixos` in the flake). */
export const MODULES_DIR = "nixos";

/** Smallest /nix partition the install phase accepts (as validation asks for when the disk size is known). */
export const MIN_NIX_BYTES = 8 * 1024 ** 3;
