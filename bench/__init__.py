"""Benchmarks: speed, memory and accuracy, each writing bench/results/*.json."""
