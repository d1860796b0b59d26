// Replay mode: load a finished run's stored updates and scrub through its history.

import * as Y from 'yjs'
import { FileEditor } from './editor.js'
import { el, layout, renderBoard, renderMetrics, renderPeople, renderTabs, renderTimeline, snapshot, todoCounts } from './ui.js'

function decode (b64) {
  const raw = atob(b64)
  const out = new Uint8Array(raw.length)
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i)
  return out
}

export async function startReplay (root, { room, token }) {
  const parts = layout(root, { title: room, mode: 'replay' })
  parts.role.textContent = 'read-only'
  parts.role.className = 'role ro'
  const hook = { mode: 'replay', room, ready: false, length: 0, position: 0 }
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
  parts.status.textContent = `${updates.length} updates`
  renderPeople(parts.people, [], 'presence is not stored: replay shows the document only')

  let doc = new Y.Doc()
  let applied = 0
  let active = null

  const slider = el('input', { type: 'range', min: '0', max: String(updates.length), value: String(updates.length), step: '1', id: 'scrub' })
  const label = el('span', { class: 'when', id: 'when' })
  parts.scrubber.append(el('label', { for: 'scrub' }, 'history '), slider, label)
  slider.addEventListener('input', () => scrub(Number(slider.value)))

  function select (path) {
    active = path
    render()
  }

  function scrub (k) {
    k = Math.max(0, Math.min(updates.length, k))
    if (k < applied) {
      doc = new Y.Doc()
      applied = 0
    }
    // Updates are applied in order into a fresh doc: the state as it stood after update k.
    Y.transact(doc, () => {
      for (; applied < k; applied++) Y.applyUpdate(doc, updates[applied].update)
    })
    slider.value = String(k)
    hook.position = k
    render()
  }

  function render () {
    const snap = snapshot(doc)
    if (active === null || !snap.paths.includes(active)) active = snap.paths[0] ?? null
    renderTabs(parts.tabs, snap.paths, active, select)
    const ytext = active === null ? null : doc.getMap('files').get(active)
    if (ytext instanceof Y.Text) editor.showText(ytext.toString())
    else editor.clear(applied === 0 ? 'the beginning: nothing written yet' : 'no files at this point')
    const first = updates.length ? updates[0].time : 0
    const at = applied ? updates[applied - 1].time : first
    label.textContent = `${applied}/${updates.length}` + (updates.length ? ` · +${(at - first).toFixed(2)}s · ${new Date(at * 1000).toLocaleTimeString()}` : '')
    renderBoard(parts.board, snap.todos, () => null)
    renderTimeline(parts.timeline, snap.events)
    renderMetrics(parts.metrics, {
      todos: Object.entries(todoCounts(snap.todos)).map(([s, n]) => `${s} ${n}`).join(' · '),
      events: snap.events.length,
      update: `${applied}/${updates.length}`,
      ...snap.meta
    })
  }

  Object.assign(hook, {
    ready: true,
    length: updates.length,
    times: updates.map((u) => u.time),
    scrub,
    select,
    activePath: () => active,
    editorText: () => editor.text(),
    text: (path) => { const t = doc.getMap('files').get(path); return t instanceof Y.Text ? t.toString() : null },
    todos: () => doc.getMap('todos').toJSON()
  })
  scrub(updates.length)
  return hook
}
