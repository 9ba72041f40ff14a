// @ts-check
/*
 * The HTML report's own script: the filterable, sortable, paged tables. It runs as an inline
 * module script (strict, in its own scope, once the document is parsed). It is inlined into each
 * report at build time (scripts/inline-assets.mjs) and allowed by the page's CSP through its
 * hash. The rows arrive as JSON in the element #report-data (type application/json); they are
 * untrusted input and go into the DOM with textContent only, never as markup.
 */

/**
 * @typedef {[string, string, string]} Issue code, column, message
 * @typedef {[number, string, string, string, Issue[], Issue[], string]} ProblemRow line, id, status, http, errors, warnings, detail
 * @typedef {[number, string, string, string, string, string]} ChangeRow line, id, field, before, after, note
 * @typedef {{ page?: number, statuses?: string[], idColumn?: string, lineLabel?: string }} Config
 * @typedef {{ config?: Config, problems?: ProblemRow[], changes?: ChangeRow[] }} ReportData
 */

/**
 * @template R
 * @typedef {object} Column
 * @property {string} key
 * @property {string} label
 * @property {boolean} [num]
 * @property {boolean} [mono]
 * @property {boolean} [optional] shown only when some row has a value
 * @property {(row: R) => string | number} text
 * @property {(td: HTMLTableCellElement, row: R) => void} [render]
 */

const holder = document.getElementById('report-data');
/** @type {ReportData} */
const data = JSON.parse((holder && holder.textContent) || '{}');
const config = data.config || {};
/** @type {Set<string>} */
const known = new Set(config.statuses || []);
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const pageSize = config.page || 200;

/** @param {number} n */
function fmt(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [cls]
 * @param {string | number} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
}

/**
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @returns {T}
 */
function need(root, selector) {
  const found = root.querySelector(selector);
  if (!found) throw new Error('report page: missing ' + selector);
  return /** @type {T} */ (found);
}

/** @param {HTMLElement} td */
function dash(td) {
  td.appendChild(el('span', 'dim', '\u2014'));
}

/**
 * One line per value; codes as <code> of the given class.
 * @param {HTMLElement} td
 * @param {string[]} values
 * @param {string[]} [codeClasses] one per value: 'code' (an error) or 'wcode' (a warning)
 */
function lines(td, values, codeClasses) {
  if (values.length === 0) return dash(td);
  values.forEach((v, i) => {
    const d = el('div', 'line');
    if (v === '') dash(d);
    else d.appendChild(codeClasses ? el('code', codeClasses[i] || 'code', v) : document.createTextNode(v));
    td.appendChild(d);
  });
}

/**
 * @param {HTMLElement} td
 * @param {string} v
 * @param {string} cls
 */
function value(td, v, cls) {
  if (v === '' || v === '(empty)') td.appendChild(el('span', 'emptyval', '(empty)'));
  else td.appendChild(el('span', cls, v));
}

/**
 * @template R
 * @param {R[]} rows
 * @param {Column<R>} c
 * @param {number[]} view
 * @param {number} dir
 */
function sortView(rows, c, view, dir) {
  /** @type {Map<number, string | number>} */
  const keys = new Map();
  for (const i of view) keys.set(i, c.text(rows[i]));
  view.sort((a, b) => {
    const x = keys.get(a) ?? '';
    const y = keys.get(b) ?? '';
    let r = c.num
      ? (x === '' ? -Infinity : Number(x)) - (y === '' ? -Infinity : Number(y))
      : collator.compare(String(x), String(y));
    if (Number.isNaN(r)) r = 0;
    return r * dir || a - b;
  });
}

/**
 * @template R
 * @param {HTMLElement} root
 * @param {Column<R>[]} cols
 * @param {{ sort: Column<R> | null, dir: number }} state
 * @param {() => void} apply
 */
function makeHead(root, cols, state, apply) {
  /** @type {HTMLTableElement} */
  const table = need(root, 'table');
  const headRow = document.createElement('tr');
  for (const c of cols) {
    const th = el('th', c.num ? 'num' : '');
    th.scope = 'col';
    th.setAttribute('aria-sort', 'none');
    th.setAttribute('data-key', c.key);
    const b = el('button', '', c.label);
    b.type = 'button';
    b.title = 'Sort by ' + c.label;
    b.addEventListener('click', () => {
      if (state.sort === c) state.dir = -state.dir;
      else {
        state.sort = c;
        state.dir = 1;
      }
      headRow.querySelectorAll('th').forEach((h) => h.setAttribute('aria-sort', 'none'));
      th.setAttribute('aria-sort', state.dir === 1 ? 'ascending' : 'descending');
      apply();
    });
    th.appendChild(b);
    headRow.appendChild(th);
  }
  (table.tHead || table.createTHead()).appendChild(headRow);
}

