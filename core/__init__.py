"""Model Studio's engine: datasets, models, optimizers, runs and inference.

UI-free on purpose: nothing in here imports streamlit (tests/core/test_no_streamlit.py keeps it so),
and importing `core` itself does not import TensorFlow, so the home page stays fast.
"""
