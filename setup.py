# SPDX-License-Identifier: BSD-3-Clause
"""Builds the jouletrace Python package with CMake (docs/PYTHON.md).

The extension `_jouletrace` and `libjouletrace.so.1`, which it links, are built by this tree's
CMake for the interpreter running pip, then placed side by side in the package: the extension's
rpath holds $ORIGIN (python/CMakeLists.txt), so a wheel works wherever it is installed on the
same platform. JOULETRACE_CMAKE_BUILD_DIR names an already configured build to reuse.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    return re.search(r"project\(jouletrace VERSION ([0-9.]+)", text).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("JOULETRACE_CMAKE_BUILD_DIR")
        if build_dir:
            build_dir = pathlib.Path(build_dir).resolve()
        else:
            build_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
            self.configure(build_dir)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "jouletrace_python"],
                       check=True)
        # The suffix names the interpreter ABI: a build made for another Python has another one.
        built = build_dir / "python" / "jouletrace" / ("_jouletrace" + sysconfig.get_config_var("EXT_SUFFIX"))
        if not built.exists():
            raise RuntimeError(f"{built} was not built: {build_dir} is configured for another "
                               f"Python than {sys.executable}")
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)
        library = (build_dir / "src" / "api" / "libjouletrace.so.1").resolve()
        shutil.copy2(library, target.parent / "libjouletrace.so.1")

    def configure(self, build_dir):
        # Only what the module needs: no tests, benchmarks or Slurm plugin to build.
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build_dir),
                        "-DCMAKE_BUILD_TYPE=Release", f"-DPython3_EXECUTABLE={sys.executable}",
                        "-DJOULETRACE_BUILD_TESTS=OFF", "-DJOULETRACE_BUILD_BENCHMARKS=OFF",
                        "-DJOULETRACE_WITH_SLURM=OFF"], check=True)


setup(
    version=project_version(),
    packages=["jouletrace"],
    package_dir={"": "python"},
    ext_modules=[Extension("jouletrace._jouletrace", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
