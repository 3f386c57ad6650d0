import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { main, type CliIO } from "../../../electron/cli";

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
  };
}

const version = (
  JSON.parse(readFileSync("package.json", "utf8")) as { version: string }
).version;

describe("tabula CLI", () => {
  it("prints the package version", async () => {
    const io = capture();
    expect(await main(["--version"], io)).toBe(0);
    expect(io.stdout.join("")).toBe(`${version}\n`);
  });

  it("prints help listing the usage", async () => {
    const io = capture();
    expect(await main(["--help"], io)).toBe(0);
    expect(io.stdout.join("")).toMatch(/Usage: tabula <command>/);
  });

  it("names an unknown command and how to list the real ones", async () => {
    const io = capture();
    expect(await main(["frobnicate"], io)).toBe(2);
    expect(io.stderr.join("")).toMatch(
      /unknown command "frobnicate".*tabula --help/,
    );
  });

  it("runs through the installed launcher with no build step", () => {
    const out = execFileSync("node", ["electron/bin/tabula.mjs", "--version"], {
      encoding: "utf8",
    });
    expect(out.trim()).toBe(version);
  });

  it("stops quietly when the reader closes the pipe early (tabula ... | head)", async () => {
    const child = spawn("node", ["electron/bin/tabula.mjs", "--help"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) =>
      child.on("exit", resolve),
    );
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
