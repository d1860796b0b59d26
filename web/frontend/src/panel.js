// The run panel a person reads first: elapsed, phase, TODO counts, the critical-path
// bound, the speedup over serial, and per-agent swimlanes over time.

import { bounds, lanes, runTimes } from './story.js'
import { el, todoCounts } from './ui.js'

const SVG = 'http://www.w3.org/2000/svg'
const KINDS = {
  claim: { color: '#d9d5c7', label: 'claim held' },
  call: { color: '#4363d8', label: 'model call' },
  blind: { color: '#f58231', label: 'blind draft' },
  redraft: { color: '#911eb4', label: 're-draft' },
  spare: { color: '#42d4f4', label: 'spare repair' },
  commit: { color: '#2e8b57', label: 'commit' },
  pass: { color: '#2e8b57', label: 'verdict pass' },
  fail: { color: '#c0392b', label: 'verdict fail' }
}

function s (x) { return `${x < 10 ? x.toFixed(1) : x.toFixed(0)} s` }

/**
 * `now`: wall-clock seconds the panel is drawn for (live: the clock; replay: the position's time).
 * `compare`: optional {serial_s, own_s} — a finished serial trial of the same task and this trial's wall time (from the watch page).
 */
export function renderRun (root, snap, now, compare = null) {
  const { start, end } = runTimes(snap.events, snap.meta)
  const rows = []
  const meta = snap.meta
  const elapsed = start === null ? null : Math.max(0, (end ?? now) - start)
  if (meta.task_id) rows.push(['task', String(meta.task_id)])
  const mode = meta.plan?.mode ?? meta.mode
  if (mode) rows.push(['mode', String(mode) + (meta.plan?.requested && meta.plan.requested !== mode ? ` (asked: ${meta.plan.requested})` : '')])
  rows.push(['phase', String(meta.phase ?? 'waiting for the outline')])
  rows.push(['elapsed', elapsed === null ? '–' : s(elapsed) + (end ? '' : ' (running)')])
  const counts = todoCounts(snap.todos)
  rows.push(['TODOs', `${counts.done} done · ${counts.claimed} claimed · ${counts.pending} pending · ${counts.failed} failed`])
  const b = bounds(snap.events, meta.plan)
  if (b) {
    const vs = elapsed ? ` · elapsed is ${(elapsed / b.bound).toFixed(1)}× that` : ''
    rows.push(['critical path', `${s(b.bound)}: the model calls alone with perfect coordination${vs}`])
    rows.push(['model time', `${s(b.work)} over ${b.agents} agent${b.agents === 1 ? '' : 's'}`])
  }
  if (compare && typeof compare.serial_s === 'number' && elapsed && end) {
    // A finished trial is measured by its own wall time (the benchmark's figure) when the watch page has it.
    const ratio = compare.serial_s / (typeof compare.own_s === 'number' ? compare.own_s : elapsed)
    rows.push(['vs serial', `serial took ${s(compare.serial_s)}: ${ratio.toFixed(2)}× ${ratio >= 1 ? 'faster' : 'slower'}`])
  } else if (compare && typeof compare.serial_s === 'number') {
    // No ratio while running: elapsed-so-far against a whole serial trial would flatter any mode.
    rows.push(['vs serial', `serial took ${s(compare.serial_s)}; the ratio comes when this trial ends`])
  } else if (compare && compare.note) {
    rows.push(['vs serial', compare.note])
  }
  if (meta.provider) rows.push(['model', String(meta.provider).slice(0, 60)])
  root.textContent = ''
  for (const [k, v] of rows) {
    root.appendChild(el('dt', {}, k))
    root.appendChild(el('dd', { 'data-key': k }, v))
  }
  return { start, end, elapsed }
}

/** Swimlanes: one row per agent, x = seconds since the run started. */
export function renderLanes (root, events, start, now) {
  root.textContent = ''
  if (start === null) return
  const rows = lanes(events, start)
  if (!rows.length) return
  const span = Math.max(1, now - start, ...rows.flatMap((r) => r.items.map((i) => i.to)))
  const width = 1000
  const label = 120
  const height = 18
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${width} ${rows.length * height + 18}`)
  svg.setAttribute('preserveAspectRatio', 'none')
  svg.setAttribute('class', 'lanes-svg')
  const x = (t) => label + (width - label - 8) * Math.max(0, t) / span
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(SVG, tag)
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v))
    if (text) node.textContent = text
    svg.appendChild(node)
    return node
  }
  rows.forEach((row, i) => {
    const y = i * height
    add('text', { x: 4, y: y + 13, class: 'lane-name' }, row.agent)
    add('line', { x1: label, x2: width, y1: y + height - 1, y2: y + height - 1, class: 'lane-rule' })
    for (const item of row.items) {
      const kind = KINDS[item.kind]
      if (item.from === item.to) {
        add('rect', { x: x(item.from) - 1.5, y: y + 2, width: 3, height: height - 5, fill: kind.color, 'data-kind': item.kind, 'data-agent': row.agent }).appendChild(title(`${kind.label} ${item.todo ?? ''} at +${item.from.toFixed(1)}s`))
      } else {
        const inset = item.kind === 'claim' ? 2 : 5
        add('rect', { x: x(item.from), y: y + inset, width: Math.max(1, x(item.to) - x(item.from)), height: height - 2 * inset - 1, fill: kind.color, 'data-kind': item.kind, 'data-agent': row.agent }).appendChild(title(`${kind.label} ${item.todo ?? ''}: +${item.from.toFixed(1)}s → +${item.to.toFixed(1)}s`))
      }
    }
  })
  const axis = rows.length * height + 13
  for (let k = 0; k <= 4; k++) add('text', { x: x(span * k / 4) - (k === 4 ? 30 : 0), y: axis, class: 'lane-axis' }, `+${(span * k / 4).toFixed(span < 10 ? 1 : 0)}s`)
  root.appendChild(svg)
  root.appendChild(el('div', { class: 'legend' }, Object.values(KINDS).map((k) => el('span', {}, el('i', { style: `background:${k.color}` }), k.label))))
}

function title (text) {
  const node = document.createElementNS(SVG, 'title')
  node.textContent = text
  return node
}
