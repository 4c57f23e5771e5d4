"""A single-node Apache Kafka broker in KRaft mode, run as a local Java process."""
