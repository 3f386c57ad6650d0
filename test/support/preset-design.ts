// Example designs whose persistence is exactly one catalog preset.
import { readFileSync } from "node:fs";
import { presetPersistence } from "../../shared/catalog";
import type { Doc } from "./design-arbitrary";

export function exampleDoc(mode: string): Doc {
  return JSON.parse(readFileSync(`docs/examples/${mode}.json`, "utf8")) as Doc;
}

export function presetDesign(mode: "install" | "convert", preset: string): Doc {
  const d = exampleDoc(mode);
  const users = Object.keys(d.users);
  d.persistence = {
    storage: "/nix/persistent",
    hideMounts: true,
    ...presetPersistence([preset], users),
  };
  return d;
}
