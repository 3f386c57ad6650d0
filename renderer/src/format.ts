// Small display helpers shared by the screens.
import { formatBytes } from "../../shared/size";

export { formatBytes };

/** Disk sizes as vendors print them on the box (decimal), with the binary size beside. */
export function diskSize(bytes: number): string {
  const gb = bytes / 1e9;
  const vendor =
    gb >= 1000
      ? `${(gb / 1000).toFixed(gb >= 10_000 ? 0 : 1)} TB`
      : `${Math.round(gb)} GB`;
  return `${vendor} (${formatBytes(bytes)})`;
}

/** "3 days ago" style age of an ISO time, relative to now. */
export function age(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "unknown";
  const s = Math.max(0, Math.round((now - t) / 1000));
  const units: [number, string][] = [
    [365 * 86400, "year"],
    [30 * 86400, "month"],
    [7 * 86400, "week"],
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    if (s >= size) {
      const n = Math.floor(s / size);
      return `${n} ${name}${n === 1 ? "" : "s"} ago`;
    }
  }
  return "just now";
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A file name as it can be read on screen: control characters (a newline, a
 * tab, an escape) written as \n, \t, \x1b, so a name never breaks a line
 * or hides inside one. Spaces are kept (show it with white-space: pre).
 */
export function visibleName(name: string): string {
  // eslint-disable-next-line no-control-regex -- finding them is the point
  return name.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === "\n"
      ? "\\n"
      : c === "\t"
        ? "\\t"
        : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
