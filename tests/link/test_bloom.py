"""Keyed Bloom-filter encodings: determinism, keying, similarity, balancing, folding, schema exchange, blocking keys."""

from __future__ import annotations

import hashlib
import hmac
import json

import numpy as np
import polars as pl
import pytest

from palermo.link.bloom import (
    BlockingSpec,
    EncodingSchema,
    FieldSpec,
    blocking_keys,
    derive_key,
    dice,
    encode,
    hmac_sha256_many,
    lsh_keys,
    permutation,
    permute_bits,
    soundex,
)

SECRET = b"0123456789abcdef-test-secret"
OTHER = b"another secret, 32 bytes long..."
SCHEMA = EncodingSchema(
    (
        FieldSpec("given_name", hashes=15),
        FieldSpec("surname", hashes=15),
        FieldSpec("date_of_birth", ngram=1, positional=True, hashes=10),
        FieldSpec("sex", kind="exact", hashes=4),
    )
)


def people(n: int = 400, seed: int = 3) -> pl.DataFrame:
    """Random people: names of random letters, random dates of birth."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))

    def names() -> list[str]:
        return ["".join(letters[rng.integers(0, 26, size=int(k))]) for k in rng.integers(4, 10, size=n)]

    days = np.datetime64("1950-01-01") + rng.integers(0, 20_000, size=n).astype("timedelta64[D]")
    return pl.DataFrame(
        {
            "given_name": names(),
            "surname": names(),
            "date_of_birth": pl.Series(days).dt.strftime("%Y%m%d"),
            "sex": rng.choice(["f", "m"], size=n),
        }
    )


def one(**values: str | None) -> pl.DataFrame:
    """A one-row frame with the schema's columns (missing ones null)."""
    row = {f.name: [values.get(f.name)] for f in SCHEMA.fields}
    return pl.DataFrame(row, schema={f.name: pl.String for f in SCHEMA.fields})


