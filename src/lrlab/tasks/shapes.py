"""Checking that a model can take a given input shape, with an error that says what it takes."""

from __future__ import annotations


def check_input_shape(
    model: str, input_shape: tuple[int, ...], ranks: tuple[int, ...], allowed: str
) -> tuple[int, ...]:
    """Return ``input_shape`` as a tuple if ``model`` can take it, else raise ``ValueError``.

    Args:
        model: the model's registry name, used in the message.
        input_shape: shape of one example (no batch dimension).
        ranks: the numbers of dimensions the model accepts, e.g. ``(1, 2)``.
        allowed: the accepted shapes in words, e.g. ``"(L,) or (C, L)"``.
    """
    shape = tuple(input_shape)
    if len(shape) not in ranks or any(not isinstance(d, int) or d < 1 for d in shape):
        raise ValueError(
            f"model {model!r} cannot take input shape {shape}: it takes {allowed} "
            "with positive integer sizes"
        )
    return shape
