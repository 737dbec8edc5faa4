#!/usr/bin/env bash
# Builds the release packages of Trailproof into target/packages/: a Debian package
# (trailproof_VERSION_amd64.deb) and an RPM (trailproof-VERSION-1.x86_64.rpm), through the Tauri 2
# bundler (bundle settings in src-tauri/tauri.conf.json). Each installs:
# - the desktop app /usr/bin/trailproof-app, its desktop entry and icons, and the MIME type of
#   .tpcase case files;
# - the CLI /usr/bin/trailproof;
# - man pages of trailproof and each subcommand, and bash/zsh/fish completions, generated from
#   the clap definitions by the CLI's hidden `generate-docs`;
# - under /usr/share/doc/trailproof/: copyright, changelog, the licenses of everything bundled
#   (Rust crates, npm packages, the DejaVu and WenQuanYi fonts) and CycloneDX SBOMs of the Rust
#   and npm trees.
#
# The binaries are built in the reproducible environment of scripts/release-env.sh (the same as
# scripts/repro.sh) and stripped (`strip --strip-all`, deterministic) as Debian requires; the
# Debian dependencies are what dpkg-shlibdeps computes from the binaries, and must be the
# packages tauri.conf.json names. msi/nsis (Windows) and dmg/app (macOS) are configured in
# tauri.conf.json and build there with `tauri build`; AppImage is not built: its bundler
# downloads its tools at build time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/setup.sh
# dpkg-shlibdeps computes the .deb's dependencies; strip and gzip make what the packages install.
# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh
need_apt=()
command -v dpkg-shlibdeps >/dev/null || need_apt+=(dpkg-dev)
command -v strip >/dev/null || need_apt+=(binutils)
command -v gzip >/dev/null || need_apt+=(gzip)
command -v git >/dev/null || need_apt+=(git)
apt_install package ${need_apt[@]+"${need_apt[@]}"}
bash scripts/ui.sh
# cargo-cyclonedx writes the Rust SBOM.
if ! command -v cargo-cyclonedx >/dev/null; then
  echo "package: installing cargo-cyclonedx" >&2
  cargo install cargo-cyclonedx --version "^0.5" --locked --quiet
fi

# shellcheck source=scripts/release-env.sh
source scripts/release-env.sh
target_dir=${CARGO_TARGET_DIR:-$root/target}
triple=$(rustc -vV | sed -n 's/^host: //p')
version=$(node -p 'require("./src-tauri/tauri.conf.json").version')
cargo_version=$(cargo metadata --format-version 1 --no-deps --locked |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).packages.find(p=>p.name==="trailproof-cli").version))')
[ "$version" = "$cargo_version" ] || { echo "package: tauri.conf.json says $version, Cargo.toml $cargo_version" >&2; exit 2; }
commit=$(git rev-parse HEAD)

started=$(date +%s)
cargo build --release --locked -p trailproof-cli -p trailproof-app
built=$(date +%s)
release="$target_dir/release"

out="$target_dir/packages"
stage="$out/staging"
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/man1" "$stage/doc/licenses" "$stage/gen"
# Stripped copies for the packages. The bundler takes the app from target/release, so the app
# binary is stripped in place (cargo does not rebuild it for that: it only compares times).
strip --strip-all -o "$stage/bin/trailproof" "$release/trailproof"
strip --strip-all "$release/trailproof-app"

