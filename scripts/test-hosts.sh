#!/usr/bin/env bash
# Prepares this machine for drover's integration tests: a real Docker engine, the test images,
# OpenSSH's server and the `deploy` user. Idempotent; a no-op (well under a second) when all is
# there. Tests start their own sshd servers, so this script never does. See
# notes/test-hosts.md for why each step looks the way it does.
set -euo pipefail

readonly PACKAGES=(docker.io busybox-static openssh-server iproute2)
readonly DOCKERD_LOG=/var/log/drover-test-dockerd.log
readonly DOCKERD_WAIT_SECONDS=60
readonly IMAGE_REPO=drover-test/busybox
readonly IMAGE_TAGS=(v1 v2)
readonly APPLETS=(sh ls cat echo sleep httpd wget nc env kill ps true false)
readonly TEST_USER=deploy

step() { printf 'test-hosts: %s\n' "$*"; }
die() {
  printf 'test-hosts: error: %s\n' "$*" >&2
  exit 1
}
need_root() {
  [[ $(id -u) -eq 0 ]] || die "$1 needs root; run: sudo bash scripts/test-hosts.sh"
}

# Two runs at once (parallel test workers, several engineers) must not race on apt or dockerd.
lock_file=/run/drover-test-hosts.lock
[[ -w /run ]] || lock_file=/tmp/drover-test-hosts.lock
exec 9>"$lock_file"
flock 9

install_packages() {
  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == 'install ok installed' ]] ||
      missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  need_root "installing ${missing[*]}"
  command -v apt-get >/dev/null || die "apt-get not found; this script supports Debian 12 only"

  # Package scripts must not start sshd on port 22 or a dockerd we do not control.
  local made_policy=
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  step "apt-get update"
  apt-get update -qq || die "apt-get update failed"
  step "installing ${missing[*]}"
  local rc=0
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
    apt-get install -y -qq "${missing[@]}" >/tmp/drover-test-hosts-apt.log 2>&1 || rc=$?
  [[ -n $made_policy ]] && rm -f /usr/sbin/policy-rc.d
  [[ $rc -eq 0 ]] || die "apt-get install ${missing[*]} failed (see /tmp/drover-test-hosts-apt.log)"
}

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

dockerd_running() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

start_dockerd() {
  docker_answers && return
  local started=
  if dockerd_running; then
    step "waiting for the running dockerd to answer"
  else
    need_root "docker info fails (no engine, or no access to its socket); starting dockerd"
    step "starting dockerd (log: $DOCKERD_LOG)"
    # setsid: the engine must outlive this shell and not get its signals.
    # 9>&-: the engine must not inherit (and so hold forever) our lock.
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    started=$!
  fi
  local waited=0
  until docker_answers; do
    if [[ -n $started ]] && ! kill -0 "$started" 2>/dev/null; then
      die "dockerd exited at start; last log lines:
$(tail -n 15 "$DOCKERD_LOG" 2>/dev/null)"
    fi
    ((waited++ < DOCKERD_WAIT_SECONDS)) ||
      die "dockerd did not answer within ${DOCKERD_WAIT_SECONDS}s; last log lines:
$(tail -n 15 "$DOCKERD_LOG" 2>/dev/null)"
    sleep 1
  done
}

busybox_path() {
  local path
  for path in /bin/busybox /usr/bin/busybox; do
    [[ -x $path ]] && {
      echo "$path"
      return
    }
  done
  die "busybox not found although busybox-static is installed"
}

build_image() {
  local tag=$1 busybox root applet applets
  busybox=$(busybox_path)
  applets=$("$busybox" --list)
  for applet in "${APPLETS[@]}"; do
    grep -qx "$applet" <<<"$applets" || die "$busybox has no '$applet' applet"
  done
  root=$(mktemp -d /tmp/drover-test-image.XXXXXX)
  mkdir -p "$root/bin" "$root/www" "$root/tmp" "$root/etc"
  cp "$busybox" "$root/bin/busybox"
  for applet in "${APPLETS[@]}"; do ln -s busybox "$root/bin/$applet"; done
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  echo "$tag" >"$root/www/index.html"
  step "building image $IMAGE_REPO:$tag"
  local rc=0
  tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' \
    - "$IMAGE_REPO:$tag" >/dev/null || rc=$?
  rm -rf "$root"
  [[ $rc -eq 0 ]] || die "docker import of $IMAGE_REPO:$tag failed"
}

build_images() {
  local tag
  for tag in "${IMAGE_TAGS[@]}"; do
    docker image inspect "$IMAGE_REPO:$tag" >/dev/null 2>&1 || build_image "$tag"
  done
}

ensure_user() {
  if ! id "$TEST_USER" >/dev/null 2>&1; then
    need_root "creating user $TEST_USER"
    step "creating user $TEST_USER"
    useradd -m -s /bin/sh -G docker "$TEST_USER"
  fi
  if [[ " $(id -nG "$TEST_USER") " != *" docker "* ]]; then
    need_root "adding $TEST_USER to group docker"
    step "adding $TEST_USER to group docker"
    usermod -aG docker "$TEST_USER"
  fi
  # '*' (not '!', useradd's default) lets sshd accept key logins with UsePAM no. Only root
  # can read the shadow entry; anyone else trusts an earlier root run.
  if [[ $(id -u) -eq 0 && $(getent shadow "$TEST_USER" | cut -d: -f2) != '*' ]]; then
    step "unlocking $TEST_USER for key login"
    usermod -p '*' "$TEST_USER"
  fi
}

ensure_sshd_dir() {
  [[ -d /run/sshd ]] && return
  need_root "creating /run/sshd"
  step "creating /run/sshd"
  mkdir -p /run/sshd
  chmod 755 /run/sshd
}

install_packages
start_dockerd
build_images
ensure_user
ensure_sshd_dir
