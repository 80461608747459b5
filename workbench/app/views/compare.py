"""Compare: two documents side by side, unit by unit, with review actions."""
from contextlib import closing

import streamlit as st

from workbench import compare, review, store
from workbench.app.common import connect, current_stories, embedder, plain_md, reviewer
from workbench.app.grid import apply_action, grid_headers, grid_rows, review_grid
from workbench.visible import printable

LOW_CONFIDENCE = 0.5

conn = connect()
st.title("Compare")
listing = {r["id"]: r for r in store.document_summaries(conn)}  # ids, labels, languages: no texts
if len(listing) < 2:
    st.info("Compare needs at least two documents: ingest articles on **Corpus** first.")
    st.stop()

progress = {(r["src_doc"], r["tgt_doc"]): r for r in store.pair_progress(conn)}
aligned_with: dict[int, set[int]] = {}
for a, b in progress:
    aligned_with.setdefault(a, set()).add(b)
    aligned_with.setdefault(b, set()).add(a)
story_of, _ = current_stories(conn)


def label(doc_id: int) -> str:
    return printable(f"{listing[doc_id]['path']} ({listing[doc_id]['lang']})")


def oriented(a: int, b: int) -> tuple[int, int]:
    """A pair as it was aligned (source first), else as given."""
    return (b, a) if (b, a) in progress and (a, b) not in progress else (a, b)


# Two pickers (type to search), a document and what to compare it with, instead of one list of
# n^2/2 pairs; narrowed by story and language. Everything here is read from the tables: it stays
# quick with a thousand documents.
params = st.query_params
wanted = None
if "src" in params and "tgt" in params and params["src"].isdigit() and params["tgt"].isdigit():
    if int(params["src"]) in listing and int(params["tgt"]) in listing:
        wanted = (int(params["src"]), int(params["tgt"]))
narrow = st.columns([2, 2, 3])
stories_offered: list[int | None] = [None, *sorted(set(story_of.values()))]
story = narrow[0].selectbox("Story", stories_offered, format_func=lambda s: "all documents" if s is None else
                            f"story {s} ({sum(1 for v in story_of.values() if v == s)} documents)",
                            index=stories_offered.index(story_of.get(wanted[0])) if wanted else 0)
languages = narrow[1].multiselect("Languages", sorted({r["lang"] for r in listing.values()}),
                                  help="Documents in these languages (all when empty)")
shown = [d for d in listing if (story is None or story_of.get(d) == story)
         and (not languages or listing[d]["lang"] in languages or (wanted and d in wanted))]
firsts = sorted(shown, key=lambda d: (d not in aligned_with, d not in story_of, listing[d]["path"]))
if len(firsts) < 2:
    st.info("Fewer than two documents match: widen the story or language filter.")
    st.stop()


def progress_text(a: int, b: int) -> str:
    row = progress.get((a, b)) or progress.get((b, a))
    if row is None:
        return " (same story)" if story_of.get(a) is not None and story_of.get(a) == story_of.get(b) else ""
    return f" (aligned · {row['decided']}/{row['units']} decided · {row['flagged']} flagged)"


pickers = st.columns(2)
first = pickers[0].selectbox("Document (aligned ones first; type to search)", firsts, format_func=label,
                             index=firsts.index(wanted[0]) if wanted and wanted[0] in firsts else 0)
seconds = sorted((d for d in shown if d != first), key=lambda d: (
    d not in aligned_with.get(first, ()), story_of.get(d) is None or story_of.get(d) != story_of.get(first),
    listing[d]["lang"] == listing[first]["lang"], listing[d]["path"]))
second = pickers[1].selectbox("Compared with (aligned, then same story, then other languages first)", seconds,
                              index=seconds.index(wanted[1]) if wanted and wanted[1] in seconds else 0,
                              format_func=lambda d: label(d) + progress_text(first, d))
pair = oriented(first, second)
if wanted != (first, second) and "unit" in st.query_params:
    del st.query_params["unit"]  # a link's unit belongs to the pair it named
st.query_params.update(src=str(first), tgt=str(second))


def open_next_flagged() -> None:
    """Go to the next aligned pair (in the order of the list) with a flagged unit not yet decided."""
    order = sorted(progress, key=lambda p: (listing[p[0]]["path"], listing[p[1]]["path"]))
    start = order.index(pair) + 1 if pair in order else 0
    for a, b in order[start:] + order[:start]:
        if (a, b) == pair or not progress[(a, b)]["flagged"]:
            continue
        candidate = review.load_pair(conn, a, b)
        if candidate and any(u.flags and not u.reviewed for u in candidate.units):
            st.query_params.update(src=str(a), tgt=str(b))
            return
    st.session_state["flash"] = "No other pair has flagged units left to review."


narrow[2].button("Next pair with unreviewed flagged units", on_click=open_next_flagged,
                 help="In the order of the pair list on Corpus")
src_doc, tgt_doc = store.document(conn, pair[0]), store.document(conn, pair[1])
assert src_doc is not None and tgt_doc is not None  # listed above, in this run
stored = review.load_pair(conn, *pair)
if stored is None:
    st.write("These two documents are not aligned yet.")
    if st.button("Align now", type="primary"):
        with st.spinner("Aligning ..."):
            compare.align_documents(conn, src_doc, tgt_doc, embedder())
        st.rerun()
    st.stop()

