#!/usr/bin/env bash
# Installs the real parts the tests use (Debian packages). Idempotent; safe to run as root on Debian 12.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/flowbook-backports.list >/dev/null
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  python3 python3-torch python3-torchvision python3-onnx python3-numpy \
  python3-jupyter-server python3-jupyter-client python3-nbclient python3-nbconvert python3-nbformat \
  python3-jupyter-kernel-test python3-ipykernel jupyter-core jupyter-client jupyter-nbconvert jupyter-server \
  chromium fonts-dejavu-core curl libvulkan1 build-essential libjpeg62-turbo-dev >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null
