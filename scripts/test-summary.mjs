// Print vitest's own counts as the plain closing line "N passed, N failed[, N skipped]".
import {readFileSync} from 'node:fs'

const file = process.argv[2]
let r
try {
  r = JSON.parse(readFileSync(file, 'utf8'))
} catch {
  console.log('0 passed, 1 failed')
  process.exit(0)
}
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`)
