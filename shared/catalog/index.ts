// The knowledge catalog: presets and what is known about paths on a
// stateless NixOS (see ./presets.ts for the data and its sources).
export {
  PRESETS,
  SERVICE_STATE,
  presets,
  type CatalogPath,
  type Preset,
} from "./presets";
export {
  owningService,
  presetById,
  presetPaths,
  presetPersistence,
  sourceFor,
  suggestFor,
} from "./lookup";
export { NIXOS_MANAGED, nixosManaged, type ManagedPath } from "./nixos-managed";
