// The review grid of Compare: one row per aligned unit, a cursor moved from the keyboard, and
// actions sent to Python as trigger values ({op, position, ...}); Python writes the decision and
// sends the grid its new rows. Article text only ever enters the page as text nodes
// (textContent), never as HTML.

const KEYS = {
  j: "down", ArrowDown: "down", k: "up", ArrowUp: "up", n: "next",
  a: "accept", x: "reject", u: "reset", m: "merge", s: "split", z: "undo", e: "note",
  Enter: "expand", "[": "src-up", "]": "src-down", "{": "tgt-up", "}": "tgt-down",
};
const DECIDE = { accept: "accepted", reject: "rejected", reset: "" };
const ACTION_LABELS = [
  ["accept", "Accept", "A"], ["reject", "Reject", "X"], ["reset", "Unreviewed", "U"],
  ["merge", "Merge with next", "M"], ["split", "Split", "S"], ["note", "Note", "E"],
  ["src-up", "Left ↑", "["], ["src-down", "Left ↓", "]"], ["tgt-up", "Right ↑", "{"], ["tgt-down", "Right ↓", "}"],
  ["undo", "Undo", "Z"], ["above", "Accept unflagged above", ""],
];

const TIPS = {
  reset: "back to unreviewed", merge: "join this unit and the next one into one unit",
  split: "undo a merge; else one unit per sentence, each without a counterpart",
  "src-up": "move this unit's first left sentence into the unit above",
  "src-down": "move this unit's last left sentence into the unit below",
  "tgt-up": "move this unit's first right sentence into the unit above",
  "tgt-down": "move this unit's last right sentence into the unit below",
  undo: "take back the last decision, note, bulk accept or relink on this pair",
  above: "accept the unreviewed pairs above the cursor that carry no flag (asks first)",
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Segments are [text, kind]: "" plain, "mark" a number the other side lacks, "hidden" an
// invisible character shown as its escape (Python decides which is which).
function segmentsNode(tag, className, segments, lang, dir) {
  const node = el(tag, className);
  node.lang = lang;
  node.dir = dir;
  for (const [text, kind] of segments) {
    if (kind === "mark") node.appendChild(el("mark", "diff", text));
    else if (kind === "hidden") {
      const code = el("code", "hidden", text);
      code.title = "hidden character";
      node.appendChild(code);
    } else node.appendChild(document.createTextNode(text));
  }
  return node;
}

function sideNode(side, header) {
  const cell = el("div", "side");
  if (!side) {
    cell.classList.add("empty");
    cell.appendChild(el("span", "gap-text", "no counterpart"));
    return cell;
  }
  cell.appendChild(segmentsNode("div", "orig", side.text, header.lang, header.dir));
  if (side.english) {
    const en = segmentsNode("div", "en", side.english, "en", "ltr");
    for (const flag of side.mt_flags || []) {  // the machine English's quality flags, reason on hover
      const mark = el("span", "mt-flag", `⚠ ${flag.words}`);
      mark.title = flag.reason;
      en.prepend(mark);
    }
    if (side.english_is_original) {
      en.classList.add("same");
      en.prepend(el("span", "same-mark", "= original "));
    }
    cell.appendChild(en);
  } else if (header.translated) cell.appendChild(el("div", "en none", "no English yet"));
  return cell;
}

// Runs of two or more undecided units without a counterpart collapse into one row until
// expanded; a decided gap keeps its own row, so a decision is never hidden inside a run.
const collapsible = (row) => row.gap && !row.status;

function visibleItems(rows, expanded) {
  const items = [];
  let i = 0;
  while (i < rows.length) {
    let j = i;
    while (j < rows.length && collapsible(rows[j])) j++;
    if (j - i >= 2 && !expanded.has(rows[i].position)) {
      items.push({ run: rows.slice(i, j), position: rows[i].position });
      i = j;
    } else if (j > i) {
      for (; i < j; i++) items.push({ row: rows[i], position: rows[i].position });
    } else {
      items.push({ row: rows[i], position: rows[i].position });
      i++;
    }
  }
  return items;
}

function rowNode(item, data, state) {
  const row = el("div", "row");
  row.dataset.position = item.position;
  row.setAttribute("role", "row");
  if (item.run) {
    const left = item.run.filter((r) => r.left).length;
    const right = item.run.length - left;
    row.classList.add("run");
    row.appendChild(el("div", "band gap", `${item.run.length}`));
    const text = el("div", "run-text",
      `${item.run.length} units without a counterpart (#${item.run[0].position}–#${item.run[item.run.length - 1].position}: ` +
      `${left} left only, ${right} right only) · Enter or click to expand`);
    row.appendChild(text);
    return row;
  }
  const unit = item.row;
  row.classList.add(`status-${unit.status || "unreviewed"}`);
  if (unit.gap) row.classList.add("gap-row");
  const band = el("div", `band ${unit.band}`, unit.gap ? "gap" : unit.score.toFixed(2));
  band.title = unit.gap ? "a sentence without a counterpart on the other side" : `confidence ${unit.score.toFixed(2)}`;
  row.appendChild(band);
  row.appendChild(sideNode(unit.left, data.headers.left));
  row.appendChild(sideNode(unit.right, data.headers.right));
  const meta = el("div", "meta");
  const status = el("span", "status", { accepted: "✓ accepted", rejected: "✗ rejected", edited: "✎ relinked" }[unit.status] || "· unreviewed");
  meta.appendChild(status);
  meta.appendChild(el("span", "shape", `#${unit.position} · ${unit.shape}`));
  for (const [word, tip] of unit.flags) {
    const flag = el("span", "flag", word);
    flag.title = tip;
    meta.appendChild(flag);
  }
  if (unit.note) {
    const note = el("span", "note", `note: ${unit.note}`);
    meta.appendChild(note);
  }
  if (unit.reviewer) meta.title = `by ${unit.reviewer}, ${unit.updated_at}`;
  row.appendChild(meta);
  if (state.error && state.error.position === unit.position) {
    row.appendChild(el("div", "row-error", state.error.message));
  }
  return row;
}

function allowed(op, item, data) {
  if (!data.enabled && op !== "expand") return false;
  if (op === "undo") return data.can_undo;
  if (!item) return false;
  if (item.run) return op === "expand";
  const unit = item.row;
  switch (op) {
    case "accept": return unit.status !== "accepted";
    case "reject": return unit.status !== "rejected";
    case "reset": return unit.status !== "";
    case "merge": return unit.position < data.last_position;
    case "split": return unit.can_split;
    case "note": return true;
    case "src-up": case "tgt-up": return unit.position > 0 && unit[op.startsWith("src") ? "left" : "right"] !== null;
    case "src-down": case "tgt-down": return unit.position < data.last_position && unit[op.startsWith("src") ? "left" : "right"] !== null;
    case "above": return unit.above > 0;
    default: return false;
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let root = parentElement.querySelector(".grid");
  if (!root) {
    root = el("div", "grid");
    root.tabIndex = 0;
    // ``page`` names this page's requests in the workspace (with each one's ``id``), so one sent
    // again after its acknowledgement was lost is not applied twice (grid.py: apply_action)
    root.state = { cursor: null, expanded: new Set(), pair: null, confirm: false, error: null,
      page: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}` };
    parentElement.appendChild(root);
  }
  const state = root.state;
  if (state.pair !== data.pair) {  // another pair: start at its first unreviewed unit
    Object.assign(state, { pair: data.pair, cursor: data.start, expanded: new Set(), confirm: false, scroll: true });
    const run = data.rows.findIndex((r) => r.position === data.start);  // a linked unit inside a run of gaps: shown
    if (run >= 0 && collapsible(data.rows[run])) {
      let first = run;
      while (first > 0 && collapsible(data.rows[first - 1])) first--;
      state.expanded.add(data.rows[first].position);
    }
  }
  if (data.moved && data.moved.token !== state.movedToken) {  // Python placed it (after a relink, an undo)
    state.cursor = data.moved.position;
    state.movedToken = data.moved.token;
    state.scroll = true;
  }
  // Actions wait in ``pending`` until Python acknowledges them: each trigger carries every
  // unacknowledged one, so two keys pressed within one rerun are both applied, and none twice.
  state.pending = (state.pending || []).filter((a) => a.id > data.acked);
  // ... and a decision not acknowledged yet stays shown over rows Python sent before it had it: else
  // a rerun for an earlier key shows the row unreviewed again, so "U" pressed next is refused as a
  // no-op and the decision stands, and a row's gap run forms and dissolves under the cursor.
  for (const action of state.pending) {
    if (action.op !== "decide" || action.pair !== data.pair) continue;
    const row = data.rows.find((r) => r.position === action.position
      && String(r.src_ids) === String(action.src_ids) && String(r.tgt_ids) === String(action.tgt_ids));
    if (row) row.status = action.status;
  }
  state.error = data.error;
  let items = visibleItems(data.rows, state.expanded);
  const index = () => {
    const found = items.findIndex((it) => it.position === state.cursor
      || (it.run && it.run.some((r) => r.position === state.cursor)));
    return found >= 0 ? found : items.findIndex((it) => it.position > state.cursor) >= 0
      ? items.findIndex((it) => it.position > state.cursor) : items.length - 1;
  };

  function send(op, extra) {  // the caller has checked that ``op`` applies to the cursor row
    const item = items[index()];
    state.seq = Math.max(Date.now(), (state.seq || 0) + 1);
    const unit = item && item.row ? { src_ids: item.row.src_ids, tgt_ids: item.row.tgt_ids } : {};
    state.pending.push({ id: state.seq, page: state.page, pair: data.pair, op, position: item ? item.position : null, ...unit, ...extra });
    setTriggerValue("action", state.pending.slice());
  }

  function render() {
    items = visibleItems(data.rows, state.expanded);
    root.replaceChildren();
    const header = el("div", "header");
    header.appendChild(el("div", "band-head", "conf."));
    for (const side of ["left", "right"]) {
      const h = data.headers[side];
      const cell = el("div", "doc", h.translated || h.lang === "en" ? h.label : `${h.label} · no English yet`);
      cell.title = h.label;
      header.appendChild(cell);
    }
    header.appendChild(el("div", "meta-head", "status · shape · flags"));
    root.appendChild(header);
    const at = index();
    const toolbar = el("div", "toolbar");
    for (const [op, label, key] of ACTION_LABELS) {
      if (op === "above" && state.confirm) continue;
      const button = el("button", `act act-${op}`, key ? `${label} (${key})` : label);
      button.type = "button";
      button.title = TIPS[op] || "";
      button.disabled = !allowed(op, items[at], data);
      if (op === "above" && items[at] && items[at].row) button.textContent = `Accept ${items[at].row.above} unflagged pair(s) above`;
      button.onclick = () => (op === "above" ? (state.confirm = true, render()) : act(op));
      toolbar.appendChild(button);
    }
    if (state.confirm && items[at] && items[at].row) {
      const ask = el("span", "confirm", `Accept ${items[at].row.above} pair(s) above #${items[at].position}? Gaps and flagged units are skipped. `);
      const yes = el("button", "act act-confirm", "Yes, accept");
      yes.type = "button";
      yes.onclick = () => { state.confirm = false; if (allowed("above", items[index()], data)) send("above"); };
      const no = el("button", "act", "Cancel");
      no.type = "button";
      no.onclick = () => { state.confirm = false; render(); };
      ask.append(yes, no);
      toolbar.appendChild(ask);
    }
    if (!data.enabled) toolbar.appendChild(el("span", "hint", "Enter your name under Reviewer (sidebar) to review."));
    else toolbar.appendChild(el("span", "hint", "J/K or ↓/↑ move · N next unreviewed · Enter expands a run of gaps"));
    root.appendChild(toolbar);
    const body = el("div", "body");
    items.forEach((item, i) => {
      const row = rowNode(item, data, state);
      if (i === at) row.classList.add("cursor");
      row.onclick = (event) => {
        if (event.target.closest("input, textarea, button")) return;
        state.cursor = item.position;
        state.confirm = false;
        if (item.run) state.expanded.add(item.position);
        render();
      };
      if (i === at && state.noting) {
        const form = el("div", "note-form");
        const input = el("input", "note-input");
        input.value = item.row ? item.row.note : "";
        input.placeholder = "note on this unit; Enter saves, Escape cancels";
        input.onkeydown = (event) => {
          event.stopPropagation();
          if (event.key === "Enter") { state.noting = false; if (allowed("note", items[index()], data)) send("note", { note: input.value }); }
          if (event.key === "Escape") { state.noting = false; render(); }
        };
        form.appendChild(input);
        row.appendChild(form);
        setTimeout(() => input.focus(), 0);
      }
      body.appendChild(row);
    });
    if (!items.length) body.appendChild(el("div", "empty-view", "No unit matches the filters."));
    root.appendChild(body);
    const cursorRow = body.querySelector(".cursor");
    if (cursorRow && state.scroll) cursorRow.scrollIntoView({ block: "nearest" });
    state.scroll = false;
  }

  function move(step) {
    const at = index();
    const next = Math.max(0, Math.min(items.length - 1, at + step));
    if (items[next]) state.cursor = items[next].position;
    state.confirm = false;
    state.scroll = true;
    render();
  }

  function act(op) {
    const item = items[index()];
    if (op === "down") return move(1);
    if (op === "up") return move(-1);
    if (op === "next") {
      const at = index();
      const next = items.findIndex((it, i) => i > at && it.row && !["accepted", "rejected"].includes(it.row.status));
      if (next >= 0) { state.cursor = items[next].position; state.scroll = true; render(); }
      return;
    }
    if (op === "expand") {
      if (item && item.run) { state.expanded.add(item.position); render(); }
      return;
    }
    if (op === "note") {
      if (allowed(op, item, data)) { state.noting = true; render(); }
      return;
    }
    if (!allowed(op, item, data)) return;
    if (op in DECIDE) {
      send("decide", { status: DECIDE[op] });
      item.row.status = DECIDE[op];  // shown at once; Python's rows follow
      move(1);  // on to the next row while Python writes the decision
      return;
    }
    send(op);
  }

  const onKey = (event) => {
    const target = event.composedPath()[0];
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    const op = KEYS[event.key] || KEYS[event.key.toLowerCase()];
    if (!op || !root.isConnected) return;
    event.preventDefault();
    event.stopPropagation();
    act(op);
  };
  if (root.onKey) document.removeEventListener("keydown", root.onKey, true);
  root.onKey = onKey;
  document.addEventListener("keydown", onKey, true);
  render();
  return () => document.removeEventListener("keydown", onKey, true);
}
