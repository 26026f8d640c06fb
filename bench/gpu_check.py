"""GPU check: CPU-vs-CUDA parity of every shipped model, import speed on CUDA, the trainer on CUDA.

    python -m bench.gpu_check [--shared ../shared/data] [--max-per-person N] [--photos 100]
                              [--photo-folder DIR] [--budget-s 450] [--json FILE]

One prepared command for a machine with an NVIDIA GPU, meant to finish in under 8 minutes
(``--budget-s``, default 450 s, bounds the whole run; every step also has its own limit and
runs in a process of its own, killed with its children when it overruns):

1. **parity**: 8 real photos (faces-deepface, group-bbt, faces-crops-dev) are imported into a
   temporary library by the real importer on the CPU, while every ``InferenceModel.run`` feed
   and its outputs are recorded per model (the method is wrapped here, never in the app); the
   recorded feeds are then replayed through a CUDA session of the same model class, and the
   max abs difference of each output is printed for every ONNX model of the manifest. A
   shipped ONNX model that the import never ran is listed as NOT EXERCISED (a failure), and
   a CUDA session that fell back to the CPU is a failure too.
2. **import speed on CUDA**: ``import_folders`` into a temporary library with
   ``Device.CUDA`` (after a 2-photo warm-up import that loads CUDA and cuDNN), for
   faces-crops-dev (``--max-per-person N``: each person's first N crops) and for a folder of
   ``--photos`` 12 MP photos made by ``bench/make_photo_folder.py --size 4032`` (built while
   step 1 runs, or ``--photo-folder DIR``): photos/s, seconds per stage, the providers every
   model's session got, peak RSS of the import's process tree.
3. **trainer**: ``python -m trainer parts --device cuda`` smoke run (``smoke=true
   only=reid evaluate=false``, into a temporary ``out`` and ``cache``) and, where torch sees 2
   or more GPUs, the same under ``torchrun --nproc_per_node=2`` (NCCL).

The CUDA test is the app's own (``albumtag.runtime.providers.cuda_works``). When it fails, a
fresh process says why (onnxruntime's message, e.g. a CUDA library it cannot load) and tries
again after ``onnxruntime.preload_dlls()`` (the CUDA and cuDNN libraries of the nvidia-*
wheels); if that works, steps 1 and 2 run with it, and the check fails, since the app as it
stands would run on the CPU. Without CUDA (no CUDA session even after ``preload_dlls`` and
torch sees no CUDA device) it prints one line saying no CUDA device was found and exits 0.
Exit status 1: a step failed, timed out or was skipped for lack of time, only one of
onnxruntime and torch sees CUDA, or onnxruntime needs ``preload_dlls``. ``--json FILE``
writes everything measured.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
PARITY_PHOTOS = (  # faces near and far, groups (person detector, pose, bodies), face crops
    "faces-deepface/couple.jpg",
    "faces-deepface/img1.jpg",
    "faces-deepface/img11.jpg",
    "group-bbt/examples/images/bbt1.jpg",
    "group-bbt/examples/images/bbt2.jpg",
    "group-bbt/examples/images/bbt4.jpg",
    "faces-crops-dev/Barack_Obama/0.png",
    "faces-crops-dev/Hugh_Laurie/3358.png",
)
MAX_RUNS_RECORDED = 48  # per model: the first runs of the import
MAX_BYTES_RECORDED = 256 << 20  # per model, feeds and outputs together
WARM_UP_PHOTOS = 2
RESERVE_S = 15  # kept back from the budget for the summary
LIMITS_S = {"parity": 150, "make-folder": 240, "import": 180, "trainer-smoke": 180, "torchrun": 200}


# ---------------------------------------------------------------- record and replay (parity)

@dataclass
class Recording:
    """What one model ran during ``record_runs``: its class, the models folder it was
    loaded from, each run's feeds and outputs (copies), and the seconds those runs took."""

    model: str
    cls: type
    models_root: Path
    feeds: list[dict[str, np.ndarray]] = field(default_factory=list)
    outputs: list[list[np.ndarray]] = field(default_factory=list)
    runs: int = 0  # all runs seen, also those beyond the recorded ones
    seconds: float = 0.0  # of the recorded runs
    nbytes: int = 0


