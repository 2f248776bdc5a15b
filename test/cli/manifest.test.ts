/**
 * oclif.manifest.json (written by `npm run build`) is what the CLI reads on start instead of
 * importing every command: it must name every command in commands/ with the flags and arguments
 * its class declares, or help and flag parsing would describe a command that no longer exists.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {pathToFileURL} from 'node:url'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'

interface ManifestCommand {
  flags: Record<string, unknown>
  args: Record<string, unknown>
}

function commandIds(dir: string): string[] {
  return readdirSync(dir, {recursive: true})
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => relative('.', f).replace(/\.ts$/, '').split('/').join(':'))
    .sort()
}

describe('oclif.manifest.json', () => {
  const path = join(ROOT, 'oclif.manifest.json')

  it('is written by the build and lists every command with its flags and arguments', async () => {
    if (!existsSync(path)) throw new Error('oclif.manifest.json is missing: run `npm run build` (it runs scripts/manifest.mjs after tsc)')
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as {version: string; commands: Record<string, ManifestCommand>}
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
    expect(manifest.version).toBe(pkg.version)
    const ids = commandIds(join(ROOT, 'commands'))
    expect(Object.keys(manifest.commands).sort()).toEqual(ids)
    for (const id of ids) {
      const mod = (await import(pathToFileURL(join(ROOT, 'dist', 'commands', `${id.split(':').join('/')}.js`)).href)) as {default: {flags?: object; baseFlags?: object; args?: object; enableJsonFlag?: boolean}}
      // oclif adds --json to a command that enables it.
      const flags = Object.keys({...mod.default.baseFlags, ...mod.default.flags, ...(mod.default.enableJsonFlag ? {json: true} : {})}).sort()
      expect(Object.keys(manifest.commands[id].flags).sort(), `flags of ${id}`).toEqual(flags)
      expect(Object.keys(manifest.commands[id].args).sort(), `args of ${id}`).toEqual(Object.keys(mod.default.args ?? {}).sort())
    }
  })

  it('points oclif at the bundled commands, which import fleetcap and the small libraries from chunks', () => {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as {commands: Record<string, {relativePath: string[]}>}
    for (const [id, command] of Object.entries(manifest.commands)) {
      expect(command.relativePath.join('/'), id).toBe(`dist/cli/commands/${id.split(':').join('/')}.js`)
    }
    const cli = join(ROOT, 'dist', 'cli')
    for (const file of readdirSync(cli, {recursive: true}).map(String).filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(join(cli, file), 'utf8')
      // Bundled packages are inlined, so no import of them may be left (it would load a second copy).
      expect(code, file).not.toMatch(/^(import|export)\b[^;]*?from\s*["'](zod|yaml|csv-parse|pure-rand|simple-statistics)(\/[^"']*)?["']|\bimport\(["'](zod|yaml|csv-parse|pure-rand|simple-statistics)/m)
      // Every import.meta.url was rewritten to the module's own dist/src file (scripts/bundle.mjs).
      expect(code, file).not.toContain('__fleetcapModuleUrl__')
      for (const [, target] of code.matchAll(/new URL\("([^"]+)", import\.meta\.url\)\.href/g)) {
        expect(existsSync(join(cli, file, '..', target)), `${file} -> ${target}`).toBe(true)
      }
    }
  })

  it('shows a typed flag\'s default as the user writes it (60s, not 60)', () => {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as {commands: Record<string, {flags: Record<string, {default?: unknown}>}>}
    expect(manifest.commands['trace:inspect'].flags.bucket.default).toBe('60s')
  })
})
