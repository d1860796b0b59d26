// What happened, from the document alone: events as sentences, per-agent swimlanes,
// the run's timing (elapsed, critical-path bound), the board's column for a TODO.
// Plain functions over plain values (live and replay both call them).

/** Board column of a TODO: a final `fail` verdict is FAILED even though its status stays `done`. */
export function columnOf (todo) {
  const status = todo.status ?? 'pending'
  if (status === 'done' && todo.verdict === 'fail') return 'failed'
  return status
}

function short (path) { return path ? String(path).split('/').at(-1) : '' }

function nameOf (todos, id) {
  const t = id ? todos[id] : null
  if (!t || !t.symbol) return id ?? 'the run'
  // A multi-file project's id is "<path>::<symbol>": the same name can live in several modules.
  return String(id).includes('::') && t.file ? `${t.symbol} in ${short(t.file)}` : t.symbol
}

function secs (x) { return typeof x === 'number' && isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)} s` : '' }

/** One event as a sentence a person reads ("implementer-1 claimed Stack.push (attempt 2)"). */
export function describe (e, todos = {}) {
  const who = e.agent ?? 'someone'
  const what = nameOf(todos, e.todo)
  const d = e.data ?? {}
  const attempt = d.attempt ? ` (attempt ${d.attempt})` : ''
  switch (e.type) {
    case 'outline': return `${who} published the outline${d.todos ? ` with ${d.todos} TODOs` : ''}${d.file ? ` in ${short(d.file)}` : ''}`
    case 'claim': return `${who} claimed ${what}${attempt}`
    case 'reclaim': return `${who} took over ${what} from a stale claim${attempt}`
    case 'verify': return `${who} holds ${what}: claim verified${typeof d.wait_s === 'number' ? ` after ${Math.round(d.wait_s * 1000)} ms` : ''}`
    case 'loss': return `${who} lost the claim on ${what} to ${d.winner ?? 'another agent'} and backs off`
    case 'model_call': {
      const blind = Array.isArray(d.missing) && d.missing.length ? `, blind to ${d.missing.join(', ')}` : ''
      const spare = d.spare ? ', kept as a spare' : ''
      const edit = d.edit ? ', edits to the code that failed' : ''
      return `${who} got a model reply for ${what}: ${d.tokens ?? '?'} tokens in ${secs(d.seconds)}${blind}${edit}${spare}`
    }
    case 'complete': case 'commit': return `${who} committed ${what}${attempt}`
    case 'verdict': {
      if (d.verdict === 'pass') return `${who}: ${what} passes its checks${attempt}`
      const then = d.reopened ? ', reopened for a repair' : ', closed as failed'
      return `${who}: ${what} fails its checks${attempt}${d.reason ? ` (${d.reason})` : ''}${then}`
    }
    case 'release': return `${who} released ${what}${d.reason ? ` (${String(d.reason).slice(0, 60)})` : ''}`
    case 'preempted': return `${who} was preempted on ${what}${d.by ? ` by ${d.by}` : ''}`
    case 'expire': return `${who} saw the lease on ${what} expire`
    case 'repair': return `${who} repaired the region of ${what}`
    case 'repair_failed': return `${who} could not repair ${what}`
    case 'region_restored': return `${who} restored ${what} to its judged result`
    case 'stream_undone': return `${who} took back a broken half-written reply for ${what}`
    case 'spares_kept': return `${who} kept ${d.count ?? 'a'} spare repair${d.count === 1 ? '' : 's'} of ${what}`
    case 'edit_failed': return `${who}'s edits to ${what} did not apply; asking for the whole definition`
    case 'spare_used': return `${who} committed a kept spare for ${what}${attempt}, without a model call`
    case 'drafts': return `${who} drafted ${what} ${d.asked ?? '?'} ways, ${d.finished ?? '?'} finished, ${d.passed ? 'one passed' : 'none passed'}`
    case 'conflicts': return `${who} found ${d.count ?? 'some'} semantic conflicts`
    case 'reconcile': return `${who} removed a duplicate of ${what}`
    case 'double_claim': return `${who} saw ${what} claimed twice`
    case 'give_up': return `${who} gave up on ${what}`
    case 'out_of_budget': return `${who} ran out of budget on ${what}`
    case 'finished': return `${who} finished the run`
    case 'pause': return `${who} paused`
    case 'join': return `${who} joined`
    case 'done': return `${who} finished the round`
    default: return `${who} ${e.type ?? 'did something'}${e.todo ? ` on ${what}` : ''}`
  }
}

/** Wall-clock span of the run from its events: start (first event), end (the finish, if any). */
export function runTimes (events, meta) {
  const times = events.map((e) => e.time).filter((t) => typeof t === 'number')
  if (!times.length) return { start: null, end: null }
  const over = ['finished', 'aborted', 'out_of_budget', 'done'].includes(meta.phase)
  return { start: Math.min(...times), end: over ? Math.max(...times) : null }
}

/**
 * Per-agent lanes: [{agent, items: [{kind, from, to, todo}]}] with times in seconds since `start`.
 * kinds: claim (held), call, blind (a call that did not see a dependency), redraft (a later attempt's call),
 * spare (a reply drawn beside a repair, kept for the next reopen), commit, pass, fail (instants).
 */
