"""Compare: two documents side by side, unit by unit, with review actions."""
import streamlit as st

from workbench import compare, review, store
from workbench.anchors import numbers
from workbench.app.common import (
    band_html,
    connect,
    current_stories,
    doc_label,
    embedder,
    flags_text,
    kind_text,
    plain_md,
    reviewer,
    side_html,
)
from workbench.translate import english_of

PAGE_SIZE = 25
LOW_CONFIDENCE = 0.5

conn = connect()
st.title("Compare")
docs = store.documents(conn)
if len(docs) < 2:
    st.info("Compare needs at least two documents: ingest articles on **Corpus** first.")
    st.stop()

by_id = {d.id: d for d in docs}
stored_pairs = set(review.aligned_pairs(conn))


def oriented(a: int, b: int) -> tuple[int, int]:
    """A pair as it was aligned (source first), else as given."""
    return (b, a) if (b, a) in stored_pairs and (a, b) not in stored_pairs else (a, b)


# Two pickers, a document and what to compare it with, instead of one list of n^2/2 pairs. A CLI
# run may add documents while this page runs: offer only the documents loaded above.
in_story = [(a, b) for a, b in current_stories(conn)[1] if a in by_id and b in by_id]
params = st.query_params
wanted = None
if "src" in params and "tgt" in params and params["src"].isdigit() and params["tgt"].isdigit():
    if int(params["src"]) in by_id and int(params["tgt"]) in by_id:
        wanted = (int(params["src"]), int(params["tgt"]))


def partners(doc_id: int, pairs) -> set[int]:
    return {b for a, b in pairs if a == doc_id} | {a for a, b in pairs if b == doc_id}


firsts = sorted(by_id, key=lambda d: (not partners(d, stored_pairs), not partners(d, in_story), by_id[d].path))
pickers = st.columns(2)
first = pickers[0].selectbox("Document (aligned ones first)", firsts,
                             index=firsts.index(wanted[0]) if wanted else 0, format_func=lambda d: doc_label(by_id[d]))
aligned_with, story_of = partners(first, stored_pairs), partners(first, in_story)
seconds = sorted((d for d in by_id if d != first), key=lambda d: (
    d not in aligned_with, d not in story_of, by_id[d].lang == by_id[first].lang, by_id[d].path))


def partner_label(doc_id: int) -> str:
    mark = " (aligned)" if doc_id in aligned_with else " (same story)" if doc_id in story_of else ""
    return doc_label(by_id[doc_id]) + mark


second = pickers[1].selectbox("Compared with (aligned, then same story, then other languages first)", seconds,
                              index=seconds.index(wanted[1]) if wanted and wanted[1] in seconds else 0,
                              format_func=partner_label)
pair = oriented(first, second)
st.query_params.update(src=str(first), tgt=str(second))
src_doc, tgt_doc = by_id[pair[0]], by_id[pair[1]]

stored = review.load_pair(conn, *pair)
if stored is None:
    st.write("These two documents are not aligned yet.")
    if st.button("Align now", type="primary"):
        with st.spinner("Aligning ..."):
            compare.align_documents(conn, src_doc, tgt_doc, embedder())
        st.rerun()
    st.stop()

requested_mode = stored.signature.get("aligner", {}).get("requested_mode", "auto")
if not compare.is_current(conn, src_doc, tgt_doc, embedder(), requested_mode):
    stale = st.columns([4, 1])
    stale[0].warning("The texts or their English have changed since this pair was aligned (a new translation "
                     "model, an edited file). Align again (or run `align-all`): decisions stay on their sentences.")
    if stale[1].button("Align again", key="realign"):
        with st.spinner("Aligning ..."):
            compare.align_documents(conn, src_doc, tgt_doc, embedder(), requested_mode)
        st.rerun()

src_en, tgt_en = english_of(conn, src_doc.id), english_of(conn, tgt_doc.id)
reviewed = sum(1 for u in stored.units if u.reviewed)
st.caption(f"mode **{stored.mode}** · {len(stored.units)} units · {reviewed} reviewed · "
           f"embedder {stored.signature.get('embedder')} · "
           f"translation models: {', '.join(stored.signature.get('translation_models') or ['none'])}")
st.progress(reviewed / max(len(stored.units), 1))


def english(en: dict, ids: list[int]) -> str | None:
    parts = [en[i][0] for i in ids if i in en]
    return " ".join(parts) if parts and len(parts) == len(ids) else None


