#!/bin/sh
# install.sh: install rv, its pipeline tools, man pages and shell completions.
#
#   curl -fsSL https://rivanna.dev/install.sh | sh
#   curl -fsSL https://rivanna.dev/install.sh | sh -s -- --version 0.2.0
#
# Every download is checked against the release's SHA256SUMS before anything is installed.
# Settings: RV_INSTALL_DIR (default ~/.local/bin), RV_DOWNLOAD_BASE (default the site's download
# API), RV_GITHUB_REPO (the fallback, default rv-hpc/rv).
set -eu

version=latest
while [ $# -gt 0 ]; do
  case $1 in
    --version) [ $# -ge 2 ] || { echo "install.sh: --version needs a value" >&2; exit 2; }; version=$2; shift 2 ;;
    --version=*) version=${1#--version=}; shift ;;
    -h | --help) sed -n '2,10p' "$0" 2>/dev/null || true; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

say() { printf 'rv install: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

case $(uname -s) in
  Linux) os=linux ;;
  Darwin) os=macos ;;
  *) die "unsupported system $(uname -s): rv runs on Linux and macOS" ;;
esac
case $(uname -m) in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) die "unsupported processor $(uname -m)" ;;
esac
platform="rv-$os-$arch"

base=${RV_DOWNLOAD_BASE:-https://rivanna.dev/api/downloads/cli}
repo=${RV_GITHUB_REPO:-rv-hpc/rv}
dir=${RV_INSTALL_DIR:-$HOME/.local/bin}
if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  die "neither curl nor wget is installed"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha() { sha256sum "$1" | cut -d' ' -f1; }
else
  sha() { shasum -a 256 "$1" | cut -d' ' -f1; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/rv-install.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# get ASSET: from the site, else from the GitHub release.
get() {
  if [ "$version" = latest ]; then
    site="$base/latest/$1"
    github="https://github.com/$repo/releases/latest/download/$1"
  else
    site="$base/$version/$1"
    github="https://github.com/$repo/releases/download/cli-v$version/$1"
  fi
  fetch "$site" "$work/$1" 2>/dev/null || fetch "$github" "$work/$1" || die "cannot download $1 (version $version)"
}

get SHA256SUMS
assets="$platform"
for tool in rv-probe rv-plan rv-submit rv-watch rv-attach rv-sync; do assets="$assets $platform-$tool"; done
assets="$assets rv-man.tar.gz rv-completions.tar.gz"
for asset in $assets; do
  get "$asset"
  want=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")
  [ -n "$want" ] || die "$asset is not in SHA256SUMS"
  [ "$(sha "$work/$asset")" = "$want" ] || die "checksum mismatch for $asset: refusing to install"
done

# Everything is verified: install, each file renamed into place.
mkdir -p "$dir"
install_bin() {
  cp "$work/$1" "$dir/.$2.new" && chmod 755 "$dir/.$2.new" && mv -f "$dir/.$2.new" "$dir/$2"
}
install_bin "$platform" rv
for tool in rv-probe rv-plan rv-submit rv-watch rv-attach rv-sync; do install_bin "$platform-$tool" "$tool"; done

data=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$data/man/man1"
tar -xzf "$work/rv-man.tar.gz" -C "$work"
cp "$work"/man/*.1 "$data/man/man1/"
tar -xzf "$work/rv-completions.tar.gz" -C "$work"
case $(basename "${SHELL:-sh}") in
  bash) mkdir -p "$data/bash-completion/completions" && cp "$work/completions/rv.bash" "$data/bash-completion/completions/rv" ;;
  zsh) mkdir -p "$data/zsh/site-functions" && cp "$work/completions/_rv" "$data/zsh/site-functions/_rv"
    say "add $data/zsh/site-functions to your fpath for completions" ;;
  fish) mkdir -p "${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions" && cp "$work/completions/rv.fish" "${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions/rv.fish" ;;
  *) ;;
esac

say "installed $("$dir/rv" --version) in $dir"
case ":$PATH:" in
  *":$dir:"*) ;;
  *) say "add $dir to your PATH, e.g.: echo 'export PATH=\"$dir:\$PATH\"' >>~/.profile" ;;
esac
say "next: rv init"
