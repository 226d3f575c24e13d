import numpy as np
import pytest
import torch

from course_utils import validation as v


def test_arrays_are_converted_from_lists_and_tensors():
    assert v.as_float_array([1, 2], "x").dtype == np.float64
    assert np.array_equal(v.as_float_array(torch.tensor([1.5]), "x"), [1.5])
    assert v.as_float_array([np.inf], "x", allow_inf=True)[0] == np.inf


@pytest.mark.parametrize(
    ("value", "error", "phrase"),
    [
        (None, TypeError, "None"),
        ("12", TypeError, "string"),
        ([1, "a"], TypeError, "numbers"),
        ([np.nan], ValueError, "NaN"),
        ([np.inf], ValueError, "infinity"),
    ],
)
def test_bad_arrays(value, error, phrase):
    with pytest.raises(error, match=phrase):
        v.as_float_array(value, "x")


def test_matrix_and_vector_shapes():
    assert v.as_matrix([[1, 2]], "X").shape == (1, 2)
    with pytest.raises(ValueError, match="2-D"):
        v.as_matrix([1, 2], "X")
    with pytest.raises(ValueError, match="empty"):
        v.as_matrix(np.ones((0, 3)), "X")
    assert v.as_vector([1, 2, 3], "y", length=3).shape == (3,)
    with pytest.raises(ValueError, match="ravel"):
        v.as_vector(np.ones((3, 1)), "y")
    with pytest.raises(ValueError, match="expected 4"):
        v.as_vector([1, 2, 3], "y", length=4)
    with pytest.raises(ValueError, match="empty"):
        v.as_vector([], "y")


def test_numbers():
    assert v.as_number(np.array([2.5]), "lr") == 2.5
    assert v.positive(0.1, "lr") == 0.1
    assert v.non_negative(0, "l2") == 0.0
    with pytest.raises(TypeError):
        v.as_number(True, "lr")
    with pytest.raises(TypeError):
        v.as_number("0.1", "lr")
    with pytest.raises(ValueError, match="single number"):
        v.as_number(np.array([1.0, 2.0]), "lr")
    with pytest.raises(ValueError, match="finite"):
        v.as_number(float("nan"), "lr")
    with pytest.raises(ValueError, match="positive"):
        v.positive(0, "lr")
    with pytest.raises(ValueError, match="zero or positive"):
        v.non_negative(-1e-9, "l2")


def test_integers():
    assert v.positive_int(np.int64(3), "epochs") == 3
    assert v.non_negative_int(0, "seed") == 0
    with pytest.raises(TypeError):
        v.positive_int(2.0, "epochs")
    with pytest.raises(TypeError):
        v.positive_int(True, "epochs")
    with pytest.raises(ValueError, match="at least 1"):
        v.positive_int(0, "epochs")
    with pytest.raises(ValueError, match="0 or more"):
        v.non_negative_int(-1, "seed")
