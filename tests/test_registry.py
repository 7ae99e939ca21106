import pytest

from ganforge.data import DATASETS
from ganforge.errors import ConfigError
from ganforge.losses import LOSSES
from ganforge.models import FAMILIES
from ganforge.registry import Registry


def test_duplicate_registration_raises():
    reg: Registry[int] = Registry("thing")
    reg.add("a", 1)
    with pytest.raises(ValueError, match="already registered"):
        reg.add("a", 2)


def test_unknown_name_suggests_closest_and_lists_all():
    with pytest.raises(ConfigError) as err:
        LOSSES.get("hinje")
    message = str(err.value)
    assert "unknown loss 'hinje'" in message
    assert "did you mean 'hinge'" in message
    assert "lsgan" in message and "minimax" in message


def test_decorator_registers_and_returns_target():
    reg: Registry = Registry("widget")

    @reg.register("w", help="a widget")
    def make():
        return 3

    assert reg.get("w") is make and reg.help("w") == "a widget" and "w" in reg


def test_shipped_registries_hold_what_the_design_promises():
    assert set(LOSSES.names()) == {"minimax", "nonsaturating", "lsgan", "wasserstein", "hinge"}
    assert {"mlp", "dcgan"} <= set(FAMILIES.names())
    assert {
        "digits",
        "mnist",
        "fashion_mnist",
        "cifar10",
        "celeba",
        "npz",
        "folder",
        "toy_ring",
        "toy_grid",
    } <= set(DATASETS.names())
