"""One small base class for every ONNX model the app runs (after Immich's InferenceModel).

The session is created lazily on first use, so opening the app or the library costs nothing
until a photo is analysed; subclasses only add pre- and post-processing, which are pure
functions tested on their own.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import onnxruntime as ort

from albumtag.runtime.manifest import ModelEntry, model_entry
from albumtag.runtime.providers import CUDA, Device, describe_providers, requested_providers


def default_threads() -> int:
    """Intra-op threads: all cores unless ``ALBUMTAG_THREADS`` says otherwise."""
    return int(os.environ.get("ALBUMTAG_THREADS", "0")) or (os.cpu_count() or 1)


class InferenceModel:
    """A model named in the manifest, run through a lazily created onnxruntime session."""

    model_name: str = ""

    def __init__(
        self,
        device: Device | str = Device.AUTO,
        models_root: Path | None = None,
        threads: int | None = None,
    ) -> None:
        self.entry: ModelEntry = model_entry(self.model_name, models_root)
        self._path = self.entry.path(models_root)
        self._device = Device(device)
        self._threads = threads or default_threads()
        self._session: ort.InferenceSession | None = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.entry.version

    @property
    def session(self) -> ort.InferenceSession:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._create_session()
        return self._session

    @property
    def active_providers(self) -> list[str]:
        return list(self.session.get_providers())

    def _create_session(self) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads sleep instead of spinning: several small models (and the decoder
        # thread) share two cores, and spinning pools fight (145 -> 81 ms per 640 px photo).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # No CPU arena: with it every model keeps the largest activations it ever saw (MTCNN's
        # pyramid, the person detector's tiles), and one 12 MP photo left the import at 842 MB
        # instead of 387 MB (measured with bench/extreme_photos.py), at no cost in speed.
        options.enable_cpu_mem_arena = False
        return ort.InferenceSession(
            str(self._path), sess_options=options,
            providers=requested_providers(self._device, self._path)
        )

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run the graph on named inputs; returns every output in graph order."""
        return self.session.run(None, feeds)

    def run_in_batches(self, name: str, inputs: np.ndarray, batch: int) -> np.ndarray:
        """The first output for ``inputs`` fed ``batch`` rows at a time as float32, concatenated:
        a bound on what one run holds (its float copy and its activations), whatever the number
        of inputs."""
        return np.concatenate([self.run({name: np.ascontiguousarray(inputs[i:i + batch], dtype=np.float32)})[0]
                               for i in range(0, len(inputs), batch)])

    @property
    def input_name(self) -> str:
        return self.session.get_inputs()[0].name


def _providers(device: Device | str, probe_model: str) -> list[str]:
    return requested_providers(device, model_entry(probe_model).path())


def uses_cuda(device: Device | str, probe_model: str = "face_detector.pnet") -> bool:
    """Whether models asked to run on ``device`` get the GPU."""
    return CUDA in _providers(device, probe_model)


def device_in_use(device: Device | str, probe_model: str = "face_detector.pnet") -> str:
    """What the models run on with this setting, for Settings: "GPU (CUDA)" or "CPU"."""
    return describe_providers(_providers(device, probe_model))
