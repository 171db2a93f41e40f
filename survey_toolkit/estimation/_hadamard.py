"""The Hadamard matrices of R ``survey``'s ``hadamard(n)`` (0/1 entries), used for BRR half-samples.

R picks, for n strata, one matrix of order > n: Sylvester doubling (order 2^k), Paley's quadratic
residue construction (order p + 1 for a prime p = 3 mod 4), or one of two stored matrices (order 28,
from Sloane's library of Hadamard matrices; order 36, from Plackett and Burman 1946), each possibly
doubled (H -> [[H, H], [H, 1 - H]]). The constructions below are the textbook ones; :data:`_CHOICE`
records which one R 4.2.2 / survey 4.1-1 returns for each n (measured for n = 1..300 and checked in
``tests/estimation/test_replicates_brr.py``). Other n: pass ``hadamard=`` explicitly.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hadamard", "is_hadamard", "MAX_STRATA"]

#: (first n, construction, base, doublings), in increasing n: R's ``hadamard(n)`` for n up to MAX_STRATA
_CHOICE = (
    (1, "sylvester", 2, 1), (4, "sylvester", 2, 2), (8, "paley", 11, 0), (12, "sylvester", 2, 3), (16, "paley", 19, 0),
    (20, "paley", 11, 1), (24, "stored", 28, 0), (28, "sylvester", 2, 4), (32, "stored", 36, 0),
    (36, "paley", 19, 1), (40, "paley", 43, 0), (44, "paley", 11, 2), (48, "stored", 28, 1),
    (56, "paley", 59, 0), (60, "sylvester", 2, 5), (64, "paley", 67, 0), (68, "stored", 36, 1),
    (72, "paley", 79, 0), (76, "paley", 19, 2), (80, "paley", 83, 0), (84, "paley", 43, 1),
    (88, "paley", 11, 3), (96, "paley", 103, 0), (104, "paley", 107, 0), (108, "stored", 28, 2),
    (112, "paley", 59, 1), (120, "paley", 127, 0), (124, "sylvester", 2, 6), (128, "paley", 131, 0),
    (132, "paley", 67, 1), (136, "paley", 139, 0), (140, "stored", 36, 2), (144, "paley", 151, 0),
    (152, "paley", 19, 3), (160, "paley", 163, 0), (164, "paley", 83, 1), (168, "paley", 43, 2),
    (176, "paley", 179, 0), (180, "paley", 191, 0), (188, "paley", 11, 4), (192, "paley", 199, 0),
    (200, "paley", 211, 0), (212, "paley", 107, 1), (216, "paley", 223, 0), (220, "stored", 28, 3),
    (224, "paley", 227, 0), (228, "paley", 239, 0), (236, "paley", 59, 2), (240, "paley", 251, 0),
    (252, "sylvester", 2, 7), (256, "paley", 263, 0), (260, "paley", 131, 1), (264, "paley", 271, 0),
    (268, "paley", 67, 2), (272, "paley", 139, 1), (280, "paley", 283, 0), (284, "stored", 36, 3),
    (288, "paley", 307, 0),
)  # fmt: skip
MAX_STRATA = 300

# rows as hexadecimal bit strings (first column = most significant bit)
_STORED = {
    28: ("fffffff 9c71c78 83cd378 83b2e66 9a0f8d6 952c5ae 8cd239e 58aa7f0 45b59d4 46cbcac 561774a 4b64e9a "
         "5959b26 2d1eae8 3666b34 2b3b51c 31d74b2 32f89ca 2ced646 ea545e4 f1632cc f09ce1c e54ad52 e6392b2 "
         "e8a792a dffe000 bf81f80 7f8007e"),
    36: ("fffffffff 5c7dc8564 b8fb90ac8 71f721592 e3ee42b24 c7dc8564a 8fb90ac96 1f721592e 3ee42b25c 7dc8564b8 "
         "fb90ac970 f721592e2 ee42b25c6 dc8564b8e b90ac971e 721592e3e e42b25c7c c8564b8fa 90ac971f6 21592e3ee "
         "42b25c7dc 8564b8fb8 0ac971f72 1592e3ee4 2b25c7dc8 564b8fb90 ac971f720 592e3ee42 b25c7dc84 64b8fb90a "
         "c971f7214 92e3ee42a 25c7dc856 4b8fb90ac 971f72158 2e3ee42b2"),
}


def _stored(order: int) -> np.ndarray:
    rows = [int(h, 16) for h in _STORED[order].split()]
    bits = np.arange(order - 1, -1, -1)
    return ((np.array(rows, dtype=object)[:, None] >> bits[None, :]) & 1).astype(np.int8)


def _paley(p: int) -> np.ndarray:
    """Order p + 1: 1 where (i + j) mod p is a non-residue, 0 on residues and 0; bordered by ones."""
    i = np.arange(p)
    residues = np.unique(np.concatenate([[0], (np.arange(1, (p - 1) // 2 + 1) ** 2) % p]))
    core = np.where(np.isin((i[:, None] + i[None, :]) % p, residues), 0, 1)
    out = np.ones((p + 1, p + 1), dtype=np.int8)
    out[1:, 1:] = core
    return out


def _double(h: np.ndarray) -> np.ndarray:
    return np.block([[h, h], [h, 1 - h]]).astype(np.int8)


def hadamard(n: int) -> np.ndarray:
    """R ``survey::hadamard(n)``: a 0/1 Hadamard matrix of order > n, for 1 <= n <= :data:`MAX_STRATA`."""
    if not 1 <= n <= MAX_STRATA:
        raise ValueError(f"no R-identical Hadamard matrix is known here for {n} strata (1..{MAX_STRATA})")
    _, kind, base, doublings = next(c for c in reversed(_CHOICE) if c[0] <= n)
    h = {"sylvester": lambda: np.array([[1, 1], [1, 0]], dtype=np.int8), "paley": lambda: _paley(base),
         "stored": lambda: _stored(base)}[kind]()
    for _ in range(doublings):
        h = _double(h)
    return h


def is_hadamard(h: np.ndarray) -> bool:
    """True when the +-1 version of the 0/1 matrix ``h`` has orthogonal rows."""
    s = 2.0 * np.asarray(h, dtype=float) - 1.0
    return s.ndim == 2 and s.shape[0] == s.shape[1] and np.array_equal(s @ s.T, s.shape[0] * np.eye(s.shape[0]))
