"""Search: a term or phrase in any language, through the originals, the English and the embeddings."""

import streamlit as st

from workbench import review, store
from workbench.app.common import connect, embedder, plain_md, side_html
from workbench.search import search

conn = connect()
st.title("Search")
query = st.text_input("Term or phrase, in any language", placeholder="e.g. Homs, حمص, ホムス, soldiers fled to Iraq")
by_meaning = st.toggle("Also find by meaning (embeddings)", value=True)
if query:
    hits = search(conn, embedder() if by_meaning else None, query)
    st.caption(f"{len(hits)} sentence(s), best first across all documents: literal matches (terms marked), "
               "then by closeness of meaning")
    lang_of = {d["id"]: d["lang"] for d in store.document_summaries(conn)}
    terms = [query.strip(), *(word for word in query.split() if len(word) > 2)]
    for hit in hits:
        with st.container(border=True):
            how = {"text": "matches the text", "english": "matches the English", "meaning": "by meaning"}[hit.how]
            caption, open_unit = st.columns([5, 1])
            caption.caption(f"{plain_md(hit.path)} · sentence {hit.index} · {how} · {hit.score:.2f}")
            link = review.compare_link(conn, hit.doc_id, hit.index)
            if link:  # the sentence's unit on Compare, in the first pair aligned that holds it
                open_unit.markdown(f"[On Compare]({link})")
            st.markdown(side_html(hit.text, hit.en, lang_of.get(hit.doc_id, ""), terms=terms),
                        unsafe_allow_html=True)  # side_html escapes every piece of article text
