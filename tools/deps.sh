# Sourced by the quick-start scripts: makes sure the Debian packages a task needs are present.
#   need_packages PKG...   installs the missing ones when run as root (apt-get), otherwise
#                          prints the exact command to run and exits 1.
# Works on Debian 12 and Ubuntu 22.04 or later.

need_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null || {
      echo "error: apt-get install ${missing[*]} failed" >&2
      exit 1
    }
  else
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "install them with:  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}

# What building and testing the steps needs.
BUILD_PACKAGES=(cmake g++ make libgtest-dev libgmock-dev libbenchmark-dev python3 curl)
# What the API reference needs.
DOCS_PACKAGES=(doxygen graphviz)

# The number of parallel build jobs: every core.
build_jobs() { nproc 2>/dev/null || echo 2; }
