// Where Tabula's own files are. The same module runs from electron/*.ts in a
// checkout (tsx), from out/main/*.js after a build, from inside
// resources/app.asar in the electron-builder package and from
// $out/lib/tabula in the Nix package, so nothing may be located relative to
// the module's own folder; start from the app root instead.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The nearest folder at or above `from` whose package.json is Tabula's
 * (name "tabula"). Throws, naming `from`, when there is none.
 */
export function appRoot(from: string = import.meta.url): string {
  const start = from.startsWith("file:") ? fileURLToPath(from) : from;
  let dir = start;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && isTabulaManifest(manifest)) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(
        `no package.json named "tabula" at or above ${start}: run Tabula from its checkout or its installed package`,
      );
    dir = parent;
  }
}

function isTabulaManifest(path: string): boolean {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { name?: unknown };
    return parsed.name === "tabula";
  } catch {
    return false;
  }
}
