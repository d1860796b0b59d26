// Entry point: /view/<room>?token=… (live), /replay/<room>?token=… (history), /run/<index room>?token=… (a whole benchmark run).

import { startLive } from './live.js'
import { startReplay } from './replay.js'
import { startWatch } from './watch.js'
import { el } from './ui.js'

async function main () {
  const root = document.getElementById('app')
  const params = new URLSearchParams(location.search)
  const token = params.get('token') ?? ''
  const match = location.pathname.match(/^\/(view|replay|run)\/([A-Za-z0-9][A-Za-z0-9._-]*)\/?$/)
  if (!match) {
    root.replaceChildren(el('p', { class: 'empty' }, 'Open /view/<room>?token=… to watch a workspace live, /replay/<room>?token=… to scrub through a stored run, or the /run/… URL `crdt-bench run --watch` prints to follow a whole benchmark run.'))
    return
  }
  const [, mode, room] = match
  document.title = `${room} · ${mode} · crdt workspace`
  if (mode === 'replay') {
    await startReplay(root, { room, token })
    return
  }
  const response = await fetch(`/api/whoami?token=${encodeURIComponent(token)}`)
  if (!response.ok) {
    root.replaceChildren(el('p', { class: 'error', id: 'error' }, `The relay refused this token (HTTP ${response.status}).`))
    window.__viewer = { mode: 'live', error: response.status }
    return
  }
  const { role } = await response.json()
  if (mode === 'run') startWatch(root, { room, token })
  else startLive(root, { room, token, role, name: params.get('name') })
}

main().catch((error) => {
  console.error(error)
  document.getElementById('app').replaceChildren(el('p', { class: 'error', id: 'error' }, String(error)))
})
