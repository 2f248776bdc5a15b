/** `fleetcap calibrate`'s flags (commands/calibrate.ts); what they do is ./calibrate-command.ts's. */
import {Flags, type Interfaces} from '@oclif/core'

export const calibrateFlags = {
  'k6-summary': Flags.string({description: 'k6 summary JSON (handleSummary data or --summary-export).', exactlyOne: ['k6-summary', 'k6-json']}),
  'k6-json': Flags.string({description: 'k6 --out json output (one JSON object per line).', exactlyOne: ['k6-summary', 'k6-json']}),
  load: Flags.string({description: "Directory `fleetcap k6 export` wrote (load-meta.json, requests.json); default: the summary's directory."}),
  profile: Flags.string({description: 'Serving profile id, e.g. llama-3.1-8b@A100-80GB:tp1.', exclusive: ['model', 'gpu', 'tp', 'engine-profile']}),
  'engine-profile': Flags.string({
    description: 'A CPU llama.cpp profile file (CpuEngineProfile YAML, src/calibrate/cpu-engine.ts) instead of a catalog profile; predicted by replay. --write-profile then writes it back with the fitted stepTimeScale.',
    exclusive: ['model', 'gpu', 'tp', 'engine-overheads'],
  }),
  model: Flags.string({description: 'Model of the serving profile (with --gpu).', dependsOn: ['gpu']}),
  gpu: Flags.string({description: 'GPU of the serving profile (with --model).', dependsOn: ['model']}),
  tp: Flags.integer({description: 'Tensor-parallel degree (default: the smallest shipped that fits).', min: 1}),
  'engine-overheads': Flags.string({description: "Replace the profile's CPU overheads with a named set from models/serving.yaml."}),
  replicas: Flags.integer({description: 'Replicas that served the load (requests are spread least-loaded).', default: 1, min: 1, max: 10_000}),
  'write-profile': Flags.string({description: 'Write the adjusted serving profile (YAML) here.'}),
  force: Flags.boolean({description: 'Overwrite the --write-profile file if it exists.'}),
  html: Flags.string({description: 'Also write a self-contained HTML report with charts (measured against predicted, residuals, the factor) to this file.'}),
  predictor: Flags.option({
    options: ['simulate', 'replay'] as const,
    default: 'simulate',
    description: 'simulate: the fleetcap simulator on the same tasks; replay: the one-replica continuous-batching replay (src/calibrate/predict.ts), an independent cross-check.',
  })(),
}

export type CalibrateFlags = Interfaces.InferredFlags<typeof calibrateFlags>
