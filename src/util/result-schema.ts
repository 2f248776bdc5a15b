import {z} from 'zod'

/**
 * A command's --json result as JSON Schema (draft 2020-12), from the zod schema that defines it:
 * what schemas/<command>.result.schema.json holds, two-space JSON with a final newline.
 */
export function renderResultJsonSchema(schema: z.ZodType, command: string): string {
  const json = z.toJSONSchema(schema, {io: 'output', unrepresentable: 'any'}) as Record<string, unknown>
  const name = command.replaceAll(' ', '-')
  const out = {
    $schema: json.$schema,
    $id: `https://fleetcap.dev/schemas/${name}.result.schema.json`,
    title: `fleetcap ${command} --json`,
    ...Object.fromEntries(Object.entries(json).filter(([k]) => k !== '$schema')),
  }
  return `${JSON.stringify(out, null, 2)}\n`
}
