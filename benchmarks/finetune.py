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

    from core.llm import tasks
    from core.llm.lm import LanguageModel
    from core.llm.teach import BaseAnswers, TaskData, Tuner, before_after_lines, greedy_answers, task_metrics
    keras.utils.set_random_seed(0)
    started = time.perf_counter()
    lm = LanguageModel.load()
    pairs = tasks.bundled()
    data = TaskData.build(lm.tokenizer, [p for p in pairs if p.split == "train"],
                          [p for p in pairs if p.split == "held-out"], args.max_tokens, eval_per_task=args.per_task)
    print(f"{len(data.train)} training examples ({data.too_long} over {args.max_tokens} tokens left out), "
          f"{data.held_out} held out ({len(data.validation)} for the loss, {len(data.evaluated)} answered); "
          f"model loaded in {time.perf_counter() - started:.0f} s", flush=True)

    # The same objects as a fine-tuning run (core/training/finetune_llm.py). The adapters start at
    # zero, so before the first step this is the base model exactly.
    tuner = Tuner(lm, args.rank, optimizer=keras.optimizers.AdamW(args.learning_rate, weight_decay=0.0),
                  batch_size=args.batch, longest=args.max_tokens)
    t = time.perf_counter()
    base_loss = tuner.validation_loss(data.validation)
    cache = BaseAnswers()
    known = cache.load()
    base = task_metrics(data.evaluated, greedy_answers(lm, data.evaluated, known))
    few_shot = task_metrics(data.evaluated, greedy_answers(lm, data.evaluated, known, shots=data.shots))
    cache.save(known)
    print(f"base model measured in {time.perf_counter() - t:.0f} s", flush=True)

    tokens = seconds = 0.0
    for epoch in range(args.epochs):
        def report(number, loss, rate):
            if number % 20 == 0:
                print(f"epoch {epoch + 1} step {number}: loss {loss:.3f}, {rate:.0f} tokens/s", flush=True)
        result = tuner.epoch(data.train, epoch, on_step=report)
        tokens, seconds = tokens + result["tokens"], seconds + result["seconds"]
    tuned_loss = tuner.validation_loss(data.validation)
    tuned = task_metrics(data.evaluated, greedy_answers(lm, data.evaluated))

    print(f"trainable parameters: {tuner.trainable:,} (rank {args.rank}); {args.epochs} epoch(s) in {seconds:.0f} s "
          f"(XLA compiles once per batch shape: included)")
    batch = tuner.batches(data.train, 0)[0]
    print(f"  {len(tuner.batches(data.train, 0))} steps an epoch, each {batch.ids.shape[0]} packed rows x "
          f"{batch.ids.shape[1]} tokens, room for {tuner.slots} answer tokens")
    print(f"training tokens/s: {tokens / seconds:.0f}")
    print(f"  of which compiling: {tuner.compile_seconds:.0f} s for {len(tuner.shapes)} batch shapes; after compiling: "
          f"{tokens / (seconds - tuner.compile_seconds):.0f} tokens/s (the first step of each shape counted as compile)")
    print(f"peak RSS MB: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    for line in before_after_lines(base_loss, tuned_loss, {name: {"base": base.get(name, 0.0), "tuned": tuned[name],
                                                                   "few_shot": few_shot.get(name, 0.0)} for name in tuned}):
        print(line)
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
