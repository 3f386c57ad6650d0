// The LD_PRELOAD shim of the fault-injection tests (rename-fault.c beside
// this file), compiled once per suite: it counts the renames (and, with
// TABULA_FAULT_DIRS=1, the mkdir and rmdir calls) of every process a step
// script starts, and kills the process group at the Nth one.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** Compiles the shim into DIR and returns the .so's path. */
export function compileFaultShim(dir: string): string {
  const shim = join(dir, "rename-fault.so");
  execFileSync("cc", [
    "-shared",
    "-fPIC",
    "-O2",
    "-o",
    shim,
    join(import.meta.dirname, "rename-fault.c"),
    "-ldl",
  ]);
  return shim;
}
