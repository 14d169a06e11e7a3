"""How models learn, made visible: optimizer paths on 2-D loss surfaces (more to come)."""
