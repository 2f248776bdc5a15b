import {describe, expect, it} from 'vitest'

import {depsRequired, optionalDependency} from '../helpers/deps.js'

const missing = (): string => {
  throw new Error('k6 not found on PATH')
}

describe('test programs a suite needs', () => {
  it('fail loudly in CI or with FLEETCAP_REQUIRE_DEPS=1', () => {
    expect(depsRequired({CI: 'true'})).toBe(true)
    expect(depsRequired({FLEETCAP_REQUIRE_DEPS: '1'})).toBe(true)
    expect(() => optionalDependency('k6', missing, 'scripts/test-deps/k6.sh', {CI: 'true'})).toThrow(/k6 is missing \(k6 not found on PATH\); scripts\/test-deps\/k6\.sh provides it\. CI=true/)
  })

  it('are skipped elsewhere, and found ones are returned', () => {
    expect(depsRequired({})).toBe(false)
    expect(optionalDependency('k6', missing, 'scripts/test-deps/k6.sh', {})).toBeUndefined()
    expect(optionalDependency('k6', () => '/usr/bin/k6', 'scripts/test-deps/k6.sh', {})).toBe('/usr/bin/k6')
  })
})
