"""Host-side readouts and their learning rules (docs/protocol.md §4): the only trained weights.

Everything here is plain numpy on small arrays; the chip gives spike counts, these classes turn
them into actions and predictions and learn from rewards and state changes.
"""

from __future__ import annotations

import numpy as np

READOUT_FILTER = float(np.exp(-0.5))
"""x <- 0.6065 x + (1 - 0.6065) c: the counts' low-pass filter (tau = 2 network steps)."""
POLICY_INPUT_SCALE = 5.0
POLICY_INIT_SD = 0.1
"""Readout weights J start as N(0, 0.1)."""
LOGIT_CLIP = 50.0
TRACE_DECAY = 0.998
"""Eligibility-trace decay (the discount gamma of the policy gradient)."""
DELTA_STATE_CLIP = 30.0
"""State changes larger than this (resets, jumps) are set to 0 in the world model's target."""
REWARD_TRACE_DECAY = 0.5


def low_pass(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The readouts' filtered activity after one more step: ``READOUT_FILTER x + (1 - READOUT_FILTER) c``."""
    return READOUT_FILTER * x + (1 - READOUT_FILTER) * counts


def state_change_target(state_change: np.ndarray) -> np.ndarray:
    """The world model's state target: ``s_{t+1} - s_t`` with changes larger than
    ``DELTA_STATE_CLIP`` (resets, jumps) set to 0."""
    return np.where(np.abs(state_change) > DELTA_STATE_CLIP, 0.0, state_change)


class Adam:
    """Adam ascent (beta 0.9/0.999, eps 1e-5), ``theta += lr m_hat / (sqrt(v_hat) + eps)``;
    the learning rate is multiplied by ``decay`` every ``decay_every`` steps."""

    def __init__(self, shape, lr: float, *, beta1=0.9, beta2=0.999, eps=1e-5, decay=0.99, decay_every=10_000):
        if not lr > 0:
            raise ValueError(f"learning rate {lr!r} must be positive")
        self.lr0, self.beta1, self.beta2, self.eps = float(lr), beta1, beta2, eps
        self.decay, self.decay_every = decay, decay_every
        self.m = np.zeros(shape)
        self.v = np.zeros(shape)
        self.t = 0

    @property
    def lr(self) -> float:
        return self.lr0 * self.decay ** (self.t // self.decay_every)

    def step(self, grad: np.ndarray) -> np.ndarray:
        """The ascent increment for ``grad`` (add it to the parameters)."""
        lr = self.lr
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad * grad
        m_hat = self.m / (1 - self.beta1 ** self.t)
        v_hat = self.v / (1 - self.beta2 ** self.t)
        return lr * m_hat / (np.sqrt(v_hat) + self.eps)


def softmax(y: np.ndarray) -> np.ndarray:
    z = np.exp(y - y.max())
    return z / z.sum()


def sample_index(p: np.ndarray, rng: np.random.Generator) -> int:
    """An index drawn with probabilities ``p`` by inverting their normalised cumulative sum with one
    ``rng.random()``: the draw ``rng.choice(p.size, p=p)`` makes, from the same random number,
    without its argument checks (``p`` here is always a softmax)."""
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return int(cdf.searchsorted(rng.random(), side="right"))


class Policy:
    """``pi = softmax(clip(J 5x, +-50))`` over 3 actions, REINFORCE with an eligibility trace.

    Per step ``e <- 0.998 e + (onehot(a) - pi) (5x)^T`` and ``G += r e``; one Adam ascent step on
    ``J`` with ``G`` per game or dream (:meth:`update`).
    """

    def __init__(self, n_inputs: int, rng: np.random.Generator, *, lr=0.004, n_actions=3, init_sd=POLICY_INIT_SD):
        self.J = rng.normal(0.0, init_sd, (n_actions, n_inputs))
        self.adam = Adam(self.J.shape, lr)
        self.rng = rng
        self.reset()

    def reset(self) -> None:
        """Start of a game or dream: filtered activity, trace and gradient to zero."""
        self.x = np.zeros(self.J.shape[1])
        self.e = np.zeros_like(self.J)
        self.G = np.zeros_like(self.J)

    def act(self, counts: np.ndarray) -> tuple[int, np.ndarray]:
        """Filter the counts, sample an action; returns (action, pi)."""
        self.x = low_pass(self.x, counts)
        inp = POLICY_INPUT_SCALE * self.x
        pi = softmax(np.minimum(np.maximum(self.J @ inp, -LOGIT_CLIP), LOGIT_CLIP))  # np.clip, faster
        a = sample_index(pi, self.rng)
        onehot = np.zeros(pi.size)
        onehot[a] = 1.0
        self.e = TRACE_DECAY * self.e + np.outer(onehot - pi, inp)
        return a, pi

    def reward(self, r: float) -> None:
        self.G += r * self.e

    def update(self, adam: Adam | None = None) -> None:
        """One ascent step on ``J`` with the gradient ``G``, through ``adam`` (default: the policy's
        own optimiser; a dream with an optimiser of its own passes that one)."""
        self.J += (self.adam if adam is None else adam).step(self.G)


class WorldModel:
    """``ds_pred = W_s x``, ``r_pred = W_r x`` (zero init), trained every awake step by Adam."""

    def __init__(self, n_inputs: int, *, lr_state=0.002, lr_reward=0.0004, n_state=4):
        self.W_s = np.zeros((n_state, n_inputs))
        self.W_r = np.zeros((1, n_inputs))
        self.adam_s = Adam(self.W_s.shape, lr_state)
        self.adam_r = Adam(self.W_r.shape, lr_reward)
        self.reset()

    def reset(self) -> None:
        self.x = np.zeros(self.W_s.shape[1])
        self.r_trace = 0.0

    def predict(self, counts: np.ndarray) -> tuple[np.ndarray, float]:
        """Filter the counts; the predicted state change and reward."""
        self.x = low_pass(self.x, counts)
        return self.W_s @ self.x, float((self.W_r @ self.x)[0])

    def learn(self, ds_pred, r_pred, state_change, reward) -> tuple[float, float]:
        """One update towards the real step; returns the (mean |state error|, |reward error|)."""
        target = state_change_target(state_change)
        self.r_trace = REWARD_TRACE_DECAY * self.r_trace + reward
        err_s = target - ds_pred
        err_r = self.r_trace - r_pred
        self.W_s += self.adam_s.step(np.outer(err_s, self.x))
        self.W_r += self.adam_r.step(err_r * self.x[None, :])
        return float(np.abs(err_s).mean()), abs(err_r)
