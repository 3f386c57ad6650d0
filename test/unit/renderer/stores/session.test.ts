// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { useSessionStore } from "../../../../renderer/src/stores/session";
import { sampleFacts, settle, setup } from "../support";

describe("session store", () => {
  it("greets the backend and probes the machine once connected", async () => {
    const ctx = setup();
    const session = useSessionStore();
    expect(session.state).toBe("connecting");
    await settle();
    expect(session.state).toBe("ready");
    expect(session.machine).toBe("sandbox");
    expect(session.facts?.disks).toHaveLength(2);
    expect(ctx.fake.calls.map((c) => c.method)).toEqual(["hello", "probe"]);
  });

  it("offers only disks that are not the boot medium nor in use", async () => {
    setup();
    const session = useSessionStore();
    await settle();
    expect(session.installableDisks.map((d) => d.path)).toEqual([
      "/dev/nvme0n1",
    ]);
    expect(session.diskByPath("/dev/sda")?.isBootMedium).toBe(true);
  });

  it("says the real machine is real", async () => {
    setup({}, sampleFacts({ machine: "real" }));
    const session = useSessionStore();
    await settle();
    expect(session.machine).toBe("real");
  });

  it("reports a failed probe in one sentence", async () => {
    setup({
      probe: async () => {
        throw new Error("lsblk is not installed");
      },
    });
    const session = useSessionStore();
    await settle();
    expect(session.state).toBe("failed");
    expect(session.error).toBe(
      "Tabula could not learn about this machine: lsblk is not installed",
    );
  });

  it("greets again after the connection comes back", async () => {
    const ctx = setup();
    useSessionStore();
    await settle();
    ctx.fake.setState("disconnected");
    await settle();
    ctx.fake.setState("connected");
    await settle();
    expect(ctx.fake.calls.filter((c) => c.method === "hello")).toHaveLength(2);
  });
});
