"""ganforge: train, evaluate and compare GANs from one config file and one command."""

__version__ = "0.1.0"