/**
 * @template R
 * @typedef {object} Table
 * @property {R[]} rows
 * @property {Column<R>[]} cols
 * @property {(row: R) => string[]} kindsOf
 * @property {string} noun
 * @property {HTMLTableSectionElement} tbody
 * @property {HTMLElement} shown
 * @property {HTMLButtonElement} more
 * @property {(string | undefined)[]} hay lower-cased row text, built on first search
 * @property {number[]} view indices of the rows that pass the filter, in display order
 * @property {{ terms: string[], kind: string, sort: Column<R> | null, dir: number, limit: number }} state
 */

/**
 * @template R
 * @param {Table<R>} t
 * @param {number} i
 */
function matches(t, i) {
  const row = t.rows[i];
  if (t.state.kind && t.kindsOf(row).indexOf(t.state.kind) < 0) return false;
  if (t.state.terms.length === 0) return true;
  let h = t.hay[i];
  if (h === undefined) {
    h = t.cols
      .map((c) => String(c.text(row)))
      .join('\u0001')
      .toLowerCase();
    t.hay[i] = h;
  }
  const text = h;
  return t.state.terms.every((term) => text.indexOf(term) >= 0);
}

/**
 * @template R
 * @param {Table<R>} t
 * @param {R} r
 */
function renderRow(t, r) {
  const tr = document.createElement('tr');
  for (const c of t.cols) {
    const td = el('td', (c.num ? 'num ' : '') + 'col-' + c.key + (c.mono ? ' mono' : ''));
    if (c.render) c.render(td, r);
    else {
      const v = String(c.text(r));
      if (v === '') dash(td);
      else td.textContent = v;
    }
    tr.appendChild(td);
  }
  return tr;
}

/**
 * Appends view rows from..to and updates the count and the "more" button.
 * @template R
 * @param {Table<R>} t
 * @param {number} from
 * @param {number} to
 */
function renderRange(t, from, to) {
  const frag = document.createDocumentFragment();
  for (let k = from; k < to; k++) frag.appendChild(renderRow(t, t.rows[t.view[k]]));
  t.tbody.appendChild(frag);
  const total = t.view.length;
  const filtered = total !== t.rows.length;
  t.shown.textContent =
    (to < total ? 'Showing ' + fmt(to) + ' of ' + fmt(total) : fmt(total)) +
    ' ' +
    (total === 1 ? t.noun : t.noun + 's') +
    (filtered ? ' matching' : '');
  const left = total - to;
  t.more.hidden = left <= 0;
  t.more.textContent = 'Show ' + fmt(Math.min(pageSize, left)) + ' more';
}

/**
 * Filters, sorts and shows the first page again.
 * @template R
 * @param {Table<R>} t
 */
function apply(t) {
  t.view = [];
  for (let i = 0; i < t.rows.length; i++) if (matches(t, i)) t.view.push(i);
  if (t.state.sort) sortView(t.rows, t.state.sort, t.view, t.state.dir);
  t.state.limit = pageSize;
  t.tbody.textContent = '';
  if (t.view.length === 0) {
    const tr = el('tr', 'none');
    const td = el('td', '', t.rows.length === 0 ? 'No rows.' : 'No rows match the filter.');
    td.colSpan = t.cols.length;
    tr.appendChild(td);
    t.tbody.appendChild(tr);
  }
  renderRange(t, 0, Math.min(t.state.limit, t.view.length));
}

/**
 * A filterable, sortable table shown pageSize rows at a time.
 * @template R
 * @param {HTMLElement} root
 * @param {R[]} rows
 * @param {Column<R>[]} columns
 * @param {(row: R) => string[]} kindsOf
 * @param {string} noun
 */
