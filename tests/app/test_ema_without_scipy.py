"""Loss-curve smoothing before the warm-up has imported scipy.signal (a demo's history
shown while torch loads): the same curve bit for bit, and scipy is not imported on the
GUI thread for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import lfilter

from app.history import ema_filter_numpy

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("a", [0.01, 0.5, 0.9, 0.99, 0.9999])
def test_the_fallback_filter_equals_lfilter_bit_for_bit_in_any_chunking(a: float) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=5_003) * 20 + 150
    want, want_state = lfilter([1 - a], [1, -a], x, zi=np.array([0.7]))
    got, state = [], np.array([0.7])
    for chunk in np.array_split(x, [1, 40, 41, 1_000, 4_999]):
        y, state = ema_filter_numpy(chunk, a, state)
        got.append(y)
    assert np.array_equal(np.concatenate(got), want)
    assert np.array_equal(state, want_state)


def test_smoothing_a_history_does_not_import_scipy_signal() -> None:
    code = ("import sys, numpy as np\n"
            "from app.history import IncrementalEma, ema_debiased\n"
            "x = np.linspace(300, 100, 5000)\n"
            "a = ema_debiased(x, 0.9)\n"
            "b = np.concatenate([IncrementalEma(0.9).extend(c) for c in (x,)])\n"
            "assert np.array_equal(a, b) and a[-1] < 110\n"
            "print('scipy.signal' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, env={"PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
