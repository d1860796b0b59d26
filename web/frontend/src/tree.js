// Files of a task: tabs for a single file (as before), a file tree for a multi-file
// project (paths grouped by directory, each file with its TODO counts by status and
// the agents editing it), and the board's file filter.
//
// Both are updated in place while the set of paths stays the same: the page
// re-renders every 50 ms while agents commit, and a button replaced between a
// person's mousedown and mouseup would swallow the click.

import { columnOf } from './story.js'
import { STATUSES, el, renderTabs } from './ui.js'

/** {path: {pending, claimed, done, failed}} over every TODO that names a file. */
export function countsByFile (todos) {
  const out = {}
  for (const t of Object.values(todos)) {
    if (typeof t.file !== 'string') continue
    const counts = out[t.file] ?? (out[t.file] = Object.fromEntries(STATUSES.map((s) => [s, 0])))
    counts[columnOf(t)] += 1
  }
  return out
}

/** Directory of a '/'-separated path ('' at the top). */
function dirOf (path) {
  const cut = path.lastIndexOf('/')
  return cut < 0 ? '' : path.slice(0, cut)
}

/** Directories in order, each with its files: [[dir, [path…]]] (the top level first). */
export function groupByDirectory (paths) {
  const groups = new Map()
  for (const path of [...paths].sort()) {
    const dir = dirOf(path)
    if (!groups.has(dir)) groups.set(dir, [])
    groups.get(dir).push(path)
  }
  return [...groups.entries()].sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)))
}

/**
 * Tabs (one file) or the tree (several) in `nav`.
 * `editing`: Map path -> [{agent, color}] of who works in that file now.
 */
export function renderFiles (nav, { paths, todos, active, editing = new Map(), onSelect }) {
  const tree = paths.length > 1
  nav.classList.toggle('tree', tree)
  nav.parentElement?.classList.toggle('has-tree', tree)
  if (!tree) {
    nav.dataset.key = ''
    renderTabs(nav, paths, active, onSelect)
    return
  }
  const key = paths.join('\n')
  if (nav.dataset.key !== key) {
    nav.dataset.key = key
    nav.textContent = ''
    for (const [dir, files] of groupByDirectory(paths)) {
      const depth = dir === '' ? 0 : dir.split('/').length
      const group = el('div', { class: 'tree-dir', 'data-dir': dir },
        el('div', { class: 'dir-name', style: `padding-left:${Math.max(0, depth - 1) * 10 + 4}px` }, dir === '' ? './' : `${dir}/`))
      for (const path of files) {
        group.appendChild(el('button', {
          class: 'tree-file',
          type: 'button',
          'data-path': path,
          title: path,
          style: `padding-left:${depth * 10 + 8}px`,
          onclick: () => onSelect(path)
        }, el('span', { class: 'name' }, path.slice(dir === '' ? 0 : dir.length + 1)), el('span', { class: 'who' }), el('span', { class: 'counts' })))
      }
      nav.appendChild(group)
    }
  }
  const counts = countsByFile(todos)
  for (const button of nav.querySelectorAll('button.tree-file')) {
    const path = button.dataset.path
    const c = counts[path] ?? { pending: 0, claimed: 0, done: 0, failed: 0 }
    const wasActive = button.classList.contains('active')
    button.classList.toggle('active', path === active)
    if (path === active && !wasActive) button.scrollIntoView({ block: 'nearest' })
    const summary = STATUSES.map((s) => `${s}:${c[s]}`).join(' ')
    if (button.dataset.counts !== summary) {
      button.dataset.counts = summary
      for (const s of STATUSES) button.dataset[s] = String(c[s])
      button.querySelector('.counts').replaceChildren(...STATUSES.filter((s) => c[s] > 0)
        .map((s) => el('span', { class: `n ${s}`, title: s }, c[s])))
    }
    const who = editing.get(path) ?? []
    const names = who.map((w) => w.agent).join(',')
    if (button.dataset.editing !== names) {
      button.dataset.editing = names
      button.classList.toggle('editing', who.length > 0)
      button.querySelector('.who').replaceChildren(...who.map((w) => el('span', { class: 'dot', style: `background:${w.color}`, title: `${w.agent} is editing this file`, 'data-agent': w.agent })))
    }
  }
}

/** The board's file filter: all files, the file open in the editor, or one path. Hidden for a single file. */
export class BoardFilter {
  constructor (onChange) {
    this.value = '' // '' all files · '@open' the open file · a path
    this.select = el('select', { id: 'board-file', title: 'show the TODOs of one file' })
    this.select.addEventListener('change', () => { this.value = this.select.value; onChange() })
    this.node = el('label', { class: 'board-filter', id: 'board-filter' }, 'file ', this.select)
    this.key = null
  }

  /** Refresh the options for `paths`; returns the path to filter on now, or null for every file. */
  update (paths, active) {
    this.node.hidden = paths.length <= 1
    const key = paths.join('\n')
    if (this.key !== key) {
      this.key = key
      this.select.replaceChildren(el('option', { value: '' }, 'all files'), el('option', { value: '@open' }, 'the open file'),
        ...paths.map((p) => el('option', { value: p }, p)))
      if (this.value !== '' && this.value !== '@open' && !paths.includes(this.value)) this.value = ''
      this.select.value = this.value
    }
    if (paths.length <= 1 || this.value === '') return null
    return this.value === '@open' ? active : this.value
  }
}
