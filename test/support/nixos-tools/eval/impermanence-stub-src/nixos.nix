# What builtins.fetchGit of impermanence answers with when its real source
# is not given (see ../eval.nix, "fetches"): the stub module.
import ../impermanence-stub.nix
