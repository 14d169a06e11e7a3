"""The model's own tokenizer, rebuilt from the GGUF metadata (tokens + merges), offline.

SmolLM2 uses GPT-2-style byte-level BPE: text is split into pieces (every digit alone, then the
GPT-2 pattern: words with their leading space, runs of punctuation, whitespace), each piece's UTF-8
bytes are mapped to printable characters ("Ġ" is a space), and the merges list glues neighbouring
symbols together, earliest merge first, until no listed merge applies. That is exactly what PyPI
`tokenizers` does with a BPE model and a Digits + ByteLevel pre-tokenizer, which is how Hugging
Face ships SmolLM2 (tokenizer.json); the GGUF calls this pre-tokenizer "smollm".
Special tokens (<|im_start|>, <|im_end|>, <|endoftext|>, ...) are matched whole in our own
templates only: text a user types is encoded with special tokens off, so a user cannot inject one.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .gguf import TokenizerData

SPECIAL_TYPE = 3  # GGUF token_type for control tokens


@dataclass(frozen=True)
class Piece:
    id: int
    token: str       # the vocabulary entry, byte-level (e.g. "ĠParis")
    text: str        # what it stands for (e.g. " Paris"); partial UTF-8 shows as "�"
    start: int       # character offsets into the encoded text
    end: int


@lru_cache(maxsize=1)
def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


class Tokenizer:
    def __init__(self, data: TokenizerData):
        from tokenizers import Tokenizer as HFTokenizer, decoders, models, pre_tokenizers

        self.tokens = data.tokens
        self.vocab = {t: i for i, t in enumerate(data.tokens)}
        self.bos_id, self.eos_id = data.bos_id, data.eos_id
        self.chat_template = data.chat_template
        merges = [tuple(m.split(" ", 1)) for m in data.merges]
        bpe = models.BPE(vocab=self.vocab, merges=merges, fuse_unk=False, byte_fallback=False)
        tok = HFTokenizer(bpe)
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ])
        tok.decoder = decoders.ByteLevel()
        self.special = {t: i for i, (t, ty) in enumerate(zip(data.tokens, data.token_types))
                        if ty == SPECIAL_TYPE}
        tok.add_special_tokens(list(self.special))
        self._tok = tok
        self._byte_decoder = {c: b for b, c in _bytes_to_unicode().items()}

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def encode(self, text: str, special: bool = False) -> list[int]:
        """Token ids of `text`. With special=False, "<|im_end|>" typed by a user is plain text."""
        self._tok.encode_special_tokens = not special
        return self._tok.encode(text, add_special_tokens=False).ids

    def pieces(self, text: str) -> list[Piece]:
        """The text split into its tokens, with ids and character offsets (for colouring)."""
        self._tok.encode_special_tokens = True
        enc = self._tok.encode(text, add_special_tokens=False)
        return [Piece(i, t, self.token_text(i), s, e)
                for i, t, (s, e) in zip(enc.ids, enc.tokens, enc.offsets)]

    def decode(self, ids, skip_special: bool = False) -> str:
        return self._tok.decode(list(map(int, ids)), skip_special_tokens=skip_special)

    def token_bytes(self, token_id: int) -> bytes:
        """The raw bytes one token stands for (a Chinese character may span several tokens)."""
        token = self.tokens[token_id]
        if token in self.special:
            return token.encode()
        return bytes(self._byte_decoder[c] for c in token)

    def token_text(self, token_id: int) -> str:
        return self.token_bytes(int(token_id)).decode("utf-8", errors="replace")

    def chat_ids(self, messages: list[dict], add_generation_prompt: bool = True,
                 system: str | None = None) -> list[int]:
        """The GGUF's chat template, built from ids so message text can never contain a control
        token:  <|im_start|>role\\ncontent<|im_end|>\\n ... <|im_start|>assistant\\n"""
        start, end = self.special["<|im_start|>"], self.special["<|im_end|>"]
        if not messages or messages[0]["role"] != "system":
            messages = [{"role": "system", "content": system or DEFAULT_SYSTEM}] + list(messages)
        ids: list[int] = []
        for m in messages:
            ids += [start] + self.encode(m["role"] + "\n" + m["content"]) + [end] + self.encode("\n")
        if add_generation_prompt:
            ids += [start] + self.encode("assistant\n")
        return ids


DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
