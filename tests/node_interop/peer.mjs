// A Node Yjs peer for the interop test: npm `yjs` + `y-websocket`, driven over stdio.
//
//   node peer.mjs <relay-url> <room> <token>
//
// It connects a WebsocketProvider (Node 20 has no global WebSocket, so `ws` is
// the polyfill; the token travels as `?token=` through `params`, as in a
// browser) and prints one JSON object per line on stdout:
//   {"event": "status" | "synced" | "connection-error" | "connection-close" | "closed", ...}
//   {"reply": <id>, "ok": true|false, ...}       answers to commands
// Commands arrive as JSON lines on stdin, each with an `id`:
//   {"cmd": "wait_text", "path", "text", "timeout_ms"}  until files[path] == text
//   {"cmd": "insert", "path", "index", "text"}          index in UTF-16 code units (Yjs's unit)
//   {"cmd": "create", "path", "text"}                    a new Y.Text in `files`
//   {"cmd": "read"}                                      every file as a string
//   {"cmd": "todos"}                                     the `todos` map as plain JSON
//   {"cmd": "set_todo", "todo", "key", "value"}         one key of one TODO's Y.Map
// Everything that happens is reported, never decided here: the Python test judges.

import readline from 'node:readline'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [url, room, token] = process.argv.slice(2)
if (!url || !room || token === undefined) {
  process.stderr.write('usage: node peer.mjs <relay-url> <room> <token>\n')
  process.exit(2)
}

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const doc = new Y.Doc()
const files = doc.getMap('files')
const provider = new WebsocketProvider(url, room, doc, {
  WebSocketPolyfill: WebSocket,
  params: { token },
  disableBc: true,
  // Reconnecting after a rejected handshake would only repeat the rejection.
  maxBackoffTime: 200
})

provider.on('status', ({ status }) => emit({ event: 'status', status }))
provider.on('sync', (state) => { if (state) emit({ event: 'synced' }) })
provider.on('connection-error', (event) => {
  emit({ event: 'connection-error', message: String(event?.message ?? event?.error?.message ?? event?.type ?? event) })
})
provider.on('connection-close', (event) => {
  emit({ event: 'connection-close', code: event?.code ?? null, reason: event?.reason ?? '' })
})
provider.on('closed', ({ code, reason }) => emit({ event: 'closed', code, reason }))

const readFiles = () => {
  const out = {}
  for (const [path, value] of files.entries()) out[path] = value.toString()
  return out
}

const textAt = (path) => {
  const value = files.get(path)
  return value instanceof Y.Text ? value : null
}

// Waiters re-checked after every transaction, local or remote.
const waiters = new Set()
doc.on('afterTransaction', () => {
  for (const waiter of [...waiters]) waiter()
})

const commands = {
  wait_text ({ path, text, timeout_ms: timeoutMs = 5000 }) {
    return new Promise((resolve) => {
      const check = () => {
        const current = textAt(path)?.toString() ?? null
        if (current === text) {
          waiters.delete(check)
          clearTimeout(timer)
          resolve({ ok: true, text: current, utf16_length: current.length })
        }
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        resolve({ ok: false, error: 'timeout', text: textAt(path)?.toString() ?? null })
      }, timeoutMs)
      waiters.add(check)
      check()
    })
  },
  insert ({ path, index, text }) {
    const ytext = textAt(path)
    if (ytext === null) return { ok: false, error: `no file ${path}` }
    if (index < 0 || index > ytext.length) return { ok: false, error: `index ${index} outside 0..${ytext.length}` }
    doc.transact(() => ytext.insert(index, text), 'node-peer')
    return { ok: true, text: ytext.toString() }
  },
  create ({ path, text }) {
    doc.transact(() => files.set(path, new Y.Text(text)), 'node-peer')
    return { ok: true }
  },
  read () {
    return { ok: true, files: readFiles() }
  },
  todos () {
    return { ok: true, todos: doc.getMap('todos').toJSON() }
  },
  set_todo ({ todo, key, value }) {
    const entry = doc.getMap('todos').get(todo)
    if (!(entry instanceof Y.Map)) return { ok: false, error: `no TODO ${todo}` }
    doc.transact(() => entry.set(key, value), 'node-peer')
    return { ok: true }
  },
}

const lines = readline.createInterface({ input: process.stdin })
lines.on('line', async (line) => {
  if (!line.trim()) return
  let request
  try {
    request = JSON.parse(line)
  } catch (err) {
    emit({ reply: null, ok: false, error: `bad JSON: ${err.message}` })
    return
  }
  const handler = commands[request.cmd]
  if (!handler) {
    emit({ reply: request.id ?? null, ok: false, error: `unknown command ${request.cmd}` })
    return
  }
  const result = await handler(request)
  emit({ reply: request.id ?? null, ...result })
})
// The test owns our lifetime: when it closes stdin, we leave.
lines.on('close', () => {
  provider.destroy()
  process.exit(0)
})
