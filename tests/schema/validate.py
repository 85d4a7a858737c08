#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Validates jouletrace's JSON documents against the schemas in schemas/.

By hand: `tests/schema/validate.py FILE...` picks each file's schema from its "schema" field;
`--as NAME` (run, repeat, compare, carbon, study, node-profile, rated-power, sensors, redfish-config, job,
jobs, step-record) forces one, which a Redfish config without a "schema" field and a job store's
step record (it has "format": 1 instead) need. Exit status 0 when every file is valid.

As a test (`--self-test`, registered in CTest by tests/schema/CMakeLists.txt): checks that every
schema is a valid draft 2020-12 schema; validates the golden JSON files, the study index fixture
(tests/fixtures/study/study.json), data/tdp.json, data/carbon.json, the fuzz
seeds that are such files (and the job store's record seeds against step-record.schema.json,
where those decode_step_record refuses must be rejected) and the Redfish config example of the
docs; validates documents the built binary writes on fixture trees (sensors --json, calibrate,
node, run with a profile and a rated-power file, a checkpoint, --repeat, a command that cannot
start, shared attribution, compare --json over them); and shows that validation can fail: a run report with a field
removed, a wrong type, an extra field or a wrong schema name, and the like for the other formats
(job and job list reports, step records among them), must each be rejected.

