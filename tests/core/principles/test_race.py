"""Optimizer race: one valid config per entrant, and the time each reached a target loss."""
import pandas as pd

from core.principles.race import ENTRANTS, race_configs, time_to_target


def test_race_configs_share_everything_but_the_optimizer():
    configs = race_configs(["gd", "sgd", "sgd_1", "adam"], dataset="moons", architecture="mlp", epochs=3)
    assert [c.optimizer for c in configs] == ["gd", "sgd", "sgd", "adam"]
    assert {(c.dataset, c.architecture, c.epochs, c.seed) for c in configs} == {("moons", "mlp", 3, 0)}
    assert [c.batch_size for c in configs] == [32, 32, 1, 32]   # gd uses the whole set (runner)
    assert configs[0].name.endswith("· Full-batch gradient descent")
    assert set(ENTRANTS) >= {"gd", "sgd", "sgd_1", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw"}


def test_time_to_target_reads_the_first_epoch_at_or_below_it():
    metrics = pd.DataFrame({"kind": "epoch", "name": "val_loss", "epoch": [1, 2, 3, 4],
                            "time": [1.0, 2.1, 3.3, 4.2], "value": [0.9, 0.5, 0.29, 0.31]})
    assert time_to_target(metrics, 0.3) == (3, 3.3)
    assert time_to_target(metrics, 0.1) is None
