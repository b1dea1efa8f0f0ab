"""The GUI entry point: a window on screen first, torch loading behind it.

Only Qt, pyqtgraph and the torch-free configs are imported before the first paint; torch
and the training code load on the training thread afterwards (Session.start), and the
controls that need them enable when the session says torch is ready.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
import time
from pathlib import Path


def process_age() -> float:
    """Return seconds since this process started (Linux: from /proc; else since import)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED


_IMPORTED = time.perf_counter()


class _NoCudaPython(importlib.abc.MetaPathFinder):
    """Refuses the `cuda` package (cuda-python) while it is on sys.meta_path."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "cuda" or name.startswith("cuda."):
            raise ModuleNotFoundError(f"{name} is not imported before the first paint")
        return None


def import_pyqtgraph() -> None:
    """Import pyqtgraph without the CUDA bindings its RawImageWidget probes for.

    With torch's CUDA wheels installed, that probe costs ~0.25 s of start-up for a widget
    we never use. CUDA stays importable for torch afterwards: failed imports are not cached.
    """
    if "pyqtgraph" in sys.modules:
        return
    finder = _NoCudaPython()
    sys.meta_path.insert(0, finder)
    try:
        import pyqtgraph  # noqa: F401
    finally:
        sys.meta_path.remove(finder)


def configure_pyqtgraph() -> None:
    """Set pyqtgraph's global options once (row-major images, light theme for projectors)."""
    import_pyqtgraph()
    import pyqtgraph as pg

    from app.theme import current

    # No antialiasing: on a software-rendered screen it doubles the cost of every redraw
    # while training, and the GUI thread shares 2 cores with the trainer. The colours are
    # the theme's (tests/app/test_contrast.py checks them).
    theme = current()
    pg.setConfigOptions(imageAxisOrder="row-major", background=theme.plot_background,
                        foreground=theme.plot_foreground, antialias=False)


def create_application(argv: list[str] | None = None) -> object:
    """Return the QApplication (creating it if needed) with the names settings use."""
    from PySide6.QtWidgets import QApplication

    from app import settings

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName(settings.ORGANIZATION)
    app.setApplicationName(settings.APPLICATION)
    return app


def build_window(runs_root: Path | None = None) -> tuple[object, object]:
    """Return (window, session), not yet shown; torch is not imported here.

    Call `session.start()` (e.g. on window.firstPainted) to begin loading torch.
    """
    from PySide6.QtWidgets import QApplication

    from app import settings

    configure_pyqtgraph()  # before the panels import pyqtgraph themselves
    from app.log import setup_logging
    from app.session import Session
    from app.window.main_window import MainWindow

    bridge = setup_logging(settings.log_path())
    session = Session(runs_root or settings.runs_root())
    window = MainWindow(session, bridge)
    # However the application ends, no QThread may be destroyed while running.
    QApplication.instance().aboutToQuit.connect(session.shutdown)
    return window, session


class NoDisplayError(RuntimeError):
    """No screen to open a window on (the command line prints it as one `error:` line)."""


def check_display(env: dict[str, str] | None = None, platform: str = sys.platform) -> None:
    """Raise NoDisplayError on a Linux machine with no X11/Wayland display and no Qt platform.

    Qt would otherwise abort the process (status 134) with several lines of its own.
    """
    env = dict(os.environ) if env is None else env
    if not platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return
    raise NoDisplayError(
        "no display found: set QT_QPA_PLATFORM=offscreen for a window-less run, or use "
        "`latentlab train/sample/info/eval`; on a server use `xvfb-run latentlab`")


def run_gui(checkpoint: Path | None = None, follow: Path | None = None) -> int:
    """Open the main window and run until it closes; return the exit status. `checkpoint`
    is opened at first paint; `follow` is a run folder followed (or waited for).

    Raises NoDisplayError, before Qt is imported, when there is no display to open it on.
    """
    check_display()
    app = create_application()
    window, session = build_window()
    if os.environ.get("LATENTLAB_EXIT_AFTER_PICTURES"):
        # bench/time_to_pictures.py: report when the checkpoint's pictures are painted.
        from app.pictures_probe import PicturesProbe

        window._pictures_probe = PicturesProbe(window, session, process_age)
    elif os.environ.get("LATENTLAB_EXIT_AFTER_PAINT"):
        # bench/cold_start.py: report the time to first paint and leave.
        def _report() -> None:
            print(f"first_paint_s={process_age():.3f}", flush=True)
            print(f"torch_imported={'torch' in sys.modules}", flush=True)
            window.close()

        window.firstPainted.connect(_report)
    else:
        window.firstPainted.connect(
            lambda: window.status.showMessage(f"Ready in {process_age():.1f} s; "
                                              "loading torch…", 4000))
    if checkpoint is not None:
        # Opened at first paint: its pictures come from files while torch loads.
        path = Path(checkpoint)
        window.firstPainted.connect(lambda: window.open_path(path))
    elif follow is not None:
        followed = Path(follow)
        window.firstPainted.connect(lambda: window.follow_path(followed))
    # Torch starts loading on the training thread only once the window is on screen.
    window.firstPainted.connect(session.start)
    window.show()
    status = int(app.exec())
    if session.jobs.abandoned:
        leave_now(status)
    return status


def leave_now(status: int) -> None:
    """End the process at once, leaving abandoned lanes behind (they are daemon threads).

    A job abandoned at close (blocked in I/O or a long kernel) may still be inside torch:
    letting the interpreter finalise under it can crash. Its unfinished temporary files
    are removed first, so it leaves no partial file.
    """
    from models.checkpoint.atomic import remove_unfinished_temps

    remove_unfinished_temps()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
