"""The paper's Pong environment: ALE Pong with RAM observations (docs/protocol.md §1).

``gym.make("ALE/Pong-v5", obs_type="ram", frameskip=4, repeat_action_probability=0.25,
difficulty=0, mode=0)`` is the exact successor of the paper's ``Pong-v0`` RAM environment; ale-py
ships the ROM, nothing is downloaded. The state is 4 RAM bytes: ball x (49), ball y (54), CPU
paddle y (21, identical to 50) and player paddle y (51), raw 0-255.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

RAM_BALL_X = 49
RAM_BALL_Y = 54
RAM_CPU_Y = 21
RAM_PLAYER_Y = 51
STATE_RAM = (RAM_BALL_X, RAM_BALL_Y, RAM_CPU_Y, RAM_PLAYER_Y)
AGENT_TO_ALE = (0, 2, 3)
"""Agent action -> ALE action: 0 NOOP, 1 RIGHT (paddle up), 2 LEFT (paddle down)."""
START_NOOPS = 18
"""``env.reset()`` is followed by 1 + 17 NOOP steps before the agent plays."""


def ram_state(ram: np.ndarray) -> np.ndarray:
    """The 4-vector [ball x, ball y, cpu y, player y] (float) from a 128-byte RAM observation."""
    return np.asarray(ram, dtype=float)[list(STATE_RAM)]


START = -1
"""Log entry of :meth:`Pong.start_game`."""


class Pong:
    """One seeded Pong environment.

    ``start_game()`` resets and plays the 18 start NOOPs; ``step(a)`` takes an agent action (0-2)
    and returns ``(state, reward, done)``. Every call is logged (:attr:`log`: -1 for a start, else
    the action) so that :meth:`replay` can rebuild the exact emulator state, sticky-action random
    stream included, in a fresh environment: ALE's clone/restore does not reproduce sticky actions.
    """

    def __init__(self, seed: int):
        import ale_py

        gym.register_envs(ale_py)
        ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Warning)  # no version banner on stderr
        self.env = gym.make("ALE/Pong-v5", obs_type="ram", frameskip=4, repeat_action_probability=0.25,
                            difficulty=0, mode=0)
        self._ale = self.env.unwrapped.ale
        self._seed = int(seed)
        self._seeded = False
        self.log: list[int] = []

    def start_game(self) -> np.ndarray:
        self.log.append(START)
        if self._seeded:
            ram, _ = self.env.reset()
        else:
            ram, _ = self.env.reset(seed=self._seed)
            self._seeded = True
        for _ in range(START_NOOPS):
            ram, _, term, trunc, _ = self.env.step(0)
        return ram_state(ram)

    def step(self, action: int) -> tuple[np.ndarray, float, bool]:
        if action not in (0, 1, 2):
            raise ValueError(f"agent action {action!r} must be 0 (NOOP), 1 (up) or 2 (down)")
        self.log.append(action)
        ram, reward, term, trunc, _ = self.env.step(AGENT_TO_ALE[action])
        return ram_state(ram), float(reward), bool(term or trunc)

    def replay(self, log) -> None:
        """Repeat the calls of another environment of the same seed (its :attr:`log`) on this fresh one."""
        if self.log:
            raise RuntimeError("replay needs a fresh environment (this one has already been used)")
        for entry in log:
            if entry == START:
                self.start_game()
            else:
                self.step(int(entry))

    def state(self) -> np.ndarray:
        return ram_state(self._ale.getRAM())

    def close(self) -> None:
        self.env.close()


def random_states(n: int, seed: int = 0) -> np.ndarray:
    """``n`` states of games played with uniformly random actions (for benchmarks and notebooks)."""
    env = Pong(seed)
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        env.start_game()
        for _ in range(100):
            s, _, done = env.step(int(rng.integers(3)))
            out.append(s)
            if done or len(out) >= n:
                break
    env.close()
    return np.array(out)