def test_same_input_and_secret_give_the_same_encoding_row_by_row() -> None:
    frame = people()
    first, again = encode(frame, SCHEMA, SECRET), encode(frame, SCHEMA, SECRET)
    assert first.dtype == np.uint8 and first.shape == (len(frame), SCHEMA.bits // 8)
    assert np.array_equal(first, again)
    # A record's encoding depends on its values only, not on the other rows or their order.
    order = np.random.default_rng(0).permutation(len(frame))[:50]
    assert np.array_equal(encode(frame[order], SCHEMA, SECRET), first[order])
    # Case, surrounding and repeated spaces and Unicode compatibility forms do not change the encoding.
    plain = encode(one(given_name="anna maria", surname="lopez"), SCHEMA, SECRET)
    noisy = encode(one(given_name="  ANNA   Maria ", surname="ｌｏｐｅｚ"), SCHEMA, SECRET)
    assert np.array_equal(plain, noisy)


def test_a_different_secret_gives_an_unrelated_encoding() -> None:
    frame = people()
    mine, theirs = encode(frame, SCHEMA, SECRET), encode(frame, SCHEMA, OTHER)
    same = dice(mine, theirs)
    # Chance level: the Dice coefficient expected of independent bit vectors with the same numbers of set bits.
    ones_a = np.bitwise_count(mine).sum(axis=1)
    ones_b = np.bitwise_count(theirs).sum(axis=1)
    chance = 2 * ones_a * ones_b / SCHEMA.bits / (ones_a + ones_b)
    assert abs(same.mean() - chance.mean()) < 0.02
    assert same.max() < 0.6
    assert np.all(dice(mine, encode(frame, SCHEMA, SECRET)) == 1.0)


def test_similar_values_score_higher_than_dissimilar_ones() -> None:
    frame = pl.concat(
        [
            one(given_name="jonathan", surname="smith", date_of_birth="19800101", sex="m"),
            one(given_name="jonathon", surname="smyth", date_of_birth="19800101", sex="m"),  # typos
            one(given_name="jonathan", surname="smith", date_of_birth="19800102", sex="m"),  # one digit off
            one(given_name="margaret", surname="okonkwo", date_of_birth="19651231", sex="f"),  # someone else
        ]
    )
    e = encode(frame, SCHEMA, SECRET)
    typo, digit, other = dice(e[0], e[1]), dice(e[0], e[2]), dice(e[0], e[3])
    assert other < 0.5 < typo < digit < 1.0


def test_missing_values_set_no_bits_and_fields_have_their_own_keys() -> None:
    e = encode(pl.concat([one(), one(given_name="maria"), one(surname="maria")]), SCHEMA, SECRET)
    assert not e[0].any()
    assert e[1].any() and e[2].any()
    assert dice(e[1], e[2]) < 0.5  # the same value in another field sets other bits


def test_balanced_encodings_all_have_half_their_bits_set() -> None:
    schema = EncodingSchema(SCHEMA.fields, length=512, balanced=True)
    frame = pl.concat([people(200), one()])  # the empty record too
    e = encode(frame, schema, SECRET)
    assert e.shape == (201, 1024 // 8)
    assert set(np.bitwise_count(e).sum(axis=1).tolist()) == {512}
    # Still a similarity: a record is closer to itself with one typo than to others.
    typo = frame.with_columns(pl.col("surname").str.slice(1))
    assert np.median(dice(e[:-1], encode(typo, schema, SECRET)[:-1])) > np.median(dice(e[:-1], np.roll(e[:-1], 1, 0)))


def test_folding_xors_the_halves_of_the_unfolded_filter() -> None:
    frame = people(100)
    full = encode(frame, SCHEMA, SECRET)
    folded = encode(frame, EncodingSchema(SCHEMA.fields, folds=1), SECRET)
    assert folded.shape == (100, 64)
    assert np.array_equal(folded, full[:, :64] ^ full[:, 64:])


def test_permute_bits_matches_unpacking_and_the_permutation_is_keyed() -> None:
    rng = np.random.default_rng(1)
    packed = rng.integers(0, 256, size=(50, 32), dtype=np.uint8)
    order = permutation(derive_key(SECRET, "test"), 256)
    assert sorted(order.tolist()) == list(range(256))
    expected = np.packbits(np.unpackbits(packed, axis=1)[:, order], axis=1)
    assert np.array_equal(permute_bits(packed, order), expected)
    assert not np.array_equal(order, permutation(derive_key(OTHER, "test"), 256))


def test_hmac_helper_is_hmac_sha256() -> None:
    messages = [b"", b"a", b"jo", "ü:3".encode(), bytes(range(200))]
    for key in (derive_key(SECRET, "x"), b"k" * 100):
        assert hmac_sha256_many(key, messages) == [hmac.digest(key, m, "sha256") for m in messages]


def test_schema_json_round_trips_and_the_fingerprint_tracks_every_parameter() -> None:
    schema = EncodingSchema(SCHEMA.fields, length=2048, balanced=True, folds=1)
    text = schema.to_json()
    assert EncodingSchema.from_json(text) == schema
    assert EncodingSchema.from_json(text).fingerprint == schema.fingerprint
    assert json.loads(text)["fields"][2] == {
        "name": "date_of_birth",
        "kind": "text",
        "ngram": 1,
        "hashes": 10,
        "positional": True,
    }
    assert schema.fingerprint == hashlib.sha256(text.encode()).hexdigest()
    field = FieldSpec("surname", ngram=2, hashes=15)
    variants = [
        EncodingSchema((field,)),
        EncodingSchema((field,), length=512),
        EncodingSchema((field,), balanced=True),
        EncodingSchema((field,), folds=1),
        EncodingSchema((FieldSpec("surname", ngram=3, hashes=15),)),
        EncodingSchema((FieldSpec("surname", ngram=2, hashes=16),)),
        EncodingSchema((FieldSpec("surname", ngram=2, hashes=15, positional=True),)),
        EncodingSchema((FieldSpec("surname", kind="exact", ngram=2, hashes=15),)),
        EncodingSchema((FieldSpec("family_name", ngram=2, hashes=15),)),
    ]
    assert len({v.fingerprint for v in variants}) == len(variants)


@pytest.mark.parametrize(
    "text",
    [
        '{"format": "clkhash"}',
        '{"format": "palermo-bloom", "version": 2, "length": 1024, "balanced": false, "folds": 0, "fields": []}',
        '{"format": "palermo-bloom", "version": 1, "length": 1000, "balanced": false, "folds": 0, '
        '"fields": [{"name": "a", "kind": "text", "ngram": 2, "hashes": 10, "positional": false}]}',
        '{"format": "palermo-bloom", "version": 1, "length": 1024, "balanced": false, "folds": 0, "extra": 1, '
        '"fields": [{"name": "a", "kind": "text", "ngram": 2, "hashes": 10, "positional": false}]}',
    ],
)
def test_schema_from_json_refuses_what_is_not_a_valid_schema(text: str) -> None:
    with pytest.raises(ValueError):
        EncodingSchema.from_json(text)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        encode(people(5), SCHEMA, b"short")
    with pytest.raises(ValueError, match="missing"):
        encode(people(5).drop("sex"), SCHEMA, SECRET)
    with pytest.raises(ValueError):
        FieldSpec("x", hashes=0)
    with pytest.raises(ValueError):
        FieldSpec("x", kind="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unique"):
        EncodingSchema((FieldSpec("x"), FieldSpec("x")))
    with pytest.raises(ValueError):
        BlockingSpec("b", (("surname", "metaphone"),))


def test_soundex() -> None:
    codes = {"Robert": "R163", "Rupert": "R163", "Rubin": "R150", "Ashcraft": "A261", "Tymczak": "T522"}
    assert {name: soundex(name) for name in codes} == codes
    assert soundex("Pfister") == "P236" and soundex("Honeyman") == "H555" and soundex("42") is None


def test_blocking_keys_are_keyed_and_hide_the_values() -> None:
    frame = pl.DataFrame(
        {
            "surname": ["Smith", "Smyth", "Jones", None],
            "date_of_birth": ["19800101", "1980-05-05", "19800101", "19800101"],
        }
    )
    specs = [
        BlockingSpec("name_year", (("surname", "soundex"), ("date_of_birth", "year"))),
        BlockingSpec("initial", (("surname", "prefix:1"),)),
    ]
    keys = blocking_keys(frame, specs, SECRET)
    assert keys.columns == ["name_year", "initial"]
    name_year = keys["name_year"].to_list()
    assert name_year[0] == name_year[1] != name_year[2]  # S530 + 1980 twice, J520 + 1980 once
    assert name_year[3] is None  # a missing part: no key
    assert keys["initial"].to_list()[0] == keys["initial"].to_list()[1]
    assert all(len(k) == 16 and "s530" not in k.lower() for k in name_year[:3])
    other = blocking_keys(frame, specs, OTHER)
    assert set(other["name_year"].drop_nulls().to_list()).isdisjoint(name_year[:3])
    assert blocking_keys(frame, specs, SECRET).equals(keys)


def test_lsh_keys_agree_for_near_identical_encodings() -> None:
    frame = people(300)
    e = encode(frame, SCHEMA, SECRET)
    typo = encode(frame.with_columns(pl.col("given_name").str.slice(1)), SCHEMA, SECRET)
    keys, typo_keys = lsh_keys(e, bands=32, bits=12), lsh_keys(typo, bands=32, bits=12)
    assert keys.shape == (300, 32) and keys.dtypes == [pl.UInt64] * 32
    assert keys.equals(lsh_keys(e, bands=32, bits=12))
    agree = (keys.to_numpy() == typo_keys.to_numpy()).any(axis=1)
    shuffled = (keys.to_numpy() == np.roll(typo_keys.to_numpy(), 1, axis=0)).any(axis=1)
    assert agree.mean() > 0.9 > 0.2 > shuffled.mean()
