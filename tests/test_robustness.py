"""Never lose a run: divergence, full disks, damaged checkpoints, bad run directories."""

import errno
import json

import pytest
import torch

from conftest import train_cli
from ganforge.cli import main
from ganforge.runs import checkpoints as ckpt


def assert_loadable(run_dir):
    found = ckpt.list_checkpoints(run_dir / "checkpoints")
    assert found, "checkpoints must survive"
    for _, path in found:
        state = ckpt.load_checkpoint(path)
        assert all(
            torch.isfinite(v).all()
            for v in state["networks"]["generator"].values()
            if v.is_floating_point()
        )
    return found


def test_divergence_stops_with_one_sentence_and_keeps_checkpoints(tmp_path, capsys):
    run = tmp_path / "run"
    code = train_cli(
        run,
        "train.steps=400",
        "train.checkpoint_every=2",
        "train.log_every=2",
        "train.sample_every=0",
        "train.keep_checkpoints=0",
        "optim.g.name=sgd",
        "optim.d.name=sgd",
        "optim.g.momentum=0.9",
        "optim.d.momentum=0.9",
        "optim.g.lr=2",  # nan at step 12-13 on 1 and on 2 threads (0.2 survived on 1 thread)
        "optim.d.lr=2",
        "data.limit=500",
        "train.batch_size=32",
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert err[-1].startswith("error: training diverged at step ")
    assert "learning rate that is too high (optim." in err[-1] and "are kept" in err[-1]
    step = int(err[-1].split("at step ")[1].split(":")[0])
    found = assert_loadable(run)
    assert found[-1][0] < step and len(found) >= 2


@pytest.mark.parametrize("poison", ["weight", "running_var"])
def test_no_checkpoint_holds_non_finite_weights(tmp_path, poison):
    """An update can overflow weights (or batch-norm statistics) before any logged loss is
    NaN: the checkpoint due then is refused in one sentence and the earlier ones stay."""
    from conftest import tiny_trainer
    from ganforge.errors import TrainingDiverged
    from ganforge.training import state

    trainer = tiny_trainer(tmp_path, "train.steps=2", "train.checkpoint_every=2")
    trainer.train(progress=False)
    before = ckpt.list_checkpoints(trainer.run.checkpoints_dir)
    G = trainer.task.networks["generator"]
    tensor = next(t for n, t in G.state_dict(keep_vars=True).items() if n.endswith(poison))
    with torch.no_grad():
        tensor.view(-1)[0] = float("inf")
    trainer.parts.step = 4
    with pytest.raises(TrainingDiverged, match="the generator's weights became non-finite"):
        state.save(trainer.parts)
    assert ckpt.list_checkpoints(trainer.run.checkpoints_dir) == before
    assert_loadable(trainer.run.path)


def test_full_disk_while_writing_a_checkpoint(tmp_path, capsys, monkeypatch):
    calls = {"n": 0}
    real_save = torch.save

    def save_until_full(obj, f, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            f.write(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(ckpt.torch, "save", save_until_full)
    run = tmp_path / "run"
    assert train_cli(run) == 2
    err = capsys.readouterr().err
    assert "could not write checkpoint step_0000004.pt (No space left on device)" in err
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["step_0000002.pt"]
    assert_loadable(run)


def test_damaged_checkpoint_is_detected_and_the_previous_one_used(tmp_path, capsys):
    run = tmp_path / "run"
    assert train_cli(run) == 0
    newest = run / "checkpoints" / "step_0000004.pt"
    newest.write_bytes(newest.read_bytes()[:500])
    with pytest.raises(Exception, match="damaged or not a ganforge checkpoint"):
        ckpt.load_checkpoint(newest)
    assert main(["train", "--resume", str(run), "train.steps=6", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "step_0000004.pt' is damaged" in err and "resumed from step_0000002.pt" in err
    steps = [json.loads(x)["step"] for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]


def test_checkpoints_never_unpickle_code(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    path = tmp_path / "evil.pt"
    torch.save({"format": ckpt.FORMAT, "generator": {}, "x": Payload()}, path)
    with pytest.raises(Exception, match="damaged or not a ganforge checkpoint"):
        ckpt.load_checkpoint(path)


def test_resuming_with_a_changed_config_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    assert train_cli(run) == 0
    config = (run / "config.yaml").read_text().replace("lr: 0.0002", "lr: 0.001", 1)
    (run / "config.yaml").write_text(config)
    assert main(["train", "--resume", str(run), "--no-progress"]) == 2
    assert "was written by a different config (changed: optim.g.lr)" in capsys.readouterr().err


def test_unwritable_run_directory(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert train_cli(blocker / "run") == 2
    assert "cannot write the run directory" in capsys.readouterr().err


def test_export_safetensors_and_sample_from_it(tmp_path, capsys):
    from safetensors import safe_open

    run = tmp_path / "run"
    assert train_cli(run, "train.ema_decay=0.9") == 0
    out = tmp_path / "gen.safetensors"
    assert main(["export", str(run), "-o", str(out)]) == 0
    with safe_open(str(out), framework="pt") as f:
        meta = f.metadata()
        assert json.loads(meta["config"])["train"]["ema_decay"] == 0.9
        assert meta["step"] == "4" and json.loads(meta["data_shape"]) == [1, 8, 8]
        ema = torch.load(run / "checkpoints" / "step_0000004.pt", weights_only=True)["ema"]
        assert all(torch.equal(f.get_tensor(k), v) for k, v in ema.items())
    assert main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "a.npz")]) == 0
    assert main(["sample", str(run), "-n", "4", "-o", str(tmp_path / "b.npz")]) == 0
    import numpy as np

    assert np.array_equal(
        np.load(tmp_path / "a.npz")["samples"], np.load(tmp_path / "b.npz")["samples"]
    )
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(tmp_path / "other.safetensors"))
    capsys.readouterr()
    assert main(["sample", str(tmp_path / "other.safetensors"), "-o", "x.png"]) == 2
    assert "not exported by ganforge" in capsys.readouterr().err
