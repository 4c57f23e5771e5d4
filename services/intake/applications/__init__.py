"""Applications coming in: the JSON API and the web form (the two doors), the checks on what they accept, the
limits on both, taking an application in, and the staff's dry run."""
