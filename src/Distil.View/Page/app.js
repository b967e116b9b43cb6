// The Distil view's page. Rule: every text that came from a run (model answers, prompts, column values, step names)
// reaches the page through textContent or a text node, never as markup; nothing is fetched but this server's /api.
"use strict";

const FLAGS = [["failed", "Failed"], ["unreadable", "Unreadable"], ["reasked", "Re-asked"], ["rule-broken", "Rule broken"], ["tools", "Tool calls"]];
const META_KEY = /^(raw_output|raw_outputs|raw_input|statistics|error|output_error|reasks|repairs|tool_trajectory)_/;
const POLL_MS = 1500;
const PAGE_SIZE = 50;

const view = {
  run: null,
  step: null,
  // Whether the person picked the step: until then the page follows the step that has rows (a run's first commits).
  chosen: false,
  columns: [],
  query: { q: "", flags: new Set(), eq: [], range: [], sort: "", desc: false, offset: 0 },
  page: null,
  selected: null,
  lastSeq: {},
  loading: false,
};

const $ = id => document.getElementById(id);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("data-")) node.setAttribute(name, String(value));
    else if (name === "text") node.textContent = String(value);
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ cache: "no-store" }, options || {}));
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function number(value) {
  return value === undefined || value === null ? "" : Number(value).toLocaleString("en-US");
}

function dollars(value) {
  if (value === undefined || value === null) return "";
  return "$" + Number(value).toFixed(value < 1 ? 4 : 2);
}

// ---- The pipeline, polled ----

async function pollRun() {
  try {
    const run = await api("/api/run");
    view.run = run;
    renderRun(run);
    const fallback = run.steps.length ? defaultStep(run) : null;
    if (fallback && !view.chosen && fallback !== view.step) selectStep(fallback);
    else renderTabs(run);
    const current = run.steps.find(s => s.name === view.step);
    const seq = current ? `${current.rows}:${current.last_seq}` : "";
    if (current && view.lastSeq[view.step] !== seq) {
      view.lastSeq[view.step] = seq;
      await loadRows({ keepSelection: true });
    }
  } catch (error) {
    $("live").textContent = "view offline: " + error.message;
    $("live").className = "badge offline";
  } finally {
    setTimeout(pollRun, POLL_MS);
  }
}

// The last step that has rows (what the pipeline makes); before any, the last task (the one whose rows will come).
function defaultStep(run) {
  const withRows = run.steps.filter(s => s.rows > 0);
  if (withRows.length) return withRows[withRows.length - 1].name;
  const tasks = run.steps.filter(s => s.kind === "task");
  return (tasks.length ? tasks[tasks.length - 1] : run.steps[run.steps.length - 1]).name;
}

function stepRow(step, ...progress) {
  return el("tr", { "data-step": step.name },
    el("td", { text: step.name }),
    el("td", { text: step.kind || "" }),
    el("td", { class: "progress" }, ...progress),
    el("td", { "data-stat": "rows", text: number(step.rows || 0) }),
    el("td", { "data-stat": "calls", text: number(step.calls) }),
    el("td", { "data-stat": "failed", text: number(step.failed_calls) }),
    el("td", { "data-stat": "unparsed", text: number(step.unparsed) }),
    el("td", { "data-stat": "rejected", text: number(step.rejected) }),
    el("td", { "data-stat": "retries", text: number(step.retries) }),
    el("td", { "data-stat": "input-tokens", text: number(step.input_tokens) }),
    el("td", { "data-stat": "output-tokens", text: number(step.output_tokens) }),
    el("td", { "data-stat": "cost", text: dollars(step.cost) }));
}

