"""A mouse drag on a slider, replayed by a timer: the method `bench/interpolation.py` and
`bench/stylegan.py` share. Each event moves the slider to a new position (sweeping end to
end), and each frame the target paints (`livePainted(request_id)`) is matched to the event
that asked for it: latency from setValue to paint, frames painted, stale frames (painted
after a newer request)."""

from __future__ import annotations

import time
from typing import Any


class SliderDrag:
    """Moves `slider` `rate` times a second for `seconds`, `sweeps` times end to end, and
    records the target's paints (GUI thread). `target` has `livePainted` and
    `live_request`. `id_before_set`: the request a setValue makes is `live_request + 1`,
    known before it (a kept frame paints inside setValue); otherwise it is read after."""

    def __init__(self, target: Any, slider: Any, seconds: float, rate: float, *,
                 sweeps: float = 2.0, tail_ms: int = 500, id_before_set: bool = False
                 ) -> None:
        from PySide6.QtCore import QEventLoop, Qt, QTimer

        self.target, self.slider = target, slider
        self.seconds, self.period, self.sweeps = seconds, 1.0 / rate, sweeps
        self.tail_ms, self.id_before_set = tail_ms, id_before_set
        self.sent: dict[int, float] = {}
        self.latencies: list[float] = []
        self.painted = self.stale = self.events = 0
        self.loop = QEventLoop()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self.tick)
        target.livePainted.connect(self.on_painted)

    def run(self) -> None:
        """Drag for `seconds`, then wait `tail_ms` for the last frame; returns when done."""
        from PySide6.QtCore import QTimer

        self.start = time.perf_counter()
        self.next_due = self.start
        self.timer.start()
        QTimer.singleShot(int(self.seconds * 1000) + self.tail_ms, self.loop.quit)
        self.loop.exec()
        self.target.livePainted.disconnect(self.on_painted)

    def tick(self) -> None:
        now = time.perf_counter()
        if now - self.start >= self.seconds:
            self.timer.stop()
            return
        if now < self.next_due:
            return
        self.next_due += self.period
        slider = self.slider
        phase = (now - self.start) / self.seconds * self.sweeps % 2.0
        frac = phase if phase <= 1.0 else 2.0 - phase
        position = round(frac * slider.maximum())
        if position == slider.value():  # every event lands on a new position
            position += 1 if position < slider.maximum() else -1
        if self.id_before_set:
            self.sent[self.target.live_request + 1] = time.perf_counter()
            slider.setValue(position)  # what a mouse drag does
        else:
            t = time.perf_counter()
            slider.setValue(position)
            self.sent[self.target.live_request] = t
        self.events += 1

    def on_painted(self, request_id: int) -> None:
        now = time.perf_counter()
        self.painted += 1
        if request_id != self.target.live_request:
            self.stale += 1
        if request_id in self.sent:
            self.latencies.append((now - self.sent[request_id]) * 1e3)
