"""Drawing many samples (evaluations, `ganforge eval`, `ganforge sample`): passes sized for the
device, the generator in the memory layout it trained in, and outputs that do not depend on
either."""

from __future__ import annotations

import torch

from conftest import resolved
from ganforge.inputs import ACCELERATOR_CHUNK, CPU_CHUNK, generation_chunk
from ganforge.models import build_generator
from ganforge.sampling import LoadedGenerator


def loaded(*overrides: str) -> LoadedGenerator:
    config = resolved(*overrides)  # the default preset: a DCGAN on 8x8 digits
    torch.manual_seed(0)
    return LoadedGenerator(build_generator(config, (1, 8, 8)), config, (1, 8, 8), step=0)


def test_a_cpu_generates_in_cache_sized_passes_an_accelerator_in_large_ones():
    assert generation_chunk("cpu") == CPU_CHUNK < ACCELERATOR_CHUNK
    assert generation_chunk(torch.device("cuda")) == ACCELERATOR_CHUNK
    sizes = [len(batch) for batch, _ in loaded().batches(300, device="cpu")]
    assert sizes == [CPU_CHUNK, CPU_CHUNK, 300 - 2 * CPU_CHUNK]


def test_samples_do_not_depend_on_the_pass_size_or_the_layout():
    nchw = loaded("train.channels_last=false")
    reference = nchw.sample(300, seed=5, batch_size=500)
    torch.testing.assert_close(nchw.sample(300, seed=5), reference, rtol=1e-5, atol=1e-5)
    nhwc = loaded("train.channels_last=true")
    torch.testing.assert_close(nhwc.sample(300, seed=5), reference, rtol=1e-5, atol=1e-5)


def test_the_generator_samples_in_the_layout_it_trained_in():
    nhwc = loaded("train.channels_last=true")
    next(nhwc.batches(4))
    conv = next(m for m in nhwc.generator.modules() if isinstance(m, torch.nn.ConvTranspose2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    nchw = loaded("train.channels_last=false")
    next(nchw.batches(4))
    conv = next(m for m in nchw.generator.modules() if isinstance(m, torch.nn.ConvTranspose2d))
    assert conv.weight.is_contiguous() and not conv.weight.is_contiguous(
        memory_format=torch.channels_last
    )
