import {join} from 'node:path'

import {z} from 'zod'

import {InputError} from '../errors.js'
import {writeOutputDir} from '../util/atomic-write.js'
import {readInputFile} from '../util/read-input.js'
import type {LoadProfile} from './load.js'
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
  return {script: join(dir, SCRIPT_FILE), data: join(dir, DATA_FILE), meta: join(dir, META_FILE)}
}

const TIME_UNIT_S: Record<string, number> = {'1s': 1, '10s': 10, '1m': 60, '10m': 600, '1h': 3600}

const metaSchema = z.object({
  executor: z.enum(['ramping-arrival-rate', 'constant-arrival-rate']),
  timeUnit: z.string().refine((u) => u in TIME_UNIT_S, 'unknown time unit'),
  stages: z.array(z.object({durationS: z.number().positive(), target: z.number().int().nonnegative()})).min(1),
  origin: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
})
const dataSchema = z.object({tasks: z.array(z.array(z.tuple([z.number(), z.number(), z.number()])).min(1)).min(1)})

async function readJson(path: string): Promise<unknown> {
  const text = await readInputFile(path, {hint: 'pass the directory `fleetcap k6 export` wrote'})
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new InputError({file: path}, `not JSON: ${(error as Error).message}`)
  }
}

function zodProblem(path: string, error: z.ZodError): InputError {
  const issue = error.issues[0]
  return new InputError({file: path, field: issue.path.join('.') || undefined}, issue.message)
}

/**
 * The load an export directory applies, exactly as k6 applies it: the stages at the whole-number
 * rates the script carries (not the trace's fractional ones) and the token mix of its data file.
 */
export async function readK6ExportLoad(dir: string): Promise<LoadProfile> {
  const metaPath = join(dir, META_FILE)
  const dataPath = join(dir, DATA_FILE)
  const meta = metaSchema.safeParse(await readJson(metaPath))
  if (!meta.success) throw zodProblem(metaPath, meta.error)
  const data = dataSchema.safeParse(await readJson(dataPath))
  if (!data.success) throw zodProblem(dataPath, data.error)
  const unitS = TIME_UNIT_S[meta.data.timeUnit]
  return {
    executor: meta.data.executor,
    stages: meta.data.stages.map((s) => ({durationS: s.durationS, ratePerS: s.target / unitS})),
    tasks: data.data.tasks,
    origin: meta.data.origin,
  }
}
