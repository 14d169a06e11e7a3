"""What a config will build, before it is launched: the layer table and the parameter count."""
from __future__ import annotations

from dataclasses import dataclass

from core.training.config import RunConfig


@dataclass
class ModelSummary:
    layers: list[dict]
    parameters: int
    input_shape: tuple
    num_classes: int


def summarize(config: RunConfig) -> ModelSummary:
    """Build the model `config` describes (no training) and describe its layers."""
    from core.data import load_dataset
    from core.models import build_model, layer_table
    from core.training.prepare import prepare

    data = prepare(load_dataset(config.dataset, config.dataset_params), config)
    model = build_model(config.architecture, data.spec, config.arch_params)
    return ModelSummary(layer_table(model), int(model.count_params()), data.spec.shape,
                        data.spec.num_classes)
