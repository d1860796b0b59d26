// The page's panels, rendered from plain values (the same code serves live and replay).

import { columnOf, describe, plainValue } from './story.js'

export const STATUSES = ['pending', 'claimed', 'done', 'failed']

export function el (tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue
    if (key === 'class') node.className = value
    else if (key === 'style') node.style.cssText = value
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value)
    else node.setAttribute(key, value)
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child)
  }
  return node
}

/** The page skeleton; returns the containers the modes fill in. */
export function layout (root, { title, mode }) {
  root.textContent = ''
  const parts = {
    status: el('span', { class: 'status', id: 'status' }, 'connecting…'),
    role: el('span', { class: 'role', id: 'role' }),
    follow: el('label', { class: 'follow', id: 'follow-box' }),
    tabs: el('nav', { class: 'tabs', id: 'tabs' }),
    editor: el('div', { class: 'editor', id: 'editor' }),
    scrubber: el('div', { class: 'scrubber', id: 'scrubber' }),
    run: el('dl', { class: 'metrics run', id: 'run' }),
    lanes: el('div', { class: 'lanes', id: 'lanes' }),
    metrics: el('dl', { class: 'metrics', id: 'metrics' }),
    people: el('ul', { class: 'people', id: 'people' }),
    boardFilter: el('div', { class: 'board-tools' }),
    board: el('div', { class: 'board', id: 'board' }),
    timeline: el('ol', { class: 'timeline', id: 'timeline' })
  }
  root.appendChild(el('header', {},
    el('h1', {}, title), el('span', { class: 'mode' }, mode), parts.role, parts.follow, parts.status))
  root.appendChild(el('main', {},
    el('section', { class: 'code' }, parts.scrubber, el('div', { class: 'workarea', id: 'workarea' }, parts.tabs, parts.editor), parts.lanes),
    el('aside', {},
      el('h2', {}, 'Run'), parts.run,
      el('h2', {}, 'Participants'), parts.people,
      el('h2', {}, 'TODOs'), parts.boardFilter, parts.board,
      el('h2', {}, 'Events'), parts.timeline,
      el('details', { class: 'raw' }, el('summary', {}, 'details'), parts.metrics))))
  return parts
}

export function renderTabs (nav, paths, active, onSelect) {
  nav.textContent = ''
  for (const path of paths) {
    nav.appendChild(el('button', {
      class: path === active ? 'tab active' : 'tab',
      'data-path': path,
      onclick: () => onSelect(path)
    }, path))
  }
  if (!paths.length) nav.appendChild(el('span', { class: 'empty' }, 'no files yet'))
}

const CARDS_PER_COLUMN = 200 // a column of a 1000-TODO board stays readable and cheap to redraw; its count is exact

/**
 * TODO board: one column per status (a final fail verdict counts as failed).
 * `leaseAge(id)` gives seconds since the heartbeat changed, or null; `file` keeps one file's TODOs only.
 */
