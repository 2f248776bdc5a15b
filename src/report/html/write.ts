/** Writing a report page: atomically, and never over a file fleetcap did not write. */
import {readFileSync, statSync} from 'node:fs'

import {InputError} from '../../errors.js'
import {writeFileAtomic} from '../../util/atomic-write.js'
import {GENERATOR} from './page.js'

/** Refuse an --html path that is a directory or an existing file that is not a fleetcap report (checked before any work). */
export function checkHtmlOutput(path: string, flag = '--html'): void {
  if (path.trim() === '') throw new InputError({field: flag}, 'empty path')
  const st = statSync(path, {throwIfNoEntry: false})
  if (st === undefined) return
  if (st.isDirectory()) throw new InputError({file: path}, 'is a directory; give a file name', {hint: `choose a file for ${flag}`})
  const head = readFileSync(path, {encoding: 'utf8', flag: 'r'}).slice(0, 600)
  if (!head.includes(`<meta name="generator" content="${GENERATOR}">`)) {
    throw new InputError({file: path}, 'exists and is not a report fleetcap wrote; not replaced', {hint: `choose another file for ${flag}`})
  }
}

export async function writeHtml(path: string, html: string): Promise<void> {
  await writeFileAtomic(path, html)
}
