import { describe, expect, it } from "vitest";
import { formatBytes, parseSize } from "../../../shared/size";

describe("parseSize", () => {
  it("reads binary units", () => {
    expect(parseSize("512M")).toEqual({
      ok: true,
      size: { kind: "bytes", bytes: 512 * 1024 ** 2, text: "512M" },
    });
    expect(parseSize("4G").ok && parseSize("4G")).toMatchObject({
      size: { bytes: 4 * 1024 ** 3 },
    });
  });

  it("reads a share of RAM only where allowed", () => {
    expect(parseSize("25%", { allowPercent: true })).toMatchObject({
      ok: true,
      size: { kind: "percent", percent: 25 },
    });
    const refused = parseSize("25%");
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.message).toMatch(/percentage/);
  });

  it.each(["", "4", "4GB", "1.5G", "-1G", " 4G", "0G", "0%", "101%", "G"])(
    "refuses %j with a sentence saying what to write",
    (text) => {
      const result = parseSize(text, { allowPercent: true });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message).toMatch(/size|between|zero/);
    },
  );

  it("refuses what is not a string", () => {
    expect(parseSize(4096).ok).toBe(false);
  });
});

describe("formatBytes", () => {
  it("prints binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536 * 1024 ** 2)).toBe("1.5 GiB");
    expect(formatBytes(200 * 1024 ** 3)).toBe("200 GiB");
  });
});
