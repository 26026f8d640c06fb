"""The shipped models and their manifest agree: files exist, hashes match, provenance is filled."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from albumtag.runtime.manifest import load_manifest, sha256_of
from albumtag.runtime.resources import models_dir

EXPECTED = {"face_detector.pnet", "face_detector.rnet", "face_detector.onet", "face_alignment",
            "face_descriptor", "face_descriptor_sface"}


def test_every_entry_matches_its_file() -> None:
    entries = load_manifest()
    assert EXPECTED <= set(entries)
    for name, entry in entries.items():
        path = entry.path()
        assert path.is_file(), f"{name}: {path} is missing"
        assert sha256_of(path) == entry.sha256, f"{name}: {path} differs from the manifest"
        assert entry.version and entry.licence and entry.source, f"{name}: provenance missing"
        assert entry.inputs and entry.metrics, f"{name}: input spec or metrics missing"


def test_no_model_file_is_left_out_of_the_manifest() -> None:
    listed = {entry.path().resolve() for entry in load_manifest().values()}
    on_disk = {p.resolve() for p in models_dir().rglob("*") if p.suffix in (".onnx", ".json")
               and p.name != "manifest.json"}
    assert on_disk <= listed, f"unlisted model files: {sorted(on_disk - listed)}"


def test_the_app_runs_without_torch(tmp_path, shared_data) -> None:
    """Import and analyse photos with torch made unimportable: inference is onnxruntime only."""
    script = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None  # any `import torch` now raises ImportError
        from pathlib import Path
        from albumtag.app.importer import import_folders
        from albumtag.library.database import Library
        if __name__ == "__main__":
            library = Library.open(Path({str(tmp_path / "lib.albumtag")!r}))
            biden = Path({str(shared_data / "faces-knn/examples/knn_examples/train/biden")!r})
            report = import_folders(library, [biden])
            print(report.run.stages["faces"].done, report.groups.faces)
            assert "torch" not in [m for m in sys.modules if sys.modules[m] is not None]
    """)
    path = tmp_path / "no_torch.py"
    path.write_text(script)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    faces_done, faces_found = map(int, result.stdout.split())
    assert faces_done == 2 and faces_found >= 2
