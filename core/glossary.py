"""Plain-words help for every technical term the studio shows: one sentence each, for a manager.

Pages pass `help=glossary.help_for("learning rate")` to a widget or metric, or show a term list
with `terms_in(text)`. A term shown on a page without an entry here is a bug (a test checks the
registries' labels against this list).
"""
from __future__ import annotations

GLOSSARY: dict[str, str] = {
    # teaching the language model (LoRA)
    "fine-tuning": "Training a pretrained model a little more, on your own examples, so it does your task.",
    "lora": "Low-Rank Adaptation: the model's weights stay frozen and two thin matrices beside each learn "
            "the change, about 1 % of the numbers, so a laptop can teach a large model.",
    "lora rank": "How wide LoRA's thin matrices are: a higher rank can learn more, a lower one trains faster.",
    "adapter": "The small set of numbers LoRA learns (a few MB); added to the frozen model, it makes the tuned one.",
    "prompt/response pairs": "Examples of what a person asks and the answer you want, one pair per row.",
    "held-out examples": "Examples kept aside and never trained on: answering them shows what the model learnt.",
    "tokens per second": "How many tokens (word pieces) the model reads or writes each second: its speed.",
    "merge": "Adding the adapter into the frozen weights once, so the tuned model runs as fast as the original.",
    "base model": "The pretrained model before it was taught your task: the 'before' of every comparison.",
    # training
    "epoch": "One full pass over the training examples; training usually takes several.",
    "batch size": "How many examples the model looks at before it adjusts its weights once.",
    "learning rate": "How big a step the model takes each time it adjusts its weights: too small is slow, "
                     "too large overshoots.",
    "loss": "A single number for how wrong the model is; training pushes it down.",
    "training loss": "How wrong the model is on the examples it learns from.",
    "validation loss": "How wrong the model is on examples held back from training: the honest score.",
    "accuracy": "The share of examples the model gets right.",
    "validation accuracy": "The share of held-back examples (never trained on) that the model gets right.",
    "test accuracy": "The share of a separate test set, never seen during training, that the model gets right.",
    "validation split": "The share of the data kept aside to check the model on examples it never trained on.",
    "overfitting": "When a model memorises its training examples instead of learning the general pattern.",
    "parameters": "The numbers inside a model that training adjusts; more parameters can learn more.",
    "weights": "The numbers inside a model that training adjusts.",
    "gradient": "For each weight, which way and how strongly to change it to reduce the loss.",
    "gradient norm": "How large a layer's gradient is overall: how much that layer is learning right now.",
    "‖∂loss/∂w‖": "How large a layer's gradient is overall: how much that layer is learning right now.",
    "vanishing gradients": "When the learning signal shrinks layer by layer so the early layers barely learn.",
    "backpropagation": "How a network works out each weight's share of the blame for an error, from the "
                       "output back to the input.",
    "activation": "The simple curve each neuron applies to its input; it lets the network learn non-straight "
                  "patterns.",
    "relu": "An activation that passes positive values unchanged and turns negatives into zero.",
    "sigmoid": "An S-shaped activation that squeezes any value into 0 to 1; deep stacks of it learn slowly.",
    "tanh": "An S-shaped activation that squeezes any value into -1 to 1.",
    "gelu": "A smooth version of ReLU, used in most modern Transformers.",
    "initializer": "How the weights are set before training starts; a good start helps deep networks learn.",
    "glorot": "A standard way to set starting weights so signals keep a steady size through the layers.",
    "he": "A way to set starting weights suited to ReLU networks.",
    "hidden layer": "A layer between the input and the answer; each adds a step of computation the model can learn.",
    "dropout": "Randomly switching off some neurons during training so the model cannot rely on any one.",
    "mixed precision": "Doing most maths in 16-bit numbers on a GPU: faster, with the same result in practice.",
    "checkpoint": "A saved copy of the model part-way through training, so a run can resume after a crash.",
    "confusion matrix": "A grid of which true classes the model mistakes for which others.",
    "per-class accuracy": "How often the model is right for each class separately.",
    "confidence": "How sure the model says it is: the probability it gives to its answer.",
    "calibrated": "A confidence that means what it says: answers given at 80% are right about 80% of the time.",
    "temperature scaling": "Correcting a model's over- or under-confidence with one number fitted on examples "
                           "it never trained on; the answer stays the same, only how sure it says it is changes.",
    "compound score": "VADER's one number for a text's feeling, from -1 (most negative) to +1 (most positive): "
                      "the values of its words added up and squashed into that range.",
    "none of these": "A taught model's way of saying the input is unlike every class it learned (a clock "
                     "shown to a shapes model), measured by how far the input lies from each class's examples.",
    "not sure": "The model's best answer is below the confidence the studio asks for, so it is shown as a guess.",
    "unknown words": "Words the model never saw in training; it reads them all as one 'unknown' token.",
    "probability": "The model's estimate, from 0% to 100%, that this answer is the right one.",
    "logits": "The model's raw scores before they are turned into probabilities.",
    "softmax": "Turns raw scores into probabilities that add up to 100%.",
    "transfer learning": "Starting from a model already trained on millions of examples and teaching it a new "
                         "task with few examples.",
    "fine-tuning": "Training a pretrained model a little more, gently, on your own examples.",
    # optimizers
    "optimizer": "The rule that decides how to change the weights after each batch.",
    "gd": "Gradient descent on all the data at once: one careful step per pass.",
    "full-batch gd": "Gradient descent on all the data at once: one careful step per pass.",
    "sgd": "Stochastic gradient descent: a quick step after every small batch, a little noisy.",
    "momentum": "Keeps part of the previous step, like a ball rolling downhill, to speed through flat parts.",
    "nesterov": "Momentum that looks one step ahead before it corrects, so it overshoots less.",
    "rmsprop": "Scales each weight's step by how large its recent gradients were, so every weight moves "
               "at a sensible pace.",
    "adagrad": "Gives each weight its own step size that shrinks the more it has already moved.",
    "adam": "Combines momentum and per-weight step sizes; the most common default today.",
    "adamw": "Adam with weight decay kept separate, which generalises a little better.",
    "β₁": "How much of the previous direction Adam keeps (its momentum), usually 0.9.",
    "β₂": "How long Adam remembers the size of past gradients when it scales each step, usually 0.999.",
    "momentum β": "How much of the previous step carries over into the next one.",
    "weight decay": "Gently pulls every weight towards zero so the model stays simple.",
    "schedule": "How the learning rate changes during training, e.g. starting high and lowering it.",
    "epsilon": "A tiny number that keeps a division from blowing up; rarely worth changing.",
    # architectures
    "mlp": "A multi-layer perceptron: layers of neurons, each connected to every value of the layer before.",
    "cnn": "A convolutional network: small filters slide over an image to find edges, shapes and parts.",
    "lstm": "A recurrent network that reads a sequence step by step and keeps a memory of what came before.",
    "gru": "A simpler, faster cousin of the LSTM.",
    "bilstm": "An LSTM that reads the sequence both forwards and backwards.",
    "transformer": "A network that uses attention: each word looks at every other word to decide what matters.",
    "attention": "How much each word (or sound, or patch) looks at every other one when the model reads it.",
    "embedding": "A list of numbers that stands for a word, sound or image, placed so similar things are close.",
    "seq2seq": "A model that reads one sequence and writes another, e.g. a sentence and its translation.",
    "gan": "Two networks trained against each other: one draws, the other tells real from drawn.",
    "generator": "The network of a GAN that turns random noise into an image.",
    "discriminator": "The network of a GAN that learns to tell real images from generated ones.",
    "latent": "The random numbers a generator turns into an image; each point is a different image.",
    "feature map": "What one filter of a convolutional layer finds across the image: bright where it matches.",
    "filter": "A small pattern a convolutional layer looks for everywhere in the image.",
    "grad-cam": "A heatmap of the parts of an image that pushed the model most towards its answer.",
    "occlusion": "Hiding part of the input and measuring how much the answer changes, to see what mattered.",
    "spectrogram": "A picture of sound: time from left to right, pitch from bottom to top, loudness as colour.",
    "mel spectrogram": "A spectrogram whose pitch axis is spaced the way human hearing is.",
    "imagenet": "A famous set of 1.2 million photos in 1,000 everyday classes that image models learn from.",
    "tflite": "A compact model format for phones and small devices.",
    "savedmodel": "TensorFlow's format for serving a model from a server.",
    "keras": "The deep-learning library the studio's models are built with.",
    "peak memory": "The most memory the training process used at any moment during the run.",
    "scaling law": "The finding that loss falls smoothly and predictably as models and data grow.",
    "width": "How many neurons each hidden layer has: the knob that makes this network bigger or smaller.",
    "power law": "A rule of the form loss = A × size^b: each doubling of size cuts the loss by the same fraction.",
    "log-log": "Both axes on a logarithmic scale (1, 10, 100...), where a power law shows as a straight line.",
    "training compute": "How much arithmetic training took, counted in floating-point operations (FLOPs).",
    "flops": "Floating-point operations: single additions or multiplications, the unit of computing work.",
    # speech to text
    "dictation": "Writing down any English speech word by word, guided by which words usually follow "
                 "which; it handles any sentence but makes more mistakes.",
    "grammar": "A fixed list of phrases the recogniser may choose from; choosing among a few is far more "
               "accurate than open dictation, but it always answers with one of them.",
    "keyword model": "A small network trained on ten command words (yes, no, up, down, left, right, on, off, "
                     "stop, go) that names which one a one-second clip holds.",
    "real-time factor": "Time spent recognising divided by the length of the audio: below 1 means faster "
                        "than someone could listen to it.",
    "word timings": "When each recognised word starts and ends in the clip, in seconds.",
    "whisper": "A speech recogniser of today's kind: a Transformer that listens to 30 s of sound at a time "
               "and writes the words, trained on 680,000 hours of speech in 99 languages.",
    "word error rate": "The share of the reference's words the transcript gets wrong (replaced, left out "
                       "or added): 0 % is word for word; lower is better.",
    "language detection": "Whisper's guess of the spoken language from the clip's first 30 seconds, with "
                          "how sure it is.",
    "text detection": "Finding where on the page there is text: a network marks each pixel as text or not, "
                      "and the marked areas are cut into boxes, one per line.",
    "text direction": "A small network that checks each box the right way up, and turns those that are "
                      "upside down before they are read.",
    "text recognition": "Reading the characters in each box: a network turns the strip of pixels into "
                        "letters and Chinese characters, with how sure it is of them.",
    "text probability map": "The detector's picture of the page: for every pixel, how likely it is part of "
                            "text. Bright where it saw text; the boxes are cut from the bright areas.",
    "word confidence": "How likely the recogniser found each word it wrote: high is a clear word, low a "
                       "guess (noise, mumbling, a name it does not know).",
    "subtitles": "The transcript cut into timed pieces (SRT file), which video players show under a film.",
    # language models
    "language model": "A network trained to guess the next piece of text; writing a whole answer is "
                      "guessing one piece after another.",
    "token": "A piece of text the language model reads and writes: a whole common word, part of a rare "
             "word, or a few bytes of a Chinese character or an emoji.",
    "tokenizer": "The fixed rules that cut text into tokens and turn each into its number (id).",
    "temperature": "How adventurous the pick of the next token is: 0 always takes the most likely one, 1 "
                   "follows the model's own odds, higher values give unlikely tokens more chances.",
    "top-k": "Only the k most likely next tokens may be picked; the rest are cut away (0: no limit).",
    "top-p": "Only the most likely next tokens that together reach this share of the probability may be "
             "picked; the long tail of unlikely ones is cut away (1: no limit).",
    "greedy": "Always writing the single most likely next token: the same prompt gives the same answer.",
    "logit": "The model's raw score for one possible next token, before scores become probabilities.",
    "logit lens": "Sending each layer's running result straight to the output, to see what the model would "
                  "say if it stopped at that layer.",
    "attention head": "One of several attention patterns a layer computes side by side; each can follow "
                      "something different (the previous word, the subject, punctuation).",
    "context window": "How many tokens the model can read at once, the prompt and its answer together; "
                      "older text beyond it is dropped.",
    "kv cache": "What the model keeps of the tokens it has already read (their keys and values), so each "
                "new token costs one step instead of re-reading everything.",
    "tokens per second": "How fast the answer is written, counted after the first token.",
    "time to first token": "How long the model reads the prompt before the first piece of the answer appears.",
    "quantization": "Storing the model's weights with fewer bits (4 or 8 instead of 32), so it is smaller "
                    "and faster, at a small cost in accuracy.",
    "int8": "Whole numbers from -128 to 127: weights kept in 8 bits each, a quarter of the usual size.",
    "perplexity": "How surprised a language model is by a text: lower means it expected the words better.",
    # The Meaning lab (sentence encoder)
    "cosine similarity": "How alike two texts are in meaning: 1 when their vectors point the same way, near 0 "
                         "when they have nothing to do with each other.",
    "bm25": "Classic keyword search: documents sharing the query's words rank first, rare words counting "
            "more than common ones; a document with none of the words is never found.",
    "zero-shot": "Labelling with no training examples at all: each label is written as a sentence and a text "
                 "gets the labels closest to it in meaning.",
    "few-shot": "Learning labels from a handful of examples each, possible because a pretrained model already "
                "knows what sentences mean.",
    "learning curve": "Accuracy on the same held-out examples as a model is given more training examples: it "
                      "shows how much data a model needs.",
    "t-sne": "A way to draw many-dimensional points on a flat map that keeps each point near its nearest "
             "neighbours (distances between far-apart groups mean little).",
}


def help_for(term: str) -> str | None:
    """The plain-words sentence for a term (case-insensitive), or None when there is none."""
    return GLOSSARY.get(str(term).strip().lower())


def terms_in(text: str) -> dict[str, str]:
    """The glossary entries whose term appears in `text` as a word (for a 'What do these words mean?' box)."""
    import re
    lowered = str(text).lower()
    return {term: meaning for term, meaning in GLOSSARY.items()
            if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", lowered)}
