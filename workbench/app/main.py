"""Entry point of the review app: `python -m workbench ui` runs `streamlit run` on this file."""
import sys
from pathlib import Path

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])  # a source tree, or site-packages when installed
if PACKAGE_PARENT not in sys.path:  # streamlit puts only this file's folder on the path
    sys.path.insert(0, PACKAGE_PARENT)

import streamlit as st  # noqa: E402

from workbench.app.common import CSS, workspace  # noqa: E402

st.set_page_config(page_title="workbench", layout="wide")
st.markdown(CSS, unsafe_allow_html=True)  # our own stylesheet; no article text in it
# No page icons: Streamlit fetches a page's Material icon as the tab's favicon from fonts.gstatic.com,
# and an offline tool makes no request beyond localhost (tests/test_browser.py checks).
pages = [
    st.Page("views/corpus.py", title="Corpus", default=True),
    st.Page("views/compare.py", title="Compare"),
    st.Page("views/facts.py", title="Facts"),
    st.Page("views/search.py", title="Search"),
    st.Page("views/export.py", title="Export"),
]
# The reviewer's name lives in the session and in the URL (?reviewer=...), so that a reload or a
# bookmark of this browser keeps it; decisions are refused until there is one.
if not st.session_state.get("reviewer"):
    st.session_state["reviewer"] = st.query_params.get("reviewer", "")
if st.session_state["reviewer"].strip():
    st.query_params["reviewer"] = st.session_state["reviewer"].strip()
with st.sidebar:
    st.text_input("Reviewer", key="reviewer", placeholder="your name",
                  help="Your name, stored with each decision; needed before the first one")
    st.caption(f"Workspace: `{workspace()}`")
st.navigation(pages).run()
