"""Exports that can take longer than a page should wait: asked for on a page or by the API,
written by the scheduler with progress, downloaded for a day by the person who asked."""
