"""The read model: what intake learns from everyone's events (status, scores, decision, timeline, what the console
filters on), and its rebuild from the topics."""
