"""Runners that measure models and yield records (``benchwh.runners``); ``benchwh.recorder``
(the library's recorder, the API other scripts call too) writes them.

Nothing heavy is imported here: ``torch`` and ``transformers`` are imported inside the
functions that run models, so ``benchwh --help`` and every other command work without them.
Entry points: ``benchwh.runners.inference``, ``.training``, ``.compatibility``, ``.distributed``
(the runners; ``.families`` the named models, ``.backends`` eager/compile/cudagraphs/onnxruntime/
openvino, ``.generation`` prefill and per-token decode),
``benchwh.runners.options``
(``--db-path``/``--no-db-store``/``--visualize-from-db`` for argparse or typer programs).
"""