requested_mode = stored.signature.get("aligner", {}).get("requested_mode", "auto")
params_used = compare.aligned_with(stored.signature)
if not compare.is_current(conn, src_doc, tgt_doc, embedder(), requested_mode, params_used):
    stale = st.columns([4, 1])
    stale[0].warning("The texts, their English or the aligner have changed since this pair was aligned (a new "
                     "translation model, an edited file, an upgrade). Align again (or run `align-all`): decisions "
                     "stay on their sentences.")
    if stale[1].button("Align again", key="realign"):
        with st.spinner("Aligning ..."):
            compare.align_documents(conn, src_doc, tgt_doc, embedder(), requested_mode, params_used)
        st.rerun()

src_en, tgt_en = store.english_of(conn, src_doc.id), store.english_of(conn, tgt_doc.id)
src_mt, tgt_mt = store.translation_flags(conn, src_doc.id), store.translation_flags(conn, tgt_doc.id)
reviewed = sum(1 for u in stored.units if u.reviewed)
flagged = sum(1 for u in stored.units if u.flags)
st.caption(f"mode **{stored.mode}** · {len(stored.units)} units · {reviewed} reviewed · {flagged} flagged · "
           f"embedder {stored.signature.get('embedder')} · "
           f"translation models: {', '.join(stored.signature.get('translation_models') or ['none'])}"
           + (f" · dictionary {dictionary}" if (dictionary := stored.signature.get("aligner", {}).get("dictionary"))
              else ""))
st.progress(reviewed / max(len(stored.units), 1))

PAIR_ID = f"{pair[0]}-{pair[1]}"


def apply_grid_actions() -> None:
    """The grid's actions not applied yet, in order (each carries its id: see grid.py).

    Streamlit can run this callback on two threads at once, each with the session's acknowledged
    id as it stood (seen in the browser tests: a burst of the page's messages reruns the script
    while the previous run is still in its callbacks). So each call writes through a connection
    of its own: the workspace's write lock orders them, and the later one finds the requests
    the other applied already recorded."""
    done = st.session_state.get("grid-done", 0)
    with closing(connect()) as own:
        for action in st.session_state["grid"]["action"] or []:
            if action["id"] <= done or action.get("pair") != PAIR_ID:
                continue
            done = action["id"]
            try:
                message, moved = apply_action(own, pair, action, reviewer())
                st.session_state.pop("grid-error", None)
            except ValueError as error:
                st.session_state["grid-error"] = {"position": action["position"], "message": str(error)}
                continue
            if message:
                st.session_state["flash"] = message
            if moved is not None:
                st.session_state["grid-moved"] = {"position": moved, "token": action["id"]}
    st.session_state["grid-done"] = max(done, st.session_state.get("grid-done", 0))


anonymous = not reviewer()
if anonymous:
    st.info("Enter your name under **Reviewer** in the sidebar to review: every decision records who made it.")
not_shown = [d for hidden in review.hidden_decisions(conn, stored) for d in hidden]
if not_shown:
    with st.expander(f"{len(not_shown)} decision(s) not shown: their sentences changed, or the units were "
                     "aligned differently since"):
        for d in not_shown:
            st.markdown(f"**{plain_md(d['status'] or 'note')}** by {plain_md(d['reviewer'] or 'no name')} "
                        f"({plain_md(d['updated_at'])}): {plain_md(' '.join(d['src_texts']))} ↔ "
                        f"{plain_md(' '.join(d['tgt_texts']))}" + (f" — {plain_md(d['note'])}" if d["note"] else ""))

if "flash" in st.session_state:  # a toast: seen wherever the analyst has scrolled to
    st.toast(st.session_state.pop("flash"), icon=":material/info:")

filters = st.columns(5)
pairs_only = filters[0].toggle("Pairs only", value=stored.mode == "comparable",
                               help="Hide the sentences without a counterpart (comparable reports share few "
                                    "sentences: the rest are gaps)")
unreviewed_only = filters[1].toggle("Unreviewed only")
flagged_only = filters[2].toggle("Flagged only")
low_only = filters[3].toggle("Low confidence", help=f"Only pairs below {LOW_CONFIDENCE}; gaps are not pairs")
mt_only = filters[4].toggle("Doubtful English",
                            help="Units whose machine English carries a quality flag: meaning may differ from the "
                                 "original, not translated, or garbled (hover the mark for the reason)")
units = [u for u in stored.units
         if (not low_only or (u.src_ids and u.tgt_ids and u.score < LOW_CONFIDENCE)) and (not flagged_only or u.flags)
         and (not mt_only or any(i in src_mt for i in u.src_ids) or any(j in tgt_mt for j in u.tgt_ids))
         and (not unreviewed_only or not u.reviewed) and (not pairs_only or (u.src_ids and u.tgt_ids))]
first_open = next((u.position for u in units if not u.reviewed), units[0].position if units else 0)
if params.get("unit", "").isdigit():  # a link to one unit (from Facts, Search): the cursor starts there
    first_open = int(params["unit"])
review_grid(key="grid", pair_id=PAIR_ID, rows=grid_rows(stored, units, src_doc, tgt_doc, src_en, tgt_en, src_mt, tgt_mt),
            headers=grid_headers(src_doc, tgt_doc, src_en, tgt_en), last_position=len(stored.units) - 1, start=first_open,
            enabled=not anonymous, can_undo=bool(store.review_events(conn, *pair, undoable=True, limit=1)),
            acked=st.session_state.get("grid-done", 0), error=st.session_state.get("grid-error"),
            moved=st.session_state.get("grid-moved"), on_action=apply_grid_actions)
if stored.units and all(u.reviewed for u in stored.units):
    st.success("Every unit of this pair has been reviewed.")
