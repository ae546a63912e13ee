"""SAMEN030: the federation software of Utrecht's residents' organisations."""