function renderRun(run) {
  $("run-name").textContent = run.pipeline || "";
  $("run-dir").textContent = run.directory;
  const live = $("live");
  live.textContent = run.runs === 0 ? "waiting for a run" : run.running ? "running" : (run.outcome || "");
  live.className = "badge " + (run.running ? "running" : "done");
  live.dataset.outcome = run.outcome || "";
  const body = $("steps").tBodies[0];
  body.replaceChildren(...run.steps.map(step => {
    const expected = step.parents.reduce((sum, parent) => {
      const p = run.steps.find(s => s.name === parent);
      return sum + (p && p.rows ? p.rows : 0);
    }, 0);
    const done = step.committed_inputs || 0;
    // A write step stores no rows: what it wrote is in its file, not in the run store.
    if (step.kind === "write") return stepRow(step, el("span", { class: "muted", text: "writes a file" }));
    const share = expected > 0 ? Math.min(1, done / expected) : (done > 0 ? 1 : 0);
    const bar = el("div", { class: "bar", title: expected > 0 ? `${number(done)} of ${number(expected)} input rows` : `${number(done)} rows` },
      el("span", { style: null }));
    bar.firstChild.style.width = (share * 100).toFixed(1) + "%";
    return stepRow(step, bar, el("span", { "data-stat": "progress", text: expected > 0 ? `${number(done)} / ${number(expected)}` : number(done) }));
  }));
  const t = run.totals;
  $("totals").replaceChildren(el("th", { text: "Total" }), el("td"), el("td", { text: run.elapsed_s ? `${run.elapsed_s.toFixed(0)} s` : "" }), el("td"),
    el("td", { text: number(t.calls) }), el("td", { text: number(t.failed_calls) }), el("td", { text: number(t.unparsed) }),
    el("td", { text: number(t.rejected) }), el("td", { text: number(t.retries) }), el("td", { text: number(t.input_tokens) }),
    el("td", { text: number(t.output_tokens) }), el("td", { "data-stat": "total-cost", text: run.priced ? dollars(t.cost) : "(no prices)" }));
}

function renderTabs(run) {
  $("step-tabs").replaceChildren(...run.steps.map(step => {
    const button = el("button", { type: "button", "data-step": step.name, class: step.name === view.step ? "active" : "" }, step.name, " ", el("small", { text: number(step.rows || 0) }));
    button.addEventListener("click", () => { view.chosen = true; selectStep(step.name); });
    return button;
  }));
}

function selectStep(name) {
  view.step = name;
  view.query = { q: "", flags: new Set(), eq: [], range: [], sort: "", desc: false, offset: 0 };
  view.selected = null;
  $("search").value = "";
  $("detail").hidden = true;
  for (const box of document.querySelectorAll("#flags input")) box.checked = false;
  $("desc").checked = false;
  if (view.run) renderTabs(view.run);
  loadRows({ keepSelection: false });
}

// ---- Rows ----

function rowsAddress() {
  const q = view.query;
  const parameters = new URLSearchParams();
  parameters.set("step", view.step);
  if (q.q) parameters.set("q", q.q);
  if (q.flags.size) parameters.set("flags", [...q.flags].join(","));
  for (const [column, value] of q.eq) parameters.append("eq", `${column}=${value}`);
  for (const [column, min, max] of q.range) parameters.append("range", `${column}=${min ?? ""}..${max ?? ""}`);
  if (q.sort) parameters.set("sort", q.sort);
  if (q.desc) parameters.set("desc", "1");
  parameters.set("offset", String(q.offset));
  parameters.set("limit", String(PAGE_SIZE));
  return "/api/rows?" + parameters.toString();
}

async function loadRows() {
  if (!view.step) return;
  const address = rowsAddress();
  try {
    const page = await api(address);
    if (address !== rowsAddress()) return; // a newer query was asked meanwhile
    view.page = page;
    view.columns = page.columns;
    renderColumns(page.columns);
    renderRows(page);
  } catch (error) {
    $("status").textContent = error.message;
    $("status").className = "error";
  }
}

function renderColumns(columns) {
  const filter = $("filter-column");
  const sort = $("sort");
  const names = columns.map(c => c.name).join("\u0000");
  if (filter.dataset.names === names) return;
  filter.dataset.names = names;
  const chosen = filter.value;
  filter.replaceChildren(...columns.filter(c => c.kind !== "list" && c.kind !== "record").map(c => el("option", { value: c.name, "data-kind": c.kind || "", text: c.name })));
  if (chosen) filter.value = chosen;
  const chosenSort = sort.value;
  sort.replaceChildren(el("option", { value: "", text: "commit order" }), el("option", { value: "key", text: "row key" }),
    ...columns.filter(c => c.kind !== "list" && c.kind !== "record").map(c => el("option", { value: c.name, text: c.name })));
  sort.value = chosenSort;
  updateFilterInputs();
}

