# SPDX-License-Identifier: BSD-3-Clause
# The Debian package: `cpack -G DEB` in the build directory (docs/INSTALL.md). Everything the
# install rules put under the prefix, installed under /usr. CPack's DEB generator is documented in
# cmake's cpack-generators(7), "CPack DEB Generator".
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME jouletrace)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "the jouletrace authors")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "measure the energy of AI workloads on HPC nodes")
set(CPACK_PACKAGE_DESCRIPTION
  "jouletrace reports the energy a command, a Slurm job or a phase of a program uses, per\n"
  "component of the node (CPU packages, DRAM, GPUs, the whole node behind a BMC). It contains\n"
  "the jouletrace command, the node agent and its systemd unit, the marker library\n"
  "libjouletrace.so with its headers, and the Slurm SPANK plugin.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "the jouletrace authors <jouletrace@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# dpkg-shlibdeps finds the libraries the binaries link (libfmt, libcap, libcurl, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Not linked, so dpkg-shlibdeps cannot see it: the NVIDIA library is loaded with dlopen when
# present (docs/backends/), so it is only suggested; so are slurmd, which loads the plugin, and
# slurm-client, whose scontrol the EpilogSlurmctld calls (docs/SLURM.md): not every node runs Slurm.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libnvidia-ml1, slurmd, slurm-client")
# One package of every install component but `python`: that module belongs in Debian's
# /usr/lib/python3/dist-packages, for one interpreter version, with an rpath for /usr; it is
# installed with pip or `cmake --install` (docs/PYTHON.md) until it has a package of its own.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified library)
include(CPack)
