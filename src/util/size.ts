/**
 * Sizes as people write them: "512MiB", "64Mi", "1.5GB", "2G", "800kB", or a bare number of bytes.
 * Binary suffixes (Ki, Mi, Gi, Ti, with or without B) are powers of 1024, decimal ones powers of
 * 1000, as in Kubernetes quantities. Parsed to bytes.
 */

const FACTOR: Record<string, number> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  ki: 2 ** 10,
  mi: 2 ** 20,
  gi: 2 ** 30,
  ti: 2 ** 40,
}

const SIZE = /^(\d+(?:\.\d*)?|\.\d+)\s*(k|m|g|t|ki|mi|gi|ti)?b?$/

/** Bytes in `text`, or undefined when it is not a size. */
export function tryParseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim().toLowerCase())
  if (m === null) return undefined
  return Math.round(Number(m[1]) * FACTOR[m[2] ?? ''])
}

export const SIZE_EXAMPLES = '512MiB, 64Mi, 1.5GB, 2G'