@dataclass
class ModelParity:
    model: str
    providers: list[str]
    runs: int
    max_abs_diff: dict[str, float]  # output name -> max |reference - replay| over every run
    max_abs_reference: dict[str, float]  # output name -> max |reference|, for scale
    reference_ms: float  # the recorded runs, as they ran while recording
    replay_ms: float  # the same feeds, second pass on the replay session

    @property
    def worst(self) -> float:
        return max(self.max_abs_diff.values(), default=0.0)


def _models_root(model: Any) -> Path:
    path = Path(model._path)
    return path.parents[len(Path(model.entry.file).parts) - 1]


@contextmanager
def record_runs(max_runs: int = MAX_RUNS_RECORDED, max_bytes: int = MAX_BYTES_RECORDED
                ) -> Iterator[dict[str, Recording]]:
    """While inside, every ``InferenceModel.run`` (any subclass, any thread) is recorded per
    model name: feeds and outputs copied, up to ``max_runs`` runs and ``max_bytes`` per model."""
    from albumtag.runtime.inference_model import InferenceModel

    recordings: dict[str, Recording] = {}
    lock = threading.Lock()
    original = InferenceModel.run

    def recording_run(self: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        _ = self.session  # created (lazily, on first use) before the clock starts
        started = time.perf_counter()
        outputs = original(self, feeds)
        elapsed = time.perf_counter() - started
        with lock:
            entry = recordings.get(self.model_name)
            if entry is None:
                entry = recordings[self.model_name] = Recording(self.model_name, type(self), _models_root(self))
            entry.runs += 1
            size = sum(np.asarray(v).nbytes for v in feeds.values()) + sum(np.asarray(o).nbytes for o in outputs)
            if len(entry.feeds) < max_runs and entry.nbytes + size <= max_bytes:
                entry.feeds.append({k: np.array(v, copy=True) for k, v in feeds.items()})
                entry.outputs.append([np.array(o, copy=True) for o in outputs])
                entry.nbytes += size
                entry.seconds += elapsed
        return outputs

    InferenceModel.run = recording_run  # type: ignore[method-assign]
    try:
        yield recordings
    finally:
        InferenceModel.run = original  # type: ignore[method-assign]


def replay(recording: Recording, device: str) -> ModelParity:
    """Run the recorded feeds through a fresh session of the same model class on ``device``
    (the app's own session options) and compare with the recorded outputs."""
    model = recording.cls(device=device, models_root=recording.models_root)
    session = model.session
    names = [o.name for o in session.get_outputs()]
    diff = dict.fromkeys(names, 0.0)
    scale = dict.fromkeys(names, 0.0)
    for feeds, reference in zip(recording.feeds, recording.outputs):
        outputs = session.run(None, feeds)
        for name, ref, out in zip(names, reference, outputs):
            ref64, out64 = np.asarray(ref, np.float64), np.asarray(out, np.float64)
            if ref64.shape != out64.shape:
                raise ValueError(f"{recording.model}: output {name} shape {out64.shape}, recorded {ref64.shape}")
            if ref64.size:
                diff[name] = max(diff[name], float(np.max(np.abs(ref64 - out64))))
                scale[name] = max(scale[name], float(np.max(np.abs(ref64))))
    started = time.perf_counter()
    for feeds in recording.feeds:
        session.run(None, feeds)
    replay_s = time.perf_counter() - started
    return ModelParity(recording.model, list(session.get_providers()), len(recording.feeds), diff, scale,
                       recording.seconds * 1e3, replay_s * 1e3)


def onnx_models() -> tuple[list[str], list[str]]:
    """The manifest's ONNX models (run by onnxruntime) and its other entries (rules, weights)."""
    from albumtag.runtime.manifest import load_manifest

    entries = load_manifest()
    onnx = sorted(name for name, entry in entries.items() if entry.file.endswith(".onnx"))
    return onnx, sorted(set(entries) - set(onnx))


def parity_photos(shared: Path) -> tuple[list[Path], list[str]]:
    found = [shared / rel for rel in PARITY_PHOTOS if (shared / rel).is_file()]
    return found, [rel for rel in PARITY_PHOTOS if not (shared / rel).is_file()]


def check_parity(shared: Path, device: str = "cuda", max_runs: int = MAX_RUNS_RECORDED) -> dict[str, Any]:
    """Step 1: record on the CPU through the real importer (the first ``max_runs`` runs of each
    model), replay on ``device``."""
    from albumtag.app.importer import import_folders
    from albumtag.app.settings import EngineSettings
    from albumtag.library.database import Library
    from albumtag.runtime.providers import CUDA, Device

    photos, missing = parity_photos(shared)
    if missing:
        print(f"parity: {len(missing)} photos not found under {shared}: {', '.join(missing)}", flush=True)
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for index, path in enumerate(photos):
            shutil.copyfile(path, folder / f"{index:02d}-{path.parent.name}-{path.name}")
        library = Library.open(Path(tmp) / "parity.albumtag")
        started = time.perf_counter()
        with record_runs(max_runs) as recordings:
            report = import_folders(library, [folder], settings=EngineSettings(device=Device.CPU))
        cpu_s = time.perf_counter() - started
        library.close()
    stages = {name: asdict(s) for name, s in report.run.stages.items()}
    print(f"parity: {len(photos)} photos imported on the CPU in {cpu_s:.1f} s "
          f"({', '.join(f'{n} {s.done} done/{s.failed} failed' for n, s in report.run.stages.items())}); "
          f"replaying on {device}", flush=True)
    onnx, other = onnx_models()
    results: dict[str, Any] = {}
    for name in onnx:
        recording = recordings.get(name)
        if recording is None or not recording.feeds:
            failures.append(f"parity: {name} NOT EXERCISED by the import")
            results[name] = None
            print(f"  {name:26s} {'':>9s} NOT EXERCISED by the import of the parity photos", flush=True)
            continue
        parity = replay(recording, device)
        results[name] = asdict(parity) | {"runs_seen": recording.runs}
        on_device = device == "cpu" or CUDA in parity.providers
        if not on_device:
            failures.append(f"parity: {name}'s {device} session fell back to {parity.providers}")
        outputs = ", ".join(f"{out} {parity.max_abs_diff[out]:.2e} (|ref| <= {parity.max_abs_reference[out]:.3g})"
                            for out in parity.max_abs_diff)
        runs = f"{parity.runs} of {recording.runs}" if recording.runs > parity.runs else str(parity.runs)
        print(f"  {name:26s} {runs:>9s} runs  max abs diff: {outputs};  cpu {parity.reference_ms:.0f} ms, "
              f"{device} {parity.replay_ms:.0f} ms{'' if on_device else '  FELL BACK TO ' + str(parity.providers)}",
              flush=True)
    unknown = sorted(set(recordings) - set(onnx))
    if unknown:
        print(f"  (also ran, not in the manifest: {', '.join(unknown)})", flush=True)
    print(f"  not ONNX, nothing to run on a GPU: {', '.join(other)}", flush=True)
    return {"photos": [str(p) for p in photos], "missing_photos": missing, "cpu_import_s": cpu_s,
            "cpu_stages": stages, "models": results, "not_onnx": other, "not_in_manifest": unknown,
            "failures": failures}


# ---------------------------------------------------------------- import speed

def _photo_files(folder: Path) -> list[Path]:
    from albumtag.io.scan import scan_folder

    return [folder / f.relpath for f in scan_folder(folder)]


def _first_per_person(folder: Path, target: Path, per_person: int) -> None:
    for person in sorted(p for p in folder.iterdir() if p.is_dir()):
        files = sorted(f for f in person.iterdir() if f.is_file())[:per_person]
        (target / person.name).mkdir(parents=True)
        for file in files:
            shutil.copyfile(file, target / person.name / file.name)


def _mean_megapixels(paths: list[Path]) -> float:
    from PIL import Image

    sizes = []
    for path in paths:
        try:
            with Image.open(path) as image:  # the header only
                sizes.append(image.width * image.height / 1e6)
        except OSError:
            continue
    return float(np.mean(sizes)) if sizes else 0.0


def _session_providers() -> dict[str, list[str]]:
    from albumtag.runtime.inference_model import InferenceModel

    found: dict[str, list[str]] = {}
    for obj in gc.get_objects():
        if isinstance(obj, InferenceModel) and obj._session is not None:
            found[obj.model_name] = list(obj._session.get_providers())
    return found


def _import_once(folder: Path, library_path: Path, device: str) -> tuple[Any, float, dict[str, list[str]]]:
    from albumtag.app.importer import default_stages, import_folders
    from albumtag.app.settings import EngineSettings
    from albumtag.library.database import Library
    from albumtag.runtime.providers import Device

    library = Library.open(library_path)
    try:
        stages = default_stages(library, Device(device))  # what import_folders builds by itself
        started = time.perf_counter()
        report = import_folders(library, [folder], stages=stages, settings=EngineSettings(device=Device(device)))
        elapsed = time.perf_counter() - started
        providers = _session_providers()
        del stages
    finally:
        library.close()
    return report, elapsed, providers


def check_import(label: str, folder: Path, device: str = "cuda", per_person: int | None = None) -> dict[str, Any]:
    """Step 2: one timed import of ``folder`` on ``device``, after a 2-photo warm-up."""
    from albumtag.evaluation.process_memory import TreePeakRss
    from albumtag.runtime.providers import CUDA

    failures: list[str] = []
    source = folder
    with tempfile.TemporaryDirectory() as tmp:
        if per_person:
            _first_per_person(folder, Path(tmp) / "subset", per_person)
            folder = Path(tmp) / "subset"
        paths = _photo_files(folder)
        megapixels = _mean_megapixels(paths)
        warm = Path(tmp) / "warm-up"
        warm.mkdir()
        for index, path in enumerate(paths[:WARM_UP_PHOTOS]):
            shutil.copyfile(path, warm / f"{index}{path.suffix}")
        _, warm_s, _ = _import_once(warm, Path(tmp) / "warm.albumtag", device)
        for path in paths:  # the page cache, as for bench/import_throughput.py
            path.read_bytes()
        with TreePeakRss() as peak:
            report, elapsed, providers = _import_once(folder, Path(tmp) / "bench.albumtag", device)
    stages = {name: asdict(s) for name, s in report.run.stages.items()}
    failed = sum(s.failed for s in report.run.stages.values())
    off_device = sorted(name for name, got in providers.items() if device == "cuda" and CUDA not in got)
    if off_device:
        failures.append(f"import {label}: sessions not on CUDA: {', '.join(off_device)}")
    rate = len(paths) / elapsed if elapsed else 0.0
    print(f"import {label}: {len(paths)} photos ({megapixels:.2f} MP on average) in {elapsed:.1f} s = "
          f"{rate:.1f} photos/s on {device} "
          f"(warm-up {WARM_UP_PHOTOS} photos {warm_s:.1f} s; peak RSS {peak.mb:.0f} MB; {failed} stage failures)",
          flush=True)
    for name, s in report.run.stages.items():
        per_photo = f", {s.seconds / s.done * 1e3:.1f} ms/photo" if s.done else ""
        print(f"  {name:8s} {s.seconds:7.1f} s  {s.done} done, {s.failed} failed{per_photo}", flush=True)
    if report.groups is not None:
        print(f"  grouping: {report.groups}", flush=True)
    print(f"  sessions: {', '.join(f'{n} {providers[n][0]}' for n in sorted(providers))}", flush=True)
    return {"label": label, "folder": str(source), "max_per_person": per_person, "photos": len(paths),
            "mean_megapixels": megapixels, "seconds": elapsed, "photos_per_s": rate, "warm_up_s": warm_s,
            "peak_rss_mb": peak.mb, "stages": stages,
            "stage_failures": failed, "providers": providers, "failures": failures}


# ---------------------------------------------------------------- CUDA status

PROBE = """
import sys, onnxruntime as ort
if sys.argv[2] == "preload":
    ort.preload_dlls()
session = ort.InferenceSession(sys.argv[1], providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
print("providers:", ",".join(session.get_providers()))
"""


def probe_ort_cuda(model: Path, preload: bool) -> tuple[bool, str]:
    """In a fresh process: does a CUDA session initialise (after ``onnxruntime.preload_dlls()``,
    the CUDA and cuDNN libraries of the nvidia-* wheels, when ``preload``), and if not, why."""
    try:
        done = subprocess.run([sys.executable, "-c", PROBE, str(model), "preload" if preload else "plain"],
                              capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False, "the probe timed out"
    if "CUDAExecutionProvider" in done.stdout:
        return True, ""
    text = re.sub(r"\x1b\[[0-9;]*m", "", done.stderr)
    found = re.search(r"with error: ([^\n]+)", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return False, (found.group(1) if found else lines[-1] if lines else "no CUDA provider")[:200]


def cuda_status() -> dict[str, Any]:
    """What onnxruntime (as the app starts it, and after ``preload_dlls``) and torch see."""
    import onnxruntime as ort

    from albumtag.runtime.manifest import model_entry
    from albumtag.runtime.providers import CUDA, cuda_works

    probe = model_entry("face_detector.pnet").path()
    status: dict[str, Any] = {"ort_version": ort.__version__, "ort_providers": ort.get_available_providers()}
    status["ort_cuda"] = CUDA in status["ort_providers"] and cuda_works(probe)  # the app's own test
    status.update(ort_error="", ort_cuda_after_preload=status["ort_cuda"], ort_error_after_preload="")
    if not status["ort_cuda"] and CUDA in status["ort_providers"]:
        status["ort_error"] = probe_ort_cuda(probe, preload=False)[1]
        if hasattr(ort, "preload_dlls"):
            works, error = probe_ort_cuda(probe, preload=True)
            status.update(ort_cuda_after_preload=works, ort_error_after_preload=error)
    try:
        import torch
    except ImportError:
        status.update(torch_version=None, torch_cuda=False, gpus=0, gpu_names=[])
    else:
        available = bool(torch.cuda.is_available())
        count = torch.cuda.device_count() if available else 0
        status.update(torch_version=torch.__version__, torch_cuda=available, gpus=count,
                      gpu_names=[torch.cuda.get_device_name(i) for i in range(count)])
    return status


def no_cuda_line(status: dict[str, Any]) -> str:
    torch_part = ("torch not installed" if status["torch_version"] is None
                  else f"torch {status['torch_version']}: torch.cuda.is_available() {status['torch_cuda']}")
    session = ""
    if "CUDAExecutionProvider" in status["ort_providers"]:
        reason = status["ort_error_after_preload"] or status["ort_error"]
        session = f", but a CUDA session does not initialise{f' ({reason})' if reason else ''}"
    return (f"no CUDA device found (onnxruntime {status['ort_version']} providers: "
            f"{', '.join(status['ort_providers'])}{session}; {torch_part}): nothing to check")


# ---------------------------------------------------------------- steps in processes of their own

@dataclass
class StepOutcome:
    name: str
    ok: bool
    seconds: float
    note: str = ""
    result: Any = None
    output: str = ""


class Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def limit(self, step_limit: float) -> float:
        return min(step_limit, self.deadline - time.monotonic() - RESERVE_S)


def _run(command: list[str], limit_s: float, capture: bool, env: dict[str, str] | None = None
         ) -> tuple[int | None, str, float]:
    """Run in a new process group; on overrun the whole group is killed. rc None: timed out."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True, text=True,
                               stdout=subprocess.PIPE if capture else None,
                               stderr=subprocess.STDOUT if capture else None)
    try:
        output, _ = process.communicate(timeout=limit_s)
        rc: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        rc = None
    return rc, output or "", time.perf_counter() - started


def run_step(name: str, command: list[str], budget: Budget, limit_key: str, capture: bool = False,
             env: dict[str, str] | None = None, result_file: Path | None = None) -> StepOutcome:
    limit = budget.limit(LIMITS_S[limit_key])
    if limit < 20:
        print(f"[{name}] skipped: out of time budget", flush=True)
        return StepOutcome(name, False, 0.0, "skipped: out of time budget")
    print(f"[{name}] {' '.join(command[2:] if command[:2] == [sys.executable, '-m'] else command)}  "
          f"(limit {limit:.0f} s)", flush=True)
    rc, output, seconds = _run(command, limit, capture, env)
    result = None
    if result_file is not None and result_file.is_file():
        result = json.loads(result_file.read_text())
    if rc is None:
        return StepOutcome(name, False, seconds, f"TIMED OUT after {limit:.0f} s", result, output)
    if rc != 0:
        return StepOutcome(name, False, seconds, f"FAILED (exit status {rc})", result, output)
    failures = (result or {}).get("failures", []) if isinstance(result, dict) else []
    return StepOutcome(name, not failures, seconds, "; ".join(failures) or "ok", result, output)


def _self_step(step: str, result_file: Path, args: argparse.Namespace, *extra: str) -> list[str]:
    return [sys.executable, "-m", "bench.gpu_check", "--step", step, "--result", str(result_file),
            "--shared", str(args.shared), "--device", args.device,
            *(["--preload-dlls"] if args.preload_dlls else []), *extra]


def _trainer_command(out: Path, shared: Path, device: str, processes: int) -> list[str]:
    launcher = [sys.executable, "-m", "trainer"] if processes == 1 else \
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
         "-m", "trainer"]
    command = [*launcher, "parts", "--device", device, "--out", str(out / "models")]
    for item in ("smoke=true", "only=reid", "evaluate=false", f"cache={out / 'cache'}", f"shared_data={shared}"):
        command += ["--set", item]
    return command


def trainer_step(name: str, processes: int, args: argparse.Namespace, budget: Budget, tmp: Path) -> StepOutcome:
    out = tmp / name
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "4")}
    outcome = run_step(name, _trainer_command(out, args.shared, args.device, processes), budget, name,
                       capture=True, env=env)
    progress = [json.loads(line) for line in outcome.output.splitlines() if line.startswith('{"step"')]
    plain = [line for line in outcome.output.splitlines() if line.strip() and not line.startswith("{")]
    for line in plain[-12:]:
        print(f"  | {line}", flush=True)
    if progress:
        print(f"  | last progress: {json.dumps(progress[-1])}", flush=True)
    manifest = out / "models" / "manifest.json"
    entry = json.loads(manifest.read_text())["models"].get("body_descriptor", {}) if manifest.is_file() else {}
    training = entry.get("source", {}).get("training", {})
    outcome.result = {"seconds": outcome.seconds, "steps": len(progress),
                      "last_progress": progress[-1] if progress else None,
                      "onnx_vs_torch_max_abs_diff": entry.get("metrics", {}).get("onnx_vs_torch_max_abs_diff"),
                      "world_size": training.get("world_size"), "train_seconds": training.get("train_seconds"),
                      "output_tail": outcome.output[-3000:]}
    if outcome.ok and not entry:
        outcome.ok, outcome.note = False, "no body_descriptor entry written"
    print(f"[{name}] {outcome.note} in {outcome.seconds:.1f} s"
          + (f"; onnx vs torch {outcome.result['onnx_vs_torch_max_abs_diff']:.3g}" if entry else ""), flush=True)
    return outcome


# ---------------------------------------------------------------- the whole check

class FolderMaker:
    """``bench/make_photo_folder.py`` in ``parts`` processes at once (one sub-folder and seed
    each), in the background; ``wait`` returns the step's outcome with the time it finished."""

    def __init__(self, folder: Path, count: int, size: int, parts: int) -> None:
        self.folder, self.started, self.finished = folder, time.perf_counter(), 0.0
        counts = [count // parts + (k < count % parts) for k in range(parts)]
        self.commands = [[sys.executable, "-m", "bench.make_photo_folder", str(folder / f"part{k}"),
                          "--count", str(n), "--size", str(size), "--seed", str(k)]
                         for k, n in enumerate(counts) if n]
        print(f"[make-folder] {count} photos, long side {size} px, in {len(self.commands)} processes "
              f"(in the background): {' '.join(self.commands[0][2:])} ...", flush=True)
        self.processes = [subprocess.Popen(c, cwd=REPO, start_new_session=True, text=True,
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                          for c in self.commands]
        self.outputs: list[str] = [""] * len(self.processes)
        self._threads = [threading.Thread(target=self._collect, args=(k,), daemon=True)
                         for k in range(len(self.processes))]
        for thread in self._threads:
            thread.start()

    def _collect(self, k: int) -> None:
        self.outputs[k] = self.processes[k].communicate()[0] or ""
        self.finished = max(self.finished, time.perf_counter())

    def wait(self, limit_s: float) -> StepOutcome:
        deadline = time.monotonic() + max(1.0, limit_s)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(p.poll() is None for p in self.processes):
            for process in self.processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
            note = f"TIMED OUT after {time.perf_counter() - self.started:.0f} s"
            print(f"[make-folder] {note}", flush=True)
            return StepOutcome("make-folder", False, time.perf_counter() - self.started, note)
        seconds = self.finished - self.started
        bad = [k for k, p in enumerate(self.processes) if p.returncode != 0]
        if bad:
            return StepOutcome("make-folder", False, seconds, f"FAILED (exit status "
                               f"{self.processes[bad[0]].returncode})", output=self.outputs[bad[0]])
        note = f"{len(_photo_files(self.folder))} photos in {self.folder}"
        print(f"[make-folder] ok, {note}, done {seconds:.1f} s after it started", flush=True)
        return StepOutcome("make-folder", True, seconds, note)


def run_checks(args: argparse.Namespace, status: dict[str, Any]) -> list[StepOutcome]:
    budget = Budget(args.budget_s)
    outcomes: list[StepOutcome] = []
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as name:
        tmp = Path(name)
        if args.preload_dlls:
            outcomes.append(StepOutcome("app onnxruntime CUDA", False, 0.0, (
                f"a CUDA session as the app makes it does not initialise ({status['ort_error']}); it does "
                "after onnxruntime.preload_dlls() (the nvidia-* wheels' CUDA and cuDNN), so this check "
                "measures with that call: the app would need it before its first session")))
            print(f"[app onnxruntime CUDA] FAIL: {outcomes[-1].note}", flush=True)
        if status["ort_cuda"] or status["ort_cuda_after_preload"]:
            maker = None if args.photo_folder else \
                FolderMaker(tmp / f"photos-{args.size}", args.photos, args.size, args.makers)
            folder = args.photo_folder or tmp / f"photos-{args.size}"
            outcomes.append(run_step("parity", _self_step("parity", tmp / "parity.json", args), budget,
                                     "parity", result_file=tmp / "parity.json"))
            crops = args.shared / "faces-crops-dev"
            extra = ["--folder", str(crops), "--label", "crops-dev"]
            if args.max_per_person:
                extra += ["--max-per-person", str(args.max_per_person)]
            # waited for here, not to share the CPUs with the timed imports
            made = maker.wait(min(LIMITS_S["make-folder"] - (time.perf_counter() - maker.started),
                                  budget.limit(1e9))) if maker else StepOutcome("photo folder", True, 0.0, "given")
            outcomes.append(run_step("import crops-dev", _self_step("import", tmp / "crops.json", args, *extra),
                                     budget, "import", result_file=tmp / "crops.json"))
            outcomes.append(made)
            if made.ok:
                extra = ["--folder", str(folder), "--label", f"{args.size}px"]
                outcomes.append(run_step(f"import {args.size}px", _self_step("import", tmp / "big.json", args, *extra),
                                         budget, "import", result_file=tmp / "big.json"))
        else:
            outcomes.append(StepOutcome("onnxruntime CUDA", False, 0.0, "torch sees CUDA but onnxruntime's "
                                        "CUDA provider does not initialise, not even after preload_dlls() "
                                        f"({status['ort_error_after_preload'] or status['ort_error']}): "
                                        "parity and import not checked"))
        if status["torch_cuda"]:
            outcomes.append(trainer_step("trainer-smoke", 1, args, budget, tmp))
            if status["gpus"] >= 2:
                outcomes.append(trainer_step("torchrun", 2, args, budget, tmp))
            else:
                print(f"[torchrun] not run: {status['gpus']} GPU (needs 2 for 2 processes with NCCL)", flush=True)
        else:
            outcomes.append(StepOutcome("torch CUDA", False, 0.0, "onnxruntime runs on CUDA but torch sees no "
                                        "CUDA device: the trainer was not checked"))
    return outcomes


def _summary(outcomes: list[StepOutcome], total_s: float) -> None:
    print(f"\ngpu_check summary ({total_s:.0f} s):")
    for outcome in outcomes:
        print(f"  {'ok  ' if outcome.ok else 'FAIL'} {outcome.name:18s} {outcome.seconds:6.1f} s  {outcome.note}")
        if not outcome.ok and outcome.output and outcome.name not in ("trainer-smoke", "torchrun"):
            print("       " + outcome.output[-1500:].replace("\n", "\n       "))


def _child(args: argparse.Namespace) -> int:
    if args.preload_dlls:
        import onnxruntime

        onnxruntime.preload_dlls()
    if args.step == "parity":
        result = check_parity(args.shared, args.device)
    else:
        result = check_import(args.label, args.folder, args.device, args.max_per_person)
    args.result.write_text(json.dumps(result, indent=1, default=str))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder")
    parser.add_argument("--max-per-person", type=int, default=0,
                        help="crops-dev: each person's first N crops (0: all 1375)")
    parser.add_argument("--photos", type=int, default=100, help="how many 12 MP photos to make")
    parser.add_argument("--size", type=int, default=4032, help="their long side in pixels")
    parser.add_argument("--photo-folder", type=Path, help="use this folder instead of making one")
    parser.add_argument("--makers", type=int, default=max(1, min(8, (os.cpu_count() or 1) // 2)),
                        help="processes making the photo folder")
    parser.add_argument("--budget-s", type=float, default=450, help="the whole run's time limit")
    parser.add_argument("--json", type=Path, help="write what was measured to this file")
    parser.add_argument("--device", default="cuda", help=argparse.SUPPRESS)  # cpu: the steps' own tests
    parser.add_argument("--step", choices=("parity", "import"), help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    parser.add_argument("--preload-dlls", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, status_of: Callable[[], dict[str, Any]] = cuda_status) -> int:
    args = parse_args(argv)
    if args.step:
        return _child(args)
    started = time.perf_counter()
    status = status_of()
    report: dict[str, Any] = {"cuda": status, "checked": False, "steps": []}
    if not status["ort_cuda"] and not status["ort_cuda_after_preload"] and not status["torch_cuda"]:
        print(no_cuda_line(status), flush=True)
        code = 0
    else:
        args.preload_dlls = not status["ort_cuda"] and status["ort_cuda_after_preload"]
        ort_state = "works" if status["ort_cuda"] else "works only after preload_dlls()" \
            if args.preload_dlls else "FAILS"
        print(f"CUDA: onnxruntime {status['ort_version']} CUDA provider {ort_state}; "
              f"torch {status['torch_version']} sees {status['gpus']} GPU(s) {status['gpu_names']}", flush=True)
        outcomes = run_checks(args, status)
        _summary(outcomes, time.perf_counter() - started)
        report.update(checked=True, steps=[{"name": o.name, "ok": o.ok, "seconds": o.seconds, "note": o.note,
                                            "result": o.result} for o in outcomes])
        code = 0 if all(o.ok for o in outcomes) else 1
    report["seconds"] = time.perf_counter() - started
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return code


if __name__ == "__main__":
    sys.exit(main())
