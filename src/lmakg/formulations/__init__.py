"""Formulations judged as wholes (``lmakg assess``): the formulation language, component data, normalised
amounts, the electrolyte regime, mechanisms in context, and the score, all from data in ``kg/`` and ``rules/``."""
