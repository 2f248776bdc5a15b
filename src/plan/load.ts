import {existsSync, readdirSync, statSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'

import {LineCounter, parseAllDocuments, parseDocument, type Document} from 'yaml'
import type {z} from 'zod'

import {InputError} from '../errors.js'
import {joinPath, lineOfPath} from '../util/yaml-path.js'
import {canonicalJson, sha256Hex} from './canonical.js'
import {ManifestObjectSchema, PLAN_API_VERSION, PLAN_KIND, PlanSchema, type PlanDocument, type PlanPhase} from './schema.js'
import {readInputFileSync, yamlToJs} from '../util/read-input.js'

/** A Kubernetes object from a plan's manifests, with where it came from (for error messages). */
export interface ManifestObject {
  apiVersion: string
  kind: string
  metadata: {name: string; namespace?: string; [key: string]: unknown}
  [key: string]: unknown
}

export interface SourcedObject {
  object: ManifestObject
  /** `manifests/<phase>/file.yaml#<document index>` */
  source: string
}

export interface LoadedPhase extends PlanPhase {
  index: number
  objects: SourcedObject[]
}

export interface LoadedPlan {
  dir: string
  document: PlanDocument
  /** `sha256:<hex>` over plan.yaml and every manifest, canonicalized (key order and formatting do not count). */
  digest: string
  phases: LoadedPhase[]
}

const PLAN_FILE = 'plan.yaml'

/** Load and validate a plan directory: `plan.yaml` and `manifests/<phase>/*.yaml`. Errors name file, line and field. */
export function loadPlan(dir: string): LoadedPlan {
  const root = resolve(dir)
  const planPath = join(root, PLAN_FILE)
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new InputError({file: dir}, 'plan directory not found', {hint: 'pass the folder that `fleetcap plan` wrote (it holds plan.yaml)'})
  }
  const shown = join(dir, PLAN_FILE)
  // Missing, a directory, a FIFO: refused naming the path (a directory here read as EISDIR, a crash).
  const planText = readInputFileSync(planPath, {missing: 'file not found'})
  const lines = new LineCounter()
  const doc = parseDocument(planText, {lineCounter: lines, prettyErrors: false})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new InputError({file: shown, line: lines.linePos(e.pos[0]).line}, `invalid YAML: ${e.message.split('\n')[0]}`)
  }
  const raw = yamlToJs(doc, shown)
  checkVersion(raw, doc, lines, shown)
  const parsed = PlanSchema.safeParse(raw)
  if (!parsed.success) throw issueError(parsed.error.issues[0], doc, lines, shown)
  const document = parsed.data

  const manifestsCanonical: Array<[string, string]> = []
  const phases: LoadedPhase[] = document.spec.phases.map((phase, index) => {
    const phaseDir = join(root, phase.manifests)
    const phaseShown = join(dir, phase.manifests)
    if (!existsSync(phaseDir) || !statSync(phaseDir).isDirectory()) {
      throw new InputError({file: shown, field: `spec.phases[${index}].manifests`}, `folder ${phaseShown} not found`)
    }
    const files = readdirSync(phaseDir).filter((f) => /\.ya?ml$/.test(f)).sort()
    if (files.length === 0) throw new InputError({file: phaseShown}, 'no .yaml manifests in this folder')
    const objects: SourcedObject[] = []
    for (const file of files) {
      const rel = relative(root, join(phaseDir, file)).split('\\').join('/')
      const fileShown = join(dir, rel)
      const fileLines = new LineCounter()
      const docs = parseAllDocuments(readInputFileSync(join(phaseDir, file)), {lineCounter: fileLines})
      if (!Array.isArray(docs)) throw new InputError({file: fileShown}, 'not a YAML stream')
      const parsedDocs: unknown[] = []
      docs.forEach((d, di) => {
        if (d.errors.length > 0) {
          throw new InputError({file: fileShown, line: fileLines.linePos(d.errors[0].pos[0]).line}, `invalid YAML: ${d.errors[0].message.split('\n')[0]}`)
        }
        const value = yamlToJs(d, fileShown)
        if (value === null || value === undefined) return // empty document (e.g. a trailing `---`)
        const ok = ManifestObjectSchema.safeParse(value)
        if (!ok.success) throw issueError(ok.error.issues[0], d, fileLines, fileShown)
        const object = ok.data as ManifestObject
        objects.push({object, source: `${rel}#${di}`})
        parsedDocs.push(value)
      })
      manifestsCanonical.push([rel, canonicalJson(parsedDocs)])
    }
    if (objects.length === 0) throw new InputError({file: phaseShown}, 'the .yaml manifests here hold no Kubernetes objects')
    // Each pool of the phase runs as a Deployment of its name: one edited away is caught here, not in the cluster.
    for (const pool of phase.pools) {
      if (!objects.some((o) => o.object.kind === 'Deployment' && o.object.metadata.name === pool.name)) {
        throw new InputError({file: phaseShown}, `pool "${pool.name}" of phase ${phase.name} has no Deployment named "${pool.name}" in these manifests`)
      }
    }
    checkUnique(objects, phaseShown)
    return {...phase, index, objects}
  })
  manifestsCanonical.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const digest = `sha256:${sha256Hex(canonicalJson({plan: raw, manifests: manifestsCanonical}))}`
  return {dir: root, document, digest, phases}
}

/** Look a phase up by name; unknown names list the plan's phases. */
export function findPhase(plan: LoadedPlan, name: string): LoadedPhase {
  const phase = plan.phases.find((p) => p.name === name)
  if (!phase) {
    throw new InputError({file: join(plan.dir, PLAN_FILE)}, `unknown phase "${name}"; known: ${plan.phases.map((p) => p.name).join(', ')}`, {
      hint: 'phases are listed in plan.yaml under spec.phases',
    })
  }
  return phase
}

function checkVersion(raw: unknown, doc: Document, lines: LineCounter, file: string): void {
  if (raw === null || typeof raw !== 'object') throw new InputError({file}, `expected a mapping with apiVersion: ${PLAN_API_VERSION}`)
  const {apiVersion, kind} = raw as {apiVersion?: unknown; kind?: unknown}
  if (typeof apiVersion === 'string' && apiVersion !== PLAN_API_VERSION) {
    throw new InputError(
      {file, line: lineOfPath(doc, lines, ['apiVersion']), field: 'apiVersion'},
      `plan schema version "${apiVersion}" is not supported; this fleetcap reads ${PLAN_API_VERSION}`,
      {hint: 'regenerate the plan with this version of `fleetcap plan`, or use the fleetcap that wrote it'},
    )
  }
  if (typeof kind === 'string' && kind !== PLAN_KIND) {
    throw new InputError({file, line: lineOfPath(doc, lines, ['kind']), field: 'kind'}, `expected kind ${PLAN_KIND}, got "${kind}"`)
  }
}

function issueError(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter, file: string): InputError {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
  return new InputError({file, line: lineOfPath(doc, lines, path), field: joinPath(undefined, path) || undefined}, issue.message)
}

function checkUnique(objects: SourcedObject[], where: string): void {
  const seen = new Map<string, string>()
  for (const {object, source} of objects) {
    const key = `${object.apiVersion.split('/')[0]}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`
    const other = seen.get(key)
    if (other) throw new InputError({file: where}, `${object.kind} "${object.metadata.name}" is defined twice (${other} and ${source})`)
    seen.set(key, source)
  }
}
