"""Workers: QObjects living in their own QThreads, the only bridge from the GUI to compute.

One `JobController` on the GUI thread owns every worker and thread (DESIGN.md thread rules).
"""
