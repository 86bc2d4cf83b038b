"""The transformer examples: an encoder–decoder trained on sequence reversal and a BERT-style
masked-LM encoder trained on the templated corpus of corpus.py."""
import torch
import torch.nn.functional as F

from . import corpus, tasks
from .common import Timer, as_f64, check_encoder_examples, check_seq2seq_examples, save, seed_everything
from .files import tokenize
from .transformer import Transformer, nested, warmup_cosine

REVERSE_EXAMPLES = [
    ({"text": "a t t e n t i o n"}, "n o i t n e t t a"),
    ({"text": "h e l l o w o r l d", "target_text": "d l r o w o l l e h"}, "d l r o w o l l e h"),
    ({"text": "s e q 2 s e q 2 0 1 7"}, "7 1 0 2 q e s 2 q e s"),
]


def train_steps(model, batch_fn, loss_fn, steps, lr, warmup, log_every=250, eval_fn=None):
    """Adam with linear warm-up then cosine decay (post-LN transformers need the warm-up)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    sched = warmup_cosine(opt, warmup, steps)
    for step in range(1, steps + 1):
        model.train()
        loss = loss_fn(*batch_fn(step))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % log_every == 0 or step == steps:
            msg = f"  step {step:5d}  loss {loss.item():.4f}"
            if eval_fn is not None:
                model.eval()
                msg += f"  {eval_fn()}"
            print(msg, flush=True)


# ---------------------------------------------------------------- encoder–decoder on reversal

@torch.no_grad()
def greedy_batch(model, src, steps):
    """Batched greedy decoding for a fixed number of steps → predictions [B, steps]."""
    out = torch.full((src.shape[0], 1), tasks.BOS)
    for _ in range(steps):
        logits, _ = model(src, out)
        out = torch.cat([out, logits[:, -1].argmax(-1, keepdim=True)], 1)
    return out[:, 1:]


def exact_match(model, g, batches, max_len):
    right = total = 0
    for _ in range(batches):
        src, _, tgt_out = tasks.reverse_batch(g, 100, 3, max_len)
        right += int((greedy_batch(model, src, tgt_out.shape[1]) == tgt_out).all(1).sum())
        total += src.shape[0]
    return right / total


def transformer_reverse():
    # Small on purpose: Debian's torch multiplies with the reference BLAS (~1 GFLOP/s), and each
    # example must train in a few minutes on one thread.
    name, seed, max_len, steps, batch = "transformer-reverse", 4, 12, 2000, 32
    g = seed_everything(seed)
    toks = tasks.REVERSE_TOKENS
    config = {
        "kind": "encoder-decoder", "vocab_size": len(toks), "d_model": 32, "heads": 4, "d_ff": 64,
        "encoder_layers": 2, "decoder_layers": 2, "activation": "relu", "norm": "post", "layer_norm_eps": 1e-5,
        "positions": "sinusoidal", "max_positions": max_len + 2, "scale_embedding": True, "embedding_norm": False,
        "final_norm": False, "token_types": 0, "bos_id": tasks.BOS, "eos_id": tasks.EOS,
        "decoder_start_id": tasks.BOS, "max_target_length": max_len + 1,
    }
    model = Transformer(config)  # output layer tied to the shared token embeddings, as in Vaswani et al.

    def loss_fn(src, tgt_in, tgt_out):
        logits, _ = model(src, tgt_in)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))

    eval_g = torch.Generator().manual_seed(seed + 1)
    with Timer() as t:
        train_steps(model, lambda s: tasks.reverse_batch(g, batch, 3, max_len), loss_fn, steps, 3e-3, 200,
                    eval_fn=lambda: f"exact {100 * exact_match(model, eval_g, 1, max_len):.1f}%")
    model.eval()
    acc = exact_match(model, torch.Generator().manual_seed(seed + 2), 10, max_len)
    print(f"  {name}: {steps} steps in {t}, exact-match greedy accuracy {100 * acc:.1f}% (1000 random sequences)")

    m64 = as_f64(model)

    def run(ex):
        ids = tokenize(ex["text"], toks)
        if "target_text" in ex:
            tgt = [tasks.BOS] + tokenize(ex["target_text"], toks)
        else:
            tgt = model.greedy(ids)  # float32 decides the tokens, as the engine does
        logits, att = m64(torch.tensor([ids]), torch.tensor([tgt]))
        return {"ids": ids, "target_ids": tgt, "attentions": nested(att), "predicted_ids": logits[0].argmax(-1).tolist()}

    examples, answers = (list(x) for x in zip(*REVERSE_EXAMPLES))
    results = check_seq2seq_examples(name, run, examples, answers, toks, tasks.EOS)
    description = (
        "The Transformer of “Attention Is All You Need”, tiny: 2 encoder and 2 decoder layers, d_model 32, "
        "4 heads, sinusoidal positions, post-LN Add & Norm, masked decoder self-attention and cross-attention, "
        "trained to reverse 3–12 letters and digits. What to look for: in the cross-attention of the last "
        "decoder layer, at least one head is a clean anti-diagonal — the row of decoder input y_t looks at "
        "source position n−1−t, the symbol it must copy next. Encoder heads tend to look at neighbours "
        "(±1 position, to tell each symbol where it is); the decoder self-attention is lower-triangular "
        f"(the causal mask). Exact-match greedy accuracy on random sequences: {100 * acc:.1f}%."
    )
    save(name, "transformer", config, {"tokens": toks, "split": "whitespace", "unk_token": "<unk>", "lowercase": True},
         description, examples, model.export(), results[0])
    return acc


# ---------------------------------------------------------------- BERT-style masked LM

MLM_EXAMPLES = [
    ({"text": "[CLS] the capital of france is [MASK] [SEP]"}, {6: "paris"}),
    ({"text": "[CLS] mary lost [MASK] keys [SEP]"}, {3: "her"}),
    ({"text": "[CLS] the dogs near the cat [MASK] happy [SEP]"}, {6: "are"}),
]


def mlm_top5(logits, ids):
    """For each [MASK] position: the 5 most probable tokens (float64 softmax over the vocabulary)."""
    out = []
    for pos, i in enumerate(ids):
        if i == corpus.B_MASK:
            p = logits[pos].softmax(-1)
            top = p.topk(5)
            out.append({"position": pos, "ids": top.indices.tolist(), "probabilities": top.values.tolist()})
    return out


def bert_tiny_mlm():
    name, seed, steps, batch = "bert-tiny-mlm", 5, 3000, 32
    g = seed_everything(seed)
    toks = corpus.bert_vocab()
    config = {
        "kind": "encoder", "vocab_size": len(toks), "d_model": 32, "heads": 4, "d_ff": 128, "encoder_layers": 2,
        "activation": "gelu", "norm": "post", "layer_norm_eps": 1e-12, "positions": "learned", "max_positions": 16,
        "scale_embedding": False, "embedding_norm": True, "final_norm": False, "token_types": 1,
    }
    model = Transformer(config, own_head=True, head_bias=True)

    def loss_fn(ids, labels, masked, pad):
        logits, _ = model(ids, pad=pad)
        return F.cross_entropy(logits[masked], labels[masked])

    eval_g = torch.Generator().manual_seed(seed + 1)

    @torch.no_grad()
    def accuracy(gen, batches, p_key=1.0):
        """Share of masked positions predicted right (p_key = 1: the context-determined word)."""
        right = total = 0
        for _ in range(batches):
            ids, labels, masked, pad = corpus.mlm_batch(gen, 200, toks, p_key=p_key)
            pred = model(ids, pad=pad)[0].argmax(-1)
            right += int((pred[masked] == labels[masked]).sum())
            total += int(masked.sum())
        return right / total

    with Timer() as t:
        train_steps(model, lambda s: corpus.mlm_batch(g, batch, toks), loss_fn, steps, 2e-3, 300,
                    eval_fn=lambda: f"masked-word accuracy {100 * accuracy(eval_g, 2):.1f}%")
    model.eval()
    acc = accuracy(torch.Generator().manual_seed(seed + 2), 10)
    print(f"  {name}: {steps} steps in {t}, masked-word accuracy {100 * acc:.1f}% (2000 sentences)")

    m64 = as_f64(model)

    def run(ex):
        ids = tokenize(ex["text"], toks)
        logits, att = m64(torch.tensor([ids]))
        return {"ids": ids, "target_ids": [], "attentions": nested(att), "predicted_ids": logits[0].argmax(-1).tolist(),
                "mlm": mlm_top5(logits[0], ids)}

    examples, answers = (list(x) for x in zip(*MLM_EXAMPLES))
    results = check_encoder_examples(name, run, examples, answers, toks)
    description = (
        "A BERT-style masked-language-model encoder, tiny: [CLS] … [SEP] input, token + position + token-type "
        "embeddings with LayerNorm, 2 post-LN layers (d_model 32, 4 heads, gelu) and an LM head, trained on a "
        "generated corpus of simple sentences (“the sky is blue”, “the capital of peru is lima”, “anna lost her "
        "bag”, “the dogs near the box are old”). What to look for: the Masked-LM view lists the top-5 words for "
        "each [MASK]; in the attention, the [MASK] row of some head points at the word that decides the answer "
        "(france → paris, mary → her, the plural noun → are), while other heads rest on [CLS]/[SEP] or on "
        f"neighbours. Accuracy on the context-determined masked word: {100 * acc:.1f}%."
    )
    vocab = {"tokens": toks, "split": "whitespace", "unk_token": "[UNK]", "lowercase": False}
    save(name, "transformer", config, vocab, description, examples, model.export(), results[0], extra={"mlm": results[0]["mlm"]})
    return acc
