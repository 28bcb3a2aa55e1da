#!/usr/bin/env bash
# Real network services the integration tests start on loopback: chrony (an NTP server for the host's
# ntpd to sync against) and dnsmasq (a DNS server for the host's resolver). Idempotent and quiet;
# the tests that need a missing one are skipped with the reason.
set -euo pipefail
missing=()
command -v chronyd >/dev/null 2>&1 || [ -x /usr/sbin/chronyd ] || missing+=(chrony)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
