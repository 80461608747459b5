"""Export: reviewed (or all) pairs as CSV, JSONL or TMX 1.4, with the run signature."""
import streamlit as st

from workbench import export
from workbench.app.common import connect

conn = connect()
st.title("Export")
fmt = st.radio("Format", export.FORMATS, horizontal=True)
reviewed_only = st.checkbox("Accepted pairs only", value=True)
rows = export.export_rows(conn, reviewed_only)
languages = sorted({r["src_lang"] for r in rows} | {r["tgt_lang"] for r in rows})
chosen = st.multiselect("Languages (a unit is exported when either side is in one)", languages, default=languages)
rows = [r for r in rows if r["src_lang"] in chosen or r["tgt_lang"] in chosen]
pairs = sum(1 for r in rows if r["src_ids"] and r["tgt_ids"])
if fmt == "tmx":
    st.write(f"{pairs} pair(s) to export as translation units"
             + (f"; {len(rows) - pairs} unit(s) without a counterpart are not translation units and stay out "
                "(CSV and JSONL keep them)" if len(rows) > pairs else ""))
else:
    st.write(f"{len(rows)} unit(s) to export: {pairs} pair(s), {len(rows) - pairs} without a counterpart")
st.download_button(f"Download {fmt.upper()}", data=export.render(rows, fmt), file_name=f"workbench-pairs.{fmt}",
                   mime={"csv": "text/csv", "jsonl": "application/jsonl", "tmx": "application/xml"}[fmt],
                   disabled=not (pairs if fmt == "tmx" else rows), icon=":material/download:")
st.caption("From the command line: `python -m workbench export --format tmx --reviewed-only --out pairs.tmx`")
