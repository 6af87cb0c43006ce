"""Training loops written the way the course's notebooks write them: the references every benchmark measures the
pipeline against. Torch, numpy and nothing of the pipeline's trainer, so that a reference process pays what a
notebook pays.

What makes them "course style", on purpose (it is what the pipeline's trainer no longer does):
- models as nn.Module classes with F.relu between the layers (or nn.Sequential where the notebook has one);
- DataLoader(TensorDataset(...), shuffle=True, drop_last=True) for the training batches, a second DataLoader with
  one batch for the test set, read through `next(iter(test_loader))`;
- per batch `loss.item()` and an accuracy tensor appended to lists, `np.mean` of both lists per epoch;
- torch's default optimizers (the single-tensor Adam/SGD loops), `optimizer.zero_grad()` every step;
- full-batch loops that keep every epoch's loss in a tensor (the ANN notebooks), per-step `.item()` into numpy
  arrays (autoencoders, GANs, RNNs).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FFN_LAYERS = [784, 64, 32, 32, 10]


def sgd(parameters, lr: float = 0.01, **kwargs):
    return torch.optim.SGD(parameters, lr=lr, **kwargs)


def adam(parameters, lr: float = 0.001, **kwargs):
    return torch.optim.Adam(parameters, lr=lr, **kwargs)


class CourseNet(nn.Module):
    """The notebooks' hand-written nets (qwertyNet, ANNwine, mnistNet): an input layer, hidden layers, an output
    layer, F.relu between them; `log_softmax` at the end where the notebook trains with NLLLoss."""

    def __init__(self, sizes, log_softmax: bool = False, weights_from: nn.Module | None = None):
        super().__init__()
        self.input = nn.Linear(sizes[0], sizes[1])
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[1:-2], sizes[2:-1]))
        self.output = nn.Linear(sizes[-2], sizes[-1])
        self.log_softmax = log_softmax
        if weights_from is not None:  # the deep dives train every variant from the same initial weights
            mine, theirs = (self.input, *self.hidden, self.output), [
                m for m in weights_from.modules() if isinstance(m, nn.Linear)]
            if len(mine) != len(theirs):
                raise ValueError(f"weights_from has {len(theirs)} Linear layers, this net {len(mine)}")
            for layer, other in zip(mine, theirs):
                layer.load_state_dict(other.state_dict())

    def forward(self, x):
        x = F.relu(self.input(x))
        for layer in self.hidden:
            x = F.relu(layer(x))
        x = self.output(x)
        return torch.log_softmax(x, axis=1) if self.log_softmax else x


class CourseMnistNet(CourseNet):
    """FFN_FFNonMNIST's mnistNet, started from another net's weights (the deep-dive benchmarks train every variant
    from the same initial weights)."""

    def __init__(self, weights_from: nn.Module):
        super().__init__(FFN_LAYERS, log_softmax=True, weights_from=weights_from)


class BreadthDepthNet(nn.Module):
    """FFN_CodeChallengeBreadthDepth's net: a ModuleDict of an input layer, `layers` hidden layers of `units`
    units and an output layer."""

    def __init__(self, units: int, layers: int, n_in: int = 784, n_out: int = 10):
        super().__init__()
        self.layers = nn.ModuleDict({"input": nn.Linear(n_in, units)})
        for i in range(layers):
            self.layers[f"hidden{i}"] = nn.Linear(units, units)
        self.layers["output"] = nn.Linear(units, n_out)
        self.n = layers

    def forward(self, x):
        x = F.relu(self.layers["input"](x))
        for i in range(self.n):
            x = F.relu(self.layers[f"hidden{i}"](x))
        return self.layers["output"](x)


def course_loop(model, x_train, y_train, x_test, y_test, epochs: int, seed: int, make_optimizer=sgd,
                loss_fn: nn.Module | None = None, test_no_grad: bool = True, batch_size: int = 32,
                binary: bool = False, history: dict | None = None) -> float:
    """The notebooks' function2trainTheModel: returns the last epoch's test accuracy (%). `binary`: one logit,
    accuracy (yHat > 0) == y (the wine notebooks); else argmax. `history` receives the per-epoch lists."""
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True, drop_last=True,
                              generator=torch.Generator().manual_seed(seed))
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=len(x_test))
    lossfun, optimizer = loss_fn or nn.CrossEntropyLoss(), make_optimizer(model.parameters())

    def accuracy(y_hat, y):
        hits = (y_hat > 0) == y if binary else torch.argmax(y_hat, axis=1) == y
        return 100 * torch.mean(hits.float())

    losses, train_acc, test_acc = torch.zeros(epochs), [], []
    for epoch in range(epochs):
        model.train()
        batch_acc, batch_loss = [], []
        for X, y in train_loader:
            y_hat = model(X)
            loss = lossfun(y_hat, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            batch_loss.append(loss.item())
            batch_acc.append(accuracy(y_hat, y))
        train_acc.append(np.mean(batch_acc))
        losses[epoch] = np.mean(batch_loss)
        model.eval()
        X, y = next(iter(test_loader))
        if test_no_grad:  # most notebooks; FFN_FFNonMNIST scores with the graph on
            with torch.no_grad():
                y_hat = model(X)
        else:
            y_hat = model(X)
        test_acc.append(accuracy(y_hat, y))
    if history is not None:
        history.update(train_acc=train_acc, test_acc=[float(a) for a in test_acc], losses=losses)
    return float(test_acc[-1])


def full_batch_loop(model, data, labels, epochs: int, lr: float) -> float:
    """ANN_learningrates' trainTheModel: the whole data set each epoch, BCEWithLogitsLoss, SGD; every epoch's loss
    kept in a tensor (with its graph, as the notebook keeps it); returns the total accuracy (%)."""
    lossfun, optimizer = nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=lr)
    losses = torch.zeros(epochs)
    for epoch in range(epochs):
        y_hat = model(data)
        loss = lossfun(y_hat, labels)
        losses[epoch] = loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    predictions = model(data)
    return float(100 * torch.mean(((predictions > 0) == labels).float()))


def autoencoder_loop(model, x, iterations: int, seed: int, lr: float = 0.001, batch_size: int = 32) -> np.ndarray:
    """autoenc_denoisingMNIST's loop: each iteration a random batch (numpy's choice, with replacement), MSE of the
    reconstruction, Adam, `loss.item()` into a tensor. Returns every step's loss."""
    rng = np.random.default_rng(seed)
    loss_fn, opt = nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=lr)
    losses = torch.zeros(iterations)
    for i in range(iterations):
        xb = x[rng.choice(len(x), batch_size)]
        out = model(xb)
        loss = loss_fn(out, xb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[i] = loss.item()
    return losses.numpy()


def gan_loop(gnet, dnet, x: torch.Tensor, steps: int, seed: int, lr: float = 0.0003, batch: int = 100,
             latent: int = 64) -> dict[str, np.ndarray]:
    """GAN_MNIST's loop (indices from a seeded generator instead of the global one): D on the real and the (not
    detached) fake batch, backward into G too, then G through D with D's weights taking gradients, torch's
    default Adam, two `.item()` a step into numpy arrays. Returns every step's losses and decisions."""
    indices = torch.Generator().manual_seed(seed)
    lossfun = nn.BCELoss()
    d_optimizer = torch.optim.Adam(dnet.parameters(), lr=lr)
    g_optimizer = torch.optim.Adam(gnet.parameters(), lr=lr)
    losses, decisions = np.zeros((steps, 2)), np.zeros((steps, 2))
    for i in range(steps):
        real_images = x[torch.randint(x.shape[0], (batch,), generator=indices)]
        fake_images = gnet(torch.randn(batch, latent))
        real_labels, fake_labels = torch.ones(batch, 1), torch.zeros(batch, 1)
        pred_real = dnet(real_images)
        d_loss = lossfun(pred_real, real_labels) + lossfun(dnet(fake_images), fake_labels)
        losses[i, 0] = d_loss.item()
        decisions[i, 0] = torch.mean((pred_real > .5).float()).detach()
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        pred_fake = dnet(gnet(torch.randn(batch, latent)))
        g_loss = lossfun(pred_fake, real_labels)
        losses[i, 1] = g_loss.item()
        decisions[i, 1] = torch.mean((pred_fake > .5).float()).detach()
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()
    return {"d_loss": losses[:, 0], "g_loss": losses[:, 1], "real_judged_real": decisions[:, 0],
            "fake_judged_real": decisions[:, 1]}


class RnnNet(nn.Module):
    """RNN_codeChallenge_SineExtrapolate's rnnnet: nn.RNN (sequence first), a Linear output on every step; the
    hidden state comes back detached."""

    def __init__(self, hidden: int, layers: int):
        super().__init__()
        self.rnn = nn.RNN(1, hidden, layers)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x, h):
        y, hidden = self.rnn(x, h)
        return self.out(y), hidden.detach()


