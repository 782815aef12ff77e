"""TODO-filled-by-owner."""

from __future__ import annotations

__all__: list[str] = []
