# Sourced by the set-up scripts: `apt_install WHO PACKAGE...` installs Debian packages the machine
# lacks (through sudo when not root), saying so on stderr as WHO; nothing when given none.
apt_install() {
  local who=$1
  shift
  [ $# -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "$who: installing $*" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
