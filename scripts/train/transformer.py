"""The `transformer` architecture of docs/model-format.md in PyTorch. Module names follow the
canonical tensor names, so the export is the state dict with three renames (embed.tokens.weight →
embed.tokens, …). Post-LN: x = LN(x + f(x)); pre-LN: x = x + f(LN(x)). Attention is
softmax(QKᵀ/√d_head)V per head with separate q, k, v, o Linear layers (with biases)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def activation(name):
    if name == "relu":
        return F.relu
    if name == "gelu":  # exact, x·Φ(x)
        return lambda x: 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    if name == "gelu_new":  # tanh approximation (GPT-2)
        return lambda x: 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    if name == "swish":
        return lambda x: x * torch.sigmoid(x)
    raise ValueError(name)


def sinusoidal(positions, d):
    """Vaswani's interleaved layout: PE[p, 2i] = sin(p/10000^(2i/d)), PE[p, 2i+1] = cos(…)."""
    pe = torch.zeros(positions, d, dtype=torch.float64)
    p = torch.arange(positions, dtype=torch.float64).unsqueeze(1)
    i2 = torch.arange(0, d, 2, dtype=torch.float64)
    angle = p / torch.pow(10000.0, i2 / d)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d // 2])
    return pe


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, xq, xkv, causal=False, key_pad=None):
        """xq [B, n, d], xkv [B, m, d] → out [B, n, d], probs [B, heads, n, m]."""
        B, n, d = xq.shape
        m = xkv.shape[1]
        q = self.q(xq).view(B, n, self.h, self.dh).transpose(1, 2)  # [B, h, n, dh]
        k = self.k(xkv).view(B, m, self.h, self.dh).transpose(1, 2)  # [B, h, m, dh]
        v = self.v(xkv).view(B, m, self.h, self.dh).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.dh)  # [B, h, n, m]
        if causal:  # key j > query i is masked
            scores = scores.masked_fill(torch.ones(n, m, dtype=torch.bool).triu(1), float("-inf"))
        if key_pad is not None:  # training batches only; the examples never pad
            scores = scores.masked_fill(key_pad[:, None, None, :], float("-inf"))
        probs = scores.softmax(-1)
        out = (probs @ v).transpose(1, 2).reshape(B, n, d)
        return self.o(out), probs


class FFN(nn.Module):
    def __init__(self, d, d_ff, act):
        super().__init__()
        self.fc1, self.fc2, self.act = nn.Linear(d, d_ff), nn.Linear(d_ff, d), activation(act)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Layer(nn.Module):
    def __init__(self, c, cross):
        super().__init__()
        d, eps = c["d_model"], c["layer_norm_eps"]
        self.pre = c["norm"] == "pre"
        self.self_attn, self.self_attn_norm = Attention(d, c["heads"]), nn.LayerNorm(d, eps=eps)
        if cross:
            self.cross_attn, self.cross_attn_norm = Attention(d, c["heads"]), nn.LayerNorm(d, eps=eps)
        self.ffn, self.ffn_norm = FFN(d, c["d_ff"], c["activation"]), nn.LayerNorm(d, eps=eps)

    def add_norm(self, x, norm, f):
        if self.pre:
            out, p = f(norm(x))
            return x + out, p
        out, p = f(x)
        return norm(x + out), p

    def forward(self, x, causal, pad=None, memory=None, memory_pad=None):
        x, p_self = self.add_norm(x, self.self_attn_norm, lambda h: self.self_attn(h, h, causal, pad))
        p_cross = None
        if memory is not None:
            x, p_cross = self.add_norm(x, self.cross_attn_norm, lambda h: self.cross_attn(h, memory, False, memory_pad))
        x, _ = self.add_norm(x, self.ffn_norm, lambda h: (self.ffn(h), None))
        return x, p_self, p_cross


class Stack(nn.Module):
    def __init__(self, c, layers, cross):
        super().__init__()
        self.layers = nn.ModuleList(Layer(c, cross) for _ in range(layers))
        if c["final_norm"]:
            self.final_norm = nn.LayerNorm(c["d_model"], eps=c["layer_norm_eps"])


