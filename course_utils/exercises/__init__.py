"""Self-check functions for the chapter exercises, grouped by topic.

Each ``check_*`` function returns a ``Verdict`` (truthy when the answer is right) that says
whether the reader's answer is correct without revealing the expected value.
"""

from ._core import Verdict, close_enough

__all__ = ["Verdict", "close_enough"]
