"""Deciding who is who: neighbour graphs, clustering, classifiers and their fusion."""