def show_sides(unit: review.ReviewUnit, left, right) -> None:
    """Both sides of a unit; numbers that disagree are marked on the side that has them."""
    src_texts = [src_doc.sentences[i].text for i in unit.src_ids]
    tgt_texts = [tgt_doc.sentences[j].text for j in unit.tgt_ids]
    src_numbers, tgt_numbers = numbers(" ".join(src_texts)), numbers(" ".join(tgt_texts))
    disagree = unit.flags and src_texts and tgt_texts
    src_marked = src_numbers - tgt_numbers if disagree else set()
    tgt_marked = tgt_numbers - src_numbers if disagree else set()
    # side_html escapes every piece of article text; the markup around it is ours
    left.markdown(side_html(src_texts, english(src_en, unit.src_ids), src_doc.lang, src_marked),
                  unsafe_allow_html=True)
    right.markdown(side_html(tgt_texts, english(tgt_en, unit.tgt_ids), tgt_doc.lang, tgt_marked),
                   unsafe_allow_html=True)


def act(action, *args) -> None:
    try:
        action(conn, stored, *args, reviewer=reviewer())
    except ValueError as error:
        st.session_state["flash"] = str(error)


def decide_focused(unit: review.ReviewUnit, status: str | None) -> None:
    """Keyboard review: decide the focused unit (or skip it) and move on to the next unreviewed."""
    if status:
        review.decide(conn, pair[0], pair[1], unit, status, reviewer=reviewer())
    st.session_state["focus"] = unit.position


def accept_above(position: int) -> None:
    current = review.aligned_pair(conn, *pair)
    count = review.accept_all_above(conn, current, position, reviewer=reviewer())
    left = len([u for u in current.units if u.position < position and not u.reviewed])
    st.session_state["flash"] = (f"Accepted {count} pair(s) above #{position}"
                                 + (f"; {left} unit(s) without a counterpart or with flags are left for you"
                                    if left else "") + ". Undo last action takes them all back.")


def undo_last() -> None:
    try:
        event = review.undo(conn, reviewer(), pair[0], pair[1])
        st.session_state["flash"] = f"Undone: {event['action']} by {event['reviewer'] or 'no name'} at {event['at']}"
    except ValueError as error:
        st.session_state["flash"] = str(error)


anonymous = not reviewer()
if anonymous:
    st.info("Enter your name under **Reviewer** in the sidebar to review: every decision records who made it.")
tools = st.columns([1, 3])
tools[0].button("Undo last action", key="undo", icon=":material/undo:", on_click=undo_last, disabled=anonymous,
                help="Take back the last decision, note, bulk accept or relink on this pair")
not_shown = [d for hidden in review.hidden_decisions(conn, stored) for d in hidden]
if not_shown:
    with tools[1].expander(f"{len(not_shown)} decision(s) not shown: their sentences changed, or the units were "
                           "aligned differently since"):
        for d in not_shown:
            st.markdown(f"**{plain_md(d['status'] or 'note')}** by {plain_md(d['reviewer'] or 'no name')} "
                        f"({plain_md(d['updated_at'])}): {plain_md(' '.join(d['src_texts']))} ↔ "
                        f"{plain_md(' '.join(d['tgt_texts']))}" + (f" — {plain_md(d['note'])}" if d["note"] else ""))

if "flash" in st.session_state:  # a toast: seen wherever the analyst has scrolled to
    st.toast(st.session_state.pop("flash"), icon=":material/info:")

focus_slot = st.container()  # filled once the page of units on screen is known

filters = st.columns(4)
low_only = filters[0].toggle("Low-confidence pairs only")
flagged_only = filters[1].toggle("Flagged only")
unreviewed_only = filters[2].toggle("Unreviewed only")
pairs_only = filters[3].toggle("Hide units without a counterpart", value=stored.mode == "comparable",
                               help="Comparable reports share few sentences: the rest are gaps")
units = [u for u in stored.units
         if (not low_only or (u.src_ids and u.tgt_ids and u.score < LOW_CONFIDENCE)) and (not flagged_only or u.flags)
         and (not unreviewed_only or not u.reviewed) and (not pairs_only or (u.src_ids and u.tgt_ids))]