Needs python3-jsonschema (Debian 12: 4.10.3); uses only what 4.10 has. Without it the test exits
77 (skipped) unless JOULETRACE_REQUIRE_JSONSCHEMA=1, which CI sets.
"""

import argparse
import copy
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
STEMS = ["run", "repeat", "node-profile", "rated-power", "sensors", "redfish-config", "job", "jobs",
         "step-record", "compare", "carbon", "study"]
# The "schema" field of a document -> the schema file that describes it. Old names are the
# forms readers still accept (see each schema's description).
BY_NAME = {
    "jouletrace.run": "run",
    "jouletrace.repeat": "repeat",
    "jouletrace.node-profile": "node-profile",
    "jouletrace-node-profile": "node-profile",
    "jouletrace.rated-power": "rated-power",
    "jouletrace-tdp/1": "rated-power",
    "jouletrace.sensors": "sensors",
    "jouletrace.redfish-config": "redfish-config",
    "jouletrace.job": "job",
    "jouletrace.jobs": "jobs",
    "jouletrace.compare": "compare",
    "jouletrace.carbon": "carbon",
    "jouletrace.study": "study",
    # A step record has no "schema" ("format": 1 instead): --as step-record.
}
# The job store's record seeds (fuzz/corpus/store_record/, plain JSON without a selector byte), by
# what decode_step_record does with them: those it accepts must validate, those it refuses for a
# reason a schema can say must be rejected, and those it cannot parse are deliberately skipped.
STORE_RECORD_SEEDS = {
    "valid_allocation.json": "valid",
    "empty_arrays_batch.json": "valid",
    "unknown_energy_step.json": "valid",
    "format_2.json": "invalid",
    "negative_uncertainty.json": "invalid",
    "unknown_method.json": "invalid",
    "infinite_energy.json": "unparsable",  # 1e999: Python reads inf, nlohmann refuses it
    "truncated.json": "unparsable",
}
SKIP = 77


def import_jsonschema():
    try:
        import jsonschema  # noqa: PLC0415
    except ImportError:
        required = os.environ.get("JOULETRACE_REQUIRE_JSONSCHEMA") == "1"
        print("python3-jsonschema is not installed (apt-get install python3-jsonschema)"
              + ("" if required else ": skipped"), file=sys.stderr)
        sys.exit(1 if required else SKIP)
    return jsonschema


def load_validators(schema_dir):
    """One validator per schema; the schemas refer to each other by file name."""
    jsonschema = import_jsonschema()
    schemas = {}
    for stem in STEMS:
        path = schema_dir / f"{stem}.schema.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
            raise ValueError(f"{path}: $schema is not draft 2020-12")
        # The base URI a file-based tool would use, so that "run.schema.json" resolves.
        schema.setdefault("$id", path.resolve().as_uri())
        schemas[stem] = schema
    try:
        import referencing  # noqa: PLC0415  (jsonschema >= 4.18)
        import referencing.jsonschema  # noqa: PLC0415

        registry = referencing.Registry().with_resources(
            (s["$id"], referencing.Resource.from_contents(
                s, default_specification=referencing.jsonschema.DRAFT202012))
            for s in schemas.values())

        def make(schema):
            return jsonschema.Draft202012Validator(schema, registry=registry)
    except ImportError:  # jsonschema 4.10 (Debian 12): a RefResolver with every schema stored
        store = {s["$id"]: s for s in schemas.values()}

        def make(schema):
            resolver = jsonschema.RefResolver.from_schema(schema, store=store)
            return jsonschema.Draft202012Validator(schema, resolver=resolver)
    return {stem: make(schema) for stem, schema in schemas.items()}


def errors_of(validator, document):
    def deepest(error):
        # "not valid under any of the given schemas" hides the reason in its context: the
        # error that got furthest into the document is the telling one ("x" was unexpected,
        # rather than "is not of type null").
        while error.context:
            error = max(error.context, key=lambda e: len(e.absolute_path))
        return error

    out = []
    for error in validator.iter_errors(document):
        e = deepest(error)
        message = e.message if len(e.message) <= 200 else e.message[:200] + "..."
        out.append(f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {message}")
    return sorted(out)


def strict_json(text):
    """json.loads as jouletrace's parser reads: a number beyond a double (1e999) or NaN and
    Infinity (not JSON) are errors, not inf."""
    def finite(literal):
        value = float(literal)
        if value in (float("inf"), float("-inf")):
            raise ValueError(f"{literal} is too large for a double")
        return value

    def constant(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_float=finite, parse_constant=constant)


def stem_of(document, forced=None):
    if forced:
        return forced
    name = document.get("schema") if isinstance(document, dict) else None
    if name not in BY_NAME:
        raise ValueError(f"unknown \"schema\": {name!r} (pass --as NAME)")
    return BY_NAME[name]


def validate_files(validators, files, forced):
    bad = 0
    for f in files:
        try:
            document = strict_json(pathlib.Path(f).read_text(encoding="utf-8"))
            stem = stem_of(document, forced)
        except (OSError, ValueError) as e:
            print(f"{f}: {e}")
            bad += 1
            continue
        errors = errors_of(validators[stem], document)
        print(f"{f}: {'valid' if not errors else 'INVALID'} ({stem}.schema.json)")
        for e in errors[:20]:
            print(f"  {e}")
        bad += bool(errors)
    return 1 if bad else 0


class SelfTest:
    def __init__(self, validators, args):
        self.validators = validators
        self.args = args
        self.failures = []
        self.checks = 0

    def valid(self, label, document, stem=None):
        self.checks += 1
        try:
            stem = stem_of(document, stem)
        except ValueError as e:
            self.failures.append(f"{label}: {e}")
            return
        errors = errors_of(self.validators[stem], document)
        if errors:
            self.failures.append(f"{label} is not a valid {stem} document:\n    "
                                 + "\n    ".join(errors[:20]))

    def invalid(self, label, document, stem):
        self.checks += 1
        if not errors_of(self.validators[stem], document):
            self.failures.append(f"{label}: accepted by {stem}.schema.json, must be rejected")

    def mutants(self, label, document, stem, mutations):
        for name, mutate in mutations:
            doc = copy.deepcopy(document)
            mutate(doc)
            self.invalid(f"{label} with {name}", doc, stem)

    # (b) files in the source tree
    def checked_in_files(self):
        golden = sorted((ROOT / "tests" / "golden").glob("*.json"))
        if len(golden) < 4:
            self.failures.append(f"only {len(golden)} golden JSON files in tests/golden")
        for path in golden:
            self.valid(str(path.relative_to(ROOT)), json.loads(path.read_text(encoding="utf-8")))
        study = ROOT / "tests" / "fixtures" / "study" / "study.json"
        index = json.loads(study.read_text(encoding="utf-8"))
        self.valid(str(study.relative_to(ROOT)), index)
        self.mutants("a study index", index, "study", [
            ("no results", lambda d: d.pop("results")),
            ("an empty file name", lambda d: d["results"][0].update(file="")),
            ("an extra field", lambda d: d.update(extra=1)),
        ])
        tdp = json.loads((ROOT / "data" / "tdp.json").read_text(encoding="utf-8"))
        self.valid("data/tdp.json", tdp, "rated-power")
        if tdp.get("schema") != "jouletrace.rated-power":
            self.failures.append("data/tdp.json does not use the current schema name")
        carbon = json.loads((ROOT / "data" / "carbon.json").read_text(encoding="utf-8"))
        self.valid("data/carbon.json", carbon, "carbon")
        # Fuzz seeds of the node-file readers: the first byte picks the reader. They keep the
        # old forms (profile and rated-power names) that the readers still accept.
        for path in sorted((ROOT / "fuzz" / "corpus").glob("*/*")):
            if path.parent.name == "store_record":  # no selector byte: checked below
                continue
            try:
                document = json.loads(path.read_bytes()[1:].decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):  # other targets' seeds nest deep
                continue
            if isinstance(document, dict) and document.get("schema") in BY_NAME:
                self.valid(str(path.relative_to(ROOT)), document)
        self.store_record_seeds()
        # JSON fixtures of these formats, wherever they are.
        for path in sorted((ROOT / "tests" / "fixtures").rglob("*.json")):
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                continue
            if isinstance(document, dict) and document.get("schema") in BY_NAME:
                self.valid(str(path.relative_to(ROOT)), document)
        # The Redfish config example of docs/backends/redfish.md.
        doc = (ROOT / "docs" / "backends" / "redfish.md").read_text(encoding="utf-8")
        match = re.search(r"## Config file.*?```json\n(.*?)```", doc, re.S)
        if match is None:
            self.failures.append("docs/backends/redfish.md: no ```json config example found")
        else:
            self.valid("the config example of docs/backends/redfish.md", json.loads(match[1]),
                       "redfish-config")

    def store_record_seeds(self):
        seeds = ROOT / "fuzz" / "corpus" / "store_record"
        found = {p.name for p in seeds.iterdir() if p.is_file()} if seeds.is_dir() else set()
        for name in sorted(found - STORE_RECORD_SEEDS.keys()):
            self.failures.append(f"fuzz/corpus/store_record/{name}: not in STORE_RECORD_SEEDS "
                                 "(say whether decode_step_record accepts it)")
        for name, expected in sorted(STORE_RECORD_SEEDS.items()):
            label = f"fuzz/corpus/store_record/{name}"
            if name not in found:
                self.failures.append(f"{label}: listed in STORE_RECORD_SEEDS but missing")
                continue
            try:
                document = strict_json((seeds / name).read_text(encoding="utf-8"))
            except ValueError:
                document = None
            if expected == "valid" and document is not None:
                self.valid(label, document, "step-record")
            elif expected == "invalid" and document is not None:
                self.invalid(label, document, "step-record")
            else:
                self.checks += 1
                if (document is None) != (expected == "unparsable"):
                    self.failures.append(f"{label}: expected {expected}, but it "
                                         f"{'does not parse' if document is None else 'parses'}")

    # (b) documents the binary writes on fixture trees
    def written_files(self, work):
        a = self.args
        fixtures = pathlib.Path(a.fixtures)
        tree = fixtures / "sysfs" / "intel-2s"
        proc = fixtures / "proc" / "intel-2s"
        nvml_conf = work / "nvml.conf"
        nvml_conf.write_text("gpu uuid=GPU-1234 name=NVIDIA-A100-SXM4-80GB power_w=60 util=90 "
                             "limit_w=400\n"
                             "gpu uuid=GPU-5678 name=NVIDIA-A100-SXM4-80GB power_w=50 util=0\n")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("JOULETRACE_") and k != "CUDA_VISIBLE_DEVICES"}
        env.update({"JT_FAKE_NVML_CONFIG": str(nvml_conf), "HOME": str(work),
                    "XDG_STATE_HOME": str(work / "state"),
                    "JOULETRACE_PROFILE": str(work / "default-profile.json")})

        def jouletrace(verb, *extra, sysfs=tree, expect=0, extra_env=None):
            argv = [a.jouletrace, verb, "--sysfs-root", str(sysfs), "--dev-root",
                    str(work / "dev"), "--nvml-library", a.fake_nvml, "--proc-root", str(proc),
                    "--no-bmc", *extra]
            result = subprocess.run(argv, env={**env, **(extra_env or {})}, capture_output=True,
                                    text=True, timeout=60, check=False)
            if result.returncode != expect:
                self.failures.append(f"{' '.join(argv[1:2])} exited {result.returncode}, "
                                     f"not {expect}:\n{result.stderr}")
                return None
            return result

        def load(label, path):
            try:
                return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                self.failures.append(f"{label}: {e}")
                return None

        written = {}
        for sysfs in sorted(p for p in (fixtures / "sysfs").iterdir() if p.is_dir()):
            result = jouletrace("sensors", "--json", sysfs=sysfs)
            if result is not None:
                listing = json.loads(result.stdout)
                self.valid(f"sensors --json on fixtures/sysfs/{sysfs.name}", listing, "sensors")
                written.setdefault("sensors", listing)

        profile = work / "profile.json"
        if jouletrace("calibrate", "--settle", "0s", "--duration", "300ms", "-i", "50ms",
                      "--profile", str(profile)) is not None:
            written["node-profile"] = load("calibrate's profile", profile)
            self.valid("the profile written by calibrate", written["node-profile"],
                       "node-profile")
        result = jouletrace("node", "--json", "-o", str(work / "node.json"), "--profile",
                            str(profile))
        if result is not None:
            self.valid("node --json", json.loads(result.stdout), "node-profile")
            self.valid("node -o", load("node -o", work / "node.json"), "node-profile")

        report = work / "run.json"
        csv = work / "run.csv"
        if jouletrace("run", "-q", "-i", "50ms", "-o", str(report), "--csv", str(csv),
                      "--profile", str(profile), "--tdp-file", str(ROOT / "data" / "tdp.json"),
                      "--", "sleep", "0.3") is not None:
            written["run"] = load("run -o", report)
            self.valid("run -o with a profile and data/tdp.json", written["run"], "run")
            header = csv.read_text(encoding="utf-8").splitlines()[0]
            if header != "time_s,component,domain,method,energy_j,power_w":
                self.failures.append(f"run --csv: unexpected header {header!r}")
        # The command copies the first checkpoint while it still runs (within 10 s).
        checkpoint = work / "checkpoint.json"
        for stale in (checkpoint, work / "final.json"):  # from an earlier --keep run
            stale.unlink(missing_ok=True)
        copy_first = (f"for i in $(seq 200); do if [ -f '{work / 'final.json'}' ]; then "
                      f"cp '{work / 'final.json'}' '{checkpoint}'; exit; fi; sleep 0.05; done; "
                      "exit 3")
        if jouletrace("run", "-q", "-i", "50ms", "--checkpoint", "1s", "-o",
                      str(work / "final.json"), "--", "sh", "-c", copy_first) is not None:
            document = load("a checkpoint", checkpoint)
            if document is not None and document.get("complete") is not False:
                self.failures.append("the checkpoint copied while the command ran is complete")
            self.valid("a checkpoint written while the command ran", document, "run")
            self.valid("the report after that checkpoint", load("run -o", work / "final.json"),
                       "run")
        if jouletrace("run", "-q", "--repeat", "2", "-o", str(work / "repeat.json"), "--",
                      "true") is not None:
            written["repeat"] = load("run --repeat", work / "repeat.json")
            self.valid("run --repeat 2 -o", written["repeat"], "repeat")
        # A study of one entry with two configurations and a phase: its result files are
        # repeat reports with the study's record and the node profile.
        study_file = work / "study.json"
        study_file.write_text(json.dumps({
            "name": "schema", "repetitions": 1, "cooldown_s": 0,
            "output": str(work / "study-results"),
            "idle_check": {"window_s": 0.2, "timeout_s": 0},
            "entries": [{"name": "nap", "command": ["sleep", "0.1"], "phases": ["train"],
                         "configurations": [{"name": "a"}, {"name": "b"}]}]}), "utf-8")
        if jouletrace("study", "-q", "--profile", str(profile), str(study_file)) is not None:
            for index in sorted((work / "study-results").glob("*/study.json")):
                written["study"] = load("study index", index)
                self.valid("the study index jouletrace study wrote", written["study"], "study")
                for name in ("nap@a.json", "nap@b.json"):
                    self.valid(f"study result {name}", load("study", index.parent / name),
                               "repeat")
        if jouletrace("run", "-q", "-o", str(work / "not-started.json"), "--",
                      str(work / "no-such-command"), expect=127) is not None:
            self.valid("run -o of a command that cannot start",
                       load("run -o", work / "not-started.json"), "run")
        if jouletrace("run", "-q", "-i", "50ms", "--attribution", "shared", "-o",
                      str(work / "shared.json"), "--", "sleep", "0.2",
                      extra_env={"CUDA_VISIBLE_DEVICES": "GPU-1234"}) is not None:
            self.valid("run --attribution shared -o", load("run -o", work / "shared.json"),
                       "run")
        # compare over a repeat report and a run report with GPUs, as the binary wrote them.
        if "repeat" in written and (work / "shared.json").is_file():
            argv = [a.jouletrace, "compare", "--json", "-o", str(work / "compare.json"),
                    "--reference", "repeat", f"repeat={work / 'repeat.json'}",
                    f"gpus={work / 'shared.json'}"]
            result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
            if result.returncode != 0:
                self.failures.append(f"compare exited {result.returncode}:\n{result.stderr}")
            else:
                written["compare"] = load("compare --json", work / "compare.json")
                self.valid("compare --json of run and repeat reports", written["compare"],
                           "compare")
        return written

    # (c) validation must be able to fail
    def negative_checks(self, written):
        run = json.loads((ROOT / "tests" / "golden" / "gpu_node.json").read_text("utf-8"))
        self.valid("tests/golden/gpu_node.json", run)

        def set_(path, value):
            def mutate(doc):
                *parents, last = path
                for p in parents:
                    doc = doc[p]
                doc[last] = value
            return mutate

        def drop(path):
            def mutate(doc):
                *parents, last = path
                for p in parents:
                    doc = doc[p]
                del doc[last]
            return mutate

        self.mutants("a run report", run, "run", [
            ("total_method removed", drop(["total_method"])),
            ("components[0].energy_j removed", drop(["components", 0, "energy_j"])),
            ("phases[0].items removed", drop(["phases", 0, "items"])),
            ("duration_s a string", set_(["duration_s"], "10 s")),
            ("components[0].samples a number with a fraction",
             set_(["components", 0, "samples"], 1.5)),
            ("complete a string", set_(["complete"], "yes")),
            ("an extra top-level field", set_(["surprise"], 1)),
            ("an extra field in components[0]", set_(["components", 0, "surprise"], 1)),
            ("an extra field in runtime_estimate", set_(["runtime_estimate", "surprise"], 1)),
            ("the schema name of a repeat report", set_(["schema"], "jouletrace.repeat")),
            ("the old schema spelling", set_(["schema"], "jouletrace.run/1")),
            ("version 2", set_(["version"], 2)),
            ("version \"1\"", set_(["version"], "1")),
            ("an unknown method", set_(["components", 0, "method"], "guess")),
            ("an unknown domain", set_(["components", 0, "domain"], "toaster")),
            ("an unknown sensor status", set_(["sensors", 0, "status"], "fine")),
            ("a device without a rated power that still has an energy",
             set_(["runtime_estimate", "devices", 0, "rated_power_w"], None)),
        ])

        # Unknown is null: a report where every figure that can be unknown is null is valid.
        unknown = copy.deepcopy(run)
        for key in ("total_energy_j", "total_uncertainty_j", "duration_s", "exit_code"):
            unknown[key] = None
        for c in unknown["components"]:
            for key in ("energy_j", "uncertainty_j", "uncertainty", "avg_power_w",
                        "peak_power_w", "activity_mean_pct", "activity_max_pct"):
                c[key] = None
            c["method"] = "none"
        for t in unknown["phase_totals"]:
            t.update(energy_j=None, uncertainty_j=None, energy_per_item_j=None, method="none")
        unknown["runtime_estimate"]["relative_error"] = None
        unknown["runtime_estimate"]["measured"] = None
        self.valid("a run report with its unknown figures null", unknown)
        self.invalid("a run report with an unknown phase total written as the string unknown",
                     dict(unknown, phase_totals=[dict(unknown["phase_totals"][0],
                                                      energy_j="unknown")]), "run")

        profile = written.get("node-profile")
        if profile is not None:
            self.valid("a run report holding a node profile", dict(run, node=profile))
            bad = copy.deepcopy(profile)
            bad["node"]["surprise"] = 1
            self.invalid("a run report holding a node profile with an extra field",
                         dict(run, node=bad), "run")
            self.mutants("a node profile", profile, "node-profile", [
                ("a wrong schema name", set_(["schema"], "jouletrace.node")),
                ("version 2", set_(["version"], 2)),
                ("created_at removed", drop(["created_at"])),
                ("sockets 0", set_(["node", "sockets", "value"], 0)),
                ("an unknown fact without a reason", set_(["node", "cores"], {"value": None})),
                ("an extra field in a baseline",
                 set_(["calibration", "baselines", 0, "surprise"], 1)),
                ("a negative idle power", set_(["calibration", "baselines", 0, "idle_power_w"],
                                               -1.0)),
                ("calibrated_at not a UTC time",
                 set_(["calibration", "calibrated_at"], "yesterday")),
            ])
        repeat = written.get("repeat")
        if repeat is not None:
            self.mutants("a repeat report", repeat, "repeat", [
                ("runs[0].schema removed", drop(["runs", 0, "schema"])),
                ("an extra field in runs[0]", set_(["runs", 0, "surprise"], 1)),
                ("statistics.total.mean_j a string", set_(["statistics", "total", "mean_j"], "x")),
                ("the old schema spelling", set_(["schema"], "jouletrace.repeat/1")),
            ])
        sensors = written.get("sensors")
        if sensors is not None and sensors["channels"]:
            self.mutants("a sensors listing", sensors, "sensors", [
                ("an unknown update period written as 0",
                 set_(["channels", 0, "update_period_s"], 0)),
                ("an unknown quantity", set_(["channels", 0, "quantity"], "joules")),
                ("an extra field in a channel", set_(["channels", 0, "surprise"], 1)),
                ("no schema", drop(["schema"])),
            ])
        tdp = json.loads((ROOT / "data" / "tdp.json").read_text(encoding="utf-8"))
        self.valid("the old rated-power form", {"schema": "jouletrace-tdp/1",
                                                 "devices": tdp["devices"]}, "rated-power")
        self.mutants("data/tdp.json", tdp, "rated-power", [
            ("no version", drop(["version"])),
            ("the old name with a version", set_(["schema"], "jouletrace-tdp/1")),
            ("a device kind tpu", set_(["devices", 0, "kind"], "tpu")),
            ("a rating of 0 W", set_(["devices", 0, "rated_power_w"], 0)),
            ("an http source", set_(["devices", 0, "source"], "http://example.invalid")),
            ("an extra field in a device", set_(["devices", 0, "tdp"], 1)),
        ])
        carbon = json.loads((ROOT / "data" / "carbon.json").read_text(encoding="utf-8"))
        self.mutants("data/carbon.json", carbon, "carbon", [
            ("no version", drop(["version"])),
            ("a region without a year", drop(["regions", 0, "year"])),
            ("a region without a source", drop(["regions", 0, "source"])),
            ("an intensity of 0", set_(["regions", 0, "intensity_g_per_kwh"], 0)),
            ("an http source", set_(["regions", 0, "source", "url"], "http://example.invalid")),
            ("a price without a currency",
             set_(["regions", 0, "price"], {"per_kwh": 0.2, "year": 2024,
                                            "source": {"publisher": "x",
                                                       "url": "https://example.invalid"}})),
        ])
        config = {"url": "https://bmc.example", "username": "monitor", "password": "secret"}
        self.valid("a Redfish config without schema and version", config, "redfish-config")
        self.valid("a Redfish config with schema and version",
                   dict(config, schema="jouletrace.redfish-config", version=1), "redfish-config")
        self.mutants("a Redfish config", config, "redfish-config", [
            ("a misspelt key", set_(["pasword"], "x")),
            ("no username", drop(["username"])),
            ("a wrong schema name", set_(["schema"], "jouletrace.redfish")),
            ("version 2", set_(["version"], 2)),
            ("a path in the url", set_(["url"], "https://bmc.example/api")),
            ("an auth method digest", set_(["auth"], "digest")),
            ("an interval of 0.01 s", set_(["interval_s"], 0.01)),
        ])

        # The job store's formats: `job --json`, `jobs --json` and the step record.
        def unknown_figure(figure):
            figure.update(energy_j=None, method="none")

        job = json.loads((ROOT / "tests" / "golden" / "job_two_nodes.json").read_text("utf-8"))
        self.mutants("a job report", job, "job", [
            ("the schema name of a job list", set_(["schema"], "jouletrace.jobs")),
            ("version 2", set_(["version"], 2)),
            ("an extra top-level field", set_(["surprise"], 1)),
            ("charged removed", drop(["charged"])),
            ("charged.energy_j a string", set_(["charged", "energy_j"], "57200")),
            ("charged.method removed", drop(["charged", "method"])),
            ("an extra field in charged", set_(["charged", "surprise"], 1)),
            ("a negative uncertainty of a domain",
             set_(["domains", 0, "energy", "uncertainty_j"], -1.0)),
            ("job.estimate_relative_error removed", drop(["job", "estimate_relative_error"])),
            ("an extra field in job", set_(["job", "surprise"], 1)),
            ("job.uid a string", set_(["job", "uid"], "1501")),
            ("an unknown method of job.total", set_(["job", "total", "method"], "guess")),
            ("nodes[0].whole a string", set_(["nodes", 0, "whole"], "yes")),
            ("nodes[0].steps a string", set_(["nodes", 0, "steps"], "extern")),
            ("phases[0].items with a fraction", set_(["phases", 0, "items"], 1.5)),
            ("an unknown scope of steps[0]", set_(["steps", 0, "scope"], "job")),
            ("steps[0].format 2", set_(["steps", 0, "format"], 2)),
            ("steps[0].total.energy_j a string", set_(["steps", 0, "total", "energy_j"], "42000")),
            ("an extra field in steps[0]", set_(["steps", 0, "surprise"], 1)),
            ("steps[0].components[0].energy.method removed",
             drop(["steps", 0, "components", 0, "energy", "method"])),
        ])
        unknown = copy.deepcopy(job)
        unknown["job"]["estimate_relative_error"] = None
        for figure in (unknown["charged"], unknown["job"]["total"], unknown["job"]["estimate"],
                       *(d["energy"] for d in unknown["domains"]),
                       *(n["total"] for n in unknown["nodes"]),
                       *(p["energy"] for p in unknown["phases"]),
                       *(s["total"] for s in unknown["steps"])):
            unknown_figure(figure)
        self.valid("a job report with its unknown figures null", unknown, "job")
        self.invalid("a job report with an unknown energy written as the string unknown",
                     dict(unknown, charged=dict(unknown["charged"], energy_j="unknown")), "job")

        compare = json.loads((ROOT / "tests" / "golden" / "compare.json").read_text("utf-8"))
        self.mutants("a comparison", compare, "compare", [
            ("the schema name of a repeat report", set_(["schema"], "jouletrace.repeat")),
            ("no configuration", set_(["configurations"], [])),
            ("a mean energy written as a string",
             set_(["configurations", 0, "total", "mean_j"], "0")),
            ("total.method removed", drop(["configurations", 0, "total", "method"])),
            ("an extra field in a phase", set_(["configurations", 0, "phases", 0, "surprise"], 1)),
            ("a ratio without its method", drop(["configurations", 1, "vs_reference",
                                                 "energy_ratio_method"])),
            ("a duration with method counter", set_(["configurations", 0, "duration", "method"],
                                                    "counter")),
        ])

        jobs = json.loads((ROOT / "tests" / "golden" / "jobs_list.json").read_text("utf-8"))
        self.mutants("a job list", jobs, "jobs", [
            ("the schema name of a job report", set_(["schema"], "jouletrace.job")),
            ("version \"1\"", set_(["version"], "1")),
            ("jobs an object", set_(["jobs"], {})),
            ("jobs[0].estimate_relative_error (only job --json has it)",
             set_(["jobs", 0, "estimate_relative_error"], 0.5)),
            ("an extra field in jobs[0]", set_(["jobs", 0, "surprise"], 1)),
            ("jobs[0].whole removed", drop(["jobs", 0, "whole"])),
            ("a negative uid", set_(["jobs", 0, "uid"], -1)),
            ("jobs[0].total.energy_j a string", set_(["jobs", 0, "total", "energy_j"], "57200")),
            ("jobs[0].idle_gpu.method removed", drop(["jobs", 0, "idle_gpu", "method"])),
            ("a negative systematic part", set_(["jobs", 0, "estimate", "systematic_j"], -1.0)),
        ])

        # The seed has a GPU, a phase and a coverage, which the golden job's records lack (a
        # missing seed is a failure of store_record_seeds).
        path = ROOT / "fuzz" / "corpus" / "store_record" / "valid_allocation.json"
        if not path.is_file():
            return
        record = strict_json(path.read_text(encoding="utf-8"))
        self.mutants("a step record", record, "step-record", [
            ("format removed", drop(["format"])),
            ("format \"1\"", set_(["format"], "1")),
            ("a schema field", set_(["schema"], "jouletrace.step-record")),
            ("an extra field", set_(["surprise"], 1)),
            ("an unknown scope", set_(["scope"], "job")),
            ("total.energy_j a string", set_(["total", "energy_j"], "1000")),
            ("total.method removed", drop(["total", "method"])),
            ("an unknown method", set_(["attributed", "method"], "measured")),
            ("a negative uncertainty", set_(["idle_gpu", "uncertainty_j"], -1.0)),
            ("an unknown uncertainty written as null", set_(["estimate", "uncertainty_j"], None)),
            ("an extra field in a figure", set_(["total", "surprise"], 1)),
            ("uid 2^32", set_(["uid"], 2**32)),
            ("begin_unix_ms with a fraction", set_(["begin_unix_ms"], 1700000000000.5)),
            ("coverage 101", set_(["coverage"], 101.0)),
            ("coverage a string", set_(["coverage"], "0.875")),
            ("a negative covered_s", set_(["components", 0, "covered_s"], -1.0)),
            ("components[0].in_total a string", set_(["components", 0, "in_total"], "yes")),
            ("a GPU share of 1.5", set_(["gpus_measured", 0, "share"], 1.5)),
            ("a negative GPU index", set_(["gpus_measured", 0, "index"], -1)),
            ("phases[0].count with a fraction", set_(["phases", 0, "count"], 1.5)),
            ("a warning that is not a string", set_(["warnings", 0], 1)),
            ("a cluster of 4097 characters", set_(["cluster"], "x" * 4097)),
            ("4097 warnings", set_(["warnings"], ["w"] * 4097)),
        ])
        unknown = copy.deepcopy(record)
        unknown["coverage"] = None
        for key in ("total", "attributed", "idle_gpu", "estimate"):
            unknown_figure(unknown[key])
        for item in (*unknown["components"], *unknown["gpus_measured"], *unknown["phases"]):
            unknown_figure(item["energy"])
        self.valid("a step record with its unknown figures null", unknown, "step-record")

    def run(self):
        started = time.monotonic()
        self.checked_in_files()
        if self.args.keep:
            work = pathlib.Path(self.args.keep)
            work.mkdir(parents=True, exist_ok=True)
            self.negative_checks(self.written_files(work))
        else:
            with tempfile.TemporaryDirectory(prefix="jouletrace-schema-") as work:
                self.negative_checks(self.written_files(pathlib.Path(work)))
        for f in self.failures:
            print(f"FAIL {f}")
        print(f"{self.checks - len(self.failures)} of {self.checks} schema checks passed "
              f"({time.monotonic() - started:.1f} s)")
        return 1 if self.failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="JSON documents to validate")
    parser.add_argument("--as", dest="forced", choices=STEMS, help="the schema to use")
    parser.add_argument("--schemas", default=str(ROOT / "schemas"), help="schema directory")
    parser.add_argument("--self-test", action="store_true", help="the CTest check")
    parser.add_argument("--jouletrace", help="the built binary (--self-test)")
    parser.add_argument("--fake-nvml", help="the fake libnvidia-ml.so.1 (--self-test)")
    parser.add_argument("--fixtures", default=str(ROOT / "tests" / "fixtures"))
    parser.add_argument("--keep", metavar="DIR",
                        help="write the documents of --self-test here and keep them")
    args = parser.parse_args()
    validators = load_validators(pathlib.Path(args.schemas))
    if args.self_test:
        if not args.jouletrace or not args.fake_nvml:
            parser.error("--self-test needs --jouletrace and --fake-nvml")
        return SelfTest(validators, args).run()
    if not args.files:
        parser.error("no files given")
    return validate_files(validators, args.files, args.forced)


if __name__ == "__main__":
    sys.exit(main())
