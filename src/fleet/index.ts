export * from './types.js'
export * from './profiles/index.js'
export * from './step-scale.js'
