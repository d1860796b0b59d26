// "Follow the action": which participant the page follows, and where their work is.
//
// The follow box offers: any agent (the one whose region changed last), one agent by
// name, or off. Picking a tab turns following off; it never switches the file under a
// person who is typing (the caller checks the editor's focus).

import { el } from './ui.js'

export class Follower {
  constructor (box, onChange) {
    this.box = box
    this.mode = 'any' // 'any' | 'off' | an agent name
    this.lastMoved = new Map() // agent -> {key, at}
    this.onChange = onChange
    this.select = el('select', { id: 'follow', title: 'which participant the page follows' })
    this.select.addEventListener('change', () => { this.mode = this.select.value; this.onChange() })
    box.replaceChildren(el('span', {}, 'follow '), this.select)
    this.render([])
  }

  /** Remember when each agent's region last changed (the "any" choice follows the latest). */
  observe (presences) {
    const now = performance.now()
    for (const p of presences) {
      if (p.self) continue
      const key = p.region ? `${p.region.file}|${p.region.symbol ?? ''}|${p.region.start ?? ''}|${p.region.end ?? ''}` : ''
      const seen = this.lastMoved.get(p.agent)
      if (!seen || seen.key !== key) this.lastMoved.set(p.agent, { key, at: p.region ? now : -1 })
    }
    this.render(presences)
  }

  render (presences) {
    const agents = [...new Set(presences.filter((p) => !p.self && p.role !== 'human').map((p) => p.agent))].sort()
    if (this.mode !== 'any' && this.mode !== 'off' && !agents.includes(this.mode)) agents.push(this.mode)
    const options = [['any', 'any agent'], ...agents.map((a) => [a, a]), ['off', 'off']]
    const same = this.select.options.length === options.length && options.every(([v], i) => this.select.options[i].value === v)
    if (!same) this.select.replaceChildren(...options.map(([value, text]) => el('option', { value }, text)))
    this.select.value = this.mode
  }

  stop () { this.mode = 'off'; this.select.value = 'off' }

  /** The presence to follow now, or null. */
  target (presences) {
    if (this.mode === 'off') return null
    const working = presences.filter((p) => !p.self && p.region && p.region.file)
    if (this.mode !== 'any') return working.find((p) => p.agent === this.mode) ?? null
    let best = null
    for (const p of working) {
      const at = this.lastMoved.get(p.agent)?.at ?? 0
      if (!best || at > best.at) best = { p, at }
    }
    return best ? best.p : null
  }
}
