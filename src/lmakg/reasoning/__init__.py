"""reasoning"""

from lmakg.reasoning import update  # registers the rules-as-SPARQL-Update runner for sparql: stores

__all__ = ["update"]
