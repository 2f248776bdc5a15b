/**
 * Outputs the user names: `-` is stdout, a FIFO or character device is written into (never renamed
 * over, even with --force), other special files are refused, an empty path is an error, and only the
 * last part of a path is ever created.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {InputError} from '../../src/errors.js'
import {checkOutputDir, checkOutputFile, writeFileAtomic, writeOutputDir} from '../../src/util/atomic-write.js'
import {RandomStreams} from '../../src/engine/random.js'
import {createWorkload, writeTraceCsv} from '../../src/workload/index.js'

const tmp = mkdtempSync(join(tmpdir(), 'fleetcap-output-path-'))

describe('checkOutputFile', () => {
  it('classifies -, a character device and a FIFO as streams, and never as files to replace', () => {
    expect(checkOutputFile('-', false)).toEqual({kind: 'stdout'})
    expect(checkOutputFile('/dev/null', true)).toEqual({kind: 'stream', path: '/dev/null'})
    const fifo = join(tmp, 'fifo')
    execFileSync('mkfifo', [fifo])
    expect(checkOutputFile(fifo, false)).toEqual({kind: 'stream', path: fifo})
    expect(() => checkOutputFile('-', false, '--write-profile', {allowStdout: false})).toThrow(/--write-profile: - \(stdout\) is not possible here/)
  })

  it('refuses a socket whatever --force says, an empty path, and a missing parent folder (naming it)', async () => {
    const sock = join(tmp, 'sock')
    const server = createServer().listen(sock)
    await new Promise((r) => server.once('listening', r))
    try {
      expect(() => checkOutputFile(sock, true)).toThrow(/sock: is a socket, not a regular file; fleetcap never replaces it/)
      await expect(writeFileAtomic(sock, 'x')).rejects.toThrow(/is a socket/)
      expect(statSync(sock).isSocket()).toBe(true)
    } finally {
      server.close()
    }
    expect(() => checkOutputFile('', true)).toThrow(InputError)
    expect(() => checkOutputFile(' ', true, '--save-model')).toThrow(/^--save-model: empty path/)
    expect(() => checkOutputFile(join(tmp, 'no', 'such', 'x.csv'), true)).toThrow(new RegExp(`the folder ${join(tmp, 'no')} does not exist`))
    expect(() => checkOutputDir(join(tmp, 'nope', 'out'))).toThrow(/the folder .*nope does not exist/)
    expect(() => checkOutputDir('-')).toThrow(/a directory of several files/)
    expect(() => checkOutputDir('')).toThrow(/empty path/)
  })
})

describe('writers', () => {
  it('write into a character device in place: /dev/null stays a device after a --force write', async () => {
    await writeFileAtomic('/dev/null', 'hello\n')
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true)
    const tasks = createWorkload({kind: 'synthetic', ratePerS: 5, durationS: 10, tokens: {input: 10, output: 2}}, {baseDir: tmp, rng: new RandomStreams(1)})
    const w = await writeTraceCsv(tasks, '/dev/null', {force: true})
    expect(w.tasks).toBeGreaterThan(10)
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true)
  })

  it('a trace past its row bound leaves nothing at the path, and no temp file', async () => {
    const out = join(tmp, 'bounded.csv')
    const tasks = createWorkload({kind: 'synthetic', ratePerS: 100, durationS: 100, tokens: {input: 10, output: 2}}, {baseDir: tmp, rng: new RandomStreams(1)})
    await expect(writeTraceCsv(tasks, out, {maxRows: 1000})).rejects.toThrow(/bounded\.csv: more than 1,000 rows .*nothing was written/)
    expect(readdirSync(tmp).filter((f) => f.includes('bounded'))).toEqual([])
  })

  it('an output directory is created only as the last part of its path', async () => {
    await expect(writeOutputDir(join(tmp, 'a', 'b'), {'x.txt': 'x'})).rejects.toThrow(/the folder .*a does not exist/)
    mkdirSync(join(tmp, 'a'))
    await writeOutputDir(join(tmp, 'a', 'b'), {'x.txt': 'x'})
    expect(readFileSync(join(tmp, 'a', 'b', 'x.txt'), 'utf8')).toBe('x')
    writeFileSync(join(tmp, 'plain'), 'keep')
    await expect(writeOutputDir(join(tmp, 'plain'), {'x.txt': 'x'})).rejects.toThrow(/plain: is a file; an output directory is needed here/)
    // The user's own folder is refused by the check a command makes before its work, not only when writing.
    mkdirSync(join(tmp, 'mine'))
    writeFileSync(join(tmp, 'mine', 'notes.txt'), 'keep')
    expect(() => checkOutputDir(join(tmp, 'mine'))).toThrow(/mine: directory exists, is not empty and was not written by fleetcap/)
    expect(() => checkOutputDir(join(tmp, 'a', 'b'))).not.toThrow()
  })
})

describe('concurrent runs writing one output directory', () => {
  it('the last to finish wins, each run succeeds, and nothing is left beside the output', async () => {
    const parent = join(tmp, 'race')
    mkdirSync(parent)
    const target = join(parent, 'out')
    const runs = Array.from({length: 16}, (_, i) => writeOutputDir(target, {'report.json': `{"run": ${i}}\n`, 'summary.txt': `run ${i}\n`}))
    const results = await Promise.allSettled(runs)
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([])
    expect(readdirSync(parent)).toEqual(['out'])
    const run = /"run": (\d+)/.exec(readFileSync(join(target, 'report.json'), 'utf8'))?.[1]
    expect(readFileSync(join(target, 'summary.txt'), 'utf8')).toBe(`run ${run}\n`)
  })
})
