"""Training on two processes (gloo, as torchrun starts them) ends with the weights one
process reaches at the same global batch and seed; rank 0 alone writes the run folder,
and the run resumes on another number of processes at the same step."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from models.autoencoders.config import AEConfig
from models.config import DataConfig, TrainConfig
from models.training.distributed import Ranks, share_of_batch

DATA = DataConfig(dataset="digits")
MODEL = AEConfig(latent_dim=4, hidden_dims=(32,))


def _train_config(epochs: int, even: bool) -> TrainConfig:
    # digits: held out 12.5 %, 1,572 training images = 6 global batches of 262 (131 a
    # rank); held out 10 %, 1,617 = 25 batches of 64 and one of 17, which 2 ranks pad to 18
    if even:
        return TrainConfig(epochs=epochs, batch_size=262, lr=3e-3, seed=3, threads=1,
                           val_fraction=0.125, preview_n=4, device="cpu")
    return TrainConfig(epochs=epochs, batch_size=64, lr=3e-3, seed=3, threads=1,
                       preview_n=4, device="cpu")


def _rank_process(rank: int, world: int, port: int, body: str, *args) -> None:
    """A spawned rank: join the group, run the module's function named `body` (rank, *args),
    then leave with the others (as `models.training.distributed.shutdown` has them do).
    Python's stack is dumped if the process aborts: a gloo process once died of SIGABRT
    in CI with nothing else said."""
    import faulthandler
    import os

    import torch.distributed as dist

    from models.training.distributed import shutdown

    faulthandler.enable()
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
                       "RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank)})
    dist.init_process_group("gloo", rank=rank, world_size=world)
    finished = False
    try:
        globals()[body](rank, *args)
        finished = True
    finally:
        shutdown(finished)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_trains(rank: int, run_dir: str, epochs: int, even: bool, resume: bool) -> None:
    """One training process (spawned, in the group): train."""
    from models.training.trainer import Trainer

    if resume:
        trainer = Trainer.resume(run_dir, epochs=epochs)
    else:
        trainer = Trainer("ae", MODEL, _train_config(epochs, even), DATA, run_dir)
    for _event in trainer.run():
        pass


def _train_on(world: int, run_dir: Path, epochs: int, even: bool = True,
              resume: bool = False) -> None:
    mp.start_processes(_rank_process, args=(world, _free_port(), "_rank_trains", str(run_dir),
                                            epochs, even, resume),
                       nprocs=world, join=True, start_method="spawn")


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    from models.checkpoint import load_checkpoint

    return load_checkpoint(run_dir).model.state_dict()


def _assert_same_weights(a: Path, b: Path) -> None:
    """Parameters to float tolerance; running statistics (the autoencoder's code moments,
    averaged over the ranks: the mean exact, the spread the mean of the halves') close."""
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        spread = key.endswith("code_std")
        torch.testing.assert_close(wa[key], wb[key], atol=1e-2 if spread else 1e-5,
                                   rtol=1e-4, msg=key)


def test_each_rank_trains_on_an_equal_share_of_the_global_batch() -> None:
    idx = torch.arange(10, 17)  # 7 images over 2 ranks: padded to 8 from the batch's start
    shares = [share_of_batch(idx, Ranks(r, 2, r)) for r in range(2)]
    assert [len(s) for s in shares] == [4, 4]
    assert sorted(torch.cat(shares).tolist()) == [10, 10, 11, 12, 13, 14, 15, 16]
    # 3 images over 4 ranks: 2 each (batch norm trains on no fewer), the 3 repeated
    shares = [share_of_batch(idx[:3], Ranks(r, 4, r)) for r in range(4)]
    assert [len(s) for s in shares] == [2, 2, 2, 2]
    assert set(torch.cat(shares).tolist()) == {10, 11, 12}
    assert share_of_batch(idx, Ranks()).tolist() == idx.tolist()


def _lines(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.timeout(300)
def test_two_processes_end_with_the_weights_of_one_at_the_same_global_batch(
        tmp_path: Path) -> None:
    from models.training.trainer import Trainer

    alone, pair = tmp_path / "alone", tmp_path / "pair"
    for _event in Trainer("ae", MODEL, _train_config(2, even=True), DATA, alone).run():
        pass
    _train_on(2, pair, epochs=2)
    _assert_same_weights(alone, pair)
    # the metrics logged are the global batch's (averaged over the ranks), by rank 0 only
    loss = {r: [s["loss"] for s in _lines(r) if s["kind"] == "step"] for r in (alone, pair)}
    assert len(loss[pair]) == 12
    assert loss[pair] == pytest.approx(loss[alone], rel=1e-4)
    assert json.loads((pair / "run.json").read_text())["processes"] == 2
    assert sorted(p.name for p in pair.iterdir()) == sorted(p.name for p in alone.iterdir())


@pytest.mark.timeout(300)
def test_a_two_process_run_with_a_padded_last_batch_resumes_on_one_process(
        tmp_path: Path) -> None:
    from models.training.trainer import Trainer

    pair = tmp_path / "pair"
    _train_on(2, pair, epochs=1, even=False)
    for _event in Trainer.resume(pair, epochs=2).run():
        pass
    lines = _lines(pair)
    assert [s["step"] for s in lines if s["kind"] == "step"] == list(range(1, 53))
    assert [e["epoch"] for e in lines if e["kind"] == "epoch"] == [1, 2]


def _families_trains(rank: int, out: str) -> None:
    """Train a GAN (two optimisers, batch norm), a DDPM (EMA weights) and a VAE on two
    ranks, and save each rank's final state for the test to compare (spawned, in the
    group)."""
    import numpy as np

    from models.autoencoders.config import VAEConfig
    from models.data import load_dataset
    from models.diffusion.config import DDPMConfig
    from models.gans.config import DCGANConfig
    from models.training.trainer import Trainer

    data = DataConfig(dataset="mnist5k")
    dataset = load_dataset(data).subset(np.arange(71))  # 64 to train on
    train = TrainConfig(epochs=2, batch_size=16, seed=5, threads=1, preview_n=2,
                        device="cpu", keep_epoch_checkpoints=False)
    configs = {"dcgan": DCGANConfig(latent_dim=4, g_width=8, d_width=8),
               "ddpm": DDPMConfig(preset="custom", block_channels=(4, 8), norm_groups=4,
                                  sample_steps=2),
               "vae": VAEConfig(latent_dim=2, hidden_dims=(16,))}
    for family, config in configs.items():
        trainer = Trainer(family, config, train, data, f"{out}/{family}", dataset=dataset)
        for _event in trainer.run():
            pass
        torch.save(trainer.model.state_dict(), f"{out}/{family}-rank{rank}.pt")


@pytest.mark.timeout(400)
def test_every_kind_of_family_keeps_its_ranks_in_step(tmp_path: Path) -> None:
    """A GAN's D and G steps, a diffusion model's EMA copy and a VAE's sampled noise: after
    training on two ranks (each drawing its own noise) every weight and statistic agrees."""
    mp.start_processes(_rank_process, args=(2, _free_port(), "_families_trains", str(tmp_path)),
                       nprocs=2, join=True, start_method="spawn")
    for family in ("dcgan", "ddpm", "vae"):
        states = [torch.load(tmp_path / f"{family}-rank{r}.pt") for r in range(2)]
        assert states[0].keys() == states[1].keys()
        for key in states[0]:
            torch.testing.assert_close(states[0][key], states[1][key], msg=f"{family} {key}")
        steps = [json.loads(x)["step"] for x in
                 (tmp_path / family / "metrics.jsonl").read_text().splitlines()
                 if json.loads(x)["kind"] == "step"]
        assert steps == list(range(1, 9))  # 64 training images / 16, two epochs
