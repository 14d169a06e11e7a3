"""Meaning: a pretrained sentence encoder (all-MiniLM-L6-v2) for search, zero-shot and few-shot
labels, and maps of a document set. UI-free: pages/meaning_lab.py is the view."""
