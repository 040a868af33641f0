"""Example scripts that record results through ``benchwh.runners.recorder``."""
