// Password hashes: every scheme a NixOS login accepts, made by the real
// tools (openssl passwd, mkpasswd from libxcrypt), validates; the same
// hash one character short or long, or mistyped, is refused naming its
// scheme (a login with it would be locked); weak schemes are refused by name.
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { expect, it } from "vitest";
import { cryptHashFault } from "../../../../shared/design/validate/crypt-hash";
import { describeWith } from "../../../support/needs";

const run = (cmd: string, args: string[], input: string) =>
  execFileSync(cmd, args, { input, encoding: "utf8" }).trim();

/** Hashes of PASSWORD by every tool and scheme a user is told to use. */
function hashesOf(password: string, salt: string): [string, string][] {
  return [
    [
      "openssl -6",
      run("openssl", ["passwd", "-6", "-stdin", "-salt", salt], password),
    ],
    [
      "openssl -5",
      run("openssl", ["passwd", "-5", "-stdin", "-salt", salt], password),
    ],
    [
      "mkpasswd yescrypt",
      run("mkpasswd", ["-m", "yescrypt", "--stdin"], password),
    ],
    [
      "mkpasswd gost-yescrypt",
      run("mkpasswd", ["-m", "gost-yescrypt", "--stdin"], password),
    ],
    ["mkpasswd scrypt", run("mkpasswd", ["-m", "scrypt", "--stdin"], password)],
    ["mkpasswd bcrypt", run("mkpasswd", ["-m", "bcrypt", "--stdin"], password)],
    [
      "mkpasswd bcrypt-a",
      run("mkpasswd", ["-m", "bcrypt-a", "--stdin"], password),
    ],
    [
      "mkpasswd sha512crypt rounds",
      run(
        "mkpasswd",
        ["-m", "sha512crypt", "-R", "12345", "--stdin"],
        password,
      ),
    ],
    [
      "mkpasswd sha256crypt",
      run("mkpasswd", ["-m", "sha256crypt", "--stdin"], password),
    ],
  ];
}

const saltChar = fc.constantFrom(
  ..."./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
);

describeWith(["openssl", "mkpasswd"], "password hashes of every scheme", () => {
  it("accepts what the tools make, and refuses it one character off or mistyped", () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 24 })
          .filter((p) => !p.includes("\n")),
        fc.string({ unit: saltChar, minLength: 1, maxLength: 16 }),
        (password, salt) => {
          for (const [tool, hash] of hashesOf(password, salt)) {
            expect(cryptHashFault(hash), `${tool}: ${hash}`).toBeNull();
            expect(cryptHashFault(`!${hash}`), `locked ${tool}`).toBeNull();
            for (const broken of [
              hash.slice(0, -1),
              `${hash}a`,
              `${hash.slice(0, -3)}!${hash.slice(-2)}`,
            ]) {
              const fault = cryptHashFault(broken);
              expect(fault, `${tool}: ${broken}`).not.toBeNull();
              expect(fault).toMatch(/^looks like an? .*hash, but /);
              expect(fault).toMatch(/the login would be locked/);
            }
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it("names the cut digest of a SHA-512 hash (85 where glibc writes 86)", () => {
    const hash = run("openssl", ["passwd", "-6", "-stdin"], "hunter2");
    expect(cryptHashFault(hash.slice(0, -1))).toMatch(
      /SHA-512 crypt hash, but its digest \(after the last "\$"\) is 85 characters, where glibc and libxcrypt always write 86/,
    );
  });

  it.each([
    ["md5crypt", /MD5 crypt hash, a scheme too weak/],
    ["sunmd5", /SunMD5 hash, a scheme too weak/],
    ["nt", /is an? NT hash, a scheme too weak/],
    ["bsdicrypt", /BSDi DES crypt hash, a scheme too weak/],
    ["descrypt", /traditional DES crypt hash, which keeps only 8 characters/],
  ])("refuses %s by name", (method, message) => {
    const hash = run("mkpasswd", ["-m", method, "--stdin"], "hunter2");
    expect(cryptHashFault(hash)).toMatch(message);
  });

  it("accepts a locked account, and refuses an empty hash or a password pasted as one", () => {
    expect(cryptHashFault("!")).toBeNull();
    expect(cryptHashFault("*")).toBeNull();
    expect(cryptHashFault("")).toMatch(/anyone log in without a password/);
    expect(cryptHashFault("hunter2")).toMatch(
      /is not a crypt\(3\) password hash/,
    );
    expect(cryptHashFault("$6$a$b c")).toMatch(/holds a space/);
  });
});