function updateFilterInputs() {
  const option = $("filter-column").selectedOptions[0];
  const numeric = option && option.dataset.kind === "number";
  $("filter-value").hidden = numeric;
  $("filter-min").hidden = !numeric;
  $("filter-max").hidden = !numeric;
}

function renderRows(page) {
  const status = $("status");
  status.className = "";
  status.textContent = `${number(page.total)} ${page.total === 1 ? "row" : "rows"}` + (filtered() ? " match" : "");
  status.dataset.total = String(page.total);
  const head = $("rows").tHead;
  head.replaceChildren(el("tr", {}, el("th", { text: "key" }), el("th", { text: "status" }), el("th", { text: "review" }), ...page.columns.map(c => el("th", { "data-column": c.name, text: c.name }))));
  const body = $("rows").tBodies[0];
  body.replaceChildren(...page.rows.map(row => {
    const tr = el("tr", { "data-key": row.key, "data-flags": row.flags.join(" "), "data-review": row.review && row.review.verdict || "", class: row.key === view.selected ? "selected" : "" },
      el("td", { class: "key", text: row.key }),
      el("td", { class: "flags" }, ...row.flags.map(f => el("span", { class: "flag " + f, text: f }))),
      el("td", { class: "review" }, row.review && row.review.verdict ? el("span", { class: "verdict " + row.review.verdict, text: row.review.verdict }) : null,
        row.review && row.review.note ? el("span", { class: "has-note", title: row.review.note, text: "note" }) : null),
      ...page.columns.map(c => el("td", { "data-column": c.name, class: "cell " + (c.kind || ""), text: cellText(row.cells[c.name]) })));
    tr.addEventListener("click", () => openRow(row.key));
    return tr;
  }));
  const from = page.total ? view.query.offset + 1 : 0;
  $("page-info").textContent = `${number(from)}–${number(view.query.offset + page.rows.length)} of ${number(page.total)}`;
  $("prev").disabled = view.query.offset === 0;
  $("next").disabled = view.query.offset + page.rows.length >= page.total;
  renderActiveFilters();
}

