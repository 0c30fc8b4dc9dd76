"""Reading IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.): a 4-byte magic number
(two zero bytes, the element type, the number of dimensions), each dimension as a big-endian
32-bit size, then the elements in C order."""

from __future__ import annotations

import numpy as np

UNSIGNED_BYTE = 0x08


def read_idx(data: bytes, what: str = "IDX file") -> np.ndarray:
    """The unsigned-byte array an IDX file holds; ``ValueError`` (one line naming ``what``) for any
    other element type or a length that does not match its header.

    Example:
        >>> read_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])).tolist()
        [7, 8, 9]
    """
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise ValueError(f"{what}: not an IDX file (it should start with two zero bytes)")
    kind, dims = data[2], data[3]
    if kind != UNSIGNED_BYTE:
        raise ValueError(f"{what}: elements of type 0x{kind:02x}; only unsigned bytes (0x08) are read")
    header = 4 + 4 * dims
    if len(data) < header:
        raise ValueError(f"{what}: truncated header")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    if len(data) - header != int(np.prod(shape)):
        raise ValueError(f"{what}: {len(data) - header} bytes of data for shape {shape}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
