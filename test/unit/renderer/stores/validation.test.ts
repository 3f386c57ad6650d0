// @vitest-environment happy-dom
import { nextTick } from "vue";
import { describe, expect, it } from "vitest";
import type { Problem } from "../../../../shared/design/types";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { useValidationStore } from "../../../../renderer/src/stores/validation";
import { installDesign, settle, setup, until } from "../support";

describe("validation store", () => {
  it("checks the design at every change and files problems by JSON path", async () => {
    setup();
    const design = useDesignStore();
    const validation = useValidationStore();
    design.load(installDesign(), "test", null);
    await until(() => !validation.checking);
    expect(validation.errors).toEqual([]);

    design.design!.root.size = "lots";
    await until(() => validation.at("root.size").length > 0);
    expect(validation.at("root.size")).toHaveLength(1);
    expect(validation.at("root.size")[0]!.message).toContain('"lots"');
    expect(validation.valid).toBe(false);

    design.design!.root.size = "2G";
    design.design!.persistence.directories.push("/var/log");
    await until(
      () => validation.at("root.size").length === 0 && !validation.checking,
    );
    expect(validation.at("root.size")).toEqual([]);
    const dup = validation.under("persistence.directories");
    expect(dup.length).toBeGreaterThan(0);
    expect(dup.some((p) => /\/var\/log/.test(p.message))).toBe(true);
  });

  it("a user without a password is an install error at that user", async () => {
    setup();
    const design = useDesignStore();
    const validation = useValidationStore();
    design.load(installDesign(), "test", null);
    delete design.design!.users.mira!.hashedPassword;
    await until(() => validation.under("users.mira").length > 0);
    expect(
      validation.under("users.mira").some((p) => p.severity === "error"),
    ).toBe(true);
  });

  it("never lets an older, slower check overwrite a newer one", async () => {
    setup();
    const design = useDesignStore();
    const validation = useValidationStore();
    design.load(installDesign(), "test", null);
    const resolvers: ((p: Problem[]) => void)[] = [];
    await validation.use(() => []);
    validation.use(
      (d) =>
        new Promise<Problem[]>((resolve) => {
          resolvers.push(resolve);
          void d;
        }),
    );
    design.design!.hostname = "second";
    await nextTick();
    expect(resolvers).toHaveLength(2);
    resolvers[1]!([{ path: "hostname", message: "new", severity: "warning" }]);
    await settle();
    resolvers[0]!([{ path: "hostname", message: "old", severity: "error" }]);
    await settle();
    expect(validation.problems.map((p) => p.message)).toEqual(["new"]);
    expect(validation.checking).toBe(false);
  });
});
