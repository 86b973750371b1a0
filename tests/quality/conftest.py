"""The quality package goes first: it switches GX analytics and progress bars off, which GX
reads once, when a test module first imports it."""

import orchestration.lib.quality  # noqa: F401
