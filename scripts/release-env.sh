# Sourced by scripts/package.sh and scripts/repro.sh: the environment of a reproducible release
# build of the checkout at the current directory's repository root. Two builds of one commit in
# different folders then give identical bytes:
# - SOURCE_DATE_EPOCH is the commit's time: the build date that `trailproof --version` names,
#   the man pages' date, and any tool that honours it (reproducible-builds.org);
# - every absolute path that could reach the binaries (the checkout, the target folder, cargo's
#   registry sources) is remapped: --remap-path-prefix for Rust (the release profile keeps line
#   tables, so debug info names source files), -ffile-prefix-map for the C that build scripts
#   compile (SQLite, ring, mimalloc);
# - no incremental caches; UTC and the C locale.
# Nothing here reads the clock.
root=$(git rev-parse --show-toplevel)
SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct HEAD)
export SOURCE_DATE_EPOCH
cargo_home=${CARGO_HOME:-$HOME/.cargo}
target_dir=${CARGO_TARGET_DIR:-$root/target}
# rustc applies the last matching prefix first: the target folder may lie inside the checkout.
remap=("$cargo_home=/cargo" "$root=/trailproof" "$target_dir=/trailproof/target")
RUSTFLAGS=""
CFLAGS=""
for m in "${remap[@]}"; do
  RUSTFLAGS+=" --remap-path-prefix=$m"
  CFLAGS+=" -ffile-prefix-map=$m"
done
export RUSTFLAGS="${RUSTFLAGS# }" CFLAGS="${CFLAGS# }"
export CXXFLAGS="$CFLAGS"
export CARGO_INCREMENTAL=0 TZ=UTC LC_ALL=C
unset remap m cargo_home