# Man pages and completions from the clap definitions.
"$stage/bin/trailproof" generate-docs "$stage/gen" >/dev/null
for page in "$stage"/gen/man/*.1; do
  gzip -9n -c "$page" >"$stage/man1/$(basename "$page").gz"
done

# /usr/share/doc/trailproof: changelog, copyright, licenses, SBOMs.
date_rfc2822=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
maintainer=$(cargo metadata --format-version 1 --no-deps --locked |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).packages.find(p=>p.name==="trailproof-app").authors[0]))')
cat >"$stage/changelog" <<EOF
trailproof ($version) unstable; urgency=medium

  * Release $version, built from commit $commit.

 -- $maintainer  $date_rfc2822
EOF
gzip -9n -c "$stage/changelog" >"$stage/doc/changelog.gz"
{
  cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Trailproof
Upstream-Contact: $maintainer
Comment: The licenses of every Rust crate and npm package compiled into the binaries
 are in /usr/share/doc/trailproof/licenses/, and CycloneDX SBOMs of both trees in
 /usr/share/doc/trailproof/sbom/.

Files: *
Copyright: 2026 Trailproof developers
License: MIT or Apache-2.0

EOF
  # The DejaVu fonts embedded in every PDF report: their own DEP-5 paragraphs, less the header.
  sed -e '1,/^$/d' -e 's|^Files: \*$|Files: assets/fonts/*|' assets/fonts/DejaVu-LICENSE.txt
  echo
  # WenQuanYi Micro Hei, the CJK fallback face of the reports and the window (a later
  # paragraph than DejaVu's, so it governs its own file).
  cat <<'EOF'
Files: assets/fonts/wqy-microhei.ttf
Copyright: 2008-2009 The WenQuanYi Project Board of Trustees
 2006-2008 Google Corporation (Droid Sans Fallback, on which it is based)
License: Apache-2.0

EOF
  echo "License: MIT"
  sed -e '1,/^Copyright/d' -e 's/^$/./' -e 's/^/ /' LICENSE-MIT | sed '1{/^ \.$/d}'
  echo
  cat <<'EOF'
License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not
 use this file except in compliance with the License. You may obtain a copy of
 the License at http://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software
 distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
 License for the specific language governing permissions and limitations under
 the License.
 .
 On Debian systems, the full text of the Apache License, Version 2.0 can be
 found in the file /usr/share/common-licenses/Apache-2.0.
EOF
} >"$stage/doc/copyright"
cp LICENSE-MIT LICENSE-APACHE "$stage/doc/licenses/"
cp assets/fonts/DejaVu-LICENSE.txt "$stage/doc/licenses/DejaVu-fonts.txt"
cp assets/fonts/WenQuanYi-LICENSE.txt "$stage/doc/licenses/WenQuanYi-Micro-Hei.txt"
node scripts/package/licenses.mjs "$stage/doc/licenses" "$triple"
mkdir -p "$stage/doc/sbom"
# cargo-cyclonedx writes one SBOM beside every workspace member's Cargo.toml: keep the two of
# the binaries, remove every one it wrote.
sbom_name="trailproof-sbom-$$"
trap 'find "$root" -name "$sbom_name.json" -not -path "*/node_modules/*" -delete 2>/dev/null || true' EXIT
cargo cyclonedx --format json --spec-version 1.5 --no-build-deps --target "$triple" \
  --override-filename "$sbom_name" -q
mv "crates/cli/$sbom_name.json" "$stage/doc/sbom/trailproof-cli.cdx.json"
mv "src-tauri/$sbom_name.json" "$stage/doc/sbom/trailproof-app.cdx.json"
find "$root" -name "$sbom_name.json" -not -path "*/node_modules/*" -delete
(cd ui && npm sbom --sbom-format cyclonedx --sbom-type application) >"$stage/doc/sbom/trailproof-ui.npm.cdx.json"

# Debian dependencies: what dpkg-shlibdeps computes from both binaries, with minimum versions.
# Every package it names must be in tauri.conf.json's list, so that list stays true.
mkdir -p "$stage/shlibs/debian"
printf 'Source: trailproof\n\nPackage: trailproof\nArchitecture: any\n' >"$stage/shlibs/debian/control"
depends=$(cd "$stage/shlibs" && dpkg-shlibdeps -O "$stage/bin/trailproof" "$release/trailproof-app" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
declared=$(node -p 'require("./src-tauri/tauri.conf.json").bundle.linux.deb.depends.join("\n")')
for dep in $(tr ',' '\n' <<<"$depends" | sed 's/(.*//; s/|.*//; s/ //g'); do
  grep -qx "$dep" <<<"$declared" || {
    echo "package: the binaries need $dep, which src-tauri/tauri.conf.json's deb depends lacks" >&2
    exit 1
  }
done

# The bundler's files: everything above at its installed path.
node - "$stage" "$depends" >"$stage/tauri.package.json" <<'EOF'
const [stage, depends] = process.argv.slice(2);
const files = {
  "/usr/bin/trailproof": `${stage}/bin/trailproof`,
  "/usr/share/man/man1": `${stage}/man1`,
  "/usr/share/doc/trailproof": `${stage}/doc`,
  "/usr/share/bash-completion/completions/trailproof": `${stage}/gen/completions/trailproof.bash`,
  "/usr/share/zsh/vendor-completions/_trailproof": `${stage}/gen/completions/_trailproof`,
  "/usr/share/fish/vendor_completions.d/trailproof.fish": `${stage}/gen/completions/trailproof.fish`,
  "/usr/share/mime/packages/trailproof.xml": `${process.cwd()}/packaging/linux/trailproof-mime.xml`,
  "/usr/share/lintian/overrides/trailproof": `${process.cwd()}/packaging/linux/lintian-overrides`,
};
const rpmFiles = { ...files };
delete rpmFiles["/usr/share/lintian/overrides/trailproof"];
console.log(JSON.stringify({
  bundle: {
    linux: {
      deb: { files, depends: depends.split(",").map((d) => d.trim()).filter(Boolean) },
      rpm: { files: rpmFiles },
    },
  },
}, null, 2));
EOF

rm -rf "$release/bundle/deb" "$release/bundle/rpm"
ui/node_modules/.bin/tauri bundle --bundles deb,rpm --config "$stage/tauri.package.json" --ci
deb="$out/trailproof_${version}_amd64.deb"
rpm="$out/trailproof-${version}-1.x86_64.rpm"
cp "$release/bundle/deb/Trailproof_${version}_amd64.deb" "$deb"
cp "$release"/bundle/rpm/*"${version}-1.x86_64.rpm" "$rpm"
finished=$(date +%s)

echo
echo "package: release build $((built - started)) s, packaging $((finished - built)) s"
for f in "$deb" "$rpm"; do
  printf 'package: %s  %s bytes  sha256 %s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
done
echo "package: trailproof sha256 $(sha256sum "$stage/bin/trailproof" | cut -d' ' -f1) (stripped, as installed)"
