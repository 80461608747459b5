"""Search: a term or phrase in any language, through the originals, the English and the embeddings."""
from itertools import groupby

import streamlit as st

from workbench import store
from workbench.app.common import connect, embedder, plain_md, side_html
from workbench.search import search

conn = connect()
st.title("Search")
query = st.text_input("Term or phrase, in any language", placeholder="e.g. Homs, حمص, ホムス, soldiers fled to Iraq")
by_meaning = st.toggle("Also find by meaning (embeddings)", value=True)
if query:
    hits = search(conn, embedder() if by_meaning else None, query)
    st.caption(f"{len(hits)} sentence(s)")
    lang_of = {d["id"]: d["lang"] for d in store.document_summaries(conn)}
    for path, grouped in groupby(sorted(hits, key=lambda h: (h.path, h.index)), key=lambda h: h.path):
        group = list(grouped)
        st.subheader(f"{plain_md(path)} · {len(group)}")
        for hit in group:
            st.caption(f"sentence {hit.index} · {hit.how} · {hit.score:.2f}")
            st.markdown(side_html([hit.text], hit.en, lang_of.get(hit.doc_id, "")), unsafe_allow_html=True)
