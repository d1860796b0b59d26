// Bundle src/main.js into ../static/viewer.js with esbuild, plus the licences of
// every npm package inside it (../static/THIRD_PARTY_LICENSES.txt).
// Deterministic: the same lockfile gives the same bytes.
//
//   npm run build             write both files
//   npm run build -- --check  rebuild in memory and fail if the shipped files differ

import { build } from 'esbuild'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const here = path.dirname(fileURLToPath(import.meta.url))
const staticDir = path.join(here, '..', 'static')
const check = process.argv.includes('--check')

const result = await build({
  absWorkingDir: here,
  entryPoints: ['src/main.js'],
  bundle: true,
  format: 'iife',
  target: ['es2020'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  charset: 'utf8',
  write: false,
  metafile: true,
  outfile: path.join(staticDir, 'viewer.js'),
  logLevel: 'warning'
})

async function licences (inputs) {
  // node_modules/<name> or node_modules/@scope/<name>, for every bundled input.
  const dirs = new Set()
  for (const input of Object.keys(inputs)) {
    const match = input.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//)
    if (match) dirs.add(match[1])
  }
  const parts = ['Third-party software bundled in viewer.js (built from web/frontend/package-lock.json).\n']
  for (const name of [...dirs].sort()) {
    const dir = path.join(here, 'node_modules', name)
    const meta = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'))
    const file = (await readdir(dir)).sort().find((f) => /^(licen[sc]e|copying)/i.test(f))
    const text = file ? (await readFile(path.join(dir, file), 'utf8')).trim() : `(no licence file shipped; package.json says: ${meta.license})`
    parts.push(`${'='.repeat(72)}\n${name} ${meta.version} (${meta.license})\n${'='.repeat(72)}\n${text}\n`)
  }
  return Buffer.from(parts.join('\n'))
}

const outputs = {
  'viewer.js': Buffer.from(result.outputFiles[0].contents),
  'THIRD_PARTY_LICENSES.txt': await licences(result.metafile.inputs)
}

let stale = 0
for (const [name, built] of Object.entries(outputs)) {
  const target = path.join(staticDir, name)
  if (check) {
    let shipped = null
    try { shipped = await readFile(target) } catch { /* missing counts as different */ }
    if (shipped === null || Buffer.compare(built, shipped) !== 0) {
      console.error(`web/static/${name} differs from a fresh build (${built.length} bytes built, ${shipped?.length ?? 'none'} shipped)`)
      stale++
    } else {
      console.log(`web/static/${name} matches a fresh build (${built.length} bytes)`)
    }
  } else {
    await writeFile(target, built)
    console.log(`wrote web/static/${name} (${built.length} bytes)`)
  }
}
if (stale) {
  console.error('run `npm ci --prefix web/frontend && npm run build --prefix web/frontend` and commit web/static')
  process.exit(1)
}
