import pytest
import torch

from {{ cookiecutter.package_name }}.models.checkpoint import load_checkpoint, load_classifier, save_checkpoint
from {{ cookiecutter.package_name }}.models.classifier import Classifier


@pytest.mark.parametrize("backbone", sorted({"{{ cookiecutter.backbone }}"} | {"resnet18", "mobilenet_v3_small"}))
def test_classifier_maps_uint8_batches_to_one_logit_per_class(backbone):
    model = Classifier(backbone, num_classes=5).eval()
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        logits = model(images)
    assert logits.shape == (2, 5) and logits.dtype == torch.float32


def test_channels_last_gives_the_same_answer():
    model = Classifier("{{ cookiecutter.backbone }}", 3).eval()
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        expected = model(images)
        model = model.to(memory_format=torch.channels_last)
        actual = model(images.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-4)


def test_local_backbone_weights_are_loaded_before_the_head_is_replaced(tmp_path):
    import torchvision

    backbone = torchvision.models.get_model("{{ cookiecutter.backbone }}", weights=None)
    path = tmp_path / "backbone.pt"
    torch.save(backbone.state_dict(), path)
    model = Classifier("{{ cookiecutter.backbone }}", 3, weights=path)
    first = next(iter(backbone.state_dict()))
    torch.testing.assert_close(model.backbone.state_dict()[first], backbone.state_dict()[first])


def test_unknown_backbone_and_single_class_are_rejected():
    with pytest.raises(ValueError, match="backbone"):
        Classifier("not_a_net", 3)
    with pytest.raises(ValueError, match="num_classes"):
        Classifier("{{ cookiecutter.backbone }}", 1)


def test_checkpoint_round_trip_reads_with_weights_only(tmp_path):
    model = Classifier("{{ cookiecutter.backbone }}", 3)
    state = {
        "model": model.state_dict(),
        "class_names": ["a", "b", "c"],
        "config": {"model": {"backbone": "{{ cookiecutter.backbone }}"}, "data": {"image_size": 32}},
    }
    path = save_checkpoint(state, tmp_path / "ckpt.pt")
    assert load_checkpoint(path)["class_names"] == ["a", "b", "c"]
    loaded, _ = load_classifier(path)
    images = torch.randint(0, 256, (1, 3, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        torch.testing.assert_close(loaded(images), model.eval()(images))
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]  # no temp files left behind


def test_missing_checkpoint_says_to_train_first(tmp_path):
    with pytest.raises(FileNotFoundError, match="train a model first"):
        load_checkpoint(tmp_path / "none.pt")
