"""The shipped line models (``dedup/strip/line_model.json``)."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.strip.features import FEATURES, feature_matrix
from dedup.strip.model import load_model

#: The line features that are 0 or 1.
BINARY = ("end_sentence", "end_colon", "bullet", "lower_start", "quote", "urlish", "repeated", "ellipsis",
          "prev_end_sentence", "next_end_sentence", "in_main_block", "page_duplicate")


@pytest.mark.parametrize("kind", ["text", "html"])
def test_no_bin_of_a_line_feature_is_empty(kind):
    # A line's bin is the number of edges not above its value, and every
    # feature is >= 0: an edge at 0.0 leaves the bin below it empty. Models
    # trained before the fix had 0/1 features whose only edge was 0.0, so
    # both values fell in one bin and the feature did nothing.
    model = load_model(kind)
    assert model.stage1.names == FEATURES
    for name, edges in zip(model.stage1.names, model.stage1.edges):
        assert edges.shape[0] >= 1 and edges[0] > 0, name


@pytest.mark.parametrize("kind", ["text", "html"])
def test_binary_features_weigh_their_two_values_apart(kind):
    stage1 = load_model(kind).stage1
    for name in BINARY:
        j = stage1.names.index(name)
        zero, one = stage1.weight(j, np.array([0.0, 1.0])).tolist()
        assert zero != one, name


def test_features_are_never_negative():
    # what the empty-bin check above relies on
    lines = ["Home | News | Sport", "• Item", "the council met on Tuesday.", "Read more: www.example.com",
             "Price: $1.00 (+2%)", "\u201cQuoted,\u201d she said.", "Home | News | Sport"]
    X = feature_matrix(lines, blocks=np.array([0, 0, 1, 2, 2, 3, 4]))
    assert X.shape == (len(lines), len(FEATURES))
    assert (X >= 0).all()
