"""Delivery to customs endpoints: transports, the retry policy, circuit breakers, workers."""
