export * from './types.js'
export * from './profiles/index.js'
