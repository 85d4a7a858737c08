#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs the Debian 12 packages jouletrace builds and tests with.
set -eu
packages="g++ cmake ninja-build pkg-config help2man python3 python3-dev python3-jsonschema pybind11-dev
  python3-venv python3-pip python3-setuptools python3-wheel
  libfmt-dev nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev
  libcpp-httplib-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev libcap-dev prometheus-cpp-dev prometheus
  libsqlite3-dev libpqxx-dev postgresql libtomlplusplus-dev
  libslurm-dev slurmctld slurmd slurm-client slurmdbd munge mariadb-server shellcheck iproute2
  dpkg-dev man-db
  systemd
  libtorch-dev zlib1g-dev dataset-fashion-mnist
  chromium"
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${Status}\n' $packages 2>/dev/null | grep -c "install ok installed" || true)
if [ "$installed" -ne "$(echo $packages | wc -w)" ]; then
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $packages
fi
