/**
 * oclif hook for a mistyped command: one line naming what was typed and the closest command
 * ("did you mean simulate?"), exit 2, instead of "command simulat:/path/good.yaml not found".
 */
import type {Hook} from '@oclif/core'

/** Edit distance (insertions, deletions, substitutions) between two short words. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]
}

/**
 * The command meant by `typed` (words joined by ":" as oclif passes them, arguments included), or
 * undefined when nothing is close. Commands are compared word for word with as many words as they have.
 */
export function closestCommand(typed: string, commands: readonly string[]): string | undefined {
  const words = typed.split(':')
  let best: {id: string; d: number} | undefined
  for (const id of commands) {
    const n = id.split(':').length
    const d = editDistance(words.slice(0, n).join(':').toLowerCase(), id)
    if (best === undefined || d < best.d) best = {id, d}
  }
  if (best === undefined || best.d > Math.max(2, Math.floor(best.id.length / 3))) return undefined
  return best.id.replaceAll(':', ' ')
}

const hook: Hook.CommandNotFound = async function (opts) {
  const best = closestCommand(opts.id, opts.config.commandIDs)
  const typed = opts.id.split(':').slice(0, best === undefined ? 1 : best.split(' ').length).join(' ')
  process.stderr.write(`Error: unknown command "${typed}"${best === undefined ? '' : `; did you mean ${best}?`}\nHint: run \`${opts.config.bin} --help\` for the commands\n`)
  this.exit(2)
}

export default hook
