import {writeOutputDir} from '../util/atomic-write.js'
import {DATA_FILE, type K6Export, META_FILE, SCRIPT_FILE} from './script.js'

/**
 * Write a rendered export into a directory (load.js, requests.json, load-meta.json) as one unit: a
 * directory fleetcap did not write is never overwritten. Returns the script's path.
 */
export async function writeK6Export(dir: string, exp: K6Export): Promise<{script: string; data: string; meta: string}> {
  await writeOutputDir(dir, {
    [SCRIPT_FILE]: exp.script,
    [DATA_FILE]: exp.data,
    [META_FILE]: `${JSON.stringify(exp.meta, null, 2)}\n`,
  })
  return {script: `${dir}/${SCRIPT_FILE}`, data: `${dir}/${DATA_FILE}`, meta: `${dir}/${META_FILE}`}
}