function cellText(value) {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function filtered() {
  const q = view.query;
  return !!(q.q || q.flags.size || q.eq.length || q.range.length);
}

function renderActiveFilters() {
  const chips = [];
  const q = view.query;
  q.eq.forEach(([column, value], i) => chips.push(chip(`${column} = ${value}`, () => q.eq.splice(i, 1))));
  q.range.forEach(([column, min, max], i) => chips.push(chip(`${min ?? "…"} ≤ ${column} ≤ ${max ?? "…"}`, () => q.range.splice(i, 1))));
  $("active-filters").replaceChildren(...chips);
}

function chip(label, remove) {
  const button = el("button", { type: "button", class: "chip", title: "Remove this filter" }, label, " ×");
  button.addEventListener("click", () => { remove(); view.query.offset = 0; loadRows(); });
  return button;
}

// ---- One row ----

async function openRow(key) {
  view.selected = key;
  for (const tr of $("rows").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.key === key);
  try {
    const detail = await api(`/api/row?step=${encodeURIComponent(view.step)}&key=${encodeURIComponent(key)}`);
    renderDetail(detail);
  } catch (error) {
    $("detail").hidden = false;
    $("detail-title").textContent = `Row ${key}`;
    $("detail-body").replaceChildren(el("p", { class: "error", text: error.message }));
  }
}

function isMetadata(value) {
  const objects = Array.isArray(value) ? value : [value];
  return objects.length > 0 && objects.every(o => o && typeof o === "object" && !Array.isArray(o) && Object.keys(o).some(k => META_KEY.test(k)));
}

function metadataOf(row) {
  const found = [];
  for (const [column, value] of Object.entries(row)) {
    if (value && isMetadata(value)) found.push([column, Array.isArray(value) ? value : [value]]);
  }
  return found;
}

function pre(value, cls) {
  return el("pre", { class: cls || "" }, typeof value === "string" ? value : JSON.stringify(value, null, 2));
}

function section(title, ...children) {
  const body = children.filter(c => c);
  if (!body.length) return null;
  return el("section", { class: "part", "data-part": title.toLowerCase().replace(/[^a-z]+/g, "-") }, el("h3", { text: title }), ...body);
}

function renderDetail(detail) {
  $("detail").hidden = false;
  $("detail").dataset.key = detail.key;
  $("detail-title").textContent = `${view.step} · row ${detail.key}`;
  renderReview(detail.review);
  const row = detail.row;
  const metadata = metadataOf(row);
  const metaColumns = new Set(metadata.map(m => m[0]));
  const columns = Object.keys(row).filter(c => !metaColumns.has(c));

  const corrections = (detail.review && detail.review.corrections) || {};
  const table = el("table", { class: "columns" }, ...columns.map(c => el("tr", { "data-column": c },
    el("th", { text: c }),
    el("td", {}, pre(row[c]), c in corrections ? el("div", { class: "corrected" }, "corrected to ", pre(corrections[c])) : null))));

  const entries = metadata.flatMap(([, list]) => list);
  const pick = prefix => entries.flatMap((m, i) => Object.entries(m).filter(([k, v]) => k.startsWith(prefix) && v !== null && v !== undefined).map(([k, v]) => [k, v, i]));

  const prompts = pick("raw_input_").slice(0, 1).map(([k, chat]) => el("div", { class: "chat", "data-key": k }, ...(Array.isArray(chat) ? chat : [chat]).map(turn =>
    el("div", { class: "turn " + (turn && turn.role || "") }, el("span", { class: "role", text: turn && turn.role || "" }), pre(turn && turn.content !== undefined ? turn.content : turn)))));

  // Generations side by side: the rows of one commit (one input's generations), or a grouped row's lists.
  let generations = null;
  if (detail.siblings.length > 1) {
    // The columns the generations differ in (all of them when they do not differ).
    const differing = columns.filter(c => detail.siblings.some(s => JSON.stringify(s.row[c]) !== JSON.stringify(row[c])));
    const shown = differing.length ? differing : columns;
    generations = el("div", { class: "side-by-side" }, ...detail.siblings.map(s => el("div", { class: "generation" + (s.key === detail.key ? " current" : ""), "data-key": s.key },
      el("h4", { text: `row ${s.key}` }), ...shown.map(c => el("div", {}, el("strong", { text: c }), pre(s.row[c]))))));
  } else {
    const grouped = columns.filter(c => Array.isArray(row[c]) && entries.length > 1 && row[c].length === entries.length);
    if (grouped.length) {
      generations = el("div", { class: "side-by-side" }, ...entries.map((_, i) => el("div", { class: "generation", "data-index": i },
        el("h4", { text: `generation ${i + 1}` }), ...grouped.map(c => el("div", {}, el("strong", { text: c }), pre(row[c][i]))))));
    }
  }

  const raw = pick("raw_output_").map(([k, v, i]) => el("div", { class: "raw", "data-key": k }, el("strong", { text: entries.length > 1 ? `${k} (generation ${i + 1})` : k }), pre(v, "answer")));
  const reasks = pick("raw_outputs_").map(([k, answers, i]) => el("ol", { class: "reasks", "data-key": k, title: k + (entries.length > 1 ? ` (generation ${i + 1})` : "") },
    ...(Array.isArray(answers) ? answers : [answers]).map((a, n, all) => el("li", {}, el("span", { class: "attempt", text: n === all.length - 1 ? "last answer" : `answer ${n + 1}` }), pre(a, "answer")))));
  const errors = [...pick("error_"), ...pick("output_error_")].map(([k, v]) => el("div", { class: "problem", "data-key": k }, el("strong", { text: k }), pre(v)));
  const tools = pick("tool_trajectory_").map(([k, v]) => el("div", { class: "trajectory", "data-key": k }, ...(Array.isArray(v) ? v : [v]).map(step => pre(step))));
  const statistics = pick("statistics_").map(([k, v, i]) => el("div", {}, el("strong", { text: entries.length > 1 ? `${k} (generation ${i + 1})` : k }), pre(v)));

  $("detail-body").replaceChildren(...[
    section("Columns", table),
    section("Problems", ...errors),
    section("Prompt", ...prompts),
    section("Generations", generations),
    section("Raw answers", ...raw),
    section("Re-ask history", ...reasks),
    section("Tool calls", ...tools),
    section("Tokens", ...statistics),
  ].filter(s => s));

  const correct = $("correct-column");
  correct.replaceChildren(...columns.map(c => el("option", { value: c, text: c })));
  $("correct-value").value = "";
}

function renderReview(label) {
  const state = $("review-state");
  const verdict = label && label.verdict;
  state.textContent = verdict ? `${verdict}` : "not reviewed";
  state.dataset.verdict = verdict || "";
  $("note").value = label && label.note || "";
  for (const button of document.querySelectorAll("#review [data-verdict]")) button.classList.toggle("on", (button.dataset.verdict || null) === (verdict || null));
}

async function review(body) {
  const key = $("detail").dataset.key;
  try {
    const label = await api("/api/review", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Distil-View": "1" },
      body: JSON.stringify(Object.assign({ step: view.step, key }, body)),
    });
    renderReview(label);
    const tr = [...$("rows").tBodies[0].rows].find(r => r.dataset.key === key);
    if (tr) tr.dataset.review = label.verdict || "";
    await loadRows();
    if (body.action !== "verdict") await openRow(key);
  } catch (error) {
    $("review-state").textContent = "not saved: " + error.message;
  }
}

