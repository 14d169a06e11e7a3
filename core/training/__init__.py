"""Training: the run config, the runner process and its callback."""
from core.training.config import LOSSES, RunConfig
from core.training.runner import launch, stop

__all__ = ["RunConfig", "LOSSES", "launch", "stop"]
