"""Model Studio: `streamlit run app.py`.

The entry point only sets up navigation; it imports no TensorFlow, so the home page opens fast.
"""
import streamlit as st

from core.tf_logging import quiet_tensorflow

quiet_tensorflow()  # before any page imports TensorFlow: no cuInit alarm on a computer without a GPU
st.set_page_config(page_title="Model Studio", page_icon="🧪", layout="wide")

PAGES = {
    "Studio": [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    ],
    "Labs": [
        st.Page("pages/image_lab.py", title="Image Lab", icon="🖼️", url_path="image_lab"),
        st.Page("pages/audio_lab.py", title="Audio Lab", icon="🎧", url_path="audio_lab"),
        st.Page("pages/text_lab.py", title="Text Lab", icon="📝", url_path="text_lab"),
    ],
    "Principles": [
        st.Page("pages/optimizers.py", title="Optimizer playground", icon="🧭", url_path="optimizers"),
        st.Page("pages/race.py", title="Optimizer race", icon="🏁", url_path="race"),
        st.Page("pages/anatomy.py", title="Network anatomy", icon="🫀", url_path="anatomy"),
        st.Page("pages/scale.py", title="Why large models win", icon="📈", url_path="scale"),
        st.Page("pages/gan.py", title="GAN studio", icon="🎨", url_path="gan"),
    ],
    "Train": [
        st.Page("pages/train.py", title="Train a model", icon="🏋️", url_path="train"),
        st.Page("pages/runs.py", title="Runs", icon="📈", url_path="runs"),
    ],
}

page = st.navigation(PAGES)
st.session_state["_app_navigation"] = True  # pages/common.py:page_setup checks it
page.run()
