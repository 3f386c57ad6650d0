// Options shared by everything that starts the backend (`tabula serve`, the
// Electron app): which machine to act on and where designs are kept.
import { openWorkspace, defaultWorkspace } from "../backend/files";
import {
  createBackend,
  defaultMachineMode,
  defaultStateDir,
  type Backend,
  type MachineMode,
} from "../backend/services";

export interface BackendChoice {
  /** null: decided by defaultMachineMode(). */
  machine: MachineMode | null;
  /** null: the default workspace, created when missing. */
  workspace: string | null;
}

export const BACKEND_USAGE = [
  "  --sandbox          act on a built-in pretend machine; nothing real is touched",
  "                     (the default outside NixOS)",
  "  --real             act on this machine (the default on NixOS)",
  `  --workspace DIR    where designs and plans are read and written`,
  `                     (default ${defaultWorkspace()}, created when missing)`,
].join("\n");

/**
 * Take the backend's options out of `args`; the rest is returned for the
 * caller. Throws a sentence for a bad or conflicting option.
 */
export function takeBackendOptions(args: string[]): {
  choice: BackendChoice;
  rest: string[];
} {
  const choice: BackendChoice = { machine: null, workspace: null };
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--sandbox" || arg === "--real") {
      const mode = arg === "--real" ? "real" : "sandbox";
      if (choice.machine && choice.machine !== mode)
        throw new Error(
          "--sandbox and --real contradict each other; give one of them.",
        );
      choice.machine = mode;
    } else if (arg === "--workspace" || arg.startsWith("--workspace=")) {
      const value = arg.includes("=")
        ? arg.slice(arg.indexOf("=") + 1)
        : args[++i];
      if (!value)
        throw new Error(
          "--workspace needs a folder, e.g. --workspace ~/tabula.",
        );
      choice.workspace = value;
    } else {
      rest.push(arg);
    }
  }
  return { choice, rest };
}

export async function openBackend(
  choice: BackendChoice,
  version: string,
): Promise<Backend> {
  const files = await openWorkspace(choice.workspace ?? defaultWorkspace(), {
    create: choice.workspace === null,
  });
  return createBackend({
    version,
    machine: choice.machine ?? defaultMachineMode(),
    files,
    stateDir: defaultStateDir(),
  });
}
