import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.data import BatchStream, dataset_shape, load_dataset
from ganforge.errors import DatasetError


def test_digits_is_real_offline_data_in_model_range():
    train = load_dataset(DataConfig(name="digits"))
    test = load_dataset(DataConfig(name="digits", split="test"))
    assert len(train) == 1500 and len(test) == 297
    assert train.data.dtype == torch.uint8 and train.shape == (1, 8, 8)
    x, label = train[0]
    assert x.min() >= -1 and x.max() <= 1 and x.min() == -1  # background is black
    assert train.num_classes == 10 and 0 <= label <= 9
    assert torch.bincount(train.labels).min() > 130  # every digit is there


def test_resolution_and_channels_are_applied():
    ds = load_dataset(DataConfig(name="digits", resolution=16, channels=3, limit=10))
    assert ds.shape == (3, 16, 16) and len(ds) == 10
    assert torch.equal(ds.data[:, 0], ds.data[:, 1])
    assert dataset_shape(DataConfig(name="digits", resolution=16, channels=3)) == (3, 16, 16)


def test_npz_dataset_reads_images_and_labels(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (20, 12, 12, 3), dtype=np.uint8)
    path = tmp_path / "set.npz"
    np.savez(path, images=images, labels=np.arange(20) % 4)
    cfg = DataConfig(name="npz", path=str(path))
    ds = load_dataset(cfg)
    assert ds.shape == (3, 12, 12) and ds.num_classes == 4
    assert torch.equal(ds.data[3], torch.from_numpy(images[3]).permute(2, 0, 1))
    assert dataset_shape(cfg) == (3, 12, 12)


def test_npz_errors_are_one_sentence(tmp_path):
    with pytest.raises(DatasetError, match="needs data.path"):
        load_dataset(DataConfig(name="npz"))
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(DataConfig(name="npz", path=str(tmp_path / "nope.npz")))
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, pixels=np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(DatasetError, match="no 'images' array"):
        load_dataset(DataConfig(name="npz", path=str(wrong)))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip at all")
    with pytest.raises(DatasetError, match="not a readable .npz"):
        load_dataset(DataConfig(name="npz", path=str(broken)))


def test_folder_handles_modes_and_reports_bad_files(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "cats").mkdir()
    (tmp_path / "dogs").mkdir()
    Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(tmp_path / "cats/a.png")
    Image.fromarray(rng.integers(0, 256, (20, 20), dtype=np.uint8)).save(tmp_path / "cats/b.jpg")
    rgba = np.zeros((16, 16, 4), np.uint8)  # fully transparent -> white
    Image.fromarray(rgba, "RGBA").save(tmp_path / "dogs/c.png")
    Image.fromarray(np.full((16, 16), 65535, np.uint16)).save(tmp_path / "dogs/d.png")  # 16-bit
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).convert("P").save(
        tmp_path / "dogs/e.gif"
    )
    (tmp_path / "dogs/empty.png").write_bytes(b"")
    (tmp_path / "dogs/cut.png").write_bytes((tmp_path / "cats/a.png").read_bytes()[:60])
    ds = load_dataset(DataConfig(name="folder", path=str(tmp_path), resolution=8))
    assert len(ds) == 5 and ds.shape == (3, 8, 8) and ds.num_classes == 2
    assert ds.labels.tolist() == [0, 0, 1, 1, 1]
    assert ds.data[2].min() == 255 and ds.data[3].min() == 255  # transparent, 16-bit white
    assert len(ds.notes) == 1 and "empty.png (empty file)" in ds.notes[0]
    assert "cut.png" in ds.notes[0]


def test_folder_without_readable_images_fails_clearly(tmp_path):
    (tmp_path / "x.png").write_bytes(b"")
    with pytest.raises(DatasetError, match="none of the 1 image files"):
        load_dataset(DataConfig(name="folder", path=str(tmp_path)))
    (tmp_path / "nothing").mkdir()
    with pytest.raises(DatasetError, match="no image files"):
        load_dataset(DataConfig(name="folder", path=str(tmp_path / "nothing")))


def test_missing_torchvision_dataset_names_the_files(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_dataset(DataConfig(name="mnist", root=str(tmp_path), download=False))
    message = str(err.value)
    assert "MNIST/raw" in message and str(tmp_path) in message and "data.name=npz" in message


@pytest.mark.parametrize("name, modes, spread", [("toy_ring", 8, 1.05), ("toy_grid", 25, 4.3)])
def test_toy_mixtures(name, modes, spread):
    ds = load_dataset(DataConfig(name=name, limit=5000))
    assert ds.shape == (2,) and ds.num_classes == modes
    assert ds.data.abs().max() < spread
    assert torch.bincount(ds.labels, minlength=modes).min() > 5000 / modes * 0.7


def test_batch_stream_covers_an_epoch_and_resumes_exactly():
    ds = load_dataset(DataConfig(name="digits", limit=50))
    stream = BatchStream(ds, batch_size=10, seed=3)
    first_epoch = torch.cat([stream.next()[1] for _ in range(5)])
    assert sorted(first_epoch.tolist()) == sorted(ds.labels.tolist())
    stream.next()
    state = stream.state_dict()
    expected = [stream.next()[0] for _ in range(7)]
    other = BatchStream(ds, batch_size=10, seed=3)
    other.load_state_dict(state)
    for want in expected:
        assert torch.equal(other.next()[0], want)


def test_dataset_smaller_than_a_batch_is_an_error():
    ds = load_dataset(DataConfig(name="digits", limit=5))
    with pytest.raises(DatasetError, match="5 examples, fewer than one batch of 64"):
        BatchStream(ds, batch_size=64, seed=0)


def test_shared_mnist_npz_matches_published_statistics(shared_data):
    ds = load_dataset(DataConfig(name="npz", path=str(shared_data / "mnist_test.npz")))
    assert len(ds) == 10000 and ds.shape == (1, 28, 28)
    assert torch.bincount(ds.labels).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    assert ds.data.float().mean().item() == pytest.approx(33.7912, abs=1e-3)
