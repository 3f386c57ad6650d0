# Stand-in for impermanence's nixos.nix (nix-community/impermanence) when
# its source is not available: it only declares environment.persistence,
# with the entry lists the real submodule has (submodule-options.nix), so
# that several modules adding directories concatenate as with the real
# one. It makes no bind mounts, services or assertions.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  free = types.lazyAttrsOf types.anything;
  entries = {
    directories = mkOption {
      type = types.listOf types.anything;
      default = [ ];
    };
    files = mkOption {
      type = types.listOf types.anything;
      default = [ ];
    };
  };
in
{
  options.environment.persistence = mkOption {
    type = types.attrsOf (
      types.submodule {
        freeformType = free;
        options = entries // {
          enable = mkOption {
            type = types.bool;
            default = true;
          };
          hideMounts = mkOption {
            type = types.bool;
            default = false;
          };
          users = mkOption {
            type = types.attrsOf (
              types.submodule {
                freeformType = free;
                options = entries;
              }
            );
            default = { };
          };
        };
      }
    );
    default = { };
  };
}
