#!/usr/bin/env python3
"""Write the test engine's model: a tiny llama-architecture GGUF with seeded random weights.

Timing is what the tests need, not text: one decode step takes about a millisecond on one CPU
thread (3.4 M parameters in f32, read once per step whatever the batch), and prefill is a real
matrix product whose cost grows with the prompt. The same seed writes the same bytes.

The tokenizer is SentencePiece-style (llama.cpp's "llama" vocab): the 256 byte tokens (any text
tokenizes), single letters and digits, and " the" as one token, since fleetcap's k6 prompts are
"r<iteration>" followed by " the" repeated. Output stays plain ASCII and never emits a control
token: the residual stream carries a constant first coordinate that no layer writes to, and the
output rows of the control tokens and of the bytes >= 0x80 weigh it -1000, so their logits are
always far below the others (greedy or sampled). Valid UTF-8 per token keeps one SSE chunk per
token.

Usage: make-model.py OUT.gguf [--seed N]
"""
import argparse
import os

import numpy as np
from gguf import GGUFWriter, TokenType

N_EMBD = 256
N_LAYER = 4
N_HEAD = 4
N_FF = 768
N_CTX = 8192
SEED = 20261203


def vocabulary():
    tokens = [("<unk>", TokenType.UNKNOWN), ("<s>", TokenType.CONTROL), ("</s>", TokenType.CONTROL)]
    tokens += [(f"<0x{b:02X}>", TokenType.BYTE) for b in range(256)]
    pieces = ["\u2581", "\u2581t", "\u2581th", "\u2581the", "th", "he", "\u2581r"]
    pieces += [chr(c) for c in range(ord("a"), ord("z") + 1)]
    pieces += [str(d) for d in range(10)]
    pieces += [".", ",", "\u2581a", "\u2581of", "\u2581and", "\u2581to", "\u2581in"]
    tokens += [(p, TokenType.NORMAL) for p in pieces]
    # SentencePiece merges the pair whose result scores highest: longer pieces score higher.
    scores = [0.0 if t != TokenType.NORMAL else float(len(p)) for p, t in tokens]
    return tokens, scores


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    tokens, scores = vocabulary()
    n_vocab = len(tokens)
    head_dim = N_EMBD // N_HEAD

    def rand(*shape, std=0.02):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    tmp = args.out + ".tmp"
    w = GGUFWriter(tmp, "llama")
    w.add_name("fleetcap-tiny-llama")
    w.add_context_length(N_CTX)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_file_type(0)  # all f32
    w.add_tokenizer_model("llama")
    w.add_token_list([p for p, _ in tokens])
    w.add_token_scores(scores)
    w.add_token_types([int(t) for _, t in tokens])
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)

    embd = rand(n_vocab, N_EMBD)
    embd[:, 0] = 1.0  # the constant coordinate (see the docstring)
    w.add_tensor("token_embd.weight", embd)
    for i in range(N_LAYER):
        attn_out = rand(N_EMBD, N_EMBD)
        ffn_down = rand(N_EMBD, N_FF)
        attn_out[0, :] = 0.0  # no layer writes the constant coordinate
        ffn_down[0, :] = 0.0
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        w.add_tensor(f"blk.{i}.attn_q.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(f"blk.{i}.attn_k.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(f"blk.{i}.attn_v.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(f"blk.{i}.attn_output.weight", attn_out)
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", rand(N_FF, N_EMBD))
        w.add_tensor(f"blk.{i}.ffn_up.weight", rand(N_FF, N_EMBD))
        w.add_tensor(f"blk.{i}.ffn_down.weight", ffn_down)
    w.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    out = rand(n_vocab, N_EMBD, std=1.0)
    out[:, 0] = 0.0
    for i, (piece, kind) in enumerate(tokens):
        high_byte = kind == TokenType.BYTE and int(piece[3:5], 16) >= 0x80
        if kind in (TokenType.UNKNOWN, TokenType.CONTROL) or high_byte:
            out[i, :] = 0.0
            out[i, 0] = -1000.0
    w.add_tensor("output.weight", out)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
