// Replay mode: every stored update of a run, from the first, with its time: a slider,
// play/pause at 1× or 10×, and the page follows the file being edited.

import * as Y from 'yjs'
import { FileEditor } from './editor.js'
import { renderLanes, renderRun } from './panel.js'
import { columnOf } from './story.js'
import { colourFor } from './text.js'
import { BoardFilter, renderFiles } from './tree.js'
import { el, layout, renderBoard, renderMetrics, renderPeople, renderTimeline, snapshot } from './ui.js'

const MAX_IDLE_S = 1.0 // playback skips silences longer than this (the clock label still shows real time)
const TICK_MS = 50

function decode (b64) {
  const raw = atob(b64)
  const out = new Uint8Array(raw.length)
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i)
  return out
}

export async function startReplay (root, { room, token, compare = () => null }) {
  const parts = layout(root, { title: room, mode: 'replay' })
  parts.role.textContent = 'read-only'
  parts.role.className = 'role ro'
  const hook = { mode: 'replay', room, ready: false, length: 0, position: 0, playing: false, speed: 1 }
  window.__viewer = hook
  const editor = new FileEditor(parts.editor)
  editor.clear('loading history…')

  const response = await fetch(`/api/rooms/${encodeURIComponent(room)}/history?token=${encodeURIComponent(token)}`)
  if (!response.ok) {
    const why = await response.text()
    parts.status.textContent = `history unavailable (${response.status})`
    parts.status.dataset.state = 'error'
    editor.clear(why)
    hook.error = response.status
    return hook
  }
  const history = await response.json()
  const updates = history.updates.map((u) => ({ time: u.time, update: decode(u.update) }))
  parts.status.textContent = `${history.stored_updates} stored updates` + (history.stored_updates > updates.length ? ` in ${updates.length} steps` : '')
  renderPeople(parts.people, [], 'live presence is not stored: regions here are the claimed TODOs')
  parts.follow.replaceChildren()

  let doc = null
  let applied = 0
  let active = null
  let picked = false // a tab chosen by the person stops following the edits
  let edited = null // {file, pos} of the latest text change applied
  let revealed = null

  function fresh () {
    doc = new Y.Doc()
    applied = 0
    edited = null
    doc.getMap('files').observeDeep((events) => {
      for (const event of events) {
        if (event.target instanceof Y.Text && event.path.length) {
          // A delta starts with the retained prefix when the change is not at the very start.
          edited = { file: String(event.path[0]), pos: event.changes.delta[0]?.retain ?? 0 }
        } else if (event.target === doc.getMap('files')) {
          for (const [key, change] of event.changes.keys) if (change.action === 'add') edited = { file: key, pos: 0 }
        }
      }
    })
  }
  fresh()

  const slider = el('input', { type: 'range', min: '0', max: String(updates.length), value: String(updates.length), step: '1', id: 'scrub', 'aria-label': 'position in the history' })
  const label = el('span', { class: 'when', id: 'when' })
  const playButton = el('button', { id: 'play', class: 'play', type: 'button' }, '▶ play')
  const speed = el('select', { id: 'speed', title: 'playback speed' }, el('option', { value: '1' }, '1×'), el('option', { value: '10' }, '10×'))
  parts.scrubber.append(playButton, speed, slider, label)
  slider.addEventListener('input', () => { pause(); scrub(Number(slider.value)) })
  playButton.addEventListener('click', () => (hook.playing ? pause() : play(Number(speed.value))))
  speed.addEventListener('change', () => { hook.speed = Number(speed.value) })

  const boardFilter = new BoardFilter(() => render())
  parts.boardFilter.appendChild(boardFilter.node)

  function select (path) {
    picked = true
    active = path
    render()
  }

  function scrub (k) {
    k = Math.max(0, Math.min(updates.length, k))
    if (k < applied) fresh()
    // Updates are applied in order into a fresh doc: the state as it stood after update k.
    Y.transact(doc, () => {
      for (; applied < k; applied++) Y.applyUpdate(doc, updates[applied].update)
    })
    slider.value = String(k)
    hook.position = k
    render()
  }

  let timer = null
  let clock = 0 // run time (seconds since the first update) the playback stands at
  function play (rate = hook.speed) {
    hook.speed = rate
    speed.value = String(rate)
    if (applied >= updates.length) scrub(0)
    const first = updates.length ? updates[0].time : 0
    clock = applied ? updates[applied - 1].time - first : 0
    hook.playing = true
    playButton.textContent = '❚❚ pause'
    timer = setInterval(() => {
      if (applied >= updates.length) { pause(); return }
      clock += (TICK_MS / 1000) * hook.speed
      const next = updates[applied].time - first
      if (next - clock > MAX_IDLE_S) clock = next - MAX_IDLE_S
      let k = applied
      while (k < updates.length && updates[k].time - first <= clock) k++
      if (k > applied) scrub(k)
    }, TICK_MS)
  }
  function pause () {
    if (timer !== null) clearInterval(timer)
    timer = null
    hook.playing = false
    playButton.textContent = '▶ play'
  }

  function render () {
    const snap = snapshot(doc)
    if (!picked && edited && snap.paths.includes(edited.file)) active = edited.file
    if (active === null || !snap.paths.includes(active)) active = snap.paths[0] ?? null
    // Presence is not stored: a file counts as edited by the assignees of its claimed TODOs.
    const editing = new Map()
    for (const t of Object.values(snap.todos)) {
      if (columnOf(t) !== 'claimed' || !t.assignee || typeof t.file !== 'string') continue
      if (!editing.has(t.file)) editing.set(t.file, [])
      if (!editing.get(t.file).some((w) => w.agent === t.assignee)) editing.get(t.file).push({ agent: t.assignee, color: colourFor(t.assignee) })
    }
    renderFiles(parts.tabs, { paths: snap.paths, todos: snap.todos, active, editing, onSelect: select })
    const ytext = active === null ? null : doc.getMap('files').get(active)
    if (ytext instanceof Y.Text) editor.showText(ytext.toString())
    else editor.clear(applied === 0 ? 'the beginning: nothing written yet' : 'no files at this point')
    // Who works where: the claimed TODOs of this file, drawn as their assignee's region.
    editor.setRegions(Object.values(snap.todos).filter((t) => columnOf(t) === 'claimed' && t.file === active && t.assignee)
      .map((t) => ({ agent: t.assignee, color: colourFor(t.assignee), symbol: t.symbol, start: 0, end: 0 })))
    if (!picked && edited && edited.file === active && ytext instanceof Y.Text) {
      const key = `${applied}`
      if (revealed !== key) { revealed = key; editor.reveal(Math.min(edited.pos, ytext.length)) }
    }
    const first = updates.length ? updates[0].time : 0
    const at = applied ? updates[applied - 1].time : first
    label.textContent = `${applied}/${updates.length}` + (updates.length ? ` · +${(at - first).toFixed(2)}s · ${new Date(at * 1000).toLocaleTimeString()}` : '')
    renderBoard(parts.board, snap.todos, () => null, { file: boardFilter.update(snap.paths, active) })
    const { start } = renderRun(parts.run, snap, at, compare())
    renderLanes(parts.lanes, snap.events, start, at)
    renderTimeline(parts.timeline, snap.events, snap.todos, start)
    renderMetrics(parts.metrics, { update: `${applied}/${updates.length}`, ...snap.meta })
  }

  Object.assign(hook, {
    ready: true,
    length: updates.length,
    stored: history.stored_updates,
    times: updates.map((u) => u.time),
    scrub,
    play,
    pause,
    select,
    boardFilter,
    activePath: () => active,
    editorText: () => editor.text(),
    text: (path) => { const t = doc.getMap('files').get(path); return t instanceof Y.Text ? t.toString() : null },
    todos: () => doc.getMap('todos').toJSON(),
    refresh: () => render(),
    dispose: () => pause()
  })
  scrub(updates.length)
  return hook
}
