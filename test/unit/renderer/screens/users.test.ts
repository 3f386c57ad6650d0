// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import UsersScreen from "../../../../renderer/src/screens/UsersScreen.vue";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { installDesign, mountWith, settle, setup, until } from "../support";

let unmount: (() => void) | null = null;
afterEach(() => unmount?.());

describe("Users screen", () => {
  it("hashes the password in the renderer; the clear text is nowhere after", async () => {
    const ctx = setup();
    const store = useDesignStore();
    const doc = installDesign();
    doc.users = {};
    store.load(doc, "t", null);
    const w = mountWith(UsersScreen, ctx);
    unmount = () => w.unmount();
    await w.get("[data-testid=new-user]").setValue("ada");
    await w.get("[data-testid=add-user]").trigger("submit");
    await settle();
    const secret = "Tr0ub4dor&3 ünïcode";
    await w.get("[data-testid=pw-ada]").setValue(secret);
    await w.get("[data-testid=pw2-ada]").setValue(secret);
    await w.get("[data-testid=set-pw-ada]").trigger("submit");
    await until(() => !!store.design!.users.ada?.hashedPassword);
    await settle();
    const hash = store.design!.users.ada!.hashedPassword!;
    expect(hash).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$/);
    expect(JSON.stringify(store.design)).not.toContain("Tr0ub4dor");
    expect(
      (w.get("[data-testid=pw-ada]").element as HTMLInputElement).value,
    ).toBe("");
    expect(
      (w.get("[data-testid=pw2-ada]").element as HTMLInputElement).value,
    ).toBe("");
    expect(w.get("[data-testid=pw-set]").text()).toBe("password set");
    // Nothing was sent to the backend to hash it.
    expect(JSON.stringify(ctx.fake.calls)).not.toContain("Tr0ub4dor");
  });

  it("sets a password typed twice without Set pressed: on leaving the field, or the screen", async () => {
    const ctx = setup();
    const store = useDesignStore();
    const doc = installDesign();
    doc.users = {};
    store.load(doc, "t", null);
    const w = mountWith(UsersScreen, ctx);
    unmount = () => w.unmount();
    for (const name of ["ada", "bob"]) {
      await w.get("[data-testid=new-user]").setValue(name);
      await w.get("[data-testid=add-user]").trigger("submit");
    }
    await settle();
    // Typed once: said, not set.
    await w.get("[data-testid=pw-ada]").setValue("correct horse");
    await w.get("[data-testid=pw-ada]").trigger("change");
    await settle();
    expect(w.get("[data-testid=pw-pending-ada]").text()).toBe(
      "Not set yet: type it again under Repeat password.",
    );
    expect(store.design!.users.ada!.hashedPassword).toBeUndefined();
    // Typed again and the field left (as clicking Next does first).
    await w.get("[data-testid=pw2-ada]").setValue("correct horse");
    await w.get("[data-testid=pw2-ada]").trigger("change");
    await until(() => !!store.design!.users.ada?.hashedPassword);
    await settle();
    expect(w.find("[data-testid=pw-pending-ada]").exists()).toBe(false);
    // Left mismatched: said at the field, nothing set.
    await w.get("[data-testid=pw-bob]").setValue("abcdefgh");
    await w.get("[data-testid=pw2-bob]").setValue("abcdefgX");
    await w.get("[data-testid=pw2-bob]").trigger("change");
    await settle();
    expect(w.get("#pw-error-bob").text()).toMatch(/the two passwords differ/);
    expect(store.design!.users.bob!.hashedPassword).toBeUndefined();
    // Corrected, and the screen left with no field left first.
    await w.get("[data-testid=pw2-bob]").setValue("abcdefgh");
    w.unmount();
    unmount = null;
    await until(() => !!store.design!.users.bob?.hashedPassword);
    expect(store.design!.users.bob!.hashedPassword).toMatch(/^\$6\$/);
    expect(JSON.stringify(store.design)).not.toContain("abcdefgh");
  });

  it("refuses mismatched passwords and bad user names with a sentence", async () => {
    const ctx = setup();
    const store = useDesignStore();
    store.load(installDesign(), "t", null);
    const w = mountWith(UsersScreen, ctx);
    unmount = () => w.unmount();
    await w.get("[data-testid=new-user]").setValue("Bad Name");
    await w.get("[data-testid=add-user]").trigger("submit");
    expect(w.text()).toContain("User name: use lowercase letters");
    await w.get("[data-testid=pw-mira]").setValue("abcdefgh");
    await w.get("[data-testid=pw2-mira]").setValue("abcdefgX");
    await w.get("[data-testid=set-pw-mira]").trigger("submit");
    await settle();
    expect(w.get("#pw-error-mira").text()).toBe(
      "Repeat password: the two passwords differ; type them again.",
    );
    // The field it names is marked and described by it.
    const again = w.get("[data-testid=pw2-mira]");
    expect(again.attributes("aria-invalid")).toBe("true");
    expect(again.attributes("aria-describedby")).toBe("pw-error-mira");
    expect(
      w.get("[data-testid=pw-mira]").attributes("aria-invalid"),
    ).toBeUndefined();
    expect(store.design!.users.mira!.hashedPassword).toBe(
      installDesign().users.mira!.hashedPassword,
    );
  });
});
