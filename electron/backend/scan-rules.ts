// What the scanner leaves out because it is not lost at reboot, or not state.
// Pure. Paths are as seen on the live system. docs/scan.md lists the rules
// with their sources.

/** Never scanned: the store and persistent storage (/nix), and kernel or runtime filesystems. */
export const EXCLUDED = new Set(["/nix", "/proc", "/sys", "/dev", "/run"]);

/** Listed apart, as scratch that is expected to go. */
export const SCRATCH = "/tmp";

/**
 * Files NixOS writes itself at every activation or boot, with no state of
 * the user's in them (nixpkgs):
 * - update-users-groups.pl rewrites passwd, group, shadow, subuid and subgid
 *   from users.users and users.groups;
 * - setup-etc.pl keeps /etc/.clean (the files it copied), creates /etc/NIXOS
 *   and links /etc/static; /etc/mtab is its "direct-symlink" to /proc/mounts
 *   and /etc/sudoers a copied file (both also listed in /etc/.clean);
 * - /etc/.pwd.lock is the shadow tools' lock file;
 * - resolvconf.service (and systemd-resolved) write /etc/resolv.conf at boot;
 * - systemd-update-done.service stamps /etc/.updated and /var/.updated;
 * - the "var" activation snippet recreates the empty, immutable /var/empty.
 * Every file /etc/.clean of the scanned root lists is also NixOS's.
 */
export const REGENERATED = new Set([
  "/etc/passwd",
  "/etc/group",
  "/etc/shadow",
  "/etc/subuid",
  "/etc/subgid",
  "/etc/.clean",
  "/etc/NIXOS",
  "/etc/static",
  "/etc/mtab",
  "/etc/sudoers",
  "/etc/.pwd.lock",
  "/etc/resolv.conf",
  "/etc/.updated",
  "/var/.updated",
  "/var/empty",
]);

/**
 * Folders that hold unrelated things side by side: they are always opened
 * one level, so /var/lib/docker and /var/lib/postgresql are two entries
 * (two decisions) even when nothing inside /var/lib is Nix-managed.
 */
export const SPREAD = new Set([
  "/",
  "/etc",
  "/home",
  "/var",
  "/var/lib",
  "/var/cache",
  "/var/log",
  "/srv",
  "/opt",
  "/usr",
  "/usr/local",
  "/mnt",
  "/media",
]);

/**
 * Is a symlink at `linkPath` with target `target` Nix-managed: pointing into
 * /nix/store or /etc/static (where NixOS links /etc and the files it places)?
 * Relative targets are resolved against the link's folder first.
 */
export function isManagedLink(linkPath: string, target: string): boolean {
  const absolute = target.startsWith("/")
    ? target
    : resolveRelative(
        linkPath.slice(0, linkPath.lastIndexOf("/")) || "/",
        target,
      );
  return (
    absolute.startsWith("/nix/store/") ||
    absolute === "/etc/static" ||
    absolute.startsWith("/etc/static/")
  );
}

function resolveRelative(dir: string, target: string): string {
  const parts = dir.split("/").filter((p) => p !== "");
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** The file names /etc/.clean lists (relative to /etc), as live paths. */
export function parseEtcClean(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => `/etc/${line}`);
}

/** "/var" + "lib" -> "/var/lib"; "/" + "etc" -> "/etc". */
export function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}
