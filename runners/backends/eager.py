"""``--backend eager``: the PyTorch model called as it is (the reference of every parity check)."""

from __future__ import annotations


from benchwh.runners.backends import Prepared, flatten


def version() -> str:
    import torch

    return f"torch {torch.__version__}"


def check(device) -> None:
    pass


def prepare(lm, inputs: dict, device, torch, precision: str) -> Prepared:
    model = lm.model
    return Prepared(call=lambda: model(**inputs), outputs=lambda out: flatten(out, torch),
                    details={"backend": "eager"})


