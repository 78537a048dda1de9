#!/usr/bin/env bash
# Installs the tslab (TypeScript) Jupyter kernel spec for the current user and checks that Jupyter lists it.
#
# The spec starts `tslab kernel --config-path {connection_file}`, so Jupyter must run with this
# repository's node_modules/.bin on PATH (scripts/run-notebooks.sh sets it).
#
# `npx tslab install` writes the same kernel.json, but its installer imports IPython and jupyter_client
# into the Python it is given, and Debian's jupyter packages do not install IPython. Writing the spec and
# installing it with `jupyter kernelspec install` needs only Jupyter itself. Running this again replaces
# the spec with an identical one.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kernel_name="tslab"

if ! command -v jupyter >/dev/null 2>&1; then
  echo "setup-kernel: jupyter not found on PATH; install it with: apt-get install jupyter-nbconvert jupyter-client" >&2
  exit 1
fi

if [[ ! -x "$repo_root/node_modules/.bin/tslab" ]]; then
  echo "setup-kernel: $repo_root/node_modules/.bin/tslab not found; run npm install (or npm ci) in $repo_root first" >&2
  exit 1
fi

spec_dir="$(mktemp -d)"
trap 'rm -rf "$spec_dir"' EXIT

# Same argv, display name and language as tslab's own installer (python/install.py in tslab 1.0.22).
cat > "$spec_dir/kernel.json" <<'JSON'
{
  "argv": ["tslab", "kernel", "--config-path", "{connection_file}"],
  "display_name": "TypeScript",
  "language": "typescript"
}
JSON

if ! install_log="$(jupyter kernelspec install --user --replace --name "$kernel_name" "$spec_dir" 2>&1)"; then
  echo "setup-kernel: jupyter kernelspec install failed:" >&2
  echo "$install_log" >&2
  exit 1
fi

if ! jupyter kernelspec list 2>/dev/null | awk '{print $1}' | grep -qx "$kernel_name"; then
  echo "setup-kernel: '$kernel_name' is missing from 'jupyter kernelspec list' after installing it" >&2
  jupyter kernelspec list >&2
  exit 1
fi

echo "setup-kernel: kernel spec '$kernel_name' installed:"
jupyter kernelspec list 2>/dev/null | grep -E "^\s*$kernel_name\s"
