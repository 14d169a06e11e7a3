"""Audio: decoding, features, speech."""
