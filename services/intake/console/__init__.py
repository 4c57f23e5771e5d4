"""The staff console: sign-in and accounts, the queue, an application's dossier, overrides, the journey's records
and the indicators."""
