"""Time left in a training run, estimated from its own measured step and epoch times.

    eta = EtaEstimator([Phase(epochs=10, steps_per_epoch=23)])   # one phase per model.fit call
    eta.train_begin(t); eta.epoch_begin(t, 0); eta.step_end(t, 0); ...  # the fit's steps
    eta.test_begin(t); eta.test_step_end(t); ...; eta.epoch_end(t, 0)     # its validation, the epoch's end
    seconds, complete = eta.remaining(t)       # (None, False) until a steady step has been timed

Pure: every event carries its time, so the estimator is tested on synthetic timings. The model of an
epoch is `n` steps at a steady step time `s` plus a per-epoch overhead `o` (validation, checkpoints,
the first batch's data-pipeline start). The first steps and the first epoch of each phase trace and
compile the graph (seconds, where a step takes milliseconds): the first steps are left out of `s` and
of `o`, and so is the first validation step's compile; `o` is a median over epochs, `s` a moving
average with spikes clipped, so a moment of a busy machine does not swing the estimate. A phase not started yet (the fine-tuning stage of transfer
learning, whose steps run the whole backbone) cannot be timed from the first: `remaining` then says
its figure is not complete, unless the phase came with a measured `seconds_per_step`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    epochs: int
    steps_per_epoch: int
    seconds_per_step: float | None = None  # a measured prior for a phase that has not started yet


class EtaEstimator:
    WARMUP_STEPS = 3     # a phase's first steps trace and compile its graph
    SMOOTHING = 0.97     # exponential moving average of step times: about the last 30 steps count
    SPIKE = 5.0          # a step over 5x the steady time (a retrace for a short last batch) is clipped

    def __init__(self, phases: list[Phase], warmup_steps: int = WARMUP_STEPS):
        self.phases = [p for p in phases if p.epochs > 0]
        self.first_epochs = []  # absolute epoch number each phase starts at (fit's initial_epoch)
        start = 0
        for phase in self.phases:
            self.first_epochs.append(start)
            start += phase.epochs
        self.warmup_steps = warmup_steps
        n = len(self.phases)
        self._step_avg, self._step_count = [0.0] * n, [0] * n  # EMA state of the steady step time
        self._timed_steps = [0] * n
        self._overheads: list[list[float]] = [[] for _ in range(n)]  # per epoch, in order
        self.phase = 0
        self.epoch = 0           # absolute epoch in progress
        self.steps_in_epoch = 0  # steps finished in it
        self._epoch_start = self._last_event = None
        self._phase_steps = 0    # steps seen since this phase's train_begin (warm-up counter)
        self._epoch_open = self._validated = False  # an epoch in progress; its validation done
        self._recorded_epoch = None  # the epoch whose overhead was timed last (updated until closed)
        self._warm_time = self._warm_steps = 0  # this epoch's warm-up steps: compile time, not overhead
        self._val_durations: list[float] = []  # this epoch's validation steps
        self._val_last = None

    # -- events ---------------------------------------------------------------------------------
    def train_begin(self, t: float) -> None:
        """A model.fit starts: its first steps are warm-up again (a new graph, or a resumed process)."""
        self._phase_steps, self._last_event = 0, t

    def epoch_begin(self, t: float, epoch: int) -> None:
        self._close_epoch(t)
        self.epoch, self.phase = epoch, self._phase_of(epoch)
        self.steps_in_epoch, self._epoch_start, self._last_event = 0, t, t
        self._epoch_open, self._validated = True, False
        self._warm_time = self._warm_steps = 0
        self._val_durations, self._val_last = [], None

    def step_end(self, t: float, batch: int | None = None) -> None:
        """A training step ended; `batch` is its index within the epoch (Keras passes it)."""
        duration = t - (self._last_event if self._last_event is not None else t)
        self._last_event = t
        self._phase_steps += 1
        self.steps_in_epoch = batch + 1 if batch is not None else self.steps_in_epoch + 1
        first_of_epoch = self.steps_in_epoch == 1  # its time includes the data pipeline's start: overhead
        if self._phase_steps <= self.warmup_steps:
            self._warm_time, self._warm_steps = self._warm_time + duration, self._warm_steps + 1
        elif not first_of_epoch:
            self._add_step_time(duration)

    def test_begin(self, t: float) -> None:
        """Validation starts (inside fit, before on_epoch_end)."""
        self._val_last = t

    def test_step_end(self, t: float) -> None:
        if self._val_last is not None:
            self._val_durations.append(t - self._val_last)
        self._val_last = t

    def epoch_end(self, t: float, epoch: int) -> None:
        """Validation is done (Keras runs it before on_epoch_end): time the epoch's overhead so far."""
        self.epoch, self.steps_in_epoch = epoch, self.phases[self._phase_of(epoch)].steps_per_epoch
        self._record_overhead(t)
        self._validated = True

    def train_end(self, t: float) -> None:
        self._close_epoch(t)

    # -- the estimate ---------------------------------------------------------------------------
    def step_seconds(self, phase: int | None = None) -> float | None:
        """The steady step time of a phase (measured, else its prior, else None)."""
        phase = self.phase if phase is None else phase
        if self._step_count[phase]:
            return self._step_avg[phase] / (1 - self.SMOOTHING ** self._step_count[phase])
        return self.phases[phase].seconds_per_step

    def epoch_overhead(self, phase: int | None = None) -> float:
        """Seconds an epoch spends beyond its steady steps: the (lower) median over the phase's timed
        epochs, so one epoch slowed by something else on the machine does not swing every later one."""
        phase = self.phase if phase is None else phase
        timed = self._overheads[phase]
        if not timed and phase != self.phase and self._overheads[self.phase]:
            timed = self._overheads[self.phase]  # a later phase: assume the current one's validation cost
        return sorted(timed)[(len(timed) - 1) // 2] if timed else 0.0

    def remaining(self, t: float) -> tuple[float | None, bool]:
        """(seconds left, whether every phase is in it). (None, False) before a steady step is timed."""
        if not self.phases or self.phase >= len(self.phases):
            return 0.0, True
        phase = self.phases[self.phase]
        steady = self.step_seconds()
        overhead = self.epoch_overhead()
        epoch_in_phase = self.epoch - self.first_epochs[self.phase]
        if steady is None:
            if phase.steps_per_epoch > 2 or not self._overheads[self.phase]:
                return None, False
            steady = 0.0  # one or two steps an epoch (full-batch GD): whole epochs are the unit
        left = max(0, phase.steps_per_epoch - self.steps_in_epoch) * steady
        if self._epoch_open and not self._validated:
            left += overhead if steady else max(0.0, overhead - (t - self._epoch_start))
        left += max(0, phase.epochs - epoch_in_phase - 1) * (phase.steps_per_epoch * steady + overhead)
        complete = True
        for later in range(self.phase + 1, len(self.phases)):
            later_steady = self.step_seconds(later)
            if later_steady is None:
                complete = False
                continue
            p = self.phases[later]
            left += p.epochs * (p.steps_per_epoch * later_steady + self.epoch_overhead(later))
        return left, complete

    # -- internals ------------------------------------------------------------------------------
    def _phase_of(self, epoch: int) -> int:
        for index in range(len(self.phases) - 1, -1, -1):
            if epoch >= self.first_epochs[index]:
                return index
        return 0

    def _add_step_time(self, duration: float) -> None:
        p = self.phase
        current = self.step_seconds(p) if self._step_count[p] else None
        if current is not None:
            duration = min(duration, self.SPIKE * current)
        self._step_avg[p] = self.SMOOTHING * self._step_avg[p] + (1 - self.SMOOTHING) * duration
        self._step_count[p] += 1

    def _record_overhead(self, t: float) -> None:
        """Overhead of the epoch in progress: its wall time less its steps at the steady rate.
        Timed at its end (validation done) and again when the next epoch begins (callbacks done)."""
        if self._epoch_start is None:
            return
        steady = self.step_seconds() or 0.0
        steady_steps = self.phases[self.phase].steps_per_epoch - (self._warm_steps if steady else 0)
        wall = t - self._epoch_start - (self._warm_time if steady else 0.0)
        overhead = max(0.0, wall - steady_steps * steady - self._validation_compile())
        timed = self._overheads[self.phase]
        if self._recorded_epoch == self.epoch and timed:
            timed[-1] = overhead
        else:
            timed.append(overhead)
            self._recorded_epoch = self.epoch

    def _validation_compile(self) -> float:
        """In a phase's first epoch, the first validation step also compiles the evaluation graph:
        its time beyond a steady validation step is not paid again."""
        first_epoch = self.epoch == self.first_epochs[self.phase]
        if not first_epoch or len(self._val_durations) < 2:
            return 0.0
        later = self._val_durations[1:]
        return max(0.0, self._val_durations[0] - sum(later) / len(later))

    def _close_epoch(self, t: float) -> None:
        if self._epoch_open:
            self._record_overhead(t)
        self._epoch_open = False
