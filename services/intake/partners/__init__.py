"""The partner factories: the HTTP bridge for those without Kafka, and the projects they refer to us."""
