"""Corpus: what the workspace holds, uploads, and background translate/align jobs."""
import pandas as pd
import streamlit as st

from workbench import ingest, jobs, models, review, store
from workbench.app.common import RTL_LANGS, connect, current_stories, plain_md, workspace
from workbench.visible import printable

UPLOAD_DIR = "uploads"


def table_title(title: str, lang: str) -> str:
    """A title for the table, which draws on a canvas, left-aligned: right-to-left text is cut
    to what a cell shows and led by a left-to-right mark, so that the canvas places it inside the
    cell with its beginning visible (without, short Arabic titles were drawn outside the cell)."""
    if lang not in RTL_LANGS:
        return printable(title[:80])
    return "\u200e" + printable(title[:36]) + ("…" if len(title) > 36 else "")


def pair_table(conn, summaries: list[dict], story_of: dict[int, int]) -> None:
    """Review progress of every aligned pair, filterable, each opening its Compare page."""
    progress = store.pair_progress(conn)
    if not progress:
        return
    st.subheader("Review progress by pair")
    label = {r["id"]: printable(r["path"]) for r in summaries}
    lang = {r["id"]: r["lang"] for r in summaries}
    narrow = st.columns(3)
    story = narrow[0].selectbox("Story", [None, *sorted(set(story_of.values()))],
                                format_func=lambda s: "all" if s is None else f"story {s}")
    languages = narrow[1].multiselect("Languages (either side)", sorted(set(lang.values())))
    todo_only = narrow[2].toggle("Only pairs with flagged units", help="flagged: numbers that differ between sides")
    rows = [r for r in progress
            if (story is None or story_of.get(r["src_doc"]) == story or story_of.get(r["tgt_doc"]) == story)
            and (not languages or lang[r["src_doc"]] in languages or lang[r["tgt_doc"]] in languages)
            and (not todo_only or r["flagged"])]
    frame = pd.DataFrame([{
        "left": label[r["src_doc"]], "right": label[r["tgt_doc"]],
        "languages": f"{lang[r['src_doc']]}-{lang[r['tgt_doc']]}", "story": story_of.get(r["src_doc"]),
        "mode": r["mode"], "units": r["units"], "pairs": r["pairs"], "decided": r["decided"],
        "flagged": r["flagged"], "reviewed": r["decided"] / max(r["units"], 1),
        "review": f"compare?src={r['src_doc']}&tgt={r['tgt_doc']}"} for r in rows])
    st.caption(f"{len(rows)} of {len(progress)} aligned pair(s); the table's search (top right) finds a "
               "document by name.")
    if rows:
        st.dataframe(frame, hide_index=True, width="stretch", column_config={
            "reviewed": st.column_config.ProgressColumn("reviewed", format="percent", min_value=0, max_value=1),
            "review": st.column_config.LinkColumn("review", display_text="open"),
            "decided": st.column_config.NumberColumn(help="units accepted or rejected")})


conn = connect()
st.title("Corpus")
summaries = store.document_summaries(conn)

if not summaries:
    st.info("The workspace is empty. Upload articles below, or ingest a folder from the command line: "
            "`python -m workbench ingest workbench/samples/syria-2024-12`. Then translate and align them, and "
            "review the pairs on **Compare**.")
else:
    aligned = len(review.aligned_pairs(conn))
    translated = sum(r["translated"] for r in summaries)
    with st.container(border=True):
        st.markdown("**Next steps**")
        if aligned:
            st.page_link("views/compare.py", label=f"Review the {aligned} aligned document pair(s) side by side",
                         icon=":material/compare_arrows:")
            st.page_link("views/facts.py", label="Follow one fact across every document", icon=":material/fact_check:")
        else:
            st.write("Align the documents (button below) to pair their sentences.")
        if not translated:
            if models.models_to_english():
                st.write("Translate the documents into English (button below) to read every side in English.")
            else:
                st.write("No translation model is installed: alignment works on the originals. For English, run "
                         "`python -m workbench models install ja ar fr bg` or drop `.argosmodel` files into `models/`.")
    story_of, _ = current_stories(conn)
    frame = pd.DataFrame([{
        "id": r["id"], "document": printable(r["path"]), "language": r["lang"], "encoding": r["encoding"],
        "sentences": r["sentences"], "translated": f"{r['translated']}/{r['content']}",
        "story": story_of.get(r["id"]), "title": table_title(r["title"], r["lang"])} for r in summaries])
    st.caption("Select documents to translate or align them in the background.")
    frame["story"] = frame["story"].astype("Int64")  # blank, not "None", for a document not grouped yet
    selection = st.dataframe(frame, hide_index=True, on_select="rerun", selection_mode="multi-row",
                             key="corpus_table", width="stretch",
                             column_config={"title": st.column_config.TextColumn(width="large")})
    chosen = [int(frame.iloc[i]["id"]) for i in selection.selection.rows] or [r["id"] for r in summaries]
    st.write(f"{len(chosen)} document(s) {'selected' if selection.selection.rows else '(all)'}")
    left, right = st.columns(2)
    if left.button("Translate into English", icon=":material/translate:"):
        st.session_state["last_job"] = jobs.start(workspace(), "translate", chosen)
    if right.button("Align cross-language pairs and link facts", icon=":material/compare_arrows:"):
        st.session_state["last_job"] = jobs.start(workspace(), "align", chosen)
    if story_of:
        st.caption(f"{len(set(story_of.values()))} story group(s): documents about the same events share a number."
                   + (f" {len(summaries) - len(story_of)} document(s) not grouped yet: align them."
                      if len(story_of) < len(summaries) else ""))
    pair_table(conn, summaries, story_of)


@st.fragment(run_every=2)
def job_progress() -> None:
    rows = jobs.recent(connect(), limit=5)
    if not rows:
        return
    st.subheader("Jobs")
    for job in rows:
        label = f"#{job['id']} {job['kind']}: {job['status']}"
        if job["total"]:
            st.progress(min(job["done"] / job["total"], 1.0), text=f"{label} ({job['done']}/{job['total']})")
        else:
            st.write(label)
        if job["message"]:
            st.caption(job["message"])


job_progress()

st.subheader("Add articles")
uploads = st.file_uploader("Text, Markdown or HTML files", type=["txt", "md", "html", "htm"],
                           accept_multiple_files=True)
for message in st.session_state.pop("upload_report", []):  # kept across the rerun below
    (st.success if message.startswith("ingested") else st.warning)(message)
if uploads and st.button("Ingest uploaded files", key="ingest-uploads"):
    folder = store.workspace_dir(workspace()) / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    report = []
    for upload in uploads:
        name = ingest.safe_upload_name(upload.name)
        if name is None:
            report.append(f"{plain_md(upload.name)}: not a .txt, .md, .html or .htm file")
            continue
        target = (folder / name).resolve()
        if target.parent != folder.resolve():
            report.append(f"{plain_md(upload.name)}: refused")
            continue
        target.write_bytes(upload.getvalue())
    results = ingest.ingest_folder(conn, folder)
    report += [f"{plain_md(r.path)}: {plain_md(r.reason)}" for r in results if r.status == "skipped"]
    st.session_state["upload_report"] = report + [
        f"ingested {sum(r.status in ('new', 'changed') for r in results)} file(s)"]
    st.rerun()
