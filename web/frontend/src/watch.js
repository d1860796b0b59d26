// Watch a whole benchmark run from one URL: /run/<index room>?token=…
//
// `crdt-bench run --watch` keeps an index room whose `trials` map lists every trial
// (room, task, mode, seed, status, wall time). This page lists them, follows the
// running one live, and opens a finished one in replay when a person clicks it.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { startLive } from './live.js'
import { startReplay } from './replay.js'
import { el } from './ui.js'

export function startWatch (root, { room, token }) {
  const status = el('span', { class: 'status', id: 'status' }, 'connecting…')
  const followButton = el('button', { type: 'button', id: 'follow-current', class: 'follow-current' }, 'follow the current trial')
  const table = el('table', { class: 'trials', id: 'trials' })
  const stage = el('div', { class: 'stage', id: 'stage' })
  const title = el('h1', {}, `run ${room}`)
  root.replaceChildren(el('header', { class: 'watch' }, title, el('span', { class: 'mode' }, 'watch'), followButton, status),
    el('div', { class: 'trial-strip' }, table), stage)

  const doc = new Y.Doc()
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`
  const provider = new WebsocketProvider(wsUrl, room, doc, { params: { token }, disableBc: true, maxBackoffTime: 2000 })
  provider.awareness.setLocalState(null)
  const trialsMap = doc.getMap('trials')
  let shown = null // {room, kind: 'live' | 'replay', viewer}
  let pinned = false
  const hook = { mode: 'watch', room, synced: false, shown: () => shown && { room: shown.room, kind: shown.kind }, trials: () => list() }
  window.__watch = hook

  function list () {
    return Object.entries(trialsMap.toJSON()).map(([r, t]) => ({ room: r, ...t }))
      .sort((a, b) => (a.order ?? 0) - (b.order ?? 0) || a.room.localeCompare(b.room))
  }

  function serialOf (trial) {
    // The serial trial of the same task, the same seed if there is one (the paired block).
    const serials = list().filter((t) => t.task === trial.task && t.mode === 'serial' && t.status === 'done' && typeof t.wall_s === 'number')
    return serials.find((t) => t.seed === trial.seed) ?? serials[0] ?? null
  }

  function compareFor (trialRoom) {
    return () => {
      const trial = list().find((t) => t.room === trialRoom)
      if (!trial) return null
      if (trial.mode === 'serial') return { note: 'this is the serial trial' }
      const serial = serialOf(trial)
      return serial ? { serial_s: serial.wall_s, own_s: trial.wall_s } : { note: 'no finished serial trial of this task yet' }
    }
  }

  async function show (trial, kind) {
    if (shown && shown.room === trial.room && shown.kind === kind) return
    if (shown && shown.viewer && shown.viewer.dispose) shown.viewer.dispose()
    const mount = el('div', { class: 'trial-view', 'data-room': trial.room })
    stage.replaceChildren(mount)
    shown = { room: trial.room, kind, viewer: null }
    // Watching never edits and stays invisible to the agents, whatever the token allows.
    const options = { room: trial.room, token, role: 'ro', compare: compareFor(trial.room) }
    const viewer = kind === 'live' ? startLive(mount, options) : await startReplay(mount, options)
    if (shown && shown.room === trial.room) shown.viewer = viewer
    render()
  }

  function current () {
    const trials = list()
    return trials.find((t) => t.status === 'running') ?? trials.filter((t) => t.status !== 'queued').at(-1) ?? null
  }

  function render () {
    const trials = list()
    const head = el('tr', {}, ...['#', 'task', 'mode', 'seed', 'status', 'wall', 'vs serial', ''].map((h) => el('th', {}, h)))
    const rows = trials.map((t, i) => {
      const serial = t.mode !== 'serial' && t.status === 'done' ? serialOf(t) : null
      const speed = serial && t.wall_s ? `${(serial.wall_s / t.wall_s).toFixed(2)}×` : ''
      const open = t.status === 'running'
        ? el('button', { type: 'button', onclick: () => { pinned = true; show(t, 'live') } }, 'watch')
        : t.status === 'queued' ? '' : el('button', { type: 'button', onclick: () => { pinned = true; show(t, 'replay') } }, 'replay')
      const isShown = shown && shown.room === t.room
      return el('tr', { class: isShown ? 'shown' : '', 'data-room': t.room, 'data-status': t.status ?? '' },
        el('td', {}, String(i + 1)), el('td', {}, t.task ?? ''), el('td', {}, t.mode ?? ''), el('td', {}, String(t.seed ?? '')),
        el('td', { class: `trial-status ${t.status ?? ''}` }, t.status === 'done' && t.passed === false ? 'done (hidden tests fail)' : t.status ?? ''),
        el('td', {}, typeof t.wall_s === 'number' ? `${t.wall_s.toFixed(1)} s` : ''), el('td', {}, speed), el('td', {}, open))
    })
    table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '8', class: 'empty' }, 'no trials yet'))])))
    followButton.disabled = !pinned
    const meta = doc.getMap('meta').toJSON()
    if (meta.model) {
      const model = String(meta.model)
      title.textContent = `run ${meta.run_id ?? room} · ${model.length > 48 ? model.slice(0, 47) + '…' : model}`
      title.title = model
    }
  }

  function followCurrent () {
    render()
    // A trial's wall time arrives after its room says finished: the shown panel's speedup needs it.
    if (shown && shown.viewer && shown.viewer.refresh) shown.viewer.refresh()
    if (pinned) return
    const trial = current()
    if (trial && !(shown && shown.room === trial.room)) show(trial, 'live')
  }

  followButton.addEventListener('click', () => { pinned = false; shown = shown && { ...shown, room: null }; followCurrent() })
  trialsMap.observeDeep(followCurrent)
  doc.getMap('meta').observe(render)
  provider.on('status', ({ status: s }) => { status.textContent = s; status.dataset.state = s })
  provider.on('sync', (synced) => {
    hook.synced = synced
    if (synced) { status.textContent = 'synced'; status.dataset.state = 'synced'; followCurrent() }
  })
  Object.assign(hook, { show: (r, kind) => { const t = list().find((x) => x.room === r); if (t) { pinned = true; return show(t, kind) } } })
  render()
  return hook
}
