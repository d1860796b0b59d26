// The code editor: CodeMirror 6 bound to one Y.Text, with agents' regions drawn as
// coloured, named cursors (our Presence schema, not y-codemirror's cursor format).

import { EditorState, StateEffect, StateField, RangeSetBuilder } from '@codemirror/state'
import { Decoration, EditorView, WidgetType, drawSelection, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view'
import { defaultKeymap } from '@codemirror/commands'
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { python } from '@codemirror/lang-python'
import * as Y from 'yjs'
import { yCollab } from 'y-codemirror.next'
import { codePointToUtf16, utf16ToCodePoint } from './text.js'
import { symbolSpan } from './symbols.js'

const setRegions = StateEffect.define()

class NameTag extends WidgetType {
  constructor (name, color) {
    super()
    this.name = name
    this.color = color
  }

  eq (other) { return other.name === this.name && other.color === this.color }

  toDOM () {
    const caret = document.createElement('span')
    caret.className = 'cm-agent-caret'
    caret.style.borderColor = this.color
    caret.dataset.agent = this.name
    const tag = document.createElement('span')
    tag.className = 'cm-agent-name'
    tag.style.backgroundColor = this.color
    tag.textContent = this.name
    caret.appendChild(tag)
    return caret
  }

  ignoreEvent () { return true }
}

/** Regions [{agent, color, symbol, start, end}] -> UTF-16 [from, to): the symbol as it stands now, else the offsets. */
export function resolveRegions (regions, text) {
  return regions.map((r) => {
    const span = symbolSpan(text, r.symbol)
    if (span) return { ...r, from: span[0], to: span[1], anchored: true }
    const from = codePointToUtf16(text, Math.max(0, r.start ?? 0))
    return { ...r, from, to: Math.max(from, codePointToUtf16(text, Math.max(0, r.end ?? 0))), anchored: false }
  })
}

function decorate (regions, doc) {
  if (!regions.length) return Decoration.none // no copy of the text per keystroke when nobody has a region
  const spans = []
  for (const r of resolveRegions(regions, doc.toString())) {
    const from = Math.min(r.from, doc.length)
    const to = Math.min(r.to, doc.length)
    spans.push({ pos: from, side: 0, deco: Decoration.mark({ class: 'cm-agent-region', attributes: { style: `background-color: ${tint(r.color)}`, 'data-agent': r.agent, 'data-symbol': r.symbol ?? '' } }), to })
    spans.push({ pos: to, side: 1, deco: Decoration.widget({ widget: new NameTag(r.agent, r.color), side: 1 }), to })
  }
  spans.sort((a, b) => a.pos - b.pos || a.side - b.side)
  const builder = new RangeSetBuilder()
  for (const s of spans) {
    if (s.side === 0) {
      if (s.to > s.pos) builder.add(s.pos, s.to, s.deco)
    } else {
      builder.add(s.pos, s.pos, s.deco)
    }
  }
  return builder.finish()
}

function tint (color) {
  // #rrggbb -> translucent; other CSS colours get a generic translucency via color-mix.
  return /^#[0-9a-f]{6}$/i.test(color) ? color + '33' : `color-mix(in srgb, ${color} 20%, transparent)`
}

const regionField = StateField.define({
  create () { return { regions: [], set: Decoration.none } },
  update (value, tr) {
    let regions = value.regions
    for (const effect of tr.effects) if (effect.is(setRegions)) regions = effect.value
    if (regions === value.regions && !tr.docChanged) return value
    return { regions, set: decorate(regions, tr.state.doc) }
  },
  provide: (field) => EditorView.decorations.from(field, (value) => value.set)
})

/** One editor pane; `show()` rebinds it to another file. */
export class FileEditor {
  constructor (parent, { onLocalSelection = null, onChange = null } = {}) {
    this.parent = parent
    this.view = null
    this.onLocalSelection = onLocalSelection
    this.onChange = onChange
    this.regions = []
  }

  _base (readOnly) {
    const listener = EditorView.updateListener.of((update) => {
      if (update.docChanged && this.onChange) this.onChange(update.state.doc)
      if (!readOnly && update.selectionSet && update.view.hasFocus && this.onLocalSelection) {
        const text = update.state.doc.toString()
        const sel = update.state.selection.main
        this.onLocalSelection(utf16ToCodePoint(text, sel.from), utf16ToCodePoint(text, sel.to))
      }
    })
    return [
      lineNumbers(),
      highlightActiveLine(),
      drawSelection(),
      python(),
      syntaxHighlighting(defaultHighlightStyle),
      keymap.of(defaultKeymap),
      regionField,
      EditorState.readOnly.of(readOnly),
      EditorView.editable.of(!readOnly),
      listener
    ]
  }

  /** Bind to a live Y.Text; `readOnly` makes the editor non-editable. */
  bind (ytext, readOnly) {
    const extensions = [...this._base(readOnly), yCollab(ytext, null, { undoManager: readOnly ? false : new Y.UndoManager(ytext) })]
    this._mount(ytext.toString(), extensions)
    this.mode = 'live'
  }

  /** Show plain text (replay): always read-only. */
  showText (text) {
    if (this.view && this.mode === 'text') {
      if (this.view.state.doc.toString() !== text) {
        this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } })
      }
      return
    }
    this._mount(text, this._base(true))
    this.mode = 'text'
  }

  _mount (text, extensions) {
    if (this.view) this.view.destroy()
    this.parent.textContent = ''
    const state = EditorState.create({ doc: text, extensions })
    this.view = new EditorView({ state, parent: this.parent })
    this.setRegions(this.regions)
    if (this.onChange) this.onChange(state.doc)
  }

  clear (message) {
    if (this.view) this.view.destroy()
    this.view = null
    this.mode = null
    this.parent.textContent = ''
    const note = document.createElement('div')
    note.className = 'empty'
    note.textContent = message
    this.parent.appendChild(note)
  }

  /** Scroll so that UTF-16 offset `pos` is in view (centred), without moving anyone's selection. */
  reveal (pos) {
    if (!this.view) return
    const at = Math.max(0, Math.min(pos, this.view.state.doc.length))
    this.view.dispatch({ effects: EditorView.scrollIntoView(at, { y: 'center' }) })
  }

  /** Whether a person is working in this editor right now (focused): the page must not switch files under them. */
  busy () { return Boolean(this.view && this.view.hasFocus) }

  /** Regions of other participants in this file: [{agent, color, symbol, start, end}] (offsets in code points, a fallback for the symbol). */
  setRegions (regions) {
    this.regions = regions
    if (this.view) this.view.dispatch({ effects: setRegions.of(regions) })
  }

  /** The regions as drawn now: UTF-16 [from, to) in the current text, and whether the symbol anchored them. */
  drawnRegions () { return this.view ? resolveRegions(this.regions, this.view.state.doc.toString()) : [] }

  text () { return this.view ? this.view.state.doc.toString() : null }
}
