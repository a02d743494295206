#!/usr/bin/env bash
# Installs exactly the Debian 12 packages Muster needs that are missing.
# Non-interactive, as root or through sudo; running it twice changes nothing.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git clang-format clang-tidy
  # core library
  libsqlite3-dev libsodium-dev nlohmann-json3-dev sqlite3 libhowardhinnant-date-dev tzdata libcli11-dev
  # kiosk
  libimgui-dev libglfw3-dev libgl-dev libfreetype-dev libzxing-dev fonts-dejavu-core fontconfig
  libasound2-dev   # sounds (ALSA); the .deb depends on libasound2 through dpkg-shlibdeps
  # sync and server
  libcurl4-openssl-dev libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev libpq-dev
  postgresql libcairo2-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev xvfb xauth libgl1-mesa-dri poppler-utils
  clang libclang-rt-14-dev libzbar-dev
  faketime   # clock tests: a kiosk whose wall clock lies (tests/integration/clock_skew_test.cpp)
  dpkg-dev file   # .deb packages: cpack's dpkg-shlibdeps
  chromium chromium-driver python3-selenium   # the web console's browser tests (tests/web)
  libjs-chart.js   # the web console's timeline chart (served from /usr/share/javascript)
  python3-aiosmtpd   # a real SMTP server on loopback for the mail tests (tests/mail)
)

if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  echo "usage: packaging/setup.sh   install the missing Debian packages Muster needs"
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} Debian packages are present"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "setup: missing packages (${missing[*]}) and neither root nor sudo is available" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
