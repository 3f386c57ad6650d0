// Sizes as users write them in a design: "512M", "4G", "1T", and for the
// tmpfs root also a share of RAM, "25%". Integers only: tmpfs (memparse) and
// sgdisk both reject fractions, so "1.5G" is refused here rather than there.

export type Size =
  | { kind: "bytes"; bytes: number; text: string }
  | { kind: "percent"; percent: number; text: string };

export type SizeResult =
  { ok: true; size: Size } | { ok: false; message: string };

const UNITS: Record<string, number> = {
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
};

/** Parses a size; `allowPercent` admits "N%" (1 to 100), meant for tmpfs. */
export function parseSize(
  text: unknown,
  options: { allowPercent?: boolean } = {},
): SizeResult {
  const hint = options.allowPercent
    ? 'write a whole number with K, M, G or T (binary units), or a share of RAM such as "25%"'
    : 'write a whole number with K, M, G or T (binary units), such as "512M" or "8G"';
  if (typeof text !== "string") {
    return { ok: false, message: `a size must be a string: ${hint}` };
  }
  const percent = /^([0-9]{1,3})%$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    if (!options.allowPercent) {
      return { ok: false, message: `"${text}" is a percentage; ${hint}` };
    }
    if (value < 1 || value > 100) {
      return { ok: false, message: `"${text}" must be between 1% and 100%` };
    }
    return { ok: true, size: { kind: "percent", percent: value, text } };
  }
  const match = /^([0-9]{1,12})([KMGT])$/.exec(text);
  if (!match) {
    return { ok: false, message: `"${text}" is not a size: ${hint}` };
  }
  const bytes = Number(match[1]) * UNITS[match[2] as string]!;
  if (bytes === 0) {
    return { ok: false, message: `"${text}" is zero: give a size above zero` };
  }
  return { ok: true, size: { kind: "bytes", bytes, text } };
}

/** Human-readable binary size, e.g. 1536 MiB -> "1.5 GiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${Number(value.toFixed(digits))} ${units[unit]}`;
}
