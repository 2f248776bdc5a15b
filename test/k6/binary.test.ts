import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {cachedK6Path, findK6, findStreamK6, K6_VERSION, streamSourceHash} from '../../src/k6/binary.js'
import {ROOT} from '../helpers/cli.js'

function fakeExecutable(path: string): string {
  mkdirSync(join(path, '..'), {recursive: true})
  writeFileSync(path, '#!/bin/sh\necho k6\n')
  chmodSync(path, 0o755)
  return path
}

describe('finding k6', () => {
  const root = mkdtempSync(join(tmpdir(), 'fleetcap-k6-bin-'))
  const cache = join(root, 'cache')
  const onPath = fakeExecutable(join(root, 'path', 'k6'))
  const viaEnv = fakeExecutable(join(root, 'env', 'k6'))

  it('prefers --k6, then $FLEETCAP_K6, then the cache, then PATH', () => {
    const explicit = fakeExecutable(join(root, 'flag', 'k6'))
    const env = {FLEETCAP_CACHE: cache, PATH: join(root, 'path'), FLEETCAP_K6: viaEnv}
    expect(findK6({explicit, env})).toBe(explicit)
    expect(findK6({env})).toBe(viaEnv)
    expect(findK6({env: {FLEETCAP_CACHE: cache, PATH: join(root, 'path')}})).toBe(onPath)
    const cached = fakeExecutable(cachedK6Path({FLEETCAP_CACHE: cache}))
    expect(cached).toBe(join(cache, 'k6', K6_VERSION, 'bin', 'k6'))
    expect(findK6({env: {FLEETCAP_CACHE: cache, PATH: join(root, 'path')}})).toBe(cached)
  })

  it('says how to install k6 when there is none', () => {
    const env = {FLEETCAP_CACHE: join(root, 'empty'), PATH: join(root, 'nowhere')}
    expect(() => findK6({env})).toThrow(/k6 not found/)
    try {
      findK6({env})
    } catch (error) {
      expect((error as {hint?: string}).hint).toBe(
        `install it with \`GOBIN=${join(root, 'empty', 'k6', K6_VERSION, 'bin')} go install go.k6.io/k6@${K6_VERSION}\` (Go >= 1.25), or pass --k6 PATH`,
      )
    }
  })

  it('refuses a named path that is not an executable instead of looking elsewhere', () => {
    const env = {FLEETCAP_CACHE: cache, PATH: join(root, 'path')}
    expect(() => findK6({explicit: join(root, 'nope'), env})).toThrow(/--k6: .*nope is not an executable k6 binary/)
    writeFileSync(join(root, 'plain'), 'x')
    expect(() => findK6({env: {...env, FLEETCAP_K6: join(root, 'plain')}})).toThrow(/\$FLEETCAP_K6: .*plain is not an executable/)
  })
})

describe('finding k6 with the stream reader', () => {
  const root = mkdtempSync(join(tmpdir(), 'fleetcap-k6-stream-bin-'))
  const source = join(ROOT, 'scripts', 'k6-stream')

  it('names the build by the same hash as scripts/test-deps/k6-stream.sh', () => {
    const fromScript = execFileSync('bash', [join(ROOT, 'scripts', 'test-deps', 'k6-stream.sh'), '--hash'], {encoding: 'utf8'}).trim()
    expect(fromScript).toMatch(/^[0-9a-f]{16}$/)
    expect(streamSourceHash(source)).toBe(fromScript)
  })

  it('prefers --k6, then $FLEETCAP_K6_STREAM, then this checkout\'s build; never a plain k6 on PATH', () => {
    const cache = join(root, 'cache')
    const env = {FLEETCAP_CACHE: cache, PATH: join(root, 'path')}
    fakeExecutable(join(root, 'path', 'k6'))
    expect(() => findStreamK6({env, sourceDir: source})).toThrow(/not built for this checkout/)
    const built = fakeExecutable(join(cache, 'k6-stream', streamSourceHash(source), 'bin', 'k6'))
    expect(findStreamK6({env, sourceDir: source})).toBe(built)
    const viaEnv = fakeExecutable(join(root, 'env', 'k6'))
    expect(findStreamK6({env: {...env, FLEETCAP_K6_STREAM: viaEnv}, sourceDir: source})).toBe(viaEnv)
    const explicit = fakeExecutable(join(root, 'flag', 'k6'))
    expect(findStreamK6({explicit, env: {...env, FLEETCAP_K6_STREAM: viaEnv}, sourceDir: source})).toBe(explicit)
    expect(() => findStreamK6({explicit: join(root, 'nope'), env})).toThrow(/--k6: .*nope is not an executable/)
  })
})
