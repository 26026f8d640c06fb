"""Long work (import, rescan) on a worker thread, reported back through Qt signals."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from albumtag.app.progress import CancelToken, Progress

Job = Callable[[Callable[[Progress], None], CancelToken], object]


class PipelineWorker(QObject):
    """Runs ``job(progress, cancel)`` on its own thread; one worker per run."""

    progress = Signal(object)  # Progress
    finished = Signal(object)  # whatever the job returned
    failed = Signal(str)  # a message for the user

    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job
        self.cancel_token = CancelToken()
        self.thread = QThread()
        self.moveToThread(self.thread)
        self.thread.started.connect(self._run)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        self.cancel_token.cancel()

    @Slot()
    def _run(self) -> None:
        try:
            result = self._job(self.progress.emit, self.cancel_token)
        except Exception as error:  # shown in the status area; the run's finished work is kept
            self.failed.emit(str(error) or type(error).__name__)
        else:
            self.finished.emit(result)
        finally:
            self.thread.quit()