function makeTable(root, rows, columns, kindsOf, noun) {
  /** @type {HTMLInputElement} */
  const input = need(root, '[data-role=filter]');
  /** @type {HTMLSelectElement} */
  const select = need(root, '[data-role=kind]');
  /** @type {HTMLTableElement} */
  const table = need(root, 'table');
  /** @type {Table<R>} */
  const t = {
    rows,
    cols: columns.filter((c) => !c.optional || rows.some((r) => String(c.text(r)) !== '')),
    kindsOf,
    noun,
    tbody: table.tBodies[0],
    shown: need(root, '[data-role=shown]'),
    more: need(root, '[data-role=more]'),
    hay: new Array(rows.length),
    view: [],
    state: { terms: [], kind: '', sort: null, dir: 1, limit: pageSize },
  };
  makeHead(root, t.cols, t.state, () => apply(t));
  t.more.addEventListener('click', () => {
    const from = t.state.limit;
    t.state.limit = Math.min(t.state.limit + pageSize, t.view.length);
    renderRange(t, from, t.state.limit);
  });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const search = () => {
      t.state.terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      apply(t);
    };
    timer = setTimeout(search, rows.length > 5000 ? 150 : 60);
  });
  select.addEventListener('change', () => {
    t.state.kind = select.value;
    apply(t);
  });
  apply(t);
  /** @param {string} kind */
  const showKind = (kind) => {
    select.value = kind;
    if (select.value !== kind) select.value = '';
    t.state.kind = select.value;
    input.value = '';
    t.state.terms = [];
    apply(t);
    root.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };
  return { showKind };
}

/**
 * @param {Issue[]} issues
 * @param {0 | 1 | 2} part
 */
const pick = (issues, part) => issues.map((e) => e[part]);
/**
 * A row's errors, then its warnings: shown alike, a warning's code in its own colour.
 * @param {ProblemRow} r
 */
const issues = (r) => r[4].concat(r[5]);
/** @param {ProblemRow} r */
const issueClasses = (r) => r[4].map(() => 'code').concat(r[5].map(() => 'wcode'));
const idLabel = config.idColumn || 'System ID';
const lineLabel = config.lineLabel || 'Line';

/** @type {Column<ProblemRow>[]} */
const problemColumns = [
  { key: 'line', label: lineLabel, num: true, text: (r) => r[0] },
  { key: 'id', label: idLabel, mono: true, text: (r) => r[1] },
  {
    key: 'status',
    label: 'Status',
    text: (r) => r[2],
    render: (td, r) => td.appendChild(el('span', 'badge ' + (known.has(r[2]) ? 'st-' + r[2] : 'st-other'), r[2])),
  },
  { key: 'http', label: 'HTTP', num: true, optional: true, text: (r) => r[3] },
  {
    key: 'code',
    label: 'Code',
    text: (r) => pick(issues(r), 0).join(' '),
    render: (td, r) => lines(td, pick(issues(r), 0), issueClasses(r)),
  },
  {
    key: 'column',
    label: 'Column',
    text: (r) => pick(issues(r), 1).join(' '),
    render: (td, r) => lines(td, pick(issues(r), 1)),
  },
  {
    key: 'message',
    label: 'Message',
    text: (r) => pick(issues(r), 2).join(' '),
    render: (td, r) => lines(td, pick(issues(r), 2)),
  },
  { key: 'detail', label: 'Detail', optional: true, text: (r) => r[6] },
];

/** @type {Column<ChangeRow>[]} */
const changeColumns = [
  { key: 'line', label: lineLabel, num: true, text: (r) => r[0] },
  { key: 'id', label: idLabel, mono: true, text: (r) => r[1] },
  { key: 'field', label: 'Field', mono: true, text: (r) => r[2] },
  { key: 'before', label: 'Before', text: (r) => r[3], render: (td, r) => value(td, r[3], 'before') },
  { key: 'after', label: 'After', text: (r) => r[4], render: (td, r) => value(td, r[4], 'after') },
  { key: 'note', label: 'Note', optional: true, text: (r) => r[5] },
];

/** @type {HTMLElement | null} */
const problemsRoot = document.querySelector('[data-table=problems]');
const problems = problemsRoot
  ? makeTable(
      problemsRoot,
      data.problems || [],
      problemColumns,
      (r) =>
        ['s:' + r[2]].concat(
          r[4].map((e) => 'c:' + e[0]),
          r[5].map((w) => 'w:' + w[0]),
        ),
      'row',
    )
  : null;

/** @type {HTMLElement | null} */
const changesRoot = document.querySelector('[data-table=changes]');
if (changesRoot) makeTable(changesRoot, data.changes || [], changeColumns, (r) => ['f:' + r[2]], 'change');

document.querySelectorAll('[data-show-kind]').forEach((b) => {
  b.addEventListener('click', () => {
    if (problems) problems.showKind(b.getAttribute('data-show-kind') || '');
  });
});
