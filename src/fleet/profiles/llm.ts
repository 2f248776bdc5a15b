/** Quantities derived from a model's architecture: parameter count, weight bytes, KV bytes, FLOPs. */
import type {LlmSpec} from './schema.js'
import {KV_BYTES, type Precision, WEIGHT_BYTES} from './precision.js'

export interface LlmDerived {
  /** All parameters (embedding and head included). */
  params: number
  /** Parameters that take part in matrix multiplies per token (all but the embedding lookup). */
  matmulParams: number
  weightBytes: number
  /** KV-cache bytes per token across all layers and heads (K and V). */
  kvBytesPerToken: number
  /** FLOPs per (query, key) pair across all layers: QKᵀ and AV, 2 FLOPs per multiply-add. */
  attentionFlopsPerPair: number
}

/** Without a precision: the checkpoint's own width (bytesPerParam); with one: its bytes. */
export function deriveLlm(m: LlmSpec, precision?: Precision): LlmDerived {
  const wBytes = precision === undefined ? m.bytesPerParam : WEIGHT_BYTES[precision.weights]
  const kvBytes = precision === undefined ? m.bytesPerParam : KV_BYTES[precision.kv]
  const h = m.hiddenSize
  const kvDim = m.kvHeads * m.headDim
  const qDim = m.attentionHeads * m.headDim
  const attn = h * qDim + 2 * h * kvDim + qDim * h
  const mlp = m.mlpMatrices * h * m.intermediateSize
  // Norm weights (Llama: 2 RMSNorm vectors per layer; BLOOM's LayerNorms also carry biases, a
  // rounding error at this scale).
  const perLayer = attn + mlp + 2 * h
  const embedding = m.vocabSize * h
  const head = m.tiedEmbeddings ? 0 : m.vocabSize * h
  const params = m.layers * perLayer + embedding + head + h
  // The output projection is a matmul even when tied to the embedding; the embedding lookup is not.
  const matmulParams = m.layers * perLayer + m.vocabSize * h
  // Quantized checkpoints keep the embedding table and the output head at the checkpoint's 16 bits:
  // TensorRT Model Optimizer's FP8/INT8/INT4/NVFP4 configs disable `*lm_head*` quantization and
  // quantize only linear layers (the embedding is a lookup); vLLM and GPTQ/AWQ leave both unquantized
  // unless asked. On a 70B model at TP 1 that is 2 GB more than counting them at 1 byte.
  const vocabBytes = precision === undefined || precision.weights === 'fp16' ? wBytes : m.bytesPerParam
  return {
    params,
    matmulParams,
    weightBytes: (params - embedding - head) * wBytes + (embedding + head) * vocabBytes,
    kvBytesPerToken: 2 * m.layers * kvDim * kvBytes,
    attentionFlopsPerPair: 4 * m.layers * qDim,
  }
}
