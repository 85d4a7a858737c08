#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Train a small classifier, then run inference on it, with both phases marked for jouletrace.

    # the phases go to the report of `jouletrace run` (JSON `phases`, summary phase table):
    jouletrace run -o report.json -- python3 examples/python/train_infer.py
    # or without a parent: the script measures its own phases and prints them
    sudo python3 examples/python/train_infer.py --device cpu

The data are synthetic (a mixture of Gaussian clusters), so nothing is downloaded. On a GPU,
``torch.cuda.synchronize`` is the sync hook: CUDA kernels run asynchronously, and without it the
energy of queued training kernels would land in the inference phase. Items are samples, so the
report gives joules per training sample and per inference sample.

Exit status: 0, 77 when PyTorch is not installed (a skipped check), 1 on an error.
"""

from __future__ import annotations

import argparse
import sys

try:
    import torch
    from torch import nn
except ImportError:
    print("train_infer.py: PyTorch is not importable by this python "
          f"({sys.executable}); install it (Debian: apt-get install python3-torch) to run "
          "this example. Skipping.", file=sys.stderr)
    sys.exit(77)

try:
    import jouletrace
except ImportError as error:
    print(f"train_infer.py: cannot import jouletrace ({error}); build the Python module and put "
          "its directory on PYTHONPATH (e.g. PYTHONPATH=build/python)", file=sys.stderr)
    sys.exit(1)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", help="auto (cuda when available), cpu or cuda[:N]")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--samples", type=int, default=20000, help="training set size")
    p.add_argument("--test-samples", type=int, default=None,
                   help="inference set size (default: same as --samples)")
    p.add_argument("--features", type=int, default=64)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--infer-batch-size", type=int, default=1024)
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    p.add_argument("--seed", type=int, default=0)
    # Self-measurement options (ignored under `jouletrace run` unless --measure-in-process).
    p.add_argument("--interval", type=float, default=None, help="sampling interval in seconds")
    p.add_argument("--measure-in-process", action="store_true",
                   help="measure here even under `jouletrace run`")
    p.add_argument("--sysfs-root", default=None, help="read the sensors under this root (tests)")
    p.add_argument("--dev-root", default=None)
    p.add_argument("--nvml-library", default=None)
    args = p.parse_args()
    if args.epochs < 1 or args.samples < 1 or args.batch_size < 1 or args.infer_batch_size < 1:
        p.error("--epochs, --samples and the batch sizes must be positive")
    return args


def make_data(n: int, features: int, classes: int, generator: torch.Generator):
    """Gaussian clusters, one per class, around fixed random centres."""
    centres = torch.randn(classes, features, generator=generator) * 0.25
    labels = torch.randint(0, classes, (n,), generator=generator)
    x = centres[labels] + torch.randn(n, features, generator=generator)
    return x, labels


def main() -> int:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("train_infer.py: --device cuda but CUDA is not available", file=sys.stderr)
        return 1

    jouletrace.init(interval_s=args.interval, sysfs_root=args.sysfs_root, dev_root=args.dev_root,
                    nvml_library=args.nvml_library, measure_in_process=args.measure_in_process)
    # On a GPU every boundary first waits for the queued kernels (torch.cuda.synchronize), so
    # their energy lands in the phase that issued them. On the CPU there is nothing to wait for.
    sync = False
    if device.type == "cuda":
        if device.index is not None:
            torch.cuda.set_device(device)
        sync = torch.cuda.synchronize

    generator = torch.Generator().manual_seed(args.seed)
    test_n = args.test_samples or args.samples
    x_all, y_all = make_data(args.samples + test_n, args.features, args.classes, generator)
    x_train, y_train = x_all[:args.samples].to(device), y_all[:args.samples].to(device)
    x_test, y_test = x_all[args.samples:].to(device), y_all[args.samples:].to(device)

    torch.manual_seed(args.seed)
    model = nn.Sequential(
        nn.Linear(args.features, args.hidden), nn.ReLU(),
        nn.Linear(args.hidden, args.hidden), nn.ReLU(),
        nn.Linear(args.hidden, args.classes)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    print(f"train_infer.py: {args.samples} training and {test_n} inference samples on {device}; "
          f"jouletrace mode: {jouletrace.mode()}", flush=True)

    # -- training: one phase, with a nested phase per epoch ------------------------------------
    with jouletrace.phase("train", sync=sync) as train:
        for epoch in range(args.epochs):
            with jouletrace.phase("epoch", sync=sync) as ep:
                model.train()
                order = torch.randperm(args.samples, device=device)
                total_loss = torch.zeros((), device=device)
                for start in range(0, args.samples, args.batch_size):
                    idx = order[start:start + args.batch_size]
                    optimizer.zero_grad(set_to_none=True)
                    loss = loss_fn(model(x_train[idx]), y_train[idx])
                    loss.backward()
                    optimizer.step()
                    total_loss += loss.detach() * len(idx)
                    ep.add_items(len(idx))
                    train.add_items(len(idx))
            report_phase(f"epoch {epoch + 1}: loss {total_loss.item() / args.samples:.4f}", ep)

    # -- inference -------------------------------------------------------------------------------
    model.eval()
    correct = torch.zeros((), dtype=torch.long, device=device)
    with torch.inference_mode(), jouletrace.phase("infer", sync=sync) as infer:
        for start in range(0, test_n, args.infer_batch_size):
            xb = x_test[start:start + args.infer_batch_size]
            correct += (model(xb).argmax(dim=1) == y_test[start:start + len(xb)]).sum()
            infer.add_items(len(xb))
    accuracy = correct.item() / test_n

    report_phase("train", train)
    report_phase(f"infer: accuracy {accuracy:.3f}", infer)
    if jouletrace.mode() == "parent" and train.measurement is None:
        print("train_infer.py: the phases' energy is in the report of `jouletrace run`")
    jouletrace.shutdown()
    return 0


def report_phase(label: str, p: "jouletrace.phase") -> None:
    m = p.measurement
    if m is None:  # under `jouletrace run`: the parent has the energy
        print(f"  {label}", flush=True)
        return
    per_item = f", {m.energy_per_item_j * 1e3:.4f} mJ/sample" if m.items else ""
    short = " (short: see uncertainty)" if m.short_window else ""
    print(f"  {label}: {m.energy_j:.3f} J ± {m.uncertainty_j:.3f} J in {m.duration_s:.3f} s "
          f"[{m.method}]{per_item}{short}", flush=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except jouletrace.Error as error:
        print(f"train_infer.py: jouletrace: {error}", file=sys.stderr)
        sys.exit(1)
