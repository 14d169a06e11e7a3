"""LoRA fine-tune of SmolLM2-135M on the bundled business tasks: speed, memory, before and after.

    python benchmarks/finetune.py                      # 1 epoch, rank 8 on every projection
    python benchmarks/finetune.py --epochs 2 --rank 16 --per-task 20

Prints, one per line: `training tokens/s: N`, `peak RSS MB: N`, `held-out validation loss: base X
-> tuned Y`, and for each held-out task metric `held-out <metric>: base X -> tuned Y` (greedy
answers to `--per-task` held-out prompts of each task, base model and merged tuned model). Tokens
per second count the tokens of the examples (prompt and answer), not the padding. Run it alone:
there are 2 cores.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MAX_NEW_TOKENS = {"ticket": 6, "fields": 80, "summary": 64, "reply": 72}


def answers(lm, pairs, tokenizer) -> list[str]:
    return [lm.complete(tokenizer.chat_ids([{"role": "user", "content": p.prompt}]),
                        MAX_NEW_TOKENS.get(p.task, 64)) for p in pairs]


def metrics(pairs, texts) -> dict[str, float]:
    from core.llm.tasks import score
    totals: dict[str, list[float]] = {}
    for pair, text in zip(pairs, texts):
        for name, value in score(pair.task, text, pair.response).items():
            totals.setdefault(name, []).append(value)
    return {name: sum(v) / len(v) for name, v in totals.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--per-task", type=int, default=10, help="held-out prompts answered per task")
    args = parser.parse_args(argv)

    import keras

    from core.llm import finetune, tasks
    from core.llm.lm import LanguageModel
    keras.utils.set_random_seed(0)
    started = time.perf_counter()
    lm = LanguageModel.load()
    # Padding: <|endoftext|>, which a chat never holds, so counting the other ids counts real tokens.
    tokenizer = lm.tokenizer
    pad = tokenizer.special.get("<|endoftext|>", 0)
    pairs = tasks.bundled()
    train = [p for p in pairs if p.split == "train"]
    held = [p for p in pairs if p.split == "held-out"]
    train_examples, too_long = tasks.encode_pairs(tokenizer, train, args.max_tokens)
    held_examples, _ = tasks.encode_pairs(tokenizer, held, args.max_tokens)
    held_batches = finetune.batches(held_examples, 8, pad)
    asked = [p for task in ("ticket", "fields", "reply", "summary") for p in [q for q in held if q.task == task][:args.per_task]]
    print(f"{len(train_examples)} training examples ({too_long} over {args.max_tokens} tokens left out), "
          f"{len(held_examples)} held out; model loaded in {time.perf_counter() - started:.0f} s", flush=True)

    t = time.perf_counter()
    base_loss = finetune.evaluate_loss(lm.model, held_batches)
    base = metrics(asked, answers(lm, asked, tokenizer))
    print(f"base model measured in {time.perf_counter() - t:.0f} s", flush=True)

    trainable = finetune.add_lora(lm.model, rank=args.rank)
    step = finetune.train_step(lm.model, keras.optimizers.AdamW(args.learning_rate, weight_decay=0.0))
    tokens, t = 0, time.perf_counter()
    for epoch in range(args.epochs):
        for number, (ids, mask) in enumerate(finetune.batches(train_examples, args.batch, pad, seed=epoch)):
            loss = float(step(ids, mask))
            tokens += int((ids != pad).sum())
            if number % 20 == 0:
                print(f"epoch {epoch + 1} step {number}: loss {loss:.3f}, {tokens / (time.perf_counter() - t):.0f} "
                      "tokens/s", flush=True)
    train_seconds = time.perf_counter() - t
    tuned_loss = finetune.evaluate_loss(lm.model, held_batches)
    merged = LanguageModel(finetune.merge_lora(lm.model), tokenizer, lm.metadata)
    tuned = metrics(asked, answers(merged, asked, tokenizer))

    print(f"trainable parameters: {trainable:,} (rank {args.rank}); {args.epochs} epoch(s) in {train_seconds:.0f} s")
    print(f"training tokens/s: {tokens / train_seconds:.0f}")
    print(f"peak RSS MB: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    print(f"held-out validation loss: base {base_loss:.3f} -> tuned {tuned_loss:.3f} "
          f"({(base_loss - tuned_loss) / base_loss:.0%} lower)")
    for name in base:
        print(f"held-out {name}: base {base[name]:.0%} -> tuned {tuned[name]:.0%}")
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
