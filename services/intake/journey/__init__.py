"""The journey of an accepted project through the one-stop shop: training, assessment, matching with solution
providers, funding, a proof of concept on the supercomputer, production."""
