"""Jobs: the one service that runs long work (train, follow, encode, decode, sample, export)
off the GUI thread, and the generators it runs."""

from app.jobs.job import Job, JobPaused, JobResumed
from app.jobs.service import JobService

__all__ = ["Job", "JobPaused", "JobResumed", "JobService"]
