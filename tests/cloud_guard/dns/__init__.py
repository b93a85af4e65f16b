"""Tests of the cloud guard library."""
