// Live mode: join the room as a Yjs peer, show files, cursors, TODOs, events and metrics.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { FileEditor, resolveRegions } from './editor.js'
import { Follower } from './follow.js'
import { renderLanes, renderRun } from './panel.js'
import { columnOf, runTimes } from './story.js'
import { symbolSpan } from './symbols.js'
import { colourFor } from './text.js'
import { BoardFilter, renderFiles as drawFiles } from './tree.js'
import { layout, refreshLeases, renderBoard, renderMetrics, renderPeople, renderTimeline, snapshot, todoCounts } from './ui.js'

const RATE_WINDOW_MS = 10000

/** `compare()` may give {serial_s} or {note} for the run panel (the watch page knows the run's other trials). */
export function startLive (root, { room, token, role, name, compare = () => null }) {
  const parts = layout(root, { title: room, mode: 'live' })
  const readOnly = role !== 'rw'
  parts.role.textContent = readOnly ? 'read-only' : 'read-write'
  parts.role.className = readOnly ? 'role ro' : 'role rw'

  const doc = new Y.Doc()
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`
  const provider = new WebsocketProvider(wsUrl, room, doc, { params: { token }, disableBc: true, maxBackoffTime: 2000 })
  const awareness = provider.awareness
  const me = name || `human-${doc.clientID % 10000}`
  const myColour = colourFor(me)
  let active = null
  let bound = null
  let lastSnap = null // the ticker redraws the elapsed time from it without copying the doc again
  let followed = null // agent|file|symbol last scrolled to
  const edits = []
  const hook = { mode: 'live', room, role, me, doc, provider, synced: false, updatesReceived: 0, edits }
  window.__viewer = hook

  const editor = new FileEditor(parts.editor, {
    onChange: (text) => {
      edits.push({ t: performance.timeOrigin + performance.now(), length: text.length })
      if (edits.length > 20000) edits.splice(0, 10000)
    },
    onLocalSelection: (start, end) => publish({ file: active, symbol: null, start, end })
  })
  editor.clear('waiting for the workspace…')

  function publish (region) {
    if (readOnly) return
    awareness.setLocalState({ agent: me, role: 'human', color: myColour, region })
  }
  // Only a participant who can edit announces itself; watchers stay invisible.
  if (readOnly) awareness.setLocalState(null)
  else publish(null)

  // Lease age on this browser's own clock: when did each TODO's heartbeat last change?
  const beats = new Map()
  const eventTimes = []
  const files = doc.getMap('files')

  function select (path) {
    active = path
    const ytext = path === null ? null : files.get(path)
    if (ytext instanceof Y.Text) {
      if (bound !== ytext) {
        editor.bind(ytext, readOnly)
        bound = ytext
        revealWaiting()
      }
    } else {
      bound = null
      editor.clear(path === null ? 'no files yet' : `${path} is not a text buffer`)
    }
    renderFiles()
    renderPresence()
    if (boardFilter.value === '@open') schedule()
    if (!readOnly) publish(null)
  }

  function renderFiles () {
    const paths = [...files.keys()].sort()
    // A file chosen by the person stops the page following anyone.
    drawFiles(parts.tabs, { paths, todos: lastSnap?.todos ?? {}, active, editing: editingNow(), onSelect: (path) => { follower.stop(); select(path) } })
  }

  /** path -> [{agent, color}]: the other participants whose region is in that file now. */
  function editingNow () {
    const out = new Map()
    for (const p of presences()) {
      if (p.self || !p.region || typeof p.region.file !== 'string') continue
      if (!out.has(p.region.file)) out.set(p.region.file, [])
      out.get(p.region.file).push({ agent: p.agent, color: p.color })
    }
    return out
  }

  const boardFilter = new BoardFilter(() => renderState())
  parts.boardFilter.appendChild(boardFilter.node)

  const follower = new Follower(parts.follow, () => { followed = null; follow() })

  /** Open the followed agent's file and scroll to its region; never under a person typing. */
  function follow () {
    const target = follower.target(presences())
    if (!target || editor.busy()) return
    const { file, symbol } = target.region
    if (file !== active && files.get(file) instanceof Y.Text) select(file)
    if (file !== active) return
    const key = `${target.agent}|${file}|${symbol ?? ''}`
    const text = editor.text()
    if (key === followed || text === null) return
    followed = key
    const [region] = resolveRegions([{ symbol, start: target.region.start, end: target.region.end }], text)
    editor.reveal(region.from)
  }

  /** With nobody to follow yet, scroll to the first TODO still open in this file (stubs are often below the fold). */
  function revealWaiting () {
    const text = editor.text()
    if (text === null || follower.target(presences())) return
    const open = Object.values(doc.getMap('todos').toJSON()).filter((t) => t.file === active && columnOf(t) !== 'done' && columnOf(t) !== 'failed')
    const spans = open.map((t) => symbolSpan(text, t.symbol)).filter((span) => span !== null).sort((a, b) => a[0] - b[0])
    if (spans.length) editor.reveal(spans[0][0])
  }

  /** The file to open first: where someone works, else where TODOs wait, else the first. */
  function opening () {
    const target = follower.target(presences())
    if (target) return target.region.file
    const todos = Object.values(doc.getMap('todos').toJSON())
    const waiting = todos.find((t) => t.status === 'claimed') ?? todos.find((t) => (t.status ?? 'pending') === 'pending')
    if (waiting && files.get(waiting.file) instanceof Y.Text) return waiting.file
    return [...files.keys()].sort()[0] ?? null
  }

  function presences () {
    const out = []
    for (const [clientId, state] of awareness.getStates()) {
      if (!state || typeof state.agent !== 'string') continue
      out.push({ clientId, self: clientId === doc.clientID, agent: state.agent, role: state.role, color: state.color || '#888888', region: state.region || null })
    }
    return out.sort((a, b) => a.agent.localeCompare(b.agent))
  }

  function renderPresence () {
    const all = presences()
    renderPeople(parts.people, all)
    editor.setRegions(all.filter((p) => !p.self && p.region && p.region.file === active)
      .map((p) => ({ agent: p.agent, color: p.color, symbol: p.region.symbol ?? null, start: p.region.start ?? 0, end: p.region.end ?? 0 })))
  }

  function trackBeats (todos) {
    const now = performance.now()
    for (const [id, t] of Object.entries(todos)) {
      const key = `${t.status}|${t.assignee}|${t.heartbeat}|${t.attempt}`
      const seen = beats.get(id)
      if (!seen || seen.key !== key) beats.set(id, { key, since: now })
    }
  }

  function leaseAge (id) {
    const seen = beats.get(id)
    return seen ? (performance.now() - seen.since) / 1000 : null
  }

  let renderMs = 0 // how long the last full redraw took: a big board is redrawn less often
  function renderState () {
    const began = performance.now()
    const snap = snapshot(doc)
    lastSnap = snap
    renderFiles()
    renderBoard(parts.board, snap.todos, leaseAge, { file: boardFilter.update(snap.paths, active) })
    const cutoff = performance.now() - RATE_WINDOW_MS
    while (eventTimes.length && eventTimes[0] < cutoff) eventTimes.shift()
    const counts = todoCounts(snap.todos)
    const now = Date.now() / 1000
    const { start, end } = renderRun(parts.run, snap, now, compare())
    renderLanes(parts.lanes, snap.events, start, end ?? now)
    renderTimeline(parts.timeline, snap.events, snap.todos, start)
    renderMetrics(parts.metrics, {
      todos: STATUS_LINE(counts),
      events: snap.events.length,
      'events/s': (eventTimes.length / (RATE_WINDOW_MS / 1000)).toFixed(1),
      participants: presences().length,
      'updates received': hook.updatesReceived,
      ...snap.meta
    })
    renderMs = performance.now() - began
  }

  let pending = false
  function schedule () {
    if (pending) return
    pending = true
    // At most one redraw per 50 ms, and never more than a third of the time redrawing:
    // a 1000-TODO board takes tens of ms to draw and the page must stay scrollable.
    setTimeout(() => { pending = false; renderState() }, Math.max(50, 2 * renderMs))
  }

  // Follow new files as they appear while following, never under a person typing.
  files.observe((event) => {
    const paths = [...files.keys()].sort()
    const added = [...event.changes.keys].filter(([, change]) => change.action === 'add').map(([key]) => key)
    if (follower.mode !== 'off' && added.length && hook.synced && !editor.busy() && !follower.target(presences())) select(added.sort().at(-1))
    else if (active === null || !paths.includes(active)) select(paths.includes(active) ? active : opening())
    else if (files.get(active) !== bound) select(active)
    else renderFiles()
  })
  doc.getMap('todos').observeDeep(() => { trackBeats(doc.getMap('todos').toJSON()); schedule() })
  doc.getArray('events').observe((event) => {
    const now = performance.now()
    for (const d of event.changes.delta) if (d.insert) for (let i = 0; i < d.insert.length; i++) eventTimes.push(now)
    schedule()
  })
  doc.getMap('meta').observeDeep(schedule)
  doc.on('update', (_update, origin) => { if (origin === provider) hook.updatesReceived++ })
  awareness.on('change', () => {
    follower.observe(presences())
    follow()
    renderPresence()
    schedule()
  })
  // Lease ages and the elapsed time grow while nothing changes.
  const ticker = setInterval(() => {
    if (!lastSnap) return
    refreshLeases(parts.board, lastSnap.todos, leaseAge)
    const { start, end } = runTimes(lastSnap.events, lastSnap.meta)
    if (start !== null && end === null) renderRun(parts.run, lastSnap, Date.now() / 1000, compare())
  }, 250)

  provider.on('status', ({ status }) => {
    parts.status.textContent = status
    parts.status.dataset.state = status
  })
  provider.on('sync', (synced) => {
    hook.synced = synced
    if (synced) {
      parts.status.textContent = 'synced'
      parts.status.dataset.state = 'synced'
      if (active === null) select(opening())
      follow()
      renderState()
    }
  })
  provider.on('connection-close', (event) => {
    if (event && (event.code === 4401 || event.code === 4404)) {
      provider.disconnect()
      parts.status.textContent = event.code === 4401 ? 'token rejected' : 'bad room name'
      parts.status.dataset.state = 'error'
    }
  })

  Object.assign(hook, {
    select,
    activePath: () => active,
    regions: () => editor.drawnRegions(),
    editorText: () => editor.text(),
    text: (path) => (files.get(path) instanceof Y.Text ? files.get(path).toString() : null),
    presences,
    todos: () => doc.getMap('todos').toJSON(),
    view: () => editor.view,
    follower,
    boardFilter,
    refresh: () => renderState(),
    dispose: () => { clearInterval(ticker); provider.destroy(); doc.destroy() }
  })
  renderState()
  return hook
}

function STATUS_LINE (counts) {
  return Object.entries(counts).map(([s, n]) => `${s} ${n}`).join(' · ')
}
