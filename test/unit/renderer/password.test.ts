import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  hashPassword,
  passwordProblem,
  randomSalt,
} from "../../../renderer/src/password";
import { describeWith } from "../../support/needs";

describe("password hashing (SHA-512 crypt)", () => {
  it("matches the reference vectors of the SHA-crypt specification and mkpasswd", async () => {
    // Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512", test vector 1.
    expect(await hashPassword("Hello world!", "saltstring")).toBe(
      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    );
    // printf password | mkpasswd --stdin --method=sha-512 --salt=saltsalt
    expect(await hashPassword("password", "saltsalt")).toBe(
      "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
    );
  });

  it("makes a fresh 16-character salt each time", async () => {
    const salts = new Set(Array.from({ length: 50 }, () => randomSalt()));
    expect(salts.size).toBe(50);
    for (const s of salts) expect(s).toMatch(/^[./0-9A-Za-z]{16}$/);
    const a = await hashPassword("same");
    const b = await hashPassword("same");
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  });

  it("refuses a salt crypt would not read back", async () => {
    await expect(hashPassword("x", "short")).rejects.toThrow(/8 to 16/);
    await expect(hashPassword("x", "bad$salt!")).rejects.toThrow(/8 to 16/);
  });

  it("asks for a repeated password of at least 8 characters", () => {
    expect(passwordProblem("", "")).toBe("Password: type the user's password.");
    expect(passwordProblem("abcdefgh", "abcdefgx")).toMatch(/differ/);
    expect(passwordProblem("abc", "abc")).toMatch(/at least 8/);
    expect(passwordProblem("correct horse", "correct horse")).toBeNull();
  });
});

describeWith(["openssl"], "password hashing against openssl passwd -6", () => {
  it("gives glibc's hash for any password, unicode included", async () => {
    const saltChars = [
      ..."./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    ];
    await fc.assert(
      fc.asyncProperty(
        // openssl reads one line (no newline, no NUL) and refuses an empty password.
        fc
          .string({ unit: "grapheme", minLength: 1, maxLength: 40 })
          .filter((s) => !/[\0\n\r]/.test(s)),
        fc.array(fc.constantFrom(...saltChars), {
          minLength: 8,
          maxLength: 16,
        }),
        async (password, salt) => {
          const s = salt.join("");
          const expected = execFileSync(
            "openssl",
            ["passwd", "-6", "-salt", s, "-stdin"],
            { input: `${password}\n` },
          )
            .toString()
            .trim();
          expect(await hashPassword(password, s)).toBe(expected);
        },
      ),
      { numRuns: 25 },
    );
  });
});
