"""What every Aiguillage service stands on: settings, broker, dead letters, telemetry, database, outbox, inbox."""
