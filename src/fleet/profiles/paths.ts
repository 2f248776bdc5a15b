/** Where the package's data lives, found the same way from src/ (vitest) and dist/src/ (built CLI). */
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

let cachedRoot: string | undefined

/** The package root: the nearest folder above this module whose package.json names fleetcap. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as {name?: string}).name === 'fleetcap') {
      cachedRoot = dir
      return dir
    }
    const up = dirname(dir)
    if (up === dir) throw new Error(`package.json of fleetcap not found above ${fileURLToPath(import.meta.url)}`)
    dir = up
  }
}

export const modelsDir = (): string => join(packageRoot(), 'models')

/** The public data vendored in the repository (data/README.md: sources and licenses). */
export const dataDir = (): string => join(packageRoot(), 'data')

/** The calibration measurements (data/calibration/README.md). */
export const calibrationDir = (): string => join(dataDir(), 'calibration')

export const publicMeasurementsCsv = (): string => join(calibrationDir(), 'public', 'public_serving_measurements.csv')
