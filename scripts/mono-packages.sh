#!/usr/bin/env bash
# Installs what the ASP.NET stand-in (tests/aspnet/) needs, when it is missing: Mono's C# compiler
# and runtime, the Web API 4.0 assemblies Debian ships, and the zone the stand-in runs in. Quiet when
# everything is there; as root (CI) it installs with apt-get, otherwise it says what to install.
set -euo pipefail

LIB=/usr/lib/mono/4.5
PACKAGES=(mono-runtime mono-mcs libmono-system-net-http4.0-cil libmono-system-web-http4.0-cil
          libmono-system-net-http-formatting4.0-cil libmono-system-componentmodel-dataannotations4.0-cil tzdata)
NEEDED=(/usr/bin/mono /usr/bin/mcs "$LIB/System.Net.Http.dll" "$LIB/System.Web.Http.dll"
        "$LIB/System.Net.Http.Formatting.dll" "$LIB/System.ComponentModel.DataAnnotations.dll"
        /usr/share/zoneinfo/Etc/GMT-10)

missing() {
    local path
    for path in "${NEEDED[@]}"; do
        [[ -e "$path" ]] || return 0
    done
    return 1
}

missing || exit 0
if [[ "$(id -u)" != 0 ]]; then
    echo "make aspnet-standin: Mono's Web API is missing; as root: apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -qq -y --no-install-recommends --no-upgrade "${PACKAGES[@]}" >/dev/null; }
# A fresh image has no package lists: read them only when the install needs them.
install 2>/dev/null || { apt-get update -qq >/dev/null && install; }
if missing; then
    echo "make aspnet-standin: apt-get installed ${PACKAGES[*]}, but a file the stand-in needs is still missing" >&2
    exit 1
fi
