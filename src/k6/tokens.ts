/**
 * Prompts of a given token length, without a tokenizer.
 *
 * fleetcap's k6 scripts build a prompt of n tokens as n words: a unique first word
 * (`r<iteration>.<run>`, the run a mark the script draws at its start, so that no two requests
 * share a prefix, not even with an earlier run, and a server's prefix cache cannot make replayed
 * prompts cheaper than the trace's were) followed by n − 1 copies of " the". With the byte-pair tokenizers
 * of Llama, Mistral, Qwen and GPT models " the" is a single token, so a real server counts n plus a
 * few (the first word may take several, a chat template adds its own); the fake server
 * (test/doubles/fake-openai.ts) counts whitespace-separated words, exactly n. The same function text is embedded in the generated script.
 */
export function syntheticPrompt(tokens: number, iteration: number, run = '0'): string {
  if (tokens <= 0) return ''
  return `r${iteration}.${run}${' the'.repeat(tokens - 1)}`
}

/** The fake server's token count: whitespace-separated words. */
export function countPromptTokens(text: string): number {
  let n = 0
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const space = c === 32 || c === 9 || c === 10 || c === 13
    if (!space && !inWord) n++
    inWord = !space
  }
  return n
}
