# Stand-in for nixpkgs nixos/modules/installer/scan/not-detected.nix, which
# nixos-generate-config imports on bare metal (it turns on redistributable
# firmware). The stand-ins import it as an empty module.
{ ... }:
{
}
