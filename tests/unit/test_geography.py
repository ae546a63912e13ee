import pytest

from samen030.kernel.geography import UnknownArea, buurt, buurten, check_wijk, wijken


def test_utrecht_has_111_buurten_in_10_wijken():
    assert len(buurten()) == 111
    assert len(wijken()) == 10
    assert {b.wijk_code for b in buurten().values()} == set(wijken())


def test_a_buurt_knows_its_wijk():
    kanaleneiland = buurt("BU03440832")
    assert kanaleneiland.name == "Kanaleneiland-Noord"
    assert kanaleneiland.wijk_code == "WK034408"
    assert kanaleneiland.wijk_name == "Wijk 08 Zuidwest"


@pytest.mark.parametrize("code", ["BU03449999", "bu03440832", "", "Kanaleneiland"])
def test_unknown_buurt_is_refused_naming_the_code(code):
    with pytest.raises(UnknownArea, match="Unknown buurt code"):
        buurt(code)


def test_unknown_wijk_is_refused():
    assert check_wijk("WK034401") == "WK034401"
    with pytest.raises(UnknownArea, match="WK034411"):
        check_wijk("WK034411")
