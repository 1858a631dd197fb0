"""Participation reports without a list of who came (issue #27, README: "What reports keep and
what they do not"): each date's counts frozen before its people are erased, series return
rates, rapid response figures, small numbers hidden."""
