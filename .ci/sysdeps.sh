#!/usr/bin/env bash
# Installs the Debian packages tests need, only when missing (idempotent, quiet): the CJK font
# for Chinese in reports and the portal, Chromium and its driver for the portal's browser test,
# a Java 17 runtime for the Spark engine (tests/spark, pyspark 4 in local mode).
set -euo pipefail
need=()
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v java >/dev/null 2>&1 || [ -x "${JAVA_HOME:-/nonexistent}/bin/java" ] || need+=(openjdk-17-jre-headless)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "sysdeps: missing ${need[*]} (run as root or install them); tests that need them will fail" >&2
  exit 0
fi
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
