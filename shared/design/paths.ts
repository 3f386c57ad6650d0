// Path rules for a design. System paths are absolute and already in normal
// form (no ".", "..", empty segments or trailing slash): impermanence joins
// them with plain string operations, so "/var//log" and "/var/log" would be
// two different entries to it but one directory on disk. Paths relative to a
// home follow the same rules without the leading slash.

/**
 * Why a path is malformed, as the end of a sentence, or null when it is fine.
 * EXAMPLE replaces the suggestion for a relative path where prefixing "/" is
 * not the fix (the storage path, a file that must be under the storage).
 */
export function systemPathFault(path: string, example?: string): string | null {
  const common = commonFault(path);
  if (common) return common;
  if (!path.startsWith("/"))
    return `is not absolute: write it from the root, e.g. "${example ?? `/${path.replace(/^\.?\/*/, "")}`}"`;
  if (path === "/")
    return 'is the whole root: persist the folders you need, not "/"';
  return segmentFault(path.slice(1), "/");
}

/** Like systemPathFault, for a path relative to a user's home. */
export function homePathFault(path: string): string | null {
  const common = commonFault(path);
  if (common) return common;
  if (path.startsWith("/")) {
    // "/home/mira/Documents" means "Documents"; any other absolute path
    // belongs among the system paths.
    const inHome = /^\/(?:home\/[^/]+|root)\/(.+)$/.exec(path);
    return inHome
      ? `is absolute, but paths under users are relative to the home: write "${inHome[1]}"`
      : `is absolute, but paths under users are relative to the home: write it relative to the home, or list "${path}" under persistence.directories`;
  }
  if (path === "~" || path.startsWith("~/"))
    return `starts with "~": paths under users are already relative to the home, write "${path.replace(/^~\/?/, "")}"`;
  return segmentFault(path, "");
}

function commonFault(path: string): string | null {
  if (path === "") return "is empty: give a path";
  if (path.includes("\0")) return "contains a NUL character: remove it";
  if (path.includes("\n") || path.includes("\r"))
    return "contains a line break: remove it";
  // eslint-disable-next-line no-control-regex
  if (/[\x01-\x1f\x7f]/.test(path))
    return "contains a control character: remove it";
  return null;
}

function segmentFault(rest: string, prefix: string): string | null {
  if (rest.endsWith("/"))
    return `ends with a slash: remove it ("${prefix}${trimSlashes(rest)}")`;
  const segments = rest.split("/");
  if (segments.some((s) => s === ""))
    return 'has an empty segment ("//"): write each folder once';
  if (segments.some((s) => s === "." || s === ".."))
    return 'has a "." or ".." segment: write the path it stands for';
  return null;
}

function trimSlashes(path: string): string {
  return path.replace(/\/+$/, "");
}

/** True when `path` is `base` or lies under it (both normalized, absolute). */
export function isAtOrUnder(path: string, base: string): boolean {
  if (base === "/") return true;
  return path === base || path.startsWith(base + "/");
}

/** Strict ancestors of a normalized absolute path, nearest first ("/" excluded). */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  let at = path.lastIndexOf("/");
  while (at > 0) {
    out.push(path.slice(0, at));
    at = path.lastIndexOf("/", at - 1);
  }
  return out;
}

/** Joins a home and a relative path (both valid). */
export function underHome(home: string, relative: string): string {
  return home === "/" ? `/${relative}` : `${home}/${relative}`;
}

/** Code-unit order, the same on every machine and locale (for sorting). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
