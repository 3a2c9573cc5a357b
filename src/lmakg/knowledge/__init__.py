"""knowledge"""

from lmakg.knowledge import remote  # registers the sparql: store backend

__all__ = ["remote"]