def sine_loop(net, data: torch.Tensor, seq_length: int, epochs: int, lr: float) -> np.ndarray:
    """The notebook's training: SGD, one window of `seq_length` values a step in order, the hidden state carried
    from window to window (afresh each epoch), MSE of the window's last output; per epoch the mean of the
    steps' `loss.item()`."""
    lossfun, optimizer = nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=lr)
    losses = np.zeros(epochs)
    for epoch in range(epochs):
        seglosses, hidden = [], None
        for t in range(len(data) - seq_length):
            X = data[t:t + seq_length].view(seq_length, 1, 1)
            y = data[t + seq_length].view(1, 1)
            y_hat, hidden = net(X, hidden)
            loss = lossfun(y_hat[-1], y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seglosses.append(loss.item())
        losses[epoch] = np.mean(seglosses)
    return losses


class LstmNet(nn.Module):
    """RNN_LSTMGRU's LSTM net with a character embedding in front (the course's lstmnet): Embedding -> LSTM
    (batch first) -> Linear to the vocabulary."""

    def __init__(self, vocab: int, embedding: int, hidden: int, layers: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.lstm = nn.LSTM(embedding, hidden, layers, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, h):
        y, (hidden, cell) = self.lstm(self.embedding(x), h)
        return self.out(y), (hidden.detach(), cell.detach())


def char_loop(net, x: torch.Tensor, y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor, epochs: int,
              lr: float, clip: float) -> tuple[np.ndarray, np.ndarray]:
    """Next-character training the way the course's RNN notebooks loop: windows in order, the state carried
    (detached), CrossEntropyLoss over every position, clip_grad_norm_, Adam, `loss.item()` a step; after each
    epoch the held-out windows' cross-entropy. Returns (train losses, test losses) per epoch."""
    lossfun, optimizer = nn.CrossEntropyLoss(), torch.optim.Adam(net.parameters(), lr=lr)
    losses, test_losses = np.zeros(epochs), np.zeros(epochs)
    for epoch in range(epochs):
        step_losses, hidden = [], None
        for X, Y in zip(x, y):
            y_hat, hidden = net(X, hidden)
            loss = lossfun(y_hat.reshape(-1, y_hat.shape[-1]), Y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), clip)
            optimizer.step()
            step_losses.append(loss.item())
        losses[epoch] = np.mean(step_losses)
        test_losses[epoch] = char_cross_entropy(net, test_x, test_y)
    return losses, test_losses


@torch.no_grad()
def char_cross_entropy(net, x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean per-character cross-entropy (nats) over held-out windows read in order, the state carried."""
    net.eval()
    total, count, hidden = 0.0, 0, None
    for X, Y in zip(x, y):
        y_hat, hidden = net(X, hidden)
        total += F.cross_entropy(y_hat.reshape(-1, y_hat.shape[-1]), Y.reshape(-1)).item() * Y.numel()
        count += Y.numel()
    net.train()
    return total / count


class CourseMnistCnn(nn.Module):
    """CNN_CNN4MNIST's (and transfer_MNISTtoFMNIST's) mnistNet: conv 10 and 20 (5x5, padding 1), maxpool then
    ReLU after each, a 50-unit layer, 10 outputs."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5, stride=1, padding=1)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5, stride=1, padding=1)
        self.fc1 = nn.Linear(20 * 5 * 5, 50)
        self.out = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = x.view(-1, int(x.shape.numel() / x.shape[0]))
        x = F.relu(self.fc1(x))
        return self.out(x)


class LinearGanNet(nn.Module):
    """GAN_MNIST's discriminatorNet (784-256-256-1, sigmoid) and generatorNet (64-256-256-784, tanh): two hidden
    layers with F.leaky_relu (slope .01) and the output's squashing function."""

    def __init__(self, sizes, squash):
        super().__init__()
        self.fc1, self.fc2, self.out = (nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.squash = squash

    def forward(self, x):
        x = F.leaky_relu(self.fc1(x))
        x = F.leaky_relu(self.fc2(x))
        return self.squash(self.out(x))


def linear_discriminator() -> LinearGanNet:
    return LinearGanNet((784, 256, 256, 1), torch.sigmoid)


def linear_generator() -> LinearGanNet:
    return LinearGanNet((64, 256, 256, 784), torch.tanh)


class DenoisingAE(nn.Module):
    """autoenc_denoisingMNIST's aenet: 784-250-50-250-784, ReLU, sigmoid output."""

    def __init__(self):
        super().__init__()
        self.input, self.enc, self.lat = nn.Linear(784, 250), nn.Linear(250, 50), nn.Linear(50, 250)
        self.dec = nn.Linear(250, 784)

    def forward(self, x):
        x = F.relu(self.input(x))
        x = F.relu(self.enc(x))
        x = F.relu(self.lat(x))
        return torch.sigmoid(self.dec(x))
