"""Export: aligned units as CSV, JSONL or TMX 1.4, with the run signature, filtered by pair,
language and review status."""
import streamlit as st

from workbench import export, store
from workbench.app.common import connect
from workbench.visible import printable

conn = connect()
st.title("Export")
fmt = st.radio("Format", export.FORMATS, horizontal=True)
labels = {r["id"]: (printable(r["path"]), r["lang"]) for r in store.document_summaries(conn)}
aligned = [(r["src_doc"], r["tgt_doc"]) for r in store.pair_progress(conn)]
narrow = st.columns(3)
statuses = narrow[0].multiselect("Review status", export.STATUSES, default=["accepted"],
                                 help="edited: relinked by an analyst, not yet accepted")
languages = sorted({lang for _, lang in labels.values()})
chosen_langs = narrow[1].multiselect("Languages (either side)", languages, default=languages)
chosen_pairs = narrow[2].multiselect(
    "Pairs (all when empty)", aligned,
    format_func=lambda p: f"{labels[p[0]][0]} ({labels[p[0]][1]}) ↔ {labels[p[1]][0]} ({labels[p[1]][1]})")
rows = export.export_rows(conn, statuses=statuses, pairs=chosen_pairs or None, languages=chosen_langs)
units = export.translation_units(rows)
written = units if fmt == "tmx" else len(rows)
if fmt == "tmx":
    st.write(f"**{units}** translation unit(s) will be written"
             + (f"; {len(rows) - units} unit(s) without a counterpart match the filters, and TMX cannot hold "
                "them (a translation unit needs both sides): CSV and JSONL keep them" if len(rows) > units else ""))
else:
    st.write(f"**{len(rows)}** unit(s) will be written: {units} pair(s), {len(rows) - units} without a counterpart")
st.download_button(f"Download {fmt.upper()}", data=export.render(rows, fmt), file_name=f"workbench-pairs.{fmt}",
                   mime={"csv": "text/csv", "jsonl": "application/jsonl", "tmx": "application/xml"}[fmt],
                   disabled=not written, icon=":material/download:")
st.caption("From the command line: `python -m workbench export --format tmx --status accepted --lang ar "
           "--out pairs.tmx`")