export function renderBoard (root, todos, leaseAge, { file = null } = {}) {
  root.textContent = ''
  const many = file === null && new Set(Object.values(todos).map((t) => t.file)).size > 1
  const shown = file === null ? Object.entries(todos) : Object.entries(todos).filter(([, t]) => t.file === file)
  root.dataset.file = file ?? ''
  for (const status of STATUSES) {
    const entries = shown.filter(([, t]) => columnOf(t) === status)
      .sort(([a], [b]) => a.localeCompare(b))
    const column = el('div', { class: `column ${status}`, 'data-status': status },
      el('h3', {}, `${status} `, el('span', { class: 'count' }, entries.length)))
    for (const [id, todo] of entries.slice(0, CARDS_PER_COLUMN)) {
      const age = status === 'claimed' ? leaseAge(id) : null
      const verdict = todo.verdict ? String(todo.verdict).slice(0, 40) : null
      // Several files: the card names its file in full (a basename repeats across packages); one file: its name.
      const where = todo.file && file === null ? (many ? String(todo.file) : String(todo.file).split('/').at(-1)) : null
      column.appendChild(el('div', { class: 'card', 'data-todo': id, 'data-status': status, 'data-file': todo.file ?? '', title: `${todo.file ?? ''} · ${todo.symbol ?? id}` },
        el('div', { class: 'symbol' }, todo.symbol ?? id),
        el('div', { class: 'detail' },
          where ? el('span', { class: many ? 'file many' : 'file' }, where) : null,
          todo.assignee ? el('span', { class: 'assignee' }, todo.assignee) : null,
          el('span', { class: 'attempts', title: 'attempt' }, `attempt ${todo.attempt ?? 0}`),
          age !== null ? el('span', { class: age > (todo.lease_s ?? 10) ? 'lease stale' : 'lease', title: 'seconds since the last heartbeat' }, `♥ ${age.toFixed(1)}s`) : null,
          verdict ? el('span', { class: `verdict ${verdict === 'pass' ? 'pass' : 'fail'}` }, verdict) : null)))
    }
    if (entries.length > CARDS_PER_COLUMN) {
      column.appendChild(el('div', { class: 'more' }, `+${entries.length - CARDS_PER_COLUMN} more: pick a file above`))
    }
    root.appendChild(column)
  }
}

export function renderTimeline (root, events, todos = {}, start = null, cap = 200) {
  root.textContent = ''
  const latest = events.slice(-cap).reverse()
  for (const e of latest) {
    const when = typeof e.time === 'number' ? (start !== null ? `+${(e.time - start).toFixed(1)}s` : new Date(e.time * 1000).toLocaleTimeString()) : ''
    root.appendChild(el('li', { 'data-type': e.type ?? '', title: JSON.stringify(e.data ?? {}).slice(0, 300) },
      el('time', {}, when), ' ', el('span', { class: 'sentence' }, describe(e, todos))))
  }
  if (!events.length) root.appendChild(el('li', { class: 'empty' }, 'no events yet'))
}

export function renderMetrics (root, values) {
  root.textContent = ''
  for (const [key, value] of Object.entries(values)) {
    const shown = plainValue(key, value)
    if (shown === null || shown === '') continue
    root.appendChild(el('dt', {}, key))
    root.appendChild(el('dd', { 'data-key': key }, shown))
  }
}

/** Update only the lease ages shown on claimed cards (they grow while nothing else changes). */
export function refreshLeases (root, todos, leaseAge) {
  for (const span of root.querySelectorAll('.card[data-status="claimed"] .lease')) {
    const id = span.closest('.card').dataset.todo
    const age = leaseAge(id)
    if (age === null) continue
    span.textContent = `♥ ${age.toFixed(1)}s`
    span.className = age > (todos[id]?.lease_s ?? 10) ? 'lease stale' : 'lease'
  }
}

export function renderPeople (root, presences, emptyText = 'nobody connected') {
  root.textContent = ''
  for (const p of presences) {
    const where = p.region ? `${p.region.file}${p.region.symbol ? ' · ' + p.region.symbol : ''}` : ''
    root.appendChild(el('li', { 'data-agent': p.agent },
      el('span', { class: 'dot', style: `background:${p.color}` }), ' ', el('b', {}, p.agent), p.self ? ' (you)' : '',
      ` ${p.role ?? ''}`, where ? el('span', { class: 'where' }, ` ${where}`) : null))
  }
  if (!presences.length) root.appendChild(el('li', { class: 'empty' }, emptyText))
}

export function todoCounts (todos) {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]))
  for (const t of Object.values(todos)) counts[columnOf(t)] = (counts[columnOf(t)] ?? 0) + 1
  return counts
}

/** Plain `{path: Y.Text}`-free snapshot of a doc's files/todos/events/meta. */
export function snapshot (doc) {
  const files = doc.getMap('files')
  return {
    paths: [...files.keys()].sort(),
    todos: doc.getMap('todos').toJSON(),
    events: doc.getArray('events').toJSON(),
    meta: doc.getMap('meta').toJSON()
  }
}