class Transformer(nn.Module):
    """config: the model file's `config` block (all keys of docs/model-format.md filled in)."""

    def __init__(self, config, own_head=False, head_bias=False):
        super().__init__()
        c = self.c = dict(config)
        d = c["d_model"]
        self.embed = nn.Module()
        self.embed.tokens = nn.Embedding(c["vocab_size"], d)
        nn.init.normal_(self.embed.tokens.weight, std=d ** -0.5 if c["scale_embedding"] else 0.02 * 5)
        if c["positions"] == "learned":
            self.embed.positions = nn.Embedding(c["max_positions"], d)
            nn.init.normal_(self.embed.positions.weight, std=0.1)
        elif c["positions"] == "sinusoidal":
            self.register_buffer("pe", sinusoidal(c["max_positions"], d).float(), persistent=False)
        if c["token_types"] > 0:
            self.embed.token_types = nn.Embedding(c["token_types"], d)
            nn.init.normal_(self.embed.token_types.weight, std=0.02)
        if c["embedding_norm"]:
            self.embed.norm = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        if c["kind"] != "decoder":
            self.encoder = Stack(c, c["encoder_layers"], cross=False)
        if c["kind"] != "encoder":
            self.decoder = Stack(c, c["decoder_layers"], cross=c["kind"] == "encoder-decoder")
        if own_head:
            self.lm_head = nn.Linear(d, c["vocab_size"], bias=head_bias)

    def double(self):
        super().double()
        if hasattr(self, "pe"):  # the float64 reference uses the exact encoding
            self.pe = sinusoidal(self.c["max_positions"], self.c["d_model"])
        return self

    def embed_ids(self, ids):
        """ids [B, n] → token (× √d_model) + position + type 0, then the optional LayerNorm."""
        c = self.c
        x = self.embed.tokens(ids)
        if c["scale_embedding"]:
            x = x * math.sqrt(c["d_model"])
        n = ids.shape[1]
        if c["positions"] == "learned":
            x = x + self.embed.positions.weight[:n]
        elif c["positions"] == "sinusoidal":
            x = x + self.pe[:n]
        if c["token_types"] > 0:
            x = x + self.embed.token_types.weight[0]
        if c["embedding_norm"]:
            x = self.embed.norm(x)
        return x

    def run_stack(self, stack, x, causal, pad=None, memory=None, memory_pad=None):
        selfs, crosses = [], []
        for layer in stack.layers:
            x, ps, pc = layer(x, causal, pad, memory, memory_pad)
            selfs.append(ps)
            crosses.append(pc)
        if hasattr(stack, "final_norm"):
            x = stack.final_norm(x)
        return x, selfs, crosses

    def logits(self, h):
        if hasattr(self, "lm_head"):
            return self.lm_head(h)
        return h @ self.embed.tokens.weight.t()  # tied to the token embeddings

    def forward(self, ids, tgt=None, pad=None):
        """encoder: ids → (logits, {encoder}); decoder: ids → (logits, {decoder});
        encoder-decoder: ids, tgt (decoder inputs, starting with decoder_start_id) → (logits, {encoder, decoder, cross})."""
        kind = self.c["kind"]
        att = {}
        if kind == "decoder":
            h, att["decoder"], _ = self.run_stack(self.decoder, self.embed_ids(ids), True, pad)
            return self.logits(h), att
        mem, att["encoder"], _ = self.run_stack(self.encoder, self.embed_ids(ids), False, pad)
        if kind == "encoder":
            return self.logits(mem), att
        h, att["decoder"], att["cross"] = self.run_stack(self.decoder, self.embed_ids(tgt), True, None, mem, pad)
        return self.logits(h), att

    @torch.no_grad()
    def greedy(self, ids):
        """The engine's greedy loop for one sentence: start token, then argmax until EOS or
        max_target_length decoder inputs. Returns the decoder inputs (EOS not included)."""
        c = self.c
        out = [c.get("decoder_start_id", c.get("bos_id"))]
        limit = min(c.get("max_target_length", 64), c["max_positions"])
        src = torch.tensor([ids])
        for _ in range(limit - 1):  # recomputing the whole prefix equals the KV-cache loop
            logits, _ = self.forward(src, torch.tensor([out]))
            nxt = int(logits[0, -1].argmax())
            if nxt == c.get("eos_id"):
                break
            out.append(nxt)
        return out

    def export(self):
        rename = {"embed.tokens.weight": "embed.tokens", "embed.positions.weight": "embed.positions",
                  "embed.token_types.weight": "embed.token_types"}
        return {rename.get(k, k): v.detach().float().cpu().numpy().copy() for k, v in self.state_dict().items()}


def nested(att):
    """{part: [layer tensors [1, h, n, m]]} → {part: [layer][head][query][key] lists}."""
    return {part: [p[0].tolist() for p in layers] for part, layers in att.items()}


def warmup_cosine(opt, warmup, steps):
    def f(s):
        if s < warmup:
            return (s + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(s - warmup, steps - warmup) / max(1, steps - warmup)))
    return torch.optim.lr_scheduler.LambdaLR(opt, f)
