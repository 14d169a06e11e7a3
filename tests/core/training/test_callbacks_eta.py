"""The time-left estimator on synthetic timings: steady steps, a compile-heavy start, two phases."""
import pytest

from core.training.eta import EtaEstimator, Phase


def simulate(estimator, phases, step_time, first_step=0.0, validation=0.0, stop_at=None, clock=0.0):
    """Feed `estimator` the events of a run whose steps take `step_time(phase_index)` seconds (the
    first step of each phase `first_step` more), `validation` seconds an epoch. Returns the clock
    and the estimate at the `stop_at` = (epoch, step) point (None: at the end)."""
    epoch = 0
    for index, phase in enumerate(phases):
        estimator.train_begin(clock)
        for _ in range(phase.epochs):
            estimator.epoch_begin(clock, epoch)
            for step in range(phase.steps_per_epoch):
                clock += step_time(index) + (first_step if step == 0 and epoch == sum(
                    p.epochs for p in phases[:index]) else 0.0)
                estimator.step_end(clock, step)
                if stop_at == (epoch, step):
                    return clock, estimator.remaining(clock)
            clock += validation
            estimator.epoch_end(clock, epoch)
            epoch += 1
        estimator.train_end(clock)
    return clock, estimator.remaining(clock)


def true_total(phases, step_time, first_step=0.0, validation=0.0):
    return sum(p.epochs * (p.steps_per_epoch * step_time(i) + validation) + first_step
               for i, p in enumerate(phases))


def test_nothing_is_promised_before_a_steady_step_is_timed():
    eta = EtaEstimator([Phase(5, 100)])
    eta.train_begin(0.0)
    eta.epoch_begin(0.0, 0)
    assert eta.remaining(0.0) == (None, False)
    eta.step_end(4.0, 0)  # the compile-heavy first step
    assert eta.remaining(4.0) == (None, False)


def test_constant_step_time_is_exact():
    phases = [Phase(4, 50)]
    clock, (left, complete) = simulate(EtaEstimator(phases), phases, lambda i: 0.02, validation=0.3,
                                       stop_at=(1, 9))
    truth = true_total(phases, lambda i: 0.02, validation=0.3) - clock
    assert complete and left == pytest.approx(truth, rel=0.02)


def test_a_compile_heavy_start_does_not_inflate_the_estimate():
    """The old estimate (elapsed / steps × steps left) after 5 of 500 steps with a 6 s first step
    said about 10 minutes; the run has 5 s left."""
    phases = [Phase(5, 100)]
    clock, (left, _) = simulate(EtaEstimator(phases), phases, lambda i: 0.01, first_step=6.0, stop_at=(0, 4))
    truth = true_total(phases, lambda i: 0.01, first_step=6.0) - clock
    naive = clock / 5 * (500 - 5)
    assert naive > 100 * truth
    assert left == pytest.approx(truth, rel=0.05)


def test_validation_time_counts_and_the_first_epochs_compile_is_left_out():
    phases = [Phase(10, 20)]
    eta = EtaEstimator(phases)
    # epoch 0 validation also compiles the evaluation graph: 2 s; later validations 0.5 s
    clock = 0.0
    eta.train_begin(clock)
    for epoch in range(3):
        eta.epoch_begin(clock, epoch)
        for step in range(20):
            clock += 0.05
            eta.step_end(clock, step)
        clock += 2.0 if epoch == 0 else 0.5
        eta.epoch_end(clock, epoch)
    left, complete = eta.remaining(clock)
    assert complete and left == pytest.approx(7 * (20 * 0.05 + 0.5), rel=0.05)


def test_full_batch_runs_estimate_from_whole_epochs():
    """One step an epoch (full-batch gradient descent): no in-epoch steady step exists."""
    phases = [Phase(20, 1)]
    clock, (left, complete) = simulate(EtaEstimator(phases), phases, lambda i: 0.2, validation=0.1,
                                       stop_at=(5, 0))
    assert left is not None and left == pytest.approx(14 * 0.3 + 0.1, rel=0.25)


def test_two_phases_the_second_is_flagged_until_timed_then_included():
    """Transfer learning: a fast head on features, then a fine-tuning stage 40x slower per step."""
    phases = [Phase(3, 30), Phase(2, 10)]
    speeds = lambda i: 0.01 if i == 0 else 0.4  # noqa: E731
    _, (left, complete) = simulate(EtaEstimator(phases), phases, speeds, stop_at=(1, 10))
    assert not complete and left == pytest.approx(50 * 0.01, rel=0.1)  # the head's part only
    clock, (left, complete) = simulate(EtaEstimator(phases), phases, speeds, first_step=3.0, stop_at=(3, 5))
    truth = true_total(phases, speeds, first_step=3.0) - clock
    assert complete and left == pytest.approx(truth, rel=0.05)


def test_a_measured_prior_times_a_phase_before_it_starts():
    phases = [Phase(3, 30), Phase(2, 10, seconds_per_step=0.4)]
    speeds = lambda i: 0.01 if i == 0 else 0.4  # noqa: E731
    clock, (left, complete) = simulate(EtaEstimator(phases), phases, speeds, stop_at=(1, 10))
    assert complete and left == pytest.approx(true_total(phases, speeds) - clock, rel=0.05)


def test_a_spike_does_not_swing_the_estimate():
    phases = [Phase(1, 200)]
    eta = EtaEstimator(phases)
    eta.train_begin(0.0)
    eta.epoch_begin(0.0, 0)
    clock = 0.0
    for step in range(100):
        clock += 1.5 if step == 60 else 0.01  # a retrace, or the machine busy for a moment
        eta.step_end(clock, step)
    left, _ = eta.remaining(clock)
    assert left == pytest.approx(100 * 0.01, rel=0.3)


def test_the_run_ends_at_zero():
    phases = [Phase(2, 5)]
    _, (left, complete) = simulate(EtaEstimator(phases), phases, lambda i: 0.1)
    assert complete and left == pytest.approx(0.0, abs=1e-9)


def test_the_first_epochs_compile_does_not_inflate_the_estimate_at_its_end():
    """After epoch 1 of 12, the old runner said 97 s where 15 were left: the compile time of the
    first steps and of the first validation step was read as a cost every epoch pays."""
    phases = [Phase(12, 40)]
    eta = EtaEstimator(phases)
    clock = 0.0
    eta.train_begin(clock)
    eta.epoch_begin(clock, 0)
    for step in range(40):
        clock += 0.02 + (5.0 if step == 0 else 0.0)       # the train step compiles
        eta.step_end(clock, step)
    eta.test_begin(clock)
    for step in range(10):
        clock += 0.01 + (1.5 if step == 0 else 0.0)       # so does the evaluation step
        eta.test_step_end(clock)
    eta.epoch_end(clock, 0)
    left, complete = eta.remaining(clock)
    truth = 11 * (40 * 0.02 + 10 * 0.01)
    assert complete and left == pytest.approx(truth, rel=0.1)
