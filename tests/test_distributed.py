"""Training under tf.distribute: choosing the strategy, sharding, and the tiny
project trained by 2 local TF workers (MultiWorkerMirroredStrategy over loopback) and by 2 replicas of one machine
(MirroredStrategy over 2 logical CPUs)."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spectrogenre.distributed import (
    cluster_config,
    shard,
    strategy_kind,
    worker_position,
)
from spectrogenre.errors import SpectrogenreError

WORKER_SECONDS = 300  # each training process is killed past this: a hung collective must not hang the suite


def tf_config(workers: list[str], index: int, chief: str | None = None, role: str = "worker") -> dict:
    cluster = {"worker": workers} | ({"chief": [chief]} if chief else {})
    return {"cluster": cluster, "task": {"type": role, "index": index}}


def test_no_tf_config_or_a_one_worker_cluster_means_one_device():
    assert cluster_config({}) is None
    assert cluster_config({"TF_CONFIG": "  "}) is None
    assert cluster_config({"TF_CONFIG": json.dumps(tf_config(["localhost:1"], 0))}) is None


def test_a_cluster_of_two_is_read_and_placed_chief_first():
    config = tf_config(["a:1", "b:1"], 1, chief="c:1")
    assert cluster_config({"TF_CONFIG": json.dumps(config)}) == config
    assert worker_position(config) == (2, 3)
    assert worker_position(tf_config(["a:1", "b:1"], 0, chief="c:1", role="chief")) == (0, 3)
    assert worker_position(tf_config(["a:1", "b:1"], 0, chief="c:1")) == (1, 3)  # worker 0 comes after the chief
    assert worker_position(tf_config(["a:1", "b:1"], 0)) == (0, 2)  # and is first when there is none
    assert worker_position(None) == (0, 1)


@pytest.mark.parametrize("raw, problem", [("{not json", "must be JSON"), ('{"cluster": {"worker": ["a:1"]}}', "task"),
                                          (json.dumps(tf_config(["a:1", "b:1"], 0, role="ps")), "'ps'")])
def test_a_broken_tf_config_is_named(raw, problem):
    with pytest.raises(SpectrogenreError, match="TF_CONFIG") as error:
        cluster_config({"TF_CONFIG": raw})
    assert problem in str(error.value)


def test_the_strategy_follows_the_cluster_then_the_gpus():
    assert strategy_kind(None, 0) is None
    assert strategy_kind(None, 1) is None
    assert strategy_kind(None, 2) == "mirrored"
    assert strategy_kind(tf_config(["a:1", "b:1"], 0), 0) == "multi_worker"
    assert strategy_kind(tf_config(["a:1", "b:1"], 0), 4) == "multi_worker"


def test_shards_are_disjoint_cover_every_file_and_differ_by_at_most_one():
    paths = [Path(f"chunk-{i}.npz") for i in range(5)]
    assert shard(paths, 0, 2) == [paths[0], paths[2], paths[4]]
    assert shard(paths, 1, 2) == [paths[1], paths[3]]
    assert sorted(shard(paths, 0, 3) + shard(paths, 1, 3) + shard(paths, 2, 3)) == paths
    assert shard(paths, 0, 1) == paths


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def train_command(project: Path, out: Path) -> list[str]:
    return [sys.executable, "stages/train.py", "--features", "data/features", "--concat", "data/concat", "--trim",
            "data/trim", "--clips", "data/clips", "--split", "data/split", "--out", str(out)]


def weights(path: Path) -> list[np.ndarray]:
    from spectrogenre.model import load_classifier

    return load_classifier(path).get_weights()


def test_two_local_tf_workers_train_the_tiny_project_in_step(tiny_project, tmp_path):
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    workers = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps(tf_config(addresses, index)), CUDA_VISIBLE_DEVICES="")
        workers.append(subprocess.Popen(train_command(tiny_project, tmp_path / f"worker{index}"), cwd=tiny_project,
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        logs = [worker.communicate(timeout=WORKER_SECONDS)[0] for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    assert [worker.returncode for worker in workers] == [0, 0], logs

    summaries = [json.loads((tmp_path / f"worker{index}/summary.json").read_text()) for index in range(2)]
    assert [summary["distributed"]["worker"] for summary in summaries] == [0, 1]
    assert all(summary["distributed"]["replicas"] == 2 and summary["distributed"]["workers"] == 2
               for summary in summaries)
    dataset = json.loads((tiny_project / "data/features/dataset.json").read_text())
    read = [summary["distributed"]["train_chunk_files"] for summary in summaries]
    all_chunks = len(dataset["chunks"]["train"]) + len(dataset["chunks"]["val"])
    assert sum(read) == all_chunks and min(read) >= 1  # the refit on train + val: each its own shard, together all
    # in step: the gradients and the moving statistics are shared, so both hold one model
    first, second = (weights(tmp_path / f"worker{index}/model.keras") for index in range(2))
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert summaries[0]["best_epoch"] == summaries[1]["best_epoch"]
    held_out = np.load(tmp_path / "worker0/held_out.npz")
    assert (held_out["probabilities"].argmax(axis=1) == held_out["labels"]).mean() >= 0.8  # 3 clear genres


MIRRORED_SCRIPT = """
import json, sys
from pathlib import Path
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from spectrogenre import distributed
from spectrogenre.kinds import seed_cnn
from spectrogenre.params import ModelParams, TrainParams
from spectrogenre.train import split_groups
project, out = Path(sys.argv[1]), Path(sys.argv[2])
dataset = json.loads((project / "data/features/dataset.json").read_text())
paths = {split: [project / "data/features" / name for name in dataset["chunks"][split]] for split in ("train", "val")}
params = TrainParams(**json.loads(sys.argv[3]))
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
distributed.training_strategy = lambda: strategy  # what it returns on a machine with 2 GPUs
fitted = seed_cnn.fit(ModelParams(), params, train_paths=paths["train"], val_paths=paths["val"],
                      groups=split_groups(project / "data/split")[0], input_shape=tuple(dataset["input_shape"]),
                      n_genres=len(dataset["labels"]), live_dir=out / "live")
print(json.dumps(fitted.summary | {"held_out_accuracy": float((fitted.held_out[0].argmax(1) == fitted.held_out[1]).mean()),
                                   "held_out_clips": len(fitted.held_out[1])}))
"""


def test_two_replicas_of_one_machine_train_the_tiny_project(tiny_project, tmp_path):
    import yaml

    train = yaml.safe_load((tiny_project / "params.yaml").read_text())["train"]
    result = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT, str(tiny_project), str(tmp_path), json.dumps(train)],
                            check=False, capture_output=True, text=True, timeout=WORKER_SECONDS,
                            env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["distributed"]["strategy"] == "MirroredStrategy"
    assert summary["distributed"]["replicas"] == 2 and summary["distributed"]["workers"] == 1
    assert summary["held_out_accuracy"] >= 0.8
    # epochs chosen by train.epoch_folds (3) folds of whole albums, fewer where a genre has fewer albums in train + val;
    # every one of their clips held out once
    clips = pd.read_csv(tiny_project / "data/split/clips.csv")
    fitted_on = clips[clips["split"] != "test"]
    folds = min(3, fitted_on.groupby("genre")["group"].nunique().min())
    assert summary["selected_by"] == f"grouped {folds}-fold cross-validation on train + val clips"
    assert summary["held_out_clips"] == len(fitted_on)
