"""W4 on PyTorch + transformers, for bench.ts: the same folder (bench/w4Model.ts), prompt and steps as
bench/w4.ts. Eager attention with output_attentions=True (all 24 x 14 maps), 2 threads, in float32
or bfloat16. Like bench/w4.ts, the prefill keeps the last position's logits only (logits_to_keep=1,
as generate() does), then 32 greedy steps over the KV cache. One JSON line on stdout.

    python bench/w4_torch.py <folder> --dtype float32|bfloat16 [--threads 2] [--runs 3]
"""

import argparse
import json
import resource
import time

import torch
import transformers
from transformers import AutoModelForCausalLM

STEPS = 32
N = 512


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(a.folder, dtype=getattr(torch, a.dtype), attn_implementation="eager")
    model.eval()
    open_ms = (time.perf_counter() - t0) * 1000
    vocab = model.config.vocab_size
    ids = torch.tensor([[(i * 7919 + 13) % vocab for i in range(N)]])  # w4Ids in bench/w4Model.ts
    prefill, steps, tokens, prefill_cpu, steps_cpu = [], [], [], [], []
    with torch.inference_mode():
        for _ in range(a.runs):
            t, c = time.perf_counter(), time.process_time()
            out = model(input_ids=ids, use_cache=True, output_attentions=True, logits_to_keep=1)
            nxt = int(out.logits[0, -1].argmax())
            prefill.append((time.perf_counter() - t) * 1000)
            prefill_cpu.append((time.process_time() - c) * 1000)
            assert len(out.attentions) == model.config.num_hidden_layers
            kept = [out.attentions]  # every map alive to the end of the run, as bench/w4.ts keeps them
            past, toks = out.past_key_values, [nxt]
            t, c = time.perf_counter(), time.process_time()
            for _ in range(STEPS):
                out = model(input_ids=torch.tensor([[nxt]]), past_key_values=past, use_cache=True, output_attentions=True)
                past = out.past_key_values
                nxt = int(out.logits[0, -1].argmax())
                toks.append(nxt)
                kept.append(out.attentions)
            steps.append((time.perf_counter() - t) * 1000)
            steps_cpu.append((time.process_time() - c) * 1000)
            tokens = toks
            del kept, out, past
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "dtype": a.dtype,
                "threads": torch.get_num_threads(),
                "openMs": open_ms,
                "prefillMs": prefill,
                "stepsMs": steps,
                "prefillCpuMs": prefill_cpu,
                "stepsCpuMs": steps_cpu,
                "tokens": tokens,
                "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
