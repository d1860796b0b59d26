// Index conversion at the one boundary between our Presence schema and the browser.
//
// Agents publish regions as Python `str` indices (code points); CodeMirror and
// Yjs in the browser count UTF-16 code units. Outside the BMP the two differ.

/** UTF-16 offset of code point index `cp` in `text` (clamped to the text). */
export function codePointToUtf16 (text, cp) {
  let units = 0
  let points = 0
  while (points < cp && units < text.length) {
    const code = text.charCodeAt(units)
    units += code >= 0xd800 && code <= 0xdbff && units + 1 < text.length ? 2 : 1
    points += 1
  }
  return units
}

/** Code point index of UTF-16 offset `units` in `text`. */
export function utf16ToCodePoint (text, units) {
  let points = 0
  for (let i = 0; i < units && i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) i++
    points++
  }
  return points
}

/** A stable colour for a name (used for the human's own presence). */
export function colourFor (name) {
  let hash = 0
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0
  return `hsl(${hash % 360}, 70%, 45%)`
}
