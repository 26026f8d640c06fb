"""The MTCNN nets' PReLU, split for onnxruntime (``trainer.faces.mtcnn_nets.SplitPReLU``), is
torch's PReLU: same weights, same outputs, on conv maps and on dense features alike."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from trainer.faces.mtcnn_nets import SplitPReLU  # noqa: E402


@pytest.mark.parametrize("shape", [(4, 10, 7, 9), (5, 128)])
def test_split_prelu_is_prelu(shape: tuple[int, ...]) -> None:
    generator = torch.Generator().manual_seed(0)
    channels = shape[1]
    split, plain = SplitPReLU(channels), torch.nn.PReLU(channels)
    weights = torch.rand(channels, generator=generator) * 1.5 - 0.75  # facenet's slopes: -0.73 to 0.75
    split.load_state_dict({"weight": weights})
    plain.load_state_dict({"weight": weights})
    x = torch.randn(shape, generator=generator) * 3
    torch.testing.assert_close(split(x), plain(x), atol=1e-6, rtol=0)
    assert (split(x) != torch.relu(x)).any()  # the negative side is not thrown away
