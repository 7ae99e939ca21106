"""The small digit classifier behind ganforge's domain metrics and DTN's fixed encoder.

One definition, so weights the metrics train and cache load into the DTN encoder unchanged.
"""

from __future__ import annotations

from torch import Tensor, nn

FEATURES = 128  # width of the penultimate layer: domain features and DTN's f(x)


def digit_layers(resolution: int) -> tuple[nn.Sequential, nn.Sequential]:
    """(body, features): conv 32 -> pool -> conv 64 -> pool -> dense 128, for grey images."""
    body = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
    )
    features = nn.Sequential(nn.Linear(64 * (resolution // 4) ** 2, FEATURES), nn.ReLU())
    return body, features


class DigitClassifier(nn.Module):
    """conv 32 -> pool -> conv 64 -> pool -> dense 128 (features) -> dense classes."""

    def __init__(self, resolution: int, num_classes: int = 10) -> None:
        super().__init__()
        self.body, self.features = digit_layers(resolution)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURES, num_classes))

    def features_and_logits(self, x: Tensor) -> tuple[Tensor, Tensor]:
        feats = self.features(self.body(x))  # (B, 128)
        return feats, self.head(feats)

    def forward(self, x: Tensor) -> Tensor:
        return self.features_and_logits(x)[1]
