"""A folder dataset is decoded once into a memory-mapped uint8 array in the cache."""

import os

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.data import BatchStream, load_dataset
from ganforge.data import files as files_module
from ganforge.data.cache import cache_dir


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def folder(tmp_path):
    """12 images of mixed sizes in two class folders (one grey, so colour conversion runs)."""
    rng = np.random.default_rng(0)
    for i in range(12):
        (tmp_path / "imgs" / "ab"[i % 2]).mkdir(parents=True, exist_ok=True)
        shape = (20, 24) if i == 3 else (20 + i, 24, 3)
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / "imgs" / "ab"[i % 2] / f"{i:02d}.png")
    return tmp_path / "imgs"


@pytest.fixture
def decoded(monkeypatch):
    """How many image files have been decoded so far."""
    count = [0]
    read = files_module._read_image

    def counting(path):
        count[0] += 1
        return read(path)

    monkeypatch.setattr(files_module, "_read_image", counting)
    return count


def entries() -> list[str]:
    return sorted(p.name for p in cache_dir("data").glob("*.npy"))


def test_second_load_decodes_nothing_and_is_memory_mapped(folder, decoded):
    cfg = DataConfig(name="folder", path=str(folder), resolution=16)
    first = load_dataset(cfg)
    assert decoded[0] == 12
    second = load_dataset(cfg)
    assert decoded[0] == 12  # nothing decoded again
    assert second.memory_mapped and first.memory_mapped
    assert torch.equal(first.data, second.data) and torch.equal(first.labels, second.labels)
    assert second.shape == (3, 16, 16) and second.labels.tolist() == [0] * 6 + [1] * 6
    in_memory = files_module.load_folder(cfg, cache=False)
    assert not in_memory.memory_mapped and decoded[0] == 24
    assert torch.equal(second.data, in_memory.data)

    # another resolution or channel count is another entry; data.limit is not
    load_dataset(DataConfig(name="folder", path=str(folder), resolution=16, limit=5))
    assert decoded[0] == 24
    grey = load_dataset(DataConfig(name="folder", path=str(folder), resolution=16, channels=1))
    assert decoded[0] == 36 and grey.shape == (1, 16, 16) and len(entries()) == 2
    # luma, as data.channels=1 converts any other dataset
    luma = (second.data.float() * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1)
    assert (grey.data[:, 0].float() - luma).abs().max() <= 0.5 + 1e-3


def test_reads_come_from_the_file_and_writes_never_reach_it(folder):
    cfg = DataConfig(name="folder", path=str(folder), resolution=16)
    ds = load_dataset(cfg)
    (name,) = entries()
    on_disk = np.load(cache_dir("data") / name, mmap_mode="r+")
    on_disk[5, 0, 0, 0] = 255 - int(on_disk[5, 0, 0, 0])
    on_disk.flush()
    assert int(ds.data[5, 0, 0, 0]) == int(on_disk[5, 0, 0, 0])  # a view of the file, no copy
    ds.data[7].zero_()  # copy-on-write: this process's pages only
    del on_disk
    assert int(np.load(cache_dir("data") / name)[7].max()) > 0


def test_a_changed_file_invalidates_the_entry(folder, decoded):
    cfg = DataConfig(name="folder", path=str(folder), resolution=16)
    before = load_dataset(cfg)
    old = entries()
    target = folder / "a" / "00.png"
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # touch
    load_dataset(cfg)
    assert decoded[0] == 24 and entries() != old and len(entries()) == 1  # the old one is gone

    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(target)  # replaced
    after = load_dataset(cfg)
    assert decoded[0] == 36
    assert int(after.data[0].max()) == 0 and torch.equal(after.data[1:], before.data[1:])

    (folder / "b" / "11.png").unlink()  # removed
    assert len(load_dataset(cfg)) == 11 and decoded[0] == 47


def test_stream_batches_equal_the_in_memory_path_and_resume_exactly(folder):
    cfg = DataConfig(name="folder", path=str(folder), resolution=16)
    mapped, in_memory = load_dataset(cfg), files_module.load_folder(cfg, cache=False)
    a, b = BatchStream(mapped, 5, seed=3), BatchStream(in_memory, 5, seed=3)
    for _ in range(7):  # three epochs of two batches, and one more
        (xa, ya), (xb, yb) = a.next(), b.next()
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    resumed = BatchStream(mapped, 5, seed=3)
    resumed.load_state_dict(a.state_dict())
    assert torch.equal(resumed.next()[0], b.next()[0])


def test_unreadable_files_are_skipped_and_named_from_the_cache_too(folder, decoded):
    (folder / "a" / "broken.png").write_bytes(b"not a png")
    cfg = DataConfig(name="folder", path=str(folder), resolution=16)
    first, second = load_dataset(cfg), load_dataset(cfg)
    assert decoded[0] == 13 and len(second) == 12
    assert second.notes == first.notes and "broken.png" in second.notes[0]


def test_without_a_usable_cache_the_folder_is_decoded_into_memory(folder, tmp_path, monkeypatch):
    cfg = DataConfig(name="folder", path=str(folder), resolution=16)
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "a-file" / "cache"))
    ds = load_dataset(cfg)
    assert not ds.memory_mapped and len(ds) == 12 and "not cached" in ds.notes[-1]

    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "cache"))
    full = type("Usage", (), {"free": 1000})
    monkeypatch.setattr(files_module.shutil, "disk_usage", lambda path: full)
    ds = load_dataset(cfg)
    assert not ds.memory_mapped and "GB free" in ds.notes[-1] and entries() == []
