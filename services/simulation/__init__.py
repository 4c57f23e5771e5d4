"""Dry runs of a policy change: the decision an application would get under the current policies or changed
files, from triage's and routing's own pure code, with nothing stored or published. Not a service: a command
(`python -m services.simulation`) and the function intake's `POST /v1/simulate` reaches through its
DRY_RUN_ENTRY_POINT setting (`services.simulation.dry_run:simulate`)."""
