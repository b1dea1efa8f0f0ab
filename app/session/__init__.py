"""The session: the state every panel observes, the job service and the model shown."""

from app.session.progress import JobState, Progress
from app.session.session import Session

__all__ = ["JobState", "Progress", "Session"]
