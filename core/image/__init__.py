"""The Image Lab's engine: classify a photo (core.image.classify) and show where the model looked
(core.image.explain). Models come from the catalogue (core.catalog): `load_model(key)`."""
