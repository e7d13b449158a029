"""Benchmarks on a separate database (avr_bench): `python -m bench.run`. See bench/README.md."""
