"""models/ must import and train where PySide6 cannot be imported (docs/architecture.md)."""

import subprocess
import sys
import textwrap


def test_models_import_and_train_one_step_without_qt() -> None:
    script = textwrap.dedent("""
        import sys

        class BlockQt:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("PySide6", "pyqtgraph", "superqt", "shiboken6"):
                    raise ImportError(f"{name} is blocked in this test")
                return None

        sys.meta_path.insert(0, BlockQt())
        import numpy as np
        from models.autoencoders.config import VAEConfig
        from models.config import DataConfig, TrainConfig
        from models.data import ImageDataset
        from models.training import Trainer, TrainStep
        import tempfile

        images = np.random.default_rng(0).integers(0, 256, (16, 1, 28, 28), dtype=np.uint8)
        ds = ImageDataset("tiny", images, np.arange(16) % 10, tuple("0123456789"))
        with tempfile.TemporaryDirectory() as tmp:
            trainer = Trainer("vae", VAEConfig(), TrainConfig(batch_size=8, device="cpu"),
                              DataConfig(), tmp, dataset=ds)
            steps = [e for e in trainer.run() if isinstance(e, TrainStep)]
        assert steps and steps[0].metrics["loss"] > 0
        assert not any(m.startswith(("PySide6", "pyqtgraph")) for m in sys.modules)
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=240)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")