export function lanes (events, start) {
  const byAgent = new Map()
  const lane = (agent) => {
    if (!byAgent.has(agent)) byAgent.set(agent, [])
    return byAgent.get(agent)
  }
  const open = new Map() // agent|todo -> claim start
  const attempts = new Map() // todo -> calls seen
  for (const e of events) {
    if (typeof e.time !== 'number' || !e.agent) continue
    const t = e.time - start
    const d = e.data ?? {}
    const key = `${e.agent}|${e.todo}`
    if (e.type === 'claim' || e.type === 'reclaim') open.set(key, t)
    else if (['complete', 'release', 'loss', 'preempted', 'give_up'].includes(e.type) && open.has(key)) {
      lane(e.agent).push({ kind: 'claim', from: open.get(key), to: t, todo: e.todo })
      open.delete(key)
    }
    if (e.type === 'model_call') {
      const seconds = typeof d.seconds === 'number' ? d.seconds : 0
      const n = d.spare ? 0 : (attempts.get(e.todo) ?? 0) + 1
      if (!d.spare) attempts.set(e.todo, n)
      const blind = Array.isArray(d.missing) && d.missing.length > 0
      const kind = d.spare ? 'spare' : blind ? 'blind' : n > 1 ? 'redraft' : 'call'
      lane(e.agent).push({ kind, from: Math.max(0, t - seconds), to: t, todo: e.todo })
    } else if (e.type === 'complete' || e.type === 'commit') {
      lane(e.agent).push({ kind: 'commit', from: t, to: t, todo: e.todo })
    } else if (e.type === 'verdict') {
      lane(e.agent).push({ kind: d.verdict === 'pass' ? 'pass' : 'fail', from: t, to: t, todo: e.todo })
    }
  }
  const last = events.length ? events.at(-1).time - start : 0
  for (const [key, from] of open) lane(key.split('|')[0]).push({ kind: 'claim', from, to: last, todo: key.split('|')[1], open: true })
  // Claims underneath: calls and instants are drawn over them.
  const rank = (i) => (i.kind === 'claim' ? 0 : i.from === i.to ? 2 : 1)
  return [...byAgent.entries()].map(([agent, items]) => ({ agent, items: items.sort((a, b) => rank(a) - rank(b)) })).sort((a, b) => laneOrder(a.agent) - laneOrder(b.agent) || a.agent.localeCompare(b.agent))
}

function laneOrder (agent) { return agent.startsWith('outliner') ? 0 : agent.startsWith('judge') ? 2 : 1 }

/**
 * The critical-path bound, as the benchmark defines it (bench/_metrics.py): what the model calls measured so
 * far would take alone with perfect coordination. `parallel` waits on no dependency: at least the longest
 * TODO's model time and the total over the agents. Other modes wait on dependencies: the longest chain of
 * model time, or the total over the agents if larger. Returns {bound, chain, work, agents} or null.
 */
export function bounds (events, plan) {
  const work = new Map()
  const agents = new Set()
  for (const e of events) {
    // Every implementer that tried to claim counts, as the benchmark counts the agents it started.
    if (['claim', 'reclaim', 'loss', 'verify', 'model_call'].includes(e.type) && e.agent) agents.add(e.agent)
    // A spare ran beside the repair it was drawn with: the benchmark leaves it out of the bound too.
    if (e.type === 'model_call' && e.todo && typeof e.data?.seconds === 'number' && !e.data.spare) work.set(e.todo, (work.get(e.todo) ?? 0) + e.data.seconds)
  }
  if (!work.size) return null
  const deps = (plan && plan.deps) || {}
  const memo = new Map()
  const chain = (id, seen = new Set()) => {
    if (memo.has(id)) return memo.get(id)
    if (seen.has(id)) return 0 // a cycle in a broken plan must not hang the page
    seen.add(id)
    const longest = Math.max(0, ...(deps[id] ?? []).filter((d) => work.has(d)).map((dep) => chain(dep, seen)))
    const value = (work.get(id) ?? 0) + longest
    memo.set(id, value)
    return value
  }
  const total = [...work.values()].reduce((a, b) => a + b, 0)
  const perAgent = total / Math.max(1, agents.size)
  const longest = (plan && plan.mode === 'parallel') ? Math.max(...work.values()) : Math.max(...[...work.keys()].map((id) => chain(id)))
  return { bound: Math.max(longest, perAgent), chain: longest, work: total, agents: agents.size }
}

/** A meta value as a person reads it: rounded numbers, summarised objects, no walls of text. */
export function plainValue (key, value) {
  if (value === null || value === undefined) return null
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(3).replace(/\.?0+$/, '')
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (typeof value === 'string') return value.length > 60 ? null : value
  if (key === 'plan' && value.mode) {
    const n = Object.keys(value.deps ?? {}).length
    return `${value.mode}${value.requested && value.requested !== value.mode ? ` (asked: ${value.requested})` : ''}, ${n} TODOs in ${(value.waves ?? []).length} waves`
  }
  if (key === 'judge' && typeof value === 'object') {
    return Object.entries(value).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${plainValue(k, v)}`).join(' · ')
  }
  return null
}
