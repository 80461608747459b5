"""Facts: one sentence as reported in every other document of the workspace."""

import streamlit as st

from workbench import compare, review, store
from workbench.app.common import connect, doc_label, embedder, flags_text, plain_md, side_html
from workbench.numbers import numbers
from workbench.translate import english_of
from workbench.visible import printable

conn = connect()
st.title("Facts")
docs = [d for d in store.documents(conn) if d.sentences]
if len(docs) < 2:
    st.info("Facts needs documents in at least two languages: ingest articles on **Corpus** first.")
    st.stop()
by_id = {d.id: d for d in docs}

if not store.has_links(conn):
    st.write("Cross-document links have not been computed yet.")
    if st.button("Compute links", type="primary"):
        with st.spinner("Linking every sentence to its best counterpart in each other document ..."):
            compare.compute_links(conn, docs, embedder())
        st.rerun()
    st.stop()

doc = st.selectbox("Document", docs, format_func=doc_label)
content = [s for s in doc.sentences if not s.boilerplate]
# a drop-down shows plain text: bidi overrides and controls in it would act, so they are shown as escapes
sentence = st.selectbox("Sentence", content, format_func=lambda s: f"{s.index}: {printable(s.text[:120])}")
this_english = english_of(conn, doc.id).get(sentence.index, (None,))[0]
st.markdown(side_html(sentence.text, this_english, doc.lang), unsafe_allow_html=True)  # escapes article text
min_score = st.slider("Minimum confidence", 0.0, 1.0, 0.3, 0.05)

shown = 0
for link in store.links_from(conn, doc.id, sentence.index):
    other_id, other_idx, score, flags = link.other_doc, link.other_index, link.score, link.flags
    if score < min_score or other_id not in by_id:
        continue
    other = by_id[other_id]
    other_text = other.sentences[other_idx].text
    # the numbers this report has and the chosen sentence lacks are marked, as on Compare
    differing = numbers(other_text) - numbers(sentence.text) if flags else set()
    with st.container(border=True):
        caption, open_pair = st.columns([5, 1])
        caption.caption(f"{plain_md(doc_label(other))} · sentence {other_idx} · confidence {score:.2f}"
                        + (f" · {flags_text(flags)}" if flags else ""))
        # the two documents side by side on Compare, the cursor on the unit holding this sentence
        row_link = review.compare_link(conn, doc.id, sentence.index, other_id)
        open_pair.markdown(f"[On Compare]({row_link})" if row_link
                           else f"[Compare the two](compare?src={doc.id}&tgt={other_id}) (not aligned yet)")
        english = english_of(conn, other_id).get(other_idx, (None,))[0]
        st.markdown(side_html(other_text, english, other.lang, differing), unsafe_allow_html=True)
    shown += 1
if not shown:
    st.write("No other document reports this sentence with that confidence.")
