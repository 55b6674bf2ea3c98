"""spec/names.py: rows of weight names kept as patterns (an MNIST layer's 200,000 names made
only when read), equal to the tuples of their names, and the proof that no name is made twice,
checked against every name made and counted."""

from __future__ import annotations

from collections import Counter

from conftest import CONFIGS
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tutor.spec import load_spec
from backprop_tutor.spec.load import spec_from_text
from backprop_tutor.spec.names import AffixedRow, NameChain, PatternClaims
from backprop_tutor.spec.resolve import Resolver
from backprop_tutor.spec.schema import SpecFile
from backprop_tutor.spec.yaml_source import read_yaml

SOURCES = ("x1", "x2", "x10")


def test_a_row_is_the_tuple_of_its_names() -> None:
    row = AffixedRow("w_h1_", SOURCES, "'")
    names = ("w_h1_x1'", "w_h1_x2'", "w_h1_x10'")
    assert row == names and names == row and hash(row) == hash(names) and len(row) == 3
    assert row[2] == "w_h1_x10'" and row[-1] == "w_h1_x10'" and row[:2] == names[:2]
    assert "w_h1_x2'" in row and "w_h1_x3'" not in row and "w_h1_x2" not in row
    assert row.index("w_h1_x10'") == 2 and list(reversed(row)) == list(reversed(names))
    assert row != ("w_h1_x1'",) and row != "w_h1_x1'"


def test_a_chain_is_the_tuple_of_its_parts_in_order() -> None:
    chain = NameChain((("b1",), AffixedRow("w_", ("a", "b"), ""), ()))
    assert chain == ("b1", "w_a", "w_b") and len(chain) == 3 and chain[1] == "w_a"
    assert hash(chain) == hash(("b1", "w_a", "w_b")) and "w_b" in chain


name = st.text("ab_1", min_size=0, max_size=4)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(name, name), min_size=1, max_size=5),
    st.lists(st.text("ab_1", min_size=1, max_size=3), min_size=1, max_size=4, unique=True),
    st.lists(st.text("wab_1", min_size=1, max_size=8), max_size=6, unique=True),
)
def test_rows_proved_apart_make_no_name_twice(affixes, sources, singles) -> None:
    """Whenever the proof says the rows' names are apart from each other and from the names
    claimed one by one, making every name finds none twice (it may refuse a proof where none
    would meet: those specs are resolved again with every name made)."""
    claims = PatternClaims()
    for head, tail in affixes:
        claims.add(head, frozenset(sources), tail)
    made = Counter(head + s + tail for head, tail in affixes for s in sources)
    made.update(singles)
    if claims.apart(singles):
        assert max(made.values()) == 1, made


def test_a_spec_names_its_weights_the_same_by_pattern_or_one_by_one() -> None:
    """The generic notation's rows are patterns; compared whole, the spec is the one every
    name made gives (resolve.py's by_pattern=False, which loads take where the proof fails)."""
    for path in sorted(CONFIGS.glob("*.yaml")):
        source = read_yaml(path)
        raw = SpecFile.model_validate(source.data)
        made = Resolver(source, raw, by_pattern=False).spec()
        assert load_spec(path) == made, path.name
        assert [list(layer.param_order) for layer in load_spec(path).layers] == [
            list(layer.param_order) for layer in made.layers
        ]


def test_a_patterns_names_are_strings_only_when_read() -> None:
    text = """notation: generic
inputs: {a: 1, b: 2}
targets: [1]
layers:
  - {units: 2, activation: sigmoid, weights: [[0.1, 0.2], [0.3, 0.4]]}
  - {units: 1, activation: sigmoid, weights: [[0.5, 0.6]]}
loss: half_sse
learning_rate: 0.5
"""
    layer = spec_from_text(text).layers[0]
    assert all(isinstance(row, AffixedRow) for row in layer.weight_names)
    assert layer.weight_names == (("w_h1_a", "w_h1_b"), ("w_h2_a", "w_h2_b"))
