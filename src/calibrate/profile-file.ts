import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import {stringify} from 'yaml'
import {z} from 'zod'

import {InputError} from '../errors.js'
import {resolveServingProfile} from '../fleet/profiles/catalog.js'
import type {ServingProfile} from '../fleet/types.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {parseYamlInput, readInputFile} from '../util/read-input.js'
import type {CalibrationResult} from './fit.js'

/**
 * A serving profile adjusted by a measurement: the shipped profile it starts from (model, GPU, TP)
 * and one factor on its step time, with the measurement recorded as the factor's source (the k6
 * output file and its SHA-256, so the figure can be traced to the run that produced it).
 */
export const CalibratedProfileSchema = z.object({
  apiVersion: z.literal('fleetcap.dev/v1'),
  kind: z.literal('CalibratedServingProfile'),
  base: z.object({id: z.string(), model: z.string(), gpu: z.string(), tensorParallel: z.number().int().positive()}),
  stepTimeScale: z.object({value: z.number().positive(), source: z.string()}),
  calibration: z.object({
    method: z.string(),
    measurement: z.object({file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), format: z.string(), requests: z.number(), durationS: z.number().optional()}),
    load: z.object({dir: z.string(), replicas: z.number().int().positive()}),
    rmsLogError: z.object({before: z.number(), after: z.number()}),
    figures: z.array(z.object({figure: z.string(), measured: z.number(), predictedBefore: z.number(), predictedAfter: z.number()})),
  }),
})
export type CalibratedProfile = z.infer<typeof CalibratedProfileSchema>

/** schemas/calibrated-profile.schema.json as committed (for editors and other tools). */
export function renderCalibratedProfileJsonSchema(): string {
  const schema = z.toJSONSchema(CalibratedProfileSchema, {io: 'input'}) as Record<string, unknown>
  const doc = {
    $schema: schema.$schema,
    $id: 'https://fleetcap.dev/schemas/calibrated-profile.schema.json',
    title: 'fleetcap calibrated serving profile (fleetcap calibrate --write-profile)',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  }
  return `${JSON.stringify(doc, null, 2)}\n`
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex')
}

export interface CalibratedProfileInput {
  base: Pick<ServingProfile, 'id' | 'model' | 'gpu' | 'tensorParallel'>
  result: CalibrationResult
  measurement: {file: string; sha256: string; format: string; requests: number; durationS?: number}
  load: {dir: string; replicas: number}
  predictor: string
}

const round = (x: number, digits = 6): number => Number(x.toPrecision(digits))

export function calibratedProfileDocument(input: CalibratedProfileInput): CalibratedProfile {
  const {result, measurement} = input
  const fitted = result.after.filter((c) => c.fitted).map((c) => c.figure)
  return {
    apiVersion: 'fleetcap.dev/v1',
    kind: 'CalibratedServingProfile',
    base: {id: input.base.id, model: input.base.model, gpu: input.base.gpu, tensorParallel: input.base.tensorParallel},
    stepTimeScale: {
      value: round(result.stepScale, 4),
      source: `fleetcap calibrate: k6 ${measurement.format} ${measurement.file} (sha256 ${measurement.sha256}), ${measurement.requests} requests; fitted on ${fitted.join(', ')}`,
    },
    calibration: {
      method: `one factor on ${input.base.id}'s step time, minimising the RMS log error of the fitted figures between the measurement and the ${input.predictor} prediction of the same load on ${input.load.replicas} replica(s)`,
      measurement: {...measurement, durationS: measurement.durationS === undefined ? undefined : round(measurement.durationS)},
      load: input.load,
      rmsLogError: {before: round(result.rmsLogErrorBefore, 4), after: round(result.rmsLogErrorAfter, 4)},
      figures: result.before.map((b) => ({
        figure: b.figure,
        measured: round(b.measured),
        predictedBefore: round(b.predicted),
        predictedAfter: round(result.after.find((a) => a.figure === b.figure)?.predicted ?? Number.NaN),
      })),
    },
  }
}

export async function writeCalibratedProfile(path: string, input: CalibratedProfileInput): Promise<CalibratedProfile> {
  const doc = calibratedProfileDocument(input)
  const header = '# Serving profile adjusted by `fleetcap calibrate` from a k6 measurement: the base profile\n# (models/serving.yaml) with its step time multiplied by stepTimeScale.\n'
  await writeFileAtomic(path, header + stringify(doc, {lineWidth: 0}))
  return doc
}

/** A serving profile whose every step takes `scale` times as long (the same batching limits). */
export function scaleServingProfile<P extends ServingProfile>(profile: P, scale: number): P {
  if (!(scale > 0)) throw new RangeError(`scale must be > 0, got ${scale}`)
  if (scale === 1) return profile
  // A prototype-linked view keeps the profile's fields and methods; only the two costs change.
  return Object.assign(Object.create(profile) as P, {
    id: `${profile.id}*${round(scale, 4)}`,
    stepTimeS: (p: number, d: number, c: number) => profile.stepTimeS(p, d, c) * scale,
    decodeRunTimeS: (steps: number, seqs: number, ctx: number) => profile.decodeRunTimeS(steps, seqs, ctx) * scale,
  })
}

/** Read a calibrated profile file and build the serving profile it describes (base × scale). */
export async function loadCalibratedProfile(path: string): Promise<ServingProfile> {
  const parsed = CalibratedProfileSchema.safeParse(parseYamlInput(path, await readInputFile(path)))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InputError({file: path, field: issue.path.join('.')}, issue.message)
  }
  const {base, stepTimeScale} = parsed.data
  return scaleServingProfile(resolveServingProfile({model: base.model, gpu: base.gpu, tensorParallel: base.tensorParallel}), stepTimeScale.value)
}
