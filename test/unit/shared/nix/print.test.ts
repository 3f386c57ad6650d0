import { describe, expect, it } from "vitest";
import {
  apply,
  attrs,
  bind,
  bool,
  int,
  lambda,
  letIn,
  list,
  not,
  op,
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

  it("writes let ... in with its bindings one level deeper, and operators by Nix's precedence", () => {
    const cond = op(
      op(apply(ref("f"), ref("x")), "==", str("nix")),
      "&&",
      op(ref("a"), "||", ref("b")),
    );
    const text = printFile(
      [],
      lambda(
        ["config", "lib"],
        letIn(
          [bind(["c"], cond, { comment: ["why"] })],
          attrs([
            bind(["n"], not(ref("c"))),
            bind(["m"], not(apply(ref("g"), ref("c")))),
            bind(["k"], apply(ref("h"), not(ref("c")))),
          ]),
        ),
      ),
    );
    expect(text).toBe(
      `{
  config,
  lib,
  ...
}:
let
  # why
  c = f x == "nix" && (a || b);
in
{
  n = !c;
  m = !(g c);
  k = h (!c);
}
`,
    );
  });

  it("moves an operator chain too long for its line to the next, and breaks it before each operator only if still too long", () => {
    const long = (n: number) =>
      apply(ref("lib.versionAtLeast"), str("x".repeat(n)));
    const two = attrs([bind(["condition"], op(long(25), "&&", long(25)))]);
    expect(printFile([], two)).toBe(
      `{
  condition =
    lib.versionAtLeast "${"x".repeat(25)}" && lib.versionAtLeast "${"x".repeat(25)}";
}
`,
    );
    const three = attrs([
      bind(["condition"], op(op(long(40), "&&", long(40)), "&&", long(40))),
    ]);
    expect(printFile([], three)).toBe(
      `{
  condition =
    lib.versionAtLeast "${"x".repeat(40)}"
    && lib.versionAtLeast "${"x".repeat(40)}"
    && lib.versionAtLeast "${"x".repeat(40)}";
}
`,
    );
  });

  it("refuses names that are not plain where the builder needs them plain", () => {
    expect(() => letIn([bind(["a", "b"], int(1))], int(2))).toThrow();
    expect(() => ref("lib.mk Force")).toThrow();
    expect(() => path("./a b")).toThrow();
    expect(() => lambda(["a-b c"], attrs([]))).toThrow();
  });
});
