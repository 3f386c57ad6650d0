import { describe, expect, it } from "vitest";
import {
  apply,
  attrs,
  bind,
  bool,
  int,
  lambda,
  list,
  path,
  ref,
  str,
  strings,
} from "../../../../shared/nix/ast";
import { attrName, printFile, quote } from "../../../../shared/nix/print";

describe("quote and attrName", () => {
  it("escapes quotes, backslashes and interpolation", () => {
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote("a\\b")).toBe('"a\\\\b"');
    expect(quote("${x}")).toBe('"\\${x}"');
    expect(quote("$x $ {")).toBe('"$x $ {"');
    expect(quote("a\nb\tc")).toBe('"a\\nb\\tc"');
  });

  it("writes plain names bare and quotes the rest", () => {
    expect(attrName("fileSystems")).toBe("fileSystems");
    expect(attrName("nix-daemon")).toBe("nix-daemon");
    expect(attrName("/")).toBe('"/"');
    expect(attrName("in")).toBe('"in"');
    expect(attrName("1st")).toBe('"1st"');
    expect(attrName("a.b")).toBe('"a.b"');
  });
});

describe("printFile lays out like nixfmt", () => {
  it("keeps lists of one short element on one line and expands longer ones", () => {
    const text = printFile(
      [],
      attrs([
        bind(["a"], strings(["x"])),
        bind(["b"], strings(["x", "y"])),
        bind(["c"], list([])),
      ]),
    );
    expect(text).toBe(
      `{\n  a = [ "x" ];\n  b = [\n    "x"\n    "y"\n  ];\n  c = [ ];\n}\n`,
    );
  });

  it("expands a set that is a binding's value, even with one attribute, but not inside a list", () => {
    const text = printFile(
      [],
      attrs([
        bind(["a"], attrs([bind(["b"], int(1))])),
        bind(["l"], list([attrs([bind(["d"], str("x"))])])),
      ]),
    );
    expect(text).toBe(
      `{\n  a = {\n    b = 1;\n  };\n  l = [ { d = "x"; } ];\n}\n`,
    );
  });

  it("expands a list whose one element passes the width of 100 columns", () => {
    const long = "k".repeat(90);
    const text = printFile([], attrs([bind(["keys"], strings([long]))]));
    expect(text).toBe(`{\n  keys = [\n    "${long}"\n  ];\n}\n`);
  });

  it("absorbs a set given as the last argument of a function", () => {
    const text = printFile(
      [],
      attrs([
        bind(
          ["x"],
          apply(
            ref("lib.mkForce"),
            attrs([bind(["a"], bool(true)), bind(["b"], bool(false))]),
          ),
        ),
      ]),
    );
    expect(text).toBe(
      `{\n  x = lib.mkForce {\n    a = true;\n    b = false;\n  };\n}\n`,
    );
  });

  it("puts a function's formals on one line up to two, one per line beyond", () => {
    expect(printFile([], lambda(["lib"], attrs([])))).toBe(
      "{ lib, ... }:\n{ }\n",
    );
    const text = printFile(
      [],
      attrs([
        bind(
          ["outputs"],
          lambda(["a", "b"], attrs([bind(["x"], path("./nixos"))])),
        ),
      ]),
    );
    expect(text).toBe(
      `{\n  outputs =\n    {\n      a,\n      b,\n      ...\n    }:\n    {\n      x = ./nixos;\n    };\n}\n`,
    );
  });

  it("writes comments and blank lines before bindings, and the header first", () => {
    const text = printFile(
      ["made by a test"],
      attrs([
        bind(["a"], int(1)),
        bind(["b"], int(2), { blankBefore: true, comment: ["why b"] }),
      ]),
    );
    expect(text).toBe(
      `# made by a test\n{\n  a = 1;\n\n  # why b\n  b = 2;\n}\n`,
    );
  });

  it("refuses names that are not plain where the builder needs them plain", () => {
    expect(() => ref("lib.mk Force")).toThrow();
    expect(() => path("./a b")).toThrow();
    expect(() => lambda(["a-b c"], attrs([]))).toThrow();
  });
});
