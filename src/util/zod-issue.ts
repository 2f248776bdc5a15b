import type {z} from 'zod'

/** An issue to report, with the key a misspelt one was meant to be when that is known. */
export type ReportedIssue = z.core.$ZodIssue & {meant?: string}

/**
 * The issue to report first. A misspelt key in a strict object gives two issues: the required key
 * is missing ("expected string, received undefined") and the typo is an unknown key. The unknown
 * key is the one that names what the user wrote, so it wins, and remembers the key it stood for.
 */
export function reportedIssue(issues: readonly z.core.$ZodIssue[]): ReportedIssue {
  const first = issues[0]
  if (first.code === 'invalid_type' && /received undefined$/.test(first.message)) {
    const parent = first.path.slice(0, -1).map(String).join('.')
    const typo = issues.find((i) => i.code === 'unrecognized_keys' && i.path.map(String).join('.') === parent)
    if (typo !== undefined) return {...typo, meant: String(first.path.at(-1))}
  }
  return first
}

/** `unknown field "taskPerDay" (did you mean "tasksPerDay"?)` for an unrecognized-keys issue. */
export function unknownFieldMessage(issue: ReportedIssue & {keys: readonly string[]}): string {
  const keys = issue.keys
  const base = `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`
  return issue.meant === undefined ? base : `${base} (did you mean "${issue.meant}"?)`
}
