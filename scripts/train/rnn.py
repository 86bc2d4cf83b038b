"""The `rnn-seq2seq` architecture of docs/model-format.md in PyTorch, step for step:

    s_0      = tanh(W_init · mean_j(h_j) + b_init)
    e_tj     = score(s_t, h_j);  α_t = softmax_j(e_t);  c_t = Σ_j α_tj h_j
    s_t+1    = cell([embed(y_t) ; c_t], s_t)
    logits_t = W_out · [s_t+1 ; c_t] + b_out

Batches are built so every sequence in a batch has the same source length, so there is no
padding anywhere and training sees exactly the computation the engine runs."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RnnSeq2seq(nn.Module):
    def __init__(self, cell, src_vocab, tgt_vocab, embed_dim, hidden, bidirectional, score, attention_dim=None):
        super().__init__()
        self.cell_kind, self.score_kind = cell, score
        self.H = hidden
        self.Henc = hidden * (2 if bidirectional else 1)
        self.bidirectional = bidirectional
        if score in ("dot", "scaled-dot") and self.H != self.Henc:
            raise ValueError("dot scores need H = H_enc")
        Rnn, Cell = (nn.GRU, nn.GRUCell) if cell == "gru" else (nn.LSTM, nn.LSTMCell)
        self.src_embed = nn.Embedding(src_vocab, embed_dim)
        self.encoder = Rnn(embed_dim, hidden, batch_first=True, bidirectional=bidirectional)
        self.init = nn.Linear(self.Henc, hidden)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed_dim)
        self.decoder = Cell(embed_dim + self.Henc, hidden)
        self.out = nn.Linear(hidden + self.Henc, tgt_vocab)
        if score == "general":
            self.W = nn.Parameter(torch.randn(hidden, self.Henc) / math.sqrt(self.Henc))
        if score == "additive":
            self.A = attention_dim
            self.W1 = nn.Parameter(torch.randn(attention_dim, self.Henc) / math.sqrt(self.Henc))
            self.W2 = nn.Parameter(torch.randn(attention_dim, hidden) / math.sqrt(hidden))
            self.v = nn.Parameter(torch.randn(attention_dim) / math.sqrt(attention_dim))

    def encode(self, src):
        """src [B, n] → h [B, n, H_enc] (h_j = [→h_j ; ←h_j]) and the decoder's start state."""
        h, _ = self.encoder(self.src_embed(src))
        s = torch.tanh(self.init(h.mean(dim=1)))  # [B, H]
        state = (s, torch.zeros_like(s)) if self.cell_kind == "lstm" else s
        w1h = h @ self.W1.t() if self.score_kind == "additive" else None  # [B, n, A]
        return h, state, w1h

    def scores(self, s, h, w1h):
        """e_tj for all j: s [B, H], h [B, n, H_enc] → [B, n]."""
        k = self.score_kind
        if k == "dot":
            return torch.einsum("bh,bnh->bn", s, h)
        if k == "scaled-dot":
            return torch.einsum("bh,bnh->bn", s, h) / math.sqrt(self.Henc)
        if k == "general":
            return torch.einsum("bh,bnh->bn", s @ self.W, h)  # sᵀ W h_j
        return torch.tanh(w1h + (s @ self.W2.t()).unsqueeze(1)) @ self.v  # vᵀ tanh(W₁h_j + W₂s_t)

    def step(self, y, state, h, w1h):
        """One decoder step with input tokens y [B]: → logits [B, V], α [B, n], new state."""
        s = state[0] if self.cell_kind == "lstm" else state
        alpha = F.softmax(self.scores(s, h, w1h), dim=-1)  # [B, n]
        c = torch.einsum("bn,bnh->bh", alpha, h)  # [B, H_enc]
        state = self.decoder(torch.cat([self.tgt_embed(y), c], dim=-1), state)
        s = state[0] if self.cell_kind == "lstm" else state
        logits = self.out(torch.cat([s, c], dim=-1))
        return logits, alpha, state

    def forward(self, src, tgt_in):
        """Teacher forcing: tgt_in [B, T] starts with BOS → logits [B, T, V], α [B, T, n]."""
        h, state, w1h = self.encode(src)
        logits, alphas = [], []
        for t in range(tgt_in.shape[1]):
            lg, a, state = self.step(tgt_in[:, t], state, h, w1h)
            logits.append(lg)
            alphas.append(a)
        return torch.stack(logits, 1), torch.stack(alphas, 1)

    @torch.no_grad()
    def greedy(self, src, bos, eos, max_len):
        """The engine's greedy loop for one sentence (src [n]): y_0 = bos, feed the argmax back,
        stop when EOS is predicted or the decoder inputs reach max_len. Returns (decoder inputs,
        α rows [T, n], predictions [T]) — predictions end with EOS when decoding stopped on it."""
        h, state, w1h = self.encode(src.unsqueeze(0))
        inputs, alphas, preds = [bos], [], []
        t = 0
        while t < len(inputs):
            lg, a, state = self.step(torch.tensor([inputs[t]]), state, h, w1h)
            nxt = int(lg[0].argmax())
            alphas.append(a[0])
            preds.append(nxt)
            if nxt != eos and len(inputs) < max_len:
                inputs.append(nxt)
            t += 1
        return inputs, torch.stack(alphas), preds

    @torch.no_grad()
    def greedy_batch(self, src, steps, bos):
        """Greedy decoding of a batch for a fixed number of steps → predictions [B, steps]."""
        h, state, w1h = self.encode(src)
        y = torch.full((src.shape[0],), bos, dtype=torch.long)
        preds = []
        for _ in range(steps):
            lg, _, state = self.step(y, state, h, w1h)
            y = lg.argmax(-1)
            preds.append(y)
        return torch.stack(preds, 1)

    @torch.no_grad()
    def teacher(self, src, tgt_in):
        """One sentence, teacher forced: → (α [T, n], predictions [T])."""
        logits, alphas = self.forward(src.unsqueeze(0), tgt_in.unsqueeze(0))
        return alphas[0], logits[0].argmax(-1).tolist()

    def export(self):
        """Canonical tensor names and shapes of docs/model-format.md (numpy float32)."""
        t = {
            "encoder.embed": self.src_embed.weight,
            "decoder.embed": self.tgt_embed.weight,
            "decoder.init.weight": self.init.weight,
            "decoder.init.bias": self.init.bias,
            "decoder.out.weight": self.out.weight,
            "decoder.out.bias": self.out.bias,
        }
        for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            t[f"encoder.rnn.{p}"] = getattr(self.encoder, f"{p}_l0")
            if self.bidirectional:
                t[f"encoder.rnn_reverse.{p}"] = getattr(self.encoder, f"{p}_l0_reverse")
            t[f"decoder.rnn.{p}"] = getattr(self.decoder, p)
        if self.score_kind == "general":
            t["attention.W"] = self.W
        if self.score_kind == "additive":
            t["attention.W1"], t["attention.W2"], t["attention.v"] = self.W1, self.W2, self.v
        return {k: v.detach().float().cpu().numpy().copy() for k, v in t.items()}

    def config(self, src_vocab, tgt_vocab, embed_dim, bos, eos, max_len):
        c = {
            "cell": self.cell_kind, "src_vocab_size": src_vocab, "tgt_vocab_size": tgt_vocab,
            "embed_dim": embed_dim, "hidden_size": self.H, "bidirectional": self.bidirectional,
            "score": self.score_kind,
        }
        if self.score_kind == "additive":
            c["attention_dim"] = self.A
        c.update({"bos_id": bos, "eos_id": eos, "max_target_length": max_len})
        return c


def train_rnn(model, batch_fn, steps, lr, log_every=250, eval_fn=None, clip=1.0, align_weight=0.0):
    """Adam with a cosine learning-rate decay; batch_fn(step) → (src [B, n], tgt_in, tgt_out).

    align_weight > 0 adds align_weight · mean_t(−log α_t[n−1−t]) over the rows that emit a
    symbol: a nudge towards the reversal's alignment (supervised attention), for models that
    would otherwise read each symbol from a neighbouring encoder state."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    for step in range(1, steps + 1):
        model.train()
        src, tgt_in, tgt_out = batch_fn(step)
        logits, alphas = model(src, tgt_in)  # alphas [B, T, n]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
        if align_weight > 0:
            n = src.shape[1]
            mirrored = alphas[:, torch.arange(n), torch.arange(n - 1, -1, -1)]  # [B, n]: α_t[n−1−t]
            loss = loss + align_weight * -(mirrored + 1e-9).log().mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        sched.step()
        if step % log_every == 0 or step == steps:
            msg = f"  step {step:5d}  loss {loss.item():.4f}"
            if eval_fn is not None:
                model.eval()
                msg += f"  {eval_fn()}"
            print(msg, flush=True)
