#!/usr/bin/env bash
# Installs shiprig for the action: the static binary of this runner's OS and architecture from
# the GitHub Release of the action's own version, checked against its published SHA-256 and
# kept in the runner's tool cache. Without a release asset for this runner, it builds the
# action's own checkout with `cargo install --locked`. A checksum that does not match is
# never installed and never falls back to anything: the step fails and says why.
#
# Reads (all optional): SHIPRIG_VERSION (default: the version in the action's Cargo.toml,
# which is the action's own ref), SHIPRIG_RELEASES_URL (default:
# https://github.com/$SHIPRIG_ACTION_REPOSITORY/releases/download), GITHUB_ACTION_PATH,
# RUNNER_TOOL_CACHE, GITHUB_OUTPUT, GITHUB_PATH. Writes `path` and `version` to GITHUB_OUTPUT.
set -euo pipefail

fail() {
    echo "::error title=shiprig install::$*"
    echo "shiprig install: $*" >&2
    exit 1
}

action_path="${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# github.action_repository can be empty inside composite actions; the action's path on the
# runner (.../_actions/OWNER/REPO/REF) names it too.
repository="${SHIPRIG_ACTION_REPOSITORY:-}"
if [ -z "$repository" ] && [[ "$action_path" =~ /_actions/([^/]+)/([^/]+)/[^/]+/?$ ]]; then
    repository="${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
fi
repository="${repository:-shiprig/shiprig}"
releases="${SHIPRIG_RELEASES_URL:-https://github.com/${repository}/releases/download}"
releases="${releases%/}"

version="${SHIPRIG_VERSION:-}"
if [ -z "$version" ]; then
    version="$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$action_path/Cargo.toml" | head -n 1)"
fi
version="${version#v}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
    fail "cannot tell which shiprig to install: version '${version}' is not a semver version (set the action's 'version' input, e.g. 0.1.0)"
fi

case "$(uname -s)/$(uname -m)" in
    Linux/x86_64 | Linux/amd64) target="x86_64-unknown-linux-musl" ;;
    Linux/aarch64 | Linux/arm64) target="aarch64-unknown-linux-musl" ;;
    *) target="" ;;
esac

cache_root="${RUNNER_TOOL_CACHE:-${TMPDIR:-/tmp}/shiprig-tool-cache}"
dir="$cache_root/shiprig/$version/${target:-source-$(uname -s)-$(uname -m)}"
bin="$dir/shiprig"

publish() {
    echo "installed shiprig $version at $bin ($1)"
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        echo "path=$bin" >>"$GITHUB_OUTPUT"
        echo "version=$version" >>"$GITHUB_OUTPUT"
    fi
    if [ -n "${GITHUB_PATH:-}" ]; then
        echo "$dir" >>"$GITHUB_PATH"
    fi
    exit 0
}

# A download: https only, except a server on this machine (tests point the script at one).
proto="=https"
case "$releases" in
    http://127.0.0.1:* | http://localhost:*) proto="=http,https" ;;
esac

# Prints the HTTP status; the body goes to $2.
fetch() {
    curl --silent --show-error --location --proto "$proto" --proto-redir "$proto" \
        --retry 3 --retry-delay 2 --connect-timeout 10 --max-time 300 \
        --output "$2" --write-out '%{http_code}' "$1" || echo "000"
}

build_from_source() {
    echo "$1; building shiprig $version from the action's source with cargo install --locked"
    command -v cargo >/dev/null 2>&1 || fail "$1, and cargo is not installed to build from source"
    local root
    root="$(mktemp -d)"
    cargo install --locked --quiet --path "$action_path" --root "$root" --bin shiprig
    mkdir -p "$dir"
    install -m 0755 "$root/bin/shiprig" "$bin"
    touch "$dir/.complete"
    publish "built from source"
}

if [ -x "$bin" ] && [ -f "$dir/.complete" ]; then
    publish "tool cache"
fi
if [ -z "$target" ]; then
    build_from_source "no release binary for $(uname -s) $(uname -m)"
fi

asset="shiprig-$target.tar.gz"
url="$releases/v$version/$asset"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

status="$(fetch "$url" "$work/$asset")"
case "$status" in
    200) ;;
    404) build_from_source "no release asset $asset for v$version" ;;
    *) fail "downloading $url failed (HTTP $status)" ;;
esac
status="$(fetch "$url.sha256" "$work/$asset.sha256")"
[ "$status" = "200" ] || fail "downloading $url.sha256 failed (HTTP $status): refusing an unverified binary"

expected="$(awk 'NR == 1 { print tolower($1) }' "$work/$asset.sha256")"
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || fail "$asset.sha256 does not hold a SHA-256 digest: refusing an unverified binary"
actual="$(sha256sum "$work/$asset" | awk '{ print $1 }')"
if [ "$expected" != "$actual" ]; then
    fail "checksum mismatch for $asset: the release says $expected, the download is $actual; refusing to install it"
fi
echo "verified $asset: sha256 $actual"

mkdir -p "$work/unpacked" "$dir"
tar -xzf "$work/$asset" -C "$work/unpacked"
[ -f "$work/unpacked/shiprig" ] || fail "$asset has no shiprig binary at its top level"
install -m 0755 "$work/unpacked/shiprig" "$bin"
touch "$dir/.complete"
publish "release asset, verified"
