import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {Ajv2020} from 'ajv/dist/2020.js'
import {expect, it} from 'vitest'
import type {z} from 'zod'

import {renderResultJsonSchema} from '../../src/util/result-schema.js'
import {ROOT} from './cli.js'
import {runCommand} from './run-command.js'

/** A command with a typed --json result: the zod schema that defines it, and real runs to check. */
export interface CommandResult {
  command: string
  schema: z.ZodType
  /** Argument lists run in-process; each must exit 0 (or `code`) and print JSON that fits. */
  runs: string[][]
  /** The exit code the runs end with (a plan that finds no fleet exits 3 with its result). */
  code?: number
}

/** schemas/<command>.result.schema.json, e.g. schemas/k6-export.result.schema.json. */
export const resultSchemaFile = (command: string): string => join(ROOT, 'schemas', `${command.replaceAll(' ', '-')}.result.schema.json`)

/** Compile a committed result schema with Ajv (draft 2020-12). */
export function compileResultSchema(command: string) {
  return new Ajv2020({allErrors: true, strict: false}).compile(JSON.parse(readFileSync(resultSchemaFile(command), 'utf8')) as object)
}

/**
 * The two checks per command (call inside a describe): schemas/ holds the JSON Schema generated
 * from the zod schema (UPDATE_GOLDEN=1 rewrites it), and the command's real --json output validates
 * against the committed file and parses with the zod schema.
 */
export function checkResultSchemas(results: readonly CommandResult[]): void {
  for (const {command, schema, runs, code} of results) {
    it(`${command}: schemas/ holds the current JSON Schema (UPDATE_GOLDEN=1 rewrites it)`, () => {
      const want = renderResultJsonSchema(schema, command)
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(resultSchemaFile(command), want)
      expect(readFileSync(resultSchemaFile(command), 'utf8')).toBe(want)
    })

    it(`${command}: the command's --json output validates against it`, async () => {
      const validate = compileResultSchema(command)
      for (const args of runs) {
        const r = await runCommand(args)
        expect(r.code, r.stderr).toBe(code ?? 0)
        const output = JSON.parse(r.stdout) as unknown
        expect(validate(output), `${args.join(' ')}: ${JSON.stringify(validate.errors)}`).toBe(true)
        expect(schema.safeParse(output).success).toBe(true)
      }
    })
  }
}
