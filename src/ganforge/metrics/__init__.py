"""Quality measures: diagnostics while training (and, later, FID/IS/KID and mode coverage)."""
