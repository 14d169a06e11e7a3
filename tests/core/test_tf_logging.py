"""TensorFlow's start-up noise stays out of the console; its real errors do not (issue #14 item 11)."""
import subprocess
import sys

import pytest

from core.paths import PROJECT_ROOT
from core.tf_logging import has_nvidia_driver, tensorflow_env


def test_the_level_hides_errors_only_where_there_is_no_gpu_driver_and_keeps_a_users_choice():
    assert tensorflow_env({}, gpu_driver=False) == {"TF_CPP_MIN_LOG_LEVEL": "3"}
    assert tensorflow_env({}, gpu_driver=True) == {"TF_CPP_MIN_LOG_LEVEL": "2"}  # GPU errors stay loud
    assert tensorflow_env({"TF_CPP_MIN_LOG_LEVEL": "0"}, gpu_driver=False) == {}  # someone debugging
    assert has_nvidia_driver(()) is False and has_nvidia_driver([__file__]) is True


@pytest.mark.skipif(has_nvidia_driver(), reason="a GPU driver is here: cuInit succeeds")
def test_no_cuinit_alarm_but_a_real_error_still_shows():
    script = ("from core.tf_logging import quiet_tensorflow; quiet_tensorflow()\n"
              "import tensorflow as tf\n"
              "print(tf.config.list_physical_devices())\n"  # the call that logged 'failed call to cuInit'
              "tf.reshape(tf.constant([1, 2, 3]), (2, 2))\n")  # a real mistake: must reach the console
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert "CPU:0" in done.stdout
    assert "cuInit" not in done.stderr and "CUDA error" not in done.stderr
    assert done.returncode == 1 and "Traceback" in done.stderr and "reshape" in done.stderr.lower()


RETRACING = """
from core.tf_logging import quiet_tensorflow
{quiet}
import keras, numpy as np, tensorflow as tf
for _ in range(4):  # a lab loading taught model after taught model, each read at a few batch shapes
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    for rows in (1, 7, 128, 5):
        model.predict_on_batch(np.zeros((rows, 3), "float32"))
tf.get_logger().warning("another TensorFlow warning")
"""


def test_the_retracing_warning_is_dropped_and_other_warnings_are_not():
    def stderr(quiet: str) -> str:
        done = subprocess.run([sys.executable, "-c", RETRACING.format(quiet=quiet)], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stderr
    assert "triggered tf.function retracing" in stderr("")  # what the console showed
    quiet = stderr("quiet_tensorflow()")
    assert "retracing" not in quiet and "another TensorFlow warning" in quiet
