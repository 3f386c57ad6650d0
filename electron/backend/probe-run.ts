// Runs one system tool (lsblk, blkid, findmnt, ...) without a shell and
// returns what it printed. Never throws: the probe reports what it could not
// learn instead of failing as a whole.
import { execFile } from "node:child_process";

export interface ToolOutput {
  /** Exit status 0 (or one of `okCodes`). */
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why the tool could not run at all (not installed, timed out). */
  failure: string | null;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Exit codes that still count as success (blkid exits 2 when a device holds nothing). */
  okCodes?: number[];
  env?: NodeJS.ProcessEnv;
}

export function runTool(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<ToolOutput> {
  const okCodes = options.okCodes ?? [0];
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        encoding: "utf8",
        timeout: options.timeoutMs ?? 20_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...(options.env ?? process.env), LC_ALL: "C" },
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ ok: true, code: 0, stdout, stderr, failure: null });
          return;
        }
        const err = error as NodeJS.ErrnoException & {
          code?: string | number;
          killed?: boolean;
        };
        if (err.code === "ENOENT") {
          resolve({
            ok: false,
            code: null,
            stdout: "",
            stderr: "",
            failure: `${command} is not installed`,
          });
          return;
        }
        if (err.killed) {
          resolve({
            ok: false,
            code: null,
            stdout,
            stderr,
            failure: `${command} did not finish within ${options.timeoutMs ?? 20_000} ms`,
          });
          return;
        }
        const code = typeof err.code === "number" ? err.code : null;
        resolve({
          ok: code !== null && okCodes.includes(code),
          code,
          stdout,
          stderr,
          failure: null,
        });
      },
    );
  });
}

/** One line naming the tool and its complaint, for probe warnings. */
export function describeFailure(command: string, out: ToolOutput): string {
  if (out.failure) return out.failure;
  const detail = out.stderr.trim().split("\n")[0] ?? "";
  return `${command} exited with status ${out.code}${detail ? `: ${detail}` : ""}`;
}
