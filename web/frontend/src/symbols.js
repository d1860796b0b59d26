// Where a Python symbol stands in the text *now*: agents publish the qualified name
// they work on (`Stack.push`), and the page resolves it against the current text,
// so a highlight stays on its method however the text above it changes.
//
// An indentation scan (like crdt_ws/_symbols.py's fallback): it works while a model
// is still streaming into the method and the module does not parse.

const DEF = /^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+(\w+)/

/** [from, to) of `qualname` in `text` as UTF-16 offsets (whole lines, decorators included), or null. */
export function symbolSpan (text, qualname) {
  if (!qualname) return null
  const lines = text.split('\n')
  const starts = []
  let offset = 0
  for (const line of lines) { starts.push(offset); offset += line.length + 1 }
  const parts = qualname.split('.')
  let lo = 0
  let hi = lines.length
  let minIndent = 0
  let found = null
  for (const name of parts) {
    found = null
    for (let i = lo; i < hi; i++) {
      const m = DEF.exec(lines[i])
      if (!m || m[3] !== name) continue
      const indent = m[1].replace(/\t/g, '    ').length
      if (indent < minIndent) continue
      let end = i + 1
      while (end < hi) {
        const line = lines[end]
        if (line.trim() !== '' && indent >= line.length - line.trimStart().length) break
        end++
      }
      while (end > i + 1 && lines[end - 1].trim() === '') end-- // trailing blank lines belong to no one
      let first = i
      while (first > lo && /^[ \t]*@/.test(lines[first - 1])) first--
      found = { first, def: i, end, indent }
      break
    }
    if (!found) return null
    lo = found.def + 1
    hi = found.end
    minIndent = found.indent + 1
  }
  const to = found.end < lines.length ? starts[found.end] : text.length
  return [starts[found.first], Math.max(starts[found.first], to)]
}
