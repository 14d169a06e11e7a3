"""Text models for the Text Lab: ready-made sentiment now; more to come."""
