#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks that every source under src/ includes only from its own layer and the layers below
(docs/ARCHITECTURE.md): the static libraries alone would let an upward include compile."""
import pathlib
import re
import sys

# Layer -> the include prefixes it may use. "sensors" means the backends on the node itself;
# the BMC backends (Redfish, IPMI) are a layer of their own that only the CLI links.
BMC = ("sensors/redfish/", "sensors/ipmi/", "sensors/bmc_backends.")
ALLOWED = {
    "core": ["core/"],
    "markers": ["markers/", "core/"],
    "sensors": ["sensors/", "core/"],
    "bmc": ["sensors/", "core/"],
    "sampler": ["sampler/", "sensors/", "core/"],
    "ledger": ["ledger/", "sampler/", "sensors/", "core/", "markers/"],
    "store": ["store/", "ledger/", "sampler/", "sensors/", "core/", "markers/"],
    "study": ["study/", "ledger/", "sampler/", "sensors/", "core/", "markers/"],
    "report": ["report/", "study/", "store/", "ledger/", "sampler/", "sensors/", "core/", "markers/"],
    "api": ["api/", "jouletrace/", "ledger/", "sampler/", "sensors/", "core/", "markers/"],
    "agent": ["agent/", "report/", "study/", "store/", "ledger/", "sampler/", "sensors/", "core/", "markers/"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+[<"]([^">]+)[">]')
LAYER_PREFIXES = tuple(f"{layer}/" for layer in ("core", "markers", "sensors", "sampler", "ledger",
                                                 "store", "study", "report", "api", "agent"))


def layer_of(relative):
    text = relative.as_posix()
    if text.startswith(BMC):
        return "bmc"
    return text.split("/", 1)[0]


def sources(src):
    found = [p for p in sorted(src.rglob("*")) if p.suffix in (".cpp", ".hpp", ".h")]
    # A moved or mistyped folder would otherwise pass with nothing checked.
    if len(found) < 50:
        sys.exit(f"only {len(found)} sources under {src}: is that the src folder?")
    return found


def violations(src):
    for path in sources(src):
        layer = layer_of(path.relative_to(src))
        allowed = ALLOWED.get(layer)
        if allowed is None:
            yield f"{path}: no layer is known for this folder"
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = match.group(1)
            if "/" not in target or (line.lstrip("# \t").startswith("include <")
                                     and not target.startswith(LAYER_PREFIXES)):
                continue  # a header beside this one, or a system header
            upward = not target.startswith(tuple(allowed))
            bmc_from_below = layer != "bmc" and target.startswith(BMC)
            if upward or bmc_from_below:
                yield f"{path}:{number}: layer {layer} includes {target}"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_includes.py SRC_DIR")
    found = list(violations(pathlib.Path(sys.argv[1])))
    for line in found:
        print(line)
    if found:
        sys.exit(f"{len(found)} include(s) cross the layers upwards")
    print("every include stays within its layer or below")


if __name__ == "__main__":
    main()
