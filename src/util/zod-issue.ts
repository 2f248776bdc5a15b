import type {z} from 'zod'

/**
 * The issue to report first. A misspelt key in a strict object gives two issues: the required key
 * is missing ("expected string, received undefined") and the typo is an unknown key. The unknown
 * key is the one that names what the user wrote, so it wins.
 */
export function reportedIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const first = issues[0]
  if (first.code === 'invalid_type' && /received undefined$/.test(first.message)) {
    const parent = first.path.slice(0, -1).map(String).join('.')
    const typo = issues.find((i) => i.code === 'unrecognized_keys' && i.path.map(String).join('.') === parent)
    if (typo !== undefined) return typo
  }
  return first
}
