import { describe, expect, it } from "vitest";
import {
  sanitizeLine,
  terminalLines,
} from "../../../../shared/progress/sanitize";

const ESC = "\u001b";

describe("sanitizeLine", () => {
  it("keeps text, tabs and colours", () => {
    const line = `${ESC}[32mok${ESC}[0m\tdéjà vu ✓ 😀`;
    expect(sanitizeLine(line)).toBe(line);
  });

  it("removes sequences that would drive the terminal", () => {
    const hostile = [
      `${ESC}]52;c;aGVsbG8=\u0007`, // write the clipboard
      `${ESC}]0;owned${ESC}\\`, // window title, ST-terminated
      `${ESC}]9;4;1;50\u0007`, // a fake progress bar
      `${ESC}]7707;tabula;step-end;x;done\u0007`, // a fake step marker
      `${ESC}c`, // full reset
      `${ESC}[2J`, // clear screen
      `${ESC}[10;10H`, // move the cursor
      `${ESC}P1$qm${ESC}\\`, // DCS request
      "\u009b2J", // C1 CSI
      "\u009d52;c;eA==\u009c", // C1 OSC
      "\r", // overwrite the line
      "\u0007\u0000\u007f",
    ];
    for (const seq of hostile)
      expect(sanitizeLine(`a${seq}b`), JSON.stringify(seq)).toBe("ab");
  });

  it("drops an unterminated OSC and a lone ESC at the end", () => {
    expect(sanitizeLine(`a${ESC}]52;c;xyz`)).toBe("a");
    expect(sanitizeLine(`a${ESC}`)).toBe("a");
  });
});

describe("terminalLines", () => {
  it("ends every line with CR LF and resets colours after a coloured line", () => {
    expect(terminalLines("one\ntwo")).toBe("one\r\ntwo\r\n");
    expect(terminalLines(`${ESC}[31mred`)).toBe(`${ESC}[31mred${ESC}[0m\r\n`);
    expect(terminalLines("a\r\nb")).toBe("a\r\nb\r\n");
  });
});
