#!/usr/bin/env bash
# Make Debian's Chromium available for the browser tests (never a downloaded browser build).
# Installs the `chromium` package with apt where we can (root); otherwise says what to do.
# In CI (CI=true) the tests themselves fail when the browser is missing: no silent skip.
set -u
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null && exit 0
  echo "apt-get could not install chromium." >&2
else
  echo "Debian's chromium is missing: run 'sudo apt-get install chromium' for the browser tests." >&2
fi
exit 0
