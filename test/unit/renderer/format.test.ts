import { describe, expect, it } from "vitest";
import { visibleName } from "../../../renderer/src/format";
import { HOSTILE_NAMES } from "../../../electron/backend/sandbox-root";

describe("visibleName", () => {
  it("writes control characters out, so a name never breaks a line", () => {
    expect(visibleName("line\nbreak.txt")).toBe("line\\nbreak.txt");
    expect(visibleName("tab\tseparated")).toBe("tab\\tseparated");
    expect(visibleName("esc\u001b[31mred")).toBe("esc\\x1b[31mred");
    expect(visibleName("del\u007f")).toBe("del\\x7f");
  });

  it("leaves every other hostile name as it is", () => {
    for (const name of HOSTILE_NAMES.filter((n) => !/[\n\t]/.test(n)))
      expect(visibleName(name)).toBe(name);
  });
});
