/**
 * Test programs that a suite needs (k6, Prometheus, the control plane). In CI (CI=true) or with
 * FLEETCAP_REQUIRE_DEPS=1 a missing one fails the file loudly; elsewhere its suites are skipped
 * with the reason printed, so a laptop without k6 still runs the rest.
 */
export const depsRequired = (env: NodeJS.ProcessEnv = process.env): boolean => env.CI === 'true' || env.FLEETCAP_REQUIRE_DEPS === '1'

/** `find()`'s result, or undefined (with the reason on stderr) when the program is missing and not required. */
export function optionalDependency<T>(name: string, find: () => T, install: string, env: NodeJS.ProcessEnv = process.env): T | undefined {
  try {
    return find()
  } catch (error) {
    const why = `${name} is missing (${String((error as Error)?.message ?? error).split('\n')[0]}); ${install} provides it`
    if (depsRequired(env)) throw new Error(`${why}. CI=true or FLEETCAP_REQUIRE_DEPS=1: the suites that need ${name} fail instead of skipping`, {cause: error})
    process.stderr.write(`skipping the suites that need ${name}: ${why}\n`)
    return undefined
  }
}
