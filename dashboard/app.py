"""hasim's dashboard: `streamlit run dashboard/app.py` from the repository root.

A thin entry point: page config and navigation; each page is its own file under pages/,
and dashboard/data.py holds the cached calls into hasim.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# Why: a checkout runs without installing hasim; Streamlit puts only dashboard/ on the path.
ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.append(ROOT)

st.set_page_config(page_title="hasim", layout="wide")
st.navigation(
    [
        st.Page(
            "pages/compare.py", title="Compare", icon=":material/compare_arrows:", default=True
        ),
        st.Page("pages/timeline.py", title="Timeline", icon=":material/timeline:"),
    ]
).run()
