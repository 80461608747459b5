"""Export: reviewed (or all) pairs as CSV, JSONL or TMX 1.4, with the run signature."""
import streamlit as st

from workbench import export
from workbench.app.common import connect

conn = connect()
st.title("Export")
fmt = st.radio("Format", export.FORMATS, horizontal=True)
reviewed_only = st.checkbox("Accepted pairs only", value=True)
rows = export.export_rows(conn, reviewed_only)
st.write(f"{len(rows)} unit(s) to export")
st.download_button(f"Download {fmt.upper()}", data=export.render(rows, fmt), file_name=f"workbench-pairs.{fmt}",
                   mime={"csv": "text/csv", "jsonl": "application/jsonl", "tmx": "application/xml"}[fmt],
                   disabled=not rows, icon=":material/download:")
st.caption("From the command line: `python -m workbench export --format tmx --reviewed-only --out pairs.tmx`")
