"""``benchwh.runners.recorder`` is where scripts written before the recorder moved into the
library import it from; the recorder is ``benchwh.recorder`` (also ``benchwh.Recorder``)."""

from benchwh.recorder import Recorder, visualize  # noqa: F401

__all__ = ["Recorder", "visualize"]
