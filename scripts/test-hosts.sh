#!/usr/bin/env bash
# Prepares this machine for drover's integration tests: a real Docker engine, podman's
# Docker-compatible API service, the test images in both, OpenSSH's server and the `deploy` user.
# Idempotent; a no-op (well under a second) when all is there. Tests start their own sshd
# servers and their own PostgreSQL server (from the `postgresql` package installed here; its
# system cluster is never started), so this script never does. README.md ("Development") lists what it installs and
# leaves running.
#
#   bash scripts/test-hosts.sh                    set up (as root for the first run)
#   bash scripts/test-hosts.sh --image-label TAG  print the content comment the test image TAG
#                                                 must carry (the tests check it)
set -euo pipefail

readonly PACKAGES=(docker.io busybox-static openssh-server iproute2 podman catatonit openssl postgresql chromium)
readonly DOCKERD_LOG=/var/log/drover-test-dockerd.log
readonly DOCKERD_WAIT_SECONDS=60
readonly IMAGE_REPO=drover-test/busybox
readonly IMAGE_TAGS=(v1 v2)
readonly APPLETS=(sh ls cat echo sleep httpd wget nc env kill ps true false)
# Test images carry a hash of what went into them, as their comment ("drover.test.content=<hash>";
# a LABEL would be inherited by every container, whose labels tests compare); an image whose
# comment differs (an older build, say without `env`, `kill` or `ps`) is rebuilt, in Docker and
# in podman.
readonly CONTENT_KEY=drover.test.content
readonly TEST_USER=deploy
readonly PODMAN_SOCKET=/run/podman/podman.sock
readonly PODMAN_LOG=/var/log/drover-test-podman.log
readonly PODMAN_CONF=/etc/containers/containers.conf.d/drover-test.conf

step() { printf 'test-hosts: %s\n' "$*"; }
die() {
  printf 'test-hosts: error: %s\n' "$*" >&2
  exit 1
}
need_root() {
  [[ $(id -u) -eq 0 ]] || die "$1 needs root; run: sudo bash scripts/test-hosts.sh"
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

# The content comment of image TAG: a hash of the busybox binary, the applets, the page it serves and the
# recipe (this function's and build_image's text), so any change to them means a new image.
image_label() {
  local tag=$1
  {
    sha256sum <"$(busybox_path)"
    printf '%s\n' "${APPLETS[@]}" "$tag"
    declare -f build_image
  } | sha256sum | cut -c1-16 | sed "s/^/$CONTENT_KEY=/"
}

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
    # cd /: a daemon keeps the directory it started in; one removed later (a temporary clone, a
    # git worktree) breaks it (podman's conmon: "Failed to get working directory").
    cd /
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    started=$!
    cd "$OLDPWD"
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
    --message "$(image_label "$tag")" - "$IMAGE_REPO:$tag" >/dev/null || rc=$?
  rm -rf "$root"
  [[ $rc -eq 0 ]] || die "docker import of $IMAGE_REPO:$tag failed"
}

# The comment an image carries in an engine (docker or podman); empty when it is absent.
label_in() {
  "$1" image inspect --format '{{ .Comment }}' "$IMAGE_REPO:$2" 2>/dev/null || true
}

build_images() {
  local tag
  for tag in "${IMAGE_TAGS[@]}"; do
    [[ $(label_in docker "$tag") == "$(image_label "$tag")" ]] || build_image "$tag"
  done
}

# Podman 4.3 gives rootful containers nofile and nproc limits of 1048576, which runc cannot set
# without CAP_SYS_RESOURCE (absent here: "error setting rlimit type 7: operation not permitted").
# An empty default_ulimits makes containers inherit conmon's limits, as Docker's inherit dockerd's.
configure_podman() {
  [[ -e $PODMAN_CONF ]] && return
  need_root "writing $PODMAN_CONF"
  step "writing $PODMAN_CONF"
  mkdir -p "$(dirname "$PODMAN_CONF")"
  cat >"$PODMAN_CONF" <<'EOF'
# Written by drover's scripts/test-hosts.sh: containers inherit conmon's rlimits instead of
# podman's 1048576 nofile/nproc, which runc cannot set without CAP_SYS_RESOURCE.
[containers]
default_ulimits = []
EOF
}

podman_answers() { timeout 10 podman --url "unix://$PODMAN_SOCKET" version >/dev/null 2>&1; }

start_podman_service() {
  if ! podman_answers; then
    need_root "podman's API service does not answer at $PODMAN_SOCKET; starting it"
    step "starting podman system service (log: $PODMAN_LOG)"
    mkdir -p "$(dirname "$PODMAN_SOCKET")"
    rm -f "$PODMAN_SOCKET"
    # setsid and 9>&-: as for dockerd above. --time=0: never exit when idle.
    # cd /: as for dockerd above.
    cd /
    setsid podman system service --time=0 "unix://$PODMAN_SOCKET" \
      >>"$PODMAN_LOG" 2>&1 </dev/null 9>&- &
    local started=$! waited=0
    cd "$OLDPWD"
    until podman_answers; do
      kill -0 "$started" 2>/dev/null || die "podman system service exited at start; last log lines:
$(tail -n 15 "$PODMAN_LOG" 2>/dev/null)"
      ((waited++ < DOCKERD_WAIT_SECONDS)) || die "podman did not answer within ${DOCKERD_WAIT_SECONDS}s"
      sleep 1
    done
  fi
  # The ssh tests' user reaches the socket as Docker's: through the docker group.
  if [[ $(id -u) -eq 0 && $(stat -c %G:%a "$PODMAN_SOCKET") != docker:660 ]]; then
    chgrp docker "$PODMAN_SOCKET"
    chmod 660 "$PODMAN_SOCKET"
  fi
}

# The same images as Docker's, copied into podman's store (no registry is reachable here); an
# image whose content comment differs from Docker's is copied again.
podman_images() {
  local tag missing=()
  for tag in "${IMAGE_TAGS[@]}"; do
    [[ $(label_in podman "$tag") == "$(label_in docker "$tag")" ]] || missing+=("$IMAGE_REPO:$tag")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  need_root "loading ${missing[*]} into podman"
  step "loading ${missing[*]} into podman"
  docker save "${missing[@]}" | podman load -q >/dev/null || die "podman load of ${missing[*]} failed"
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

if [[ ${1:-} == --image-label ]]; then
  image_label "${2:?usage: test-hosts.sh --image-label TAG}"
  exit 0
fi

# Two runs at once (parallel test workers, several engineers) must not race on apt or dockerd.
lock_file=/run/drover-test-hosts.lock
[[ -w /run ]] || lock_file=/tmp/drover-test-hosts.lock
exec 9>"$lock_file"
flock 9

install_packages
start_dockerd
build_images
ensure_user
ensure_sshd_dir
configure_podman
podman_images
start_podman_service
