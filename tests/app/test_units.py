"""Small pieces without a window: smoothing, plot planning, run-folder parsing, None refs."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from app.history import IncrementalEma, RunHistory, ema_debiased
from app.panels.training.array_plots import array_title
from app.panels.training.plot_plan import plan_views
from models.training.run_reader import parse_records


def test_debiased_ema_starts_at_the_first_value_and_skips_nans() -> None:
    x = np.array([10.0, np.nan, 10.0, 10.0])
    s = ema_debiased(x, 0.9)
    assert np.allclose(s[[0, 2, 3]], 10.0)  # no pull towards 0 at the start
    assert np.isnan(s[1])
    assert np.array_equal(ema_debiased(x, 0.0), x, equal_nan=True)


def test_incremental_ema_equals_the_batch_ema_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 1.0, 5000)
    x[rng.random(len(x)) < 0.05] = np.nan  # metrics logged only on some steps
    x[:7] = np.nan  # a metric that appears late
    for smoothing in (0.0, 0.3, 0.9, 0.99, 0.99999):
        ema, parts, i = IncrementalEma(smoothing), [], 0
        while i < len(x):  # chunks as the session receives them: 1 to ~60 steps
            n = int(rng.integers(1, 60))
            parts.append(ema.extend(x[i:i + n]))
            i += n
        assert np.array_equal(np.concatenate(parts), ema_debiased(x, smoothing),
                              equal_nan=True), smoothing


def test_views_follow_the_metric_keys_and_the_family_names_them() -> None:
    vae = plan_views(["loss", "recon", "kl"], "vae")
    assert [keys for _, keys in vae] == [("loss",), ("recon",), ("kl",)]  # KL on its own axis
    assert vae[2][0] == "KL divergence to the prior"
    gan = plan_views(["loss_d", "loss_g", "d_real", "d_fake"], "dcgan")
    assert ("D(real) and D(fake)", ("d_real", "d_fake")) in gan
    assert plan_views(["loss"], "ddpm") == [("Denoising loss", ("loss",))]
    assert plan_views(["made_up_metric"]) == [("Made up metric", ("made_up_metric",))]


def test_every_metric_a_family_logs_has_a_unit() -> None:
    from models.metric_units import KINDS, metric_meaning

    logged = {"autoencoder": ("loss", "recon", "kl"),
              "gan": ("loss", "loss_g", "loss_d", "d_real", "d_fake", "grad_norm_g",
                      "grad_norm_d"),
              "wgan": ("loss", "loss_g", "loss_d", "d_real", "d_fake", "wasserstein", "gp",
                       "grad_norm_g", "grad_norm_d"),
              "diffusion": ("loss",),
              "latent diffusion": ("autoencoder_loss", "autoencoder_recon", "autoencoder_kl",
                                   "loss"),
              "autoregressive": ("loss", "bits_per_dim", "nll")}
    for family, kind in KINDS.items():
        for key in logged[kind]:
            _title, unit = metric_meaning(family, key)
            assert unit, (family, key)


def test_kl_title_counts_active_units() -> None:
    assert "2 of 3 active" in array_title("kl_per_dim", np.array([0.5, 0.0, 1.0]))
    assert "collapse" in array_title("kl_per_dim", np.zeros(4))
    assert array_title("loss_by_t", np.ones(3)) == "Loss by timestep bucket"


def test_history_pads_metrics_that_appear_late() -> None:
    h = RunHistory()
    h.add_step(1, {"loss": 1.0})
    h.add_step(2, {"loss": 0.5, "gp": 3.0})
    assert np.isnan(h.metrics["gp"].view()[0]) and h.metrics["gp"].view()[1] == 3.0
    assert h.last_step == 2


def test_parse_records_reads_steps_epochs_and_skips_broken_lines(tmp_path) -> None:
    lines = [json.dumps({"kind": "step", "step": 1, "epoch": 0.1, "time": 5.0,
                         "images_per_s": 100.0, "loss": 2.0, "kl": "nan"}),
             '{"kind": "step", "st',  # cut by a crash
             json.dumps({"kind": "epoch", "step": 9, "epoch": 1, "val_loss": 1.5,
                         "kl_per_dim": [0.1, 0.2], "preview": "samples/epoch-0001.png"})]
    update = parse_records(lines, tmp_path)
    assert update.steps[0][0] == 1 and update.steps[0][1]["loss"] == 2.0
    assert np.isnan(update.steps[0][1]["kl"])
    assert update.epochs[0].val_metrics == {"loss": 1.5}
    assert update.epochs[0].arrays["kl_per_dim"].shape == (2,)
    assert update.epochs[0].preview is None  # not written yet: no crash


def test_void_qt_calls_do_not_leak_none_references() -> None:
    """PySide6 6.12.0 on Python 3.11 drops a None reference per void call and aborts
    (none_dealloc); run it in a subprocess so a regression fails instead of crashing."""
    code = (
        "import sys\n"
        "from PySide6.QtCore import QObject, QTimer\n"
        "o = QObject(); t = QTimer()\n"
        "before = sys.getrefcount(None)\n"
        "for _ in range(10000):\n"
        "    o.setObjectName('x'); t.stop()\n"
        "print(before - sys.getrefcount(None))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) < 1000


def test_the_window_code_imports_no_torch_or_cuda_before_the_first_paint() -> None:
    """Torch takes seconds to import: the window must be able to paint without it."""
    import os
    import subprocess
    import sys

    code = ("import sys; from app.main import configure_pyqtgraph; configure_pyqtgraph(); "
            "import app.window.main_window; "
            "print(sorted(m for m in ('torch', 'diffusers', 'cuda') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
