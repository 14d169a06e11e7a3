"""Model Studio: `streamlit run app.py`.

The entry point only sets up navigation; it imports no TensorFlow, so the home page opens fast.
"""
import streamlit as st

from core.tf_logging import quiet_tensorflow
from pages.site import sections

quiet_tensorflow()  # before any page imports TensorFlow: no cuInit alarm on a computer without a GPU
st.set_page_config(page_title="Model Studio", page_icon="🧪", layout="wide")

PAGES = {section: [st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path or None,
                           default=not spec.url_path) for spec in specs]
         for section, specs in sections().items()}  # one page list: pages/site.py (Home's doors too)

page = st.navigation(PAGES)
st.session_state["_app_navigation"] = True  # pages/common.py:page_setup checks it
page.run()
