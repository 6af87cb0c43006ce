"""Resume: a training killed with SIGKILL and rerun ends with exactly the numbers of an uninterrupted one; so does
an experiment whose run was interrupted; checkpoints of other params are discarded and finished runs leave none."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_experiment

TRAINING = textwrap.dedent('''
    import json, sys, time
    from pathlib import Path
    import torch
    from torch import nn
    from dudl import runtime
    from dudl.runtime import seed_torch
    from dudl.train import Batches, fit, accuracy

    folder, pause = Path(sys.argv[1]), float(sys.argv[2])
    gen = seed_torch(11)
    x = torch.randn(300, 5); y = (x[:, 0] + 0.3 * torch.randn(300) > 0).long()
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))  # dropout: global RNG
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=40, gamma=0.5)
    def slow_accuracy(out, target):
        time.sleep(pause)  # gives the test time to kill mid-run; changes no number
        return accuracy(out, target)
    with runtime.run_settings(resume_dir=folder, fingerprint="test", checkpoint_seconds=0.0):
        h = fit(model, Batches(x, y, 32, shuffle=True, generator=gen), nn.CrossEntropyLoss(), opt, 30,
                metric=slow_accuracy, test=Batches(x, y), scheduler=sched, record_lr=True)
    after = torch.rand(3).tolist()  # the RNG state after training continues the same way too
    print(json.dumps({"history": {k: h[k].tolist() for k in h.columns}, "weights": model[0].weight.sum().item(),
                      "after": after, "resumed_at": h.resumed_at}))
''')


def _train(folder: Path, pause: float, script: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen([sys.executable, str(script), str(folder), str(pause)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_a_training_killed_with_sigkill_resumes_to_the_same_numbers(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TRAINING)
    uninterrupted = _train(tmp_path / "a", 0.0, script)
    expected = json.loads(uninterrupted.communicate(timeout=300)[0])

    folder = tmp_path / "b"
    victim = _train(folder, 0.01, script)  # 30 epochs x 9 batches x 10 ms: about 3 s
    deadline = time.monotonic() + 120
    while not (folder / "training-0001.pt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # a few more epochs: resume from the middle, not the first checkpoint
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=60)
    assert victim.returncode == -signal.SIGKILL, "the training ended before it could be killed"

    rerun = _train(folder, 0.0, script)
    out, err = rerun.communicate(timeout=300)
    resumed = json.loads(out)
    assert "resuming at epoch" in err
    assert 0 < resumed["resumed_at"] < 30
    assert resumed["history"] == expected["history"]
    assert resumed["weights"] == expected["weights"] and resumed["after"] == expected["after"]


def _crash_after(steps: int, monkeypatch):
    """Make every supervised training raise KeyboardInterrupt (a kill) at its step `steps` + 1, whichever way
    the step computes (autograd or dudl.backprop); returns the real supervised_step to put back."""
    from dudl import train

    real_step, calls = train.supervised_step, {"n": 0}

    def crashing(*args, **kwargs):
        step = real_step(*args, **kwargs)

        def counted(batch, tools):
            calls["n"] += 1
            if calls["n"] > steps:
                raise KeyboardInterrupt("simulated kill")
            return step(batch, tools)

        return counted

    monkeypatch.setattr(train, "supervised_step", crashing)
    return real_step


def test_an_interrupted_experiment_resumes_and_ends_as_an_uninterrupted_one(project, monkeypatch, capfd):
    from dudl import train

    experiment = "ann/classify_qwerties"
    expected = run_experiment(project, experiment, scale=0.05, figures=False).metrics
    monkeypatch.setenv("DUDL_CHECKPOINT_SECONDS", "0")
    real_step = _crash_after(20, monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(project, experiment, scale=0.05, figures=False)
    resume_dir = project / "results/ann/classify_qwerties/resume"
    assert list(resume_dir.glob("training-*.pt")), "no checkpoint was left to resume from"
    monkeypatch.setattr(train, "supervised_step", real_step)
    capfd.readouterr()
    resumed = run_experiment(project, experiment, scale=0.05, figures=False)
    assert "resuming at epoch 20" in capfd.readouterr().err
    assert resumed.metrics == expected
    assert not resume_dir.exists(), "the checkpoint must go once the outputs are written"


def test_a_checkpoint_of_other_params_is_discarded(project, monkeypatch, capfd):
    from dudl import train

    experiment = "ann/classify_qwerties"
    monkeypatch.setenv("DUDL_CHECKPOINT_SECONDS", "0")
    real_step = _crash_after(5, monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(project, experiment, scale=0.05, figures=False)
    monkeypatch.setattr(train, "supervised_step", real_step)
    capfd.readouterr()
    changed = run_experiment(project, experiment, scale=0.05, overrides=["ann.classify_qwerties.lr=0.02"],
                             figures=False)
    assert "belongs to other params or code" in capfd.readouterr().err
    fresh = run_experiment(project, experiment, scale=0.05, overrides=["ann.classify_qwerties.lr=0.02"],
                           figures=False)
    assert changed.metrics == fresh.metrics
