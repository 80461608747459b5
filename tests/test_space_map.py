import numpy as np
import pytest

from workbench.align import AlignParams, Scorer, Side
from workbench.embed import get_embedder
from workbench.space_map import MIN_MAP_LINKS, carried, fit_map

from conftest import FLORES


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_a_map_fitted_on_links_carries_other_vectors_where_the_links_go():
    rng = np.random.default_rng(0)
    src = unit_rows(rng.normal(size=(60, 4)))
    turn = np.array([[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], float)  # 90 degrees in plane 0-1
    tgt = src @ turn
    space_map = fit_map(src, tgt, [(i, i) for i in range(40)], ridge=1e-4)
    assert space_map is not None
    held_out = carried(src[40:], space_map)
    assert np.allclose(held_out, tgt[40:], atol=1e-3)
    # the ridge pulls towards the identity: with a heavy one the vectors barely move
    stiff = fit_map(src, tgt, [(i, i) for i in range(40)], ridge=1e6)
    assert stiff is not None and np.allclose(carried(src, stiff), src, atol=1e-3)
    assert np.allclose(np.linalg.norm(held_out, axis=1), 1.0, atol=1e-6)


def test_too_few_links_teach_no_map():
    vectors = unit_rows(np.random.default_rng(1).normal(size=(30, 4)))
    assert fit_map(vectors, vectors, [(i, i) for i in range(MIN_MAP_LINKS - 1)], ridge=1.0) is None
    assert carried(vectors, None) is vectors


def test_a_map_taught_by_half_of_flores_puts_the_other_half_nearer_their_translations(embedder):
    """150 FLORES lines teach the map, 150 others are held out: more held-out Japanese lines have
    their own English or French as nearest neighbour (ja-en 147 -> 150, ja-fr 148 -> 149 of 150)."""
    japanese = (FLORES / "dev" / "jpn_Jpan.dev").read_text(encoding="utf-8").splitlines()[:300]
    src = embedder.embed(japanese)
    right = {"raw": 0, "mapped": 0}
    for other in ("eng_Latn", "fra_Latn"):
        tgt = embedder.embed((FLORES / "dev" / f"{other}.dev").read_text(encoding="utf-8").splitlines()[:300])
        space_map = fit_map(src, tgt, [(i, i) for i in range(150)], AlignParams().space_map_ridge)
        for name, vectors in (("raw", src), ("mapped", carried(src, space_map))):
            nearest = (vectors[150:] @ tgt[150:].T).argmax(axis=1)
            right[name] += int((nearest == np.arange(150)).sum())
    assert right["mapped"] >= right["raw"] + 3, right


def test_the_map_is_used_without_english_only(embedder):
    """The aligner's scorer compares mapped vectors where no side has English; with English on both
    sides the originals keep the model's own space (a map there cost MAC-Dev with zh .trans 0.923 -> 0.915-0.920)."""
    japanese = (FLORES / "dev" / "jpn_Jpan.dev").read_text(encoding="utf-8").splitlines()[:80]
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[:80]
    plain = Side(japanese, "ja", [None] * 80), Side(english, "en", list[str | None](english))
    mapped = Scorer(*plain, embedder, None, AlignParams()).sim11
    unmapped = Scorer(*plain, embedder, None, AlignParams(space_map_ridge=0)).sim11
    assert not np.allclose(mapped, unmapped)
    # the map raises the true pairs above the rest
    assert np.diag(mapped).mean() - mapped.mean() > np.diag(unmapped).mean() - unmapped.mean()
    with_english = Side(japanese, "ja", list[str | None](english)), Side(english, "en", list[str | None](english))
    assert np.allclose(Scorer(*with_english, embedder, None, AlignParams()).sim11,
                       Scorer(*with_english, embedder, None, AlignParams(space_map_ridge=0)).sim11)