function correctedValue(text) {
  try { return JSON.parse(text); } catch { return text; }
}

// ---- Wiring ----

function wire() {
  const flags = $("flags");
  for (const [name, label] of FLAGS) {
    const box = el("input", { type: "checkbox", value: name, "data-flag": name });
    box.addEventListener("change", () => {
      if (box.checked) view.query.flags.add(name); else view.query.flags.delete(name);
      view.query.offset = 0;
      loadRows();
    });
    flags.append(el("label", {}, box, " ", label));
  }
  let typing = null;
  $("search").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => { view.query.q = $("search").value.trim(); view.query.offset = 0; loadRows(); }, 250);
  });
  $("toolbar").addEventListener("submit", event => event.preventDefault());
  $("filter-column").addEventListener("change", updateFilterInputs);
  $("filter-add").addEventListener("click", () => {
    const column = $("filter-column").value;
    if (!column) return;
    const option = $("filter-column").selectedOptions[0];
    if (option.dataset.kind === "number") {
      const min = $("filter-min").value, max = $("filter-max").value;
      if (min === "" && max === "") return;
      view.query.range.push([column, min === "" ? null : Number(min), max === "" ? null : Number(max)]);
    } else {
      view.query.eq.push([column, $("filter-value").value]);
    }
    view.query.offset = 0;
    loadRows();
  });
  $("sort").addEventListener("change", () => { view.query.sort = $("sort").value; view.query.offset = 0; loadRows(); });
  $("desc").addEventListener("change", () => { view.query.desc = $("desc").checked; view.query.offset = 0; loadRows(); });
  $("prev").addEventListener("click", () => { view.query.offset = Math.max(0, view.query.offset - PAGE_SIZE); loadRows(); });
  $("next").addEventListener("click", () => { view.query.offset += PAGE_SIZE; loadRows(); });
  $("detail-close").addEventListener("click", () => { $("detail").hidden = true; view.selected = null; });
  for (const button of document.querySelectorAll("#review [data-verdict]")) {
    button.addEventListener("click", () => review({ action: "verdict", verdict: button.dataset.verdict || null }));
  }
  $("note-save").addEventListener("click", () => review({ action: "note", note: $("note").value }));
  $("correct-save").addEventListener("click", () => review({ action: "correct", column: $("correct-column").value, value: correctedValue($("correct-value").value) }));
  $("correct-clear").addEventListener("click", () => review({ action: "clear-correction", column: $("correct-column").value }));
}

wire();
pollRun();
