#!/usr/bin/env bash
# Install Debian's `chromium` for the browser test of `mig report` when it is missing and we are
# root (CI). Never fails: without a browser that test is skipped and says why.
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium not installed (not root or no apt-get): the report browser test will be skipped"
    exit 0
fi
echo "installing chromium for the report browser test"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
        >/tmp/mig-chromium-install.log 2>&1; then
    echo "chromium could not be installed (see /tmp/mig-chromium-install.log): the browser test will be skipped"
fi
exit 0