pages = max(1, (len(units) + PAGE_SIZE - 1) // PAGE_SIZE)
if not 1 <= st.session_state.get("page", 1) <= pages:
    st.session_state["page"] = 1
page = st.number_input("Page", 1, pages, key="page")
on_page = units[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]

# Keyboard review of the units on this page, top to bottom: A accepts, X rejects (R is taken:
# rerun), N skips. The keys act on the unit shown in this panel, never on one off the page.
after = st.session_state.get("focus", -1)
focused = (next((u for u in on_page if u.position > after and not u.reviewed), None)
           or next((u for u in on_page if not u.reviewed), None))
with focus_slot:
    if focused is not None:
        with st.container(border=True, key="focus"):
            shape = kind_text(len(focused.src_ids), len(focused.tgt_ids))
            st.caption(f"Next unreviewed: #{focused.position} · {shape} · confidence {focused.score:.2f}"
                       + (f" · {flags_text(focused.flags)}" if focused.flags else "")
                       + " · keys: A accept, X reject, N skip")
            left, right = st.columns(2)
            show_sides(focused, left, right)
            keys = st.columns([1, 1, 1, 3])
            keys[0].button("Accept", key="focus-accept", shortcut="a", type="primary", icon=":material/check:",
                           on_click=decide_focused, args=(focused, "accepted"), disabled=anonymous)
            keys[1].button("Reject", key="focus-reject", shortcut="x", icon=":material/close:",
                           on_click=decide_focused, args=(focused, "rejected"), disabled=anonymous)
            keys[2].button("Skip", key="focus-skip", shortcut="n", icon=":material/skip_next:",
                           on_click=decide_focused, args=(focused, None))
    elif any(not u.reviewed for u in stored.units):
        st.info("Every unit on this page is reviewed: the next page has more.")
    else:
        st.success("Every unit of this pair has been reviewed.")

with st.container(key="doc-headers"):  # stays at the top while the units scroll (CSS in common)
    _, left_header, right_header, _ = st.columns([0.5, 4.5, 4.5, 3])
    left_header.markdown(f"**{plain_md(doc_label(src_doc))}**")
    right_header.markdown(f"**{plain_md(doc_label(tgt_doc))}**")

for unit in on_page:
    with st.container(border=True, key=f"unit-{unit.position}"):
        band, left, right, actions = st.columns([0.5, 4.5, 4.5, 3])
        band.markdown(band_html(unit.score), unsafe_allow_html=True)  # a number and a colour only
        show_sides(unit, left, right)
        status = {"": "unreviewed", "edited": "relinked, not yet accepted"}.get(unit.status, unit.status)
        actions.caption(f"#{unit.position} · {kind_text(len(unit.src_ids), len(unit.tgt_ids))} · **{status}**"
                        + (f" · {flags_text(unit.flags)}" if unit.flags else ""))
        buttons = actions.columns(2)
        buttons[0].button("Accept", key=f"accept-{unit.position}", icon=":material/check:",
                          on_click=review.decide, args=(conn, pair[0], pair[1], unit, "accepted"),
                          kwargs={"reviewer": reviewer()}, disabled=anonymous)
        buttons[1].button("Reject", key=f"reject-{unit.position}", icon=":material/close:",
                          on_click=review.decide, args=(conn, pair[0], pair[1], unit, "rejected"),
                          kwargs={"reviewer": reviewer()}, disabled=anonymous)
        with actions.popover("Relink · note", icon=":material/edit:"):
            note = st.text_input("Note", value=unit.note, key=f"note-{unit.position}")
            if st.button("Save note", key=f"save-note-{unit.position}", disabled=anonymous):
                review.decide(conn, pair[0], pair[1], unit, note=note, reviewer=reviewer())
                st.rerun()
            if unit.status:
                st.button("Back to unreviewed", key=f"reset-{unit.position}", disabled=anonymous,
                          on_click=review.decide, args=(conn, pair[0], pair[1], unit, ""),
                          kwargs={"reviewer": reviewer()})
            st.button("Merge with next unit", key=f"merge-{unit.position}", disabled=anonymous,
                      on_click=act, args=(review.merge_with_next, unit.position))
            if len(unit.src_ids) + len(unit.tgt_ids) > 1:  # only what can apply is offered
                st.button("Split (undoes a merge; else one unit per sentence)", key=f"split-{unit.position}",
                          disabled=anonymous, on_click=act, args=(review.split, unit.position))
            for side, name in (("src", "left"), ("tgt", "right")):
                if not getattr(unit, f"{side}_ids"):
                    continue
                if unit.position > 0:
                    st.button(f"Move first {name} sentence up", key=f"up-{side}-{unit.position}", disabled=anonymous,
                              on_click=act, args=(review.move_sentence, unit.position, side, -1))
                if unit.position < len(stored.units) - 1:
                    st.button(f"Move last {name} sentence down", key=f"down-{side}-{unit.position}",
                              disabled=anonymous, on_click=act, args=(review.move_sentence, unit.position, side, 1))
            st.button("Accept the unflagged pairs above", key=f"above-{unit.position}", disabled=anonymous,
                      on_click=accept_above, args=(unit.position,),
                      help="Units without a counterpart and flagged units are left for you to look at")

if not units:
    st.write("No unit matches the filters.")
