import {z} from 'zod'

import {ScenarioSchema} from './schema.js'

/** The JSON Schema of scenario files as written (input side: durations may be texts), for editors. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ScenarioSchema, {io: 'input', unrepresentable: 'any'}) as Record<string, unknown>
  return {
    $schema: schema.$schema,
    $id: 'https://fleetcap.dev/schemas/scenario.schema.json',
    title: 'fleetcap scenario',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  }
}

/** schemas/scenario.schema.json as committed: two-space JSON with a final newline. */
export function renderScenarioJsonSchema(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`
}
